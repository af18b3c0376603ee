// The event catalogue (engine/log/events.ts): names are "<service>.<name>" of the entry's own service, every
// metrics function uses declared metrics with their declared labels, `emit` is checked by TypeScript
// (the @ts-expect-error lines below fail the build if a typo stops being an error), every old-style call in
// engine/ and workers/ names an event the catalogue knows (the unconverted ones are listed), and a line
// written and a counter counted come from the same emission.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalName, EVENTS, eventDef, SERVICES, type EventName, type Service } from '../../engine/log/events.js';
import { Logger, localDay } from '../../engine/log/logger.js';
import { METRICS, type Meter } from '../../engine/metrics/definitions.js';
import { Metrics } from '../../engine/metrics/metrics.js';
import { ROOT } from '../helpers/server.js';

const KINDS = ['text', 'word', 'id', 'ip', 'address', 'login', 'secret', 'int', 'ms', 'number', 'bool', 'list', 'json'];

function sample(kind: string): unknown {
  const k = kind.replace('?', '');
  return k === 'int' || k === 'ms' || k === 'number' ? 7 : k === 'bool' ? true : k === 'list' ? ['a', 'b'] : k === 'json' ? { a: 1 } : 'x';
}

describe('the catalogue', () => {
  it('names each event "<service>.<name>" of its own service, with known field kinds', () => {
    for (const [name, def] of Object.entries(EVENTS)) {
      assert.ok(SERVICES.includes(def.service), `${name}: service ${def.service}`);
      assert.equal(name.split('.')[0], def.service, `${name} is declared for service ${def.service}`);
      assert.match(name.slice(def.service.length + 1), /^[a-z0-9]+(-[a-z0-9]+)*$/, `${name}: kebab-case name`);
      for (const [f, kind] of Object.entries(def.fields as Record<string, string>)) assert.ok(KINDS.includes(kind.replace('?', '')), `${name}.${f}: kind ${kind}`);
    }
  });

  it('every metrics function uses declared metrics, of the right type, with exactly their labels', () => {
    const used = new Set<string>();
    const check = (type: string) => (name: string, labels: Record<string, string>) => {
      const def = (METRICS as Record<string, { type: string; labels: Record<string, unknown> }>)[name];
      assert.ok(def, `unknown metric ${name}`);
      assert.equal(def.type, type, `${name} used as a ${type}`);
      assert.deepEqual(Object.keys(labels).sort(), Object.keys(def.labels).sort(), `${name}: labels`);
      used.add(name);
    };
    const meter = { inc: check('counter'), add: check('gauge'), observe: check('histogram') } as unknown as Meter;
    for (const [name, def] of Object.entries(EVENTS)) {
      const fields = Object.fromEntries(Object.entries(def.fields as Record<string, string>).map(([f, k]) => [f, sample(k)]));
      // as declared, and with every optional field absent (old-style calls leave them out)
      const required = Object.fromEntries(Object.entries(def.fields as Record<string, string>).filter(([, k]) => !k.endsWith('?')).map(([f, k]) => [f, sample(k)]));
      for (const f of [fields, required]) assert.doesNotThrow(() => (def.metrics as ((f: unknown, m: Meter) => void) | undefined)?.(f, meter), name);
    }
    // counters fed only by gauges computed at scrape time or by the log itself are not in the catalogue
    const fedElsewhere = new Set(['tegami_log_events_total']);
    for (const m of Object.keys(METRICS)) if (!fedElsewhere.has(m)) assert.ok(used.has(m), `metric ${m} is fed by no event`);
  });

  it('emit is checked by TypeScript: a typo, a missing field, a wrong type or an unknown field do not compile', () => {
    const l = new Logger({ stdout: false, files: false, sink: null });
    const ok = { sid: 's1', ip: '192.0.2.1', method: 'PLAIN', user: 'u', failures: 1, blocked: false };
    l.emit('smtp.auth-failed', ok);
    // @ts-expect-error a typo in the event name
    l.emit('smtp.auth_failed', ok);
    // @ts-expect-error a required field missing
    l.emit('smtp.auth-failed', { sid: 's1', ip: '192.0.2.1', method: 'PLAIN', blocked: false });
    // @ts-expect-error a field of the wrong type
    l.emit('smtp.auth-failed', { ...ok, failures: '1' });
    // @ts-expect-error a field the event does not declare
    l.emit('smtp.auth-failed', { ...ok, password: 'x' });
    const n: EventName = 'imap.listener-error';
    assert.ok(eventDef(n));
  });
});

