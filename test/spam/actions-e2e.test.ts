// The seed's actions over SMTP (section 3.3): a trusted DNSBL deletes the message (accepted, never stored, never
// bounced) unless the admin chose to refuse; "delete after N matches" counts the checks that hit (their
// X-IMAIL-SPAM-* headers) whatever the score; the sender whitelist overrides every check, the DNSBL included.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startTestServer, requireCommand, run, type TestServer } from '../helpers/server.js';
import { startDnsServer, type DnsServer } from '../../lab/dns/server.js';
import { dnsblZone } from '../../lab/dns/dnsbl.js';
import { spamZone } from './helpers.js';
import { rawMail } from './mail.js';

const SEND = `
import smtplib, sys, json
port, src, helo, mfrom, rcpt, path = sys.argv[1:7]
s = smtplib.SMTP('127.0.0.1', int(port), local_hostname=helo, source_address=(src, 0), timeout=30)
try:
    s.ehlo(helo)
    s.sendmail(mfrom, [rcpt], open(path, 'rb').read())
    print(json.dumps({"code": 250}))
except smtplib.SMTPException as e:
    print(json.dumps({"code": getattr(e, 'smtp_code', 0) or getattr(e, 'recipients', {}) and 550, "msg": str(e)}))
finally:
    try: s.quit()
    except Exception: pass
`;

async function send(srv: TestServer, src: string, helo: string, from: string, raw: Buffer): Promise<{ code: number; msg?: string }> {
  const file = `${srv.dir}/m-${Math.random().toString(36).slice(2)}.eml`;
  fs.writeFileSync(file, raw);
  const r = await run('python3', ['-c', SEND, String(srv.ports.smtp), src, helo, from, 'user@example.test', file]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { code: number; msg?: string };
}

/** Wait until the spam log has a verdict for this Message-ID; return its line. */
async function verdictFor(srv: TestServer, messageId: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const logs = fs.existsSync(`${srv.dataDir}/logs`) ? fs.readdirSync(`${srv.dataDir}/logs`).filter((f) => f.startsWith('spam-')) : [];
    for (const f of logs) {
      const line = fs.readFileSync(`${srv.dataDir}/logs/${f}`, 'utf8').split('\n').find((l) => l.includes(' verdict ') && l.includes(messageId));
      if (line) return line;
    }
    if (Date.now() > deadline) throw new Error(`no verdict for ${messageId}: ${logs.map((f) => fs.readFileSync(`${srv.dataDir}/logs/${f}`, "utf8")).join("").slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stored(srv: TestServer, marker: string): string | undefined {
  for (const folder of ['INBOX', 'Spam']) for (const f of srv.maildir('user@example.test', folder)) if (fs.readFileSync(f, 'latin1').includes(marker)) return folder;
  return undefined;
}

function mail(id: string, from: string): Buffer {
  const raw = rawMail({ from: `<${from}>`, to: 'user@example.test', subject: 'hello', headers: [`X-Test-Id: ${id}`], body: 'See you at ten tomorrow.\r\n' });
  return Buffer.from(raw.toString('latin1').replace(/Message-ID: <[^>]+>/, `Message-ID: <${id}@nowhere.test>`), 'latin1');
}

describe('the seed\'s spam actions', { timeout: 180_000 }, () => {
  let dns: DnsServer;
  let srv: TestServer;
  before(async () => {
    // plain.test resolves and publishes no SPF record; extra.test lists 127.0.0.5 (and, as every list, 127.0.0.2)
    dns = await startDnsServer({ zones: [...spamZone(), ...dnsblZone('extra.test', { listed: ['127.0.0.5'] }), { name: 'plain.test', type: 'A', data: '192.0.2.50' }, { name: 'plain.test', type: 'NS', data: 'ns.plain.test' }] });
    srv = await startTestServer({
      users: [{ address: 'user@example.test', password: 'secret-pass' }],
      toml: [
        '[dns]', `servers = ["${dns.address}"]`, 'timeout = "1s"',
        '[[dnsbl]]', 'name = "trustedbl"', 'query_domain = "trusted.test"', 'trusted = true',
        '[[dnsbl]]', 'name = "testbl"', 'query_domain = "extra.test"',
        '[spam]', 'sender_whitelist = ["boss@nowhere.test"]', 'delete_after_matches = 3', 'scores = { DNSBL = 0.5, DNSBL_TRUSTED = 0.5 }',
      ].join('\n'),
    });
  });
  after(async () => {
    await srv?.stop();
    await dns?.close();
    if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
  });

  it('a trusted DNSBL hit is accepted and deleted; a whitelisted sender on the same client is delivered', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const del = await send(srv, '127.0.0.2', 'mx.good.test', 'someone@plain.test', mail('trusted-del', 'someone@plain.test'));
    assert.equal(del.code, 250, JSON.stringify(del));
    assert.match(await verdictFor(srv, 'trusted-del'), /action=delete .*DNSBL_TRUSTED/);
    const kept = await send(srv, '127.0.0.2', 'mx.good.test', 'boss@nowhere.test', mail('trusted-white', 'boss@nowhere.test'));
    assert.equal(kept.code, 250, JSON.stringify(kept));
    assert.match(await verdictFor(srv, 'trusted-white'), /action=inbox .*DNSBL_TRUSTED.*SENDER_WHITELIST/);
    await srv.waitForMail('user@example.test', 1);
    assert.equal(stored(srv, 'trusted-white'), 'INBOX');
    assert.equal(stored(srv, 'trusted-del'), undefined, 'the deleted message is nowhere');
  });

  it('three matching checks delete a message whose score is far under the threshold; two do not', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    // from 127.0.0.5: listed by testbl only, no PTR, a HELO that does not resolve → 3 checks; DNSBL 0.5 + the capped
    // connection-shape weights (VALREVDNS, VALHELO, SPF_NONE) 2 = 2.5
    const three = await send(srv, '127.0.0.5', 'host.nowhere.invalid', 'someone@plain.test', mail('three-checks', 'someone@plain.test'));
    assert.equal(three.code, 250);
    const line = await verdictFor(srv, 'three-checks');
    assert.match(line, /action=delete score=2\.5 /, line);
    // the same without the HELO check: 2 checks, delivered
    const two = await send(srv, '127.0.0.5', 'mx.good.test', 'someone@plain.test', mail('two-checks', 'someone@plain.test'));
    assert.equal(two.code, 250);
    assert.match(await verdictFor(srv, 'two-checks'), /action=inbox /);
    assert.equal(stored(srv, 'three-checks'), undefined);
  });
});
