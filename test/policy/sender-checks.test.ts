// The sender domain and HELO checks ask their first question alone (the domain's MX, the HELO name's address) and
// the other two only when it found nothing: the same outcome as asking all three at once, for every mix of record,
// no record and failed lookup, with two questions fewer when the first one answers. Real DNS on loopback (the lab's
// stand-in server) through a resolver without a cache, so every question asked is counted; failed lookups come
// from a resolver wrapper that fails the chosen record types of a name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { checkHelo, checkSenderDomain, isNoData, type CheckOutcome, type HeloOutcome } from '../../engine/policy/sender-checks.js';
import { makeResolver, type Resolver } from '../../engine/dns/resolver.js';
import { startDnsServer, type DnsRecord, type DnsServer } from '../../lab/dns/server.js';

type Kind = 'r' | 'n' | 'e'; // a record, no record, a failed lookup
const KINDS: Kind[] = ['r', 'n', 'e'];
const COMBOS: [Kind, Kind, Kind][] = KINDS.flatMap((a) => KINDS.flatMap((b) => KINDS.map((c) => [a, b, c] as [Kind, Kind, Kind])));

/** The name of a combination; its kinds are for [MX, A, AAAA] (sender domains) or [A, AAAA, MX] (HELO names). */
const nameOf = (zone: string, k: [Kind, Kind, Kind]) => `c-${k.join('')}.${zone}`;

function records(zone: string, types: ['MX' | 'A' | 'AAAA', 'MX' | 'A' | 'AAAA', 'MX' | 'A' | 'AAAA']): DnsRecord[] {
  const out: DnsRecord[] = [{ name: zone, type: 'NS', data: `ns.${zone}` }];
  for (const k of COMBOS) {
    const name = nameOf(zone, k);
    // every name exists (a TXT record), so "no record" is NODATA; NXDOMAIN is checked apart below
    out.push({ name, type: 'TXT', data: 'exists' });
    k.forEach((kind, i) => {
      if (kind !== 'r') return;
      const t = types[i];
      out.push(t === 'MX' ? { name, type: 'MX', data: '10 mx.elsewhere.test' } : t === 'A' ? { name, type: 'A', data: '192.0.2.1' } : { name, type: 'AAAA', data: '2001:db8::1' });
    });
  }
  return out;
}

let dns: DnsServer;
before(async () => {
  dns = await startDnsServer({
    zones: [...records('from.test', ['MX', 'A', 'AAAA']), ...records('helo.test', ['A', 'AAAA', 'MX'])],
    origins: ['from.test', 'helo.test'],
  });
});
after(async () => {
  await dns.close();
});

/** A resolver that fails (SERVFAIL) the record types the name's combination marks 'e', in the given order of types. */
function failing(types: string[]): Resolver {
  const real = makeResolver([dns.address], 5_000);
  const method: Record<string, string> = { resolveMx: 'MX', resolve4: 'A', resolve6: 'AAAA' };
  return new Proxy(real, {
    get(t, p) {
      const v = Reflect.get(t, p) as unknown;
      if (typeof v !== 'function') return v;
      const type = method[String(p)];
      return (name: string, ...rest: unknown[]) => {
        const kinds = /^c-([rne]{3})\./.exec(name)?.[1];
        if (type && kinds && kinds[types.indexOf(type)] === 'e') return Promise.reject(Object.assign(new Error(`query ESERVFAIL ${name}`), { code: 'ESERVFAIL' }));
        return (v as (...a: unknown[]) => unknown).call(t, name, ...rest);
      };
    },
  }) as Resolver;
}

/** All three questions at once, as the checks asked before: any record passes, else a failure is unknown, else fail. */
async function allAtOnce(asks: Promise<unknown[]>[]): Promise<boolean | 'error'> {
  const r = await Promise.all(asks.map((p) => p.then((x) => x.length > 0, (e: unknown) => (isNoData(e) ? false : ('error' as const)))));
  return r.includes(true) ? true : r.includes('error') ? 'error' : false;
}