/** Old-style calls in the source: [file, service, event]; dynamic services are expanded to each protocol. */
function legacyCalls(): { file: string; line: number; service: Service; event: string }[] {
  const out: { file: string; line: number; service: Service; event: string }[] = [];
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  const protocols: Service[] = ['smtp', 'pop3', 'imap'];
  for (const file of [...walk(path.join(ROOT, 'engine')), ...walk(path.join(ROOT, 'workers'))]) {
    const rel = path.relative(ROOT, file);
    if (rel.startsWith('engine/log/')) continue;
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((text, i) => {
      const add = (service: string, event: string) => {
        const services = service === '*' ? protocols : [service as Service];
        for (const s of services) out.push({ file: rel, line: i + 1, service: s, event });
      };
      for (const m of text.matchAll(/logger\??\.(?:info|warn|error|debug)\(\s*'(\w+)',\s*'([^']+)'/g)) add(m[1], m[2]);
      for (const m of text.matchAll(/logger\??\.log\(\s*'(\w+)',\s*'([^']+)'/g)) add(m[1], m[2]);
      for (const m of text.matchAll(/logger\??\.(?:info|warn|error|debug|log)\(\s*o\.protocol,\s*'([^']+)'/g)) add('*', m[1]);
      if (rel.startsWith('engine/imap/')) for (const m of text.matchAll(/\b(?:s|this|session)\.log\(\s*'([^']+)'/g)) add('imap', m[1]);
      if (rel.startsWith('engine/pop3/')) for (const m of text.matchAll(/\bthis\.log\(\s*'(?:debug|info|warn|error)',\s*'([^']+)'/g)) add('pop3', m[1]);
      if (rel === 'engine/net/login.ts') for (const m of text.matchAll(/this\.log\(\s*ctx,\s*'([^']+)'/g)) add('*', m[1]);
    });
  }
  return out;
}

describe('old-style calls', () => {
  it('every one in engine/ and workers/ names an event of the catalogue (listed until converted)', (t) => {
    const calls = legacyCalls();
    assert.ok(calls.length > 50, `found ${calls.length} calls: the scanner still sees the code`);
    const unknown = calls.filter((c) => !canonicalName(c.service, c.event));
    assert.deepEqual(unknown, [], 'calls whose event the catalogue does not know');
    // the dynamic names: control-<cmd>, the spam log's analyzers, the web audit trail, deliver-remote's events
    for (const cmd of ['retry', 'hold', 'release', 'delete']) assert.ok(canonicalName('queue', `control-${cmd}`));
    for (const a of ['bayes', 'html', 'phrase', 'url', 'auth']) assert.ok(canonicalName('spam', `analyzer ${a}`));
    for (const s of ['web', 'admin'] as const) for (const r of ['action', 'denied', 'failed', 'error']) assert.ok(canonicalName(s, `${s}.${r}`), `${s}.${r}`);
    for (const e of ['mta-sts-cached', 'mta-sts-fetched', 'mta-sts-fetch-failed', 'mta-sts-enforced', 'mta-sts-violation', 'auth-withheld']) assert.ok(canonicalName('delivery', e), e);
    // the drifted names are one now
    assert.equal(canonicalName('imap', 'listener.error'), 'imap.listener-error');
    assert.equal(canonicalName('pop3', 'listener-error'), 'pop3.listener-error');
    assert.equal(canonicalName('imap', 'login.fail'), 'imap.login-failed');
    const byFile = new Map<string, number>();
    for (const c of calls) byFile.set(c.file, (byFile.get(c.file) ?? 0) + 1);
    t.diagnostic(`${calls.length} old-style calls left to convert: ${[...byFile].map(([f, n]) => `${f} (${n})`).join(', ')}`);
  });
});

describe('lines and counters', () => {
  it('one emission writes the line and counts it: as many auth-failed lines as tegami_auth_failures_total', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-log-'));
    const metrics = new Metrics({ processMetrics: false });
    const logger = new Logger({ dir, stdout: false, sink: metrics });
    for (let i = 0; i < 7; i++) logger.emit('smtp.auth-failed', { sid: `s${i}`, ip: '192.0.2.7', method: i % 2 ? 'login' : 'PLAIN', user: 'x', failures: i, blocked: false });
    for (let i = 0; i < 3; i++) logger.warn('pop3', 'login-failed', { login: 'someone', mechanism: 'APOP', ip: '192.0.2.8' }); // old style, same effect
    logger.debug('imap', 'command', { command: 'FETCH', tag: 'a1' }); // below the level: counted, not written
    await logger.close();
    const text = (name: string) => fs.readFileSync(path.join(dir, `${name}-${localDay(new Date())}.log`), 'utf8');
    assert.equal(text('smtp').match(/ WARN auth-failed /g)?.length, 7);
    assert.equal(text('pop3').match(/ WARN login-failed /g)?.length, 3);
    assert.ok(!fs.existsSync(path.join(dir, `imap-${localDay(new Date())}.log`)));
    const values = async (name: keyof typeof METRICS) => (await metrics.get(name).get()).values.map((v) => `${JSON.stringify(v.labels)}=${v.value}`).sort();
    assert.deepEqual(await values('tegami_auth_failures_total'), [
      '{"protocol":"pop3","mechanism":"APOP"}=3',
      '{"protocol":"smtp","mechanism":"LOGIN"}=3',
      '{"protocol":"smtp","mechanism":"PLAIN"}=4',
    ]);
    assert.deepEqual(await values('tegami_imap_commands_total'), ['{"command":"FETCH"}=1']);
    metrics.close();
  });

  it('no label carries what a client sent: addresses, IPs and odd values become "other"', async () => {
    const metrics = new Metrics({ processMetrics: false, configLabels: { list: ['zen'] } });
    const logger = new Logger({ stdout: false, files: false, sink: metrics });
    logger.emit('smtp.auth-failed', { sid: 's', ip: '198.51.100.9', method: 'alice@example.org', failures: 1, blocked: false });
    logger.emit('smtp.connect', { sid: 's', ip: '198.51.100.9', listener: '198.51.100.9:25' });
    logger.emit('spam.dnsbl', { list: 'evil.example.org', status: 'listed' });
    logger.emit('spam.dnsbl', { list: 'zen', status: 'listed' });
    logger.emit('imap.command', { command: 'X-ALICE@EXAMPLE.ORG', tag: 'a' });
    const text = await metrics.text();
    assert.ok(!/@|198\.51|example\.org/i.test(text), 'a client value reached a label');
    assert.match(text, /tegami_dnsbl_lookups_total\{list="zen",result="listed"\} 1/);
    assert.match(text, /tegami_dnsbl_lookups_total\{list="other",result="listed"\} 1/);
    metrics.close();
  });
});
