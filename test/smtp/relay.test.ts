// Every relay trick of issue 2, one by one, from an unauthenticated client and from an authenticated
// one with a forged sender; plus the relay modes (none, addresses, anyone) and the open-relay guard.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ehlo, type RawSmtp } from '../helpers/smtp-client.js';

const TRICKS: [string, string, RegExp][] = [
  ['plain third party', '<victim@elsewhere.test>', /^550 5\.7\.1 /],
  ['percent hack', '<victim%elsewhere.test@example.test>', /^550 5\.7\.1 /],
  ['bang path', '<elsewhere.test!victim@example.test>', /^550 5\.7\.1 /],
  ['source route through us', '<@mx.example.test:victim@elsewhere.test>', /^550 5\.7\.1 /],
  ['source route to a local user is judged on the final address', '<@elsewhere.test:nobody@example.test>', /^550 5\.1\.1 /],
  ['quoted local part with @', '<"victim@elsewhere.test"@example.test>', /^(550 5\.7\.1|501 5\.1\.3) /],
  ['quoted local part with %', '<"victim%elsewhere.test"@example.test>', /^550 5\.7\.1 /],
  ['IP literal', '<victim@[192.0.2.1]>', /^550 5\.7\.1 /],
  ['IP literal of ourselves', '<alice@[127.0.0.1]>', /^550 5\.7\.1 /],
  ['trailing dot', '<victim@elsewhere.test.>', /^(550 5\.7\.1|501 5\.1\.3) /],
  ['case variant of a remote domain', '<victim@ELSEWHERE.TEST>', /^550 5\.7\.1 /],
  ['double @', '<victim@elsewhere.test@example.test>', /^501 5\.1\.3 /],
  ['unqualified recipient', '<victim>', /^501 5\.1\.3 /],
  ['local domain as subdomain suffix', '<victim@example.test.elsewhere.test>', /^550 5\.7\.1 /],
  ['lookalike local domain', '<victim@example.test-elsewhere.test>', /^550 5\.7\.1 /],
  ['unknown local user', '<nobody@example.test>', /^550 5\.1\.1 /],
  ['percent hack with upper case local domain', '<victim%elsewhere.test@EXAMPLE.TEST>', /^550 5\.7\.1 /],
  ['bang path to our hostname', '<elsewhere.test!victim@mx.example.test>', /^550 5\.7\.1 /],
];

async function probe(c: RawSmtp, from: string, rcpt: string): Promise<string> {
  const m = await c.cmd(`MAIL FROM:${from}`);
  if (m.code !== 250) return m.text;
  const r = await c.cmd(`RCPT TO:${rcpt}`);
  await c.cmd('RSET');
  return r.text;
}

describe('relay control', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ users: [{ address: 'alice@example.test', password: 'secret123' }] });
  });
  after(async () => {
    await srv.stop();
  });

  for (const [name, rcpt, want] of TRICKS) {
    it(`unauthenticated: ${name} ${rcpt} is refused`, async () => {
      const { c } = await ehlo(srv.ports.smtp);
      const text = await probe(c, '<spammer@elsewhere.test>', rcpt);
      assert.match(text, want, `${rcpt} → ${text}`);
      c.close();
    });
  }

  it('a spoofed local sender does not open the relay', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    assert.match(await probe(c, '<alice@example.test>', '<victim@elsewhere.test>'), /^550 5\.7\.1 /);
    c.close();
  });

  it('after a failed AUTH the relay stays closed', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    const a = await c.cmd(`AUTH PLAIN ${Buffer.from('\0alice@example.test\0wrongpass').toString('base64')}`);
    assert.equal(a.code, 535);
    assert.match(await probe(c, '<alice@example.test>', '<victim@elsewhere.test>'), /^550 5\.7\.1 /);
    c.close();
  });

  it('an authenticated user relays, but not with a forged sender', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    const a = await c.cmd(`AUTH PLAIN ${Buffer.from('\0alice@example.test\0secret123').toString('base64')}`);
    assert.equal(a.code, 235, a.text);
    const forged = await c.cmd('MAIL FROM:<ceo@example.test>');
    assert.match(forged.text, /^553 5\.7\.1 /);
    const forgedRemote = await c.cmd('MAIL FROM:<someone@elsewhere.test>');
    assert.match(forgedRemote.text, /^553 5\.7\.1 /);
    assert.equal((await c.cmd('MAIL FROM:<Alice@Example.Test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<friend@elsewhere.test>')).code, 250);
    c.close();
  });
});

describe('relay modes', () => {
  it('"addresses" relays for listed CIDRs only (IPv4 and IPv6)', async () => {
    const srv = await startTestServer({ toml: '[relay]\nmode = "addresses"\nallow_ips = ["127.0.0.2/32", "::1/128"]\n' });
    try {
      let { c } = await ehlo(srv.ports.smtp, { localAddress: '127.0.0.2' });
      assert.equal((await c.cmd('MAIL FROM:<a@example.test>')).code, 250);
      assert.equal((await c.cmd('RCPT TO:<friend@elsewhere.test>')).code, 250);
      c.close();
      ({ c } = await ehlo(srv.ports.smtp, { localAddress: '127.0.0.3' }));
      assert.equal((await c.cmd('MAIL FROM:<a@example.test>')).code, 250);
      assert.match((await c.cmd('RCPT TO:<friend@elsewhere.test>')).text, /^550 5\.7\.1 /);
      c.close();
    } finally {
      await srv.stop();
    }
  });

  it('"anyone" without the explicit acknowledgement refuses to start, naming the key', async () => {
    const srv = await startTestServer({}).catch((e) => e as Error);
    assert.ok(!(srv instanceof Error));
    await srv.stop();
    const fs = await import('node:fs');
    fs.appendFileSync(srv.configPath, '[relay]\nmode = "anyone"\n');
    const r = srv.cli(['serve']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /tegami\.toml:\d+: relay\.mode: .*i_understand_this_is_an_open_relay/);
  });

  it('"anyone" with the acknowledgement starts and warns', async () => {
    const srv = await startTestServer({ toml: '[relay]\nmode = "anyone"\ni_understand_this_is_an_open_relay = true\n' });
    try {
      const { c } = await ehlo(srv.ports.smtp);
      assert.equal((await c.cmd('MAIL FROM:<a@elsewhere.test>')).code, 250);
      assert.equal((await c.cmd('RCPT TO:<b@elsewhere.test>')).code, 250);
      c.close();
      const fs = await import('node:fs');
      const logs = fs.readdirSync(`${srv.dataDir}/logs`).filter((f) => f.startsWith('system-'));
      assert.match(fs.readFileSync(`${srv.dataDir}/logs/${logs[0]}`, 'utf8'), /OPEN RELAY/);
    } finally {
      await srv.stop();
    }
  });
});
