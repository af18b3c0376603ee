// The monitor's checks on real sockets: an SMTP greeting from the lab sink (plain and implicit TLS), POP3
// and IMAP greetings, a TCP connect, HTTP statuses and body, DNS answers from the lab DNS server — and
// everything that is not up is a value, never an exception: refused, silent past the timeout, garbage,
// a greeting that never ends, a 4xx greeting, a bad certificate, NXDOMAIN.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { probe, closeProbes } from '../../engine/monitor/probes.js';
import type { MonitorConfig } from '../../engine/config/schema.js';
import { startSink } from '../../lab/peers/sink.js';
import { labCertificate } from '../../lab/peers/tls.js';
import { startDnsServer } from '../../lab/dns/server.js';
import { freePort } from '../helpers/server.js';

function target(check: MonitorConfig['check'], t: string, more: Partial<MonitorConfig> = {}): MonitorConfig {
  return { name: 'x', check, target: t, tls: false, verify_tls: true, interval: 60_000, timeout: 2000, failures: 1, record: 'A', ...more };
}

/** A TCP server that says `greeting` (a string, or a function of the socket) and keeps the line open. */
async function talker(greeting: string | ((s: net.Socket) => void)): Promise<{ port: number; close(): void }> {
  const socks = new Set<net.Socket>();
  const server = net.createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    if (typeof greeting === 'string') s.write(greeting);
    else greeting(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of socks) s.destroy();
      server.close();
    },
  };
}

after(() => closeProbes());

describe('greetings', () => {
  it('SMTP: the lab sink is up; a 421 greeting, garbage, silence and an endless line are down, with the reason', async () => {
    const sink = await startSink();
    try {
      const ok = await probe(target('smtp', sink.address));
      assert.equal(ok.ok, true, ok.detail);
      assert.match(ok.detail, /^220 /);
    } finally {
      await sink.close();
    }
    const busy = await talker('421 4.3.2 too busy\r\n');
    const r421 = await probe(target('smtp', `127.0.0.1:${busy.port}`));
    assert.deepEqual([r421.ok, r421.detail], [false, '421 4.3.2 too busy']);
    busy.close();

    const garbage = await talker(Buffer.from([0x16, 0x03, 0x01, 0xff, 0x00, 0x0d, 0x0a]).toString('latin1'));
    const g = await probe(target('smtp', `127.0.0.1:${garbage.port}`));
    assert.equal(g.ok, false);
    assert.match(g.detail, /^[\x20-\x7e]*$/, 'the detail is printable whatever came');
    garbage.close();

    const silent = await talker(() => {});
    const s = await probe(target('smtp', `127.0.0.1:${silent.port}`, { timeout: 300 }));
    assert.deepEqual([s.ok, s.detail], [false, 'no greeting within 300 ms']);
    silent.close();

    const endless = await talker((sock) => sock.write('220-' + 'a'.repeat(10_000)));
    const e = await probe(target('smtp', `127.0.0.1:${endless.port}`));
    assert.deepEqual([e.ok, e.detail], [false, 'no complete greeting in 4096 bytes']);
    endless.close();

    const multi = await talker('220-mx.example.test first\r\n220-second\r\n220 ready\r\n');
    const mm = await probe(target('smtp', `127.0.0.1:${multi.port}`));
    assert.deepEqual([mm.ok, mm.detail], [true, '220 ready']);
    multi.close();
  });

  it('SMTP over implicit TLS: up with the certificate trusted, down when it does not verify', async () => {
    const cert = await labCertificate();
    const socks = new Set<tls.TLSSocket>();
    const server = tls.createServer({ key: cert.key, cert: cert.cert }, (s) => {
      socks.add(s);
      s.on('error', () => {});
      s.write('220 tls.example.test ESMTP\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const ca = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-probe-')), 'ca.pem');
    fs.writeFileSync(ca, cert.cert);
    const good = await probe(target('smtp', `localhost:${port}`, { tls: true, ca_file: ca }));
    assert.equal(good.ok, true, good.detail);
    const bad = await probe(target('smtp', `localhost:${port}`, { tls: true }));
    assert.equal(bad.ok, false);
    assert.match(bad.detail, /self.signed|certificate/i);
    const unchecked = await probe(target('smtp', `localhost:${port}`, { tls: true, verify_tls: false }));
    assert.equal(unchecked.ok, true);
    // a TLS socket whose peer left without close_notify stays half-open: end them, or this file never exits
    for (const x of socks) x.destroy();
    server.close();
  });

  it('POP3 and IMAP greetings; TCP connect; a refused port', async () => {
    const pop = await talker('+OK POP3 ready\r\n');
    const imap = await talker('* OK [CAPABILITY IMAP4rev1] ready\r\n');
    const bye = await talker('* BYE go away\r\n');
    assert.equal((await probe(target('pop3', `127.0.0.1:${pop.port}`))).ok, true);
    assert.equal((await probe(target('imap', `127.0.0.1:${imap.port}`))).ok, true);
    assert.deepEqual(await probe(target('imap', `127.0.0.1:${bye.port}`)).then((r) => [r.ok, r.detail]), [false, '* BYE go away']);
    assert.equal((await probe(target('pop3', `127.0.0.1:${imap.port}`))).ok, false, 'an IMAP greeting is not a POP3 one');
    assert.equal((await probe(target('tcp', `127.0.0.1:${pop.port}`))).ok, true);
    const closed = await freePort();
    const refused = await probe(target('tcp', `127.0.0.1:${closed}`));
    assert.equal(refused.ok, false);
    assert.match(refused.detail, /ECONNREFUSED/);
    const noPort = await probe(target('tcp', '127.0.0.1'));
    assert.deepEqual([noPort.ok, noPort.detail], [false, 'no port in "127.0.0.1"']);
    for (const x of [pop, imap, bye]) x.close();
  });
});