const asked = (name: string) => dns.queries.filter((q) => q.name === name).map((q) => q.type);

test('the sender domain check: the same outcome as asking MX, A and AAAA at once, for all 27 mixes; MX alone when it has one', async () => {
  const resolver = failing(['MX', 'A', 'AAAA']);
  for (const k of COMBOS) {
    const domain = nameOf('from.test', k);
    const ref = await allAtOnce([resolver.resolveMx(domain), resolver.resolve4(domain), resolver.resolve6(domain)]);
    const want: CheckOutcome =
      ref === true ? { status: 'pass' } : ref === 'error' ? { status: 'unknown', reason: `lookup of ${domain} failed` } : { status: 'fail', reason: `${domain} has no MX or A record` };
    const before = asked(domain).length;
    const got = await checkSenderDomain(resolver, `someone@${domain}`);
    assert.deepEqual(got, want, domain);
    const now = asked(domain).slice(before);
    // failed lookups never reach the server: only the answered types are counted there
    if (k[0] === 'r') assert.deepEqual(now, ['MX'], `${domain}: only its MX is asked`);
    else assert.deepEqual(now.sort(), (['MX', 'A', 'AAAA'] as const).filter((_, i) => k[i] !== 'e').sort(), `${domain}: MX, then A and AAAA`);
  }
});

test('the sender domain check: NXDOMAIN fails, an address literal fails unasked, the null sender passes', async () => {
  const resolver = makeResolver([dns.address], 5_000);
  assert.deepEqual(await checkSenderDomain(resolver, 'a@nothing.from.test'), { status: 'fail', reason: 'nothing.from.test has no MX or A record' });
  assert.deepEqual(asked('nothing.from.test').sort(), ['A', 'AAAA', 'MX']);
  assert.deepEqual(await checkSenderDomain(resolver, 'a@[192.0.2.1]'), { status: 'fail', reason: '[192.0.2.1] is an address literal' });
  assert.deepEqual(await checkSenderDomain(resolver, ''), { status: 'pass' });
  // a dead server: unknown (no tag), within the resolver's own limit per question
  const dead = makeResolver(['127.0.0.1:1'], 300);
  assert.equal((await checkSenderDomain(dead, 'a@c-rrr.from.test')).status, 'unknown');
});

test('the HELO check: the same outcome as asking A, AAAA and MX at once, for all 27 mixes; A alone when it has one', async () => {
  const resolver = failing(['A', 'AAAA', 'MX']);
  const ip = '192.0.2.50';
  for (const k of COMBOS) {
    const helo = nameOf('helo.test', k);
    const ref = await allAtOnce([resolver.resolve4(helo), resolver.resolve6(helo), resolver.resolveMx(helo)]);
    const want: HeloOutcome = {
      forged: { status: 'pass' },
      resolves: ref === true ? { status: 'pass' } : ref === 'error' ? { status: 'unknown', reason: `lookup of ${helo} failed` } : { status: 'fail', reason: `HELO ${helo} does not resolve` },
    };
    const before = asked(helo).length;
    assert.deepEqual(await checkHelo(resolver, { helo, ip, ourNames: ['mx.tegami.test'] }), want, helo);
    const now = asked(helo).slice(before);
    if (k[0] === 'r') assert.deepEqual(now, ['A'], `${helo}: only its address is asked`);
    else assert.deepEqual(now.sort(), (['A', 'AAAA', 'MX'] as const).filter((_, i) => k[i] !== 'e').sort(), `${helo}: A, then AAAA and MX`);
  }
  // names that are never looked up: our own name, a literal, a bare word
  const n = dns.queries.length;
  assert.equal((await checkHelo(resolver, { helo: 'mx.tegami.test', ip, ourNames: ['mx.tegami.test'] })).forged.status, 'fail');
  assert.equal((await checkHelo(resolver, { helo: `[${ip}]`, ip, ourNames: [] })).forged.status, 'pass');
  assert.equal((await checkHelo(resolver, { helo: 'localhost', ip, ourNames: [] })).resolves.status, 'fail');
  assert.equal(dns.queries.length, n);
});