describe('HTTP and DNS', () => {
  it('HTTP: a 2xx/3xx is up, a 500 down, expect_status and expect (body) are honoured, a hang times out', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      const status = Number(req.url?.slice(1)) || 200;
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(status === 200 ? 'すべて正常 all good' : 'no');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    assert.deepEqual(await probe(target('http', `${base}/200`)).then((r) => [r.ok, r.detail]), [true, 'HTTP 200']);
    assert.equal((await probe(target('http', `${base}/302`))).ok, true);
    assert.deepEqual(await probe(target('http', `${base}/500`)).then((r) => [r.ok, r.detail]), [false, 'HTTP 500']);
    assert.equal((await probe(target('http', `${base}/503`, { expect_status: [503] }))).ok, true);
    assert.equal((await probe(target('http', `${base}/200`, { expect: 'すべて正常' }))).ok, true);
    assert.deepEqual(await probe(target('http', `${base}/200`, { expect: 'broken' })).then((r) => [r.ok, r.detail]), [false, 'HTTP 200, body without "broken"']);
    const hang = await probe(target('http', `${base}/hang`, { timeout: 300 }));
    assert.deepEqual([hang.ok, hang.detail], [false, 'no answer within 300 ms']);
    const refused = await probe(target('http', `http://127.0.0.1:${await freePort()}/`));
    assert.equal(refused.ok, false);
    server.closeAllConnections();
    server.close();
  });

  it('DNS: an answer is up, one without the expected text or NXDOMAIN is down', async () => {
    const dns = await startDnsServer({ zones: [{ name: 'mx.example.test', type: 'A', data: '192.0.2.25' }, { name: 'example.test', type: 'MX', data: '10 mx.example.test' }] });
    try {
      const t = (name: string, more: Partial<MonitorConfig> = {}) => target('dns', name, { dns_server: dns.address, ...more });
      assert.deepEqual(await probe(t('mx.example.test')).then((r) => [r.ok, r.detail]), [true, '192.0.2.25']);
      assert.equal((await probe(t('mx.example.test', { expect: '192.0.2.25' }))).ok, true);
      assert.equal((await probe(t('mx.example.test', { expect: '192.0.2.99' }))).ok, false);
      assert.equal((await probe(t('example.test', { record: 'MX', expect: 'mx.example.test' }))).ok, true);
      const nx = await probe(t('nope.example.test'));
      assert.deepEqual([nx.ok, nx.detail], [false, 'ENOTFOUND nope.example.test']);
    } finally {
      await dns.close();
    }
    const dead = await probe(target('dns', 'mx.example.test', { dns_server: `127.0.0.1:${await freePort()}`, timeout: 500 }));
    assert.equal(dead.ok, false);
  });
});
