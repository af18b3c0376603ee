// Issue 10 #11: the DNSBL client's answers must be hard to spoof. A spoofing relay sits in front of the lab's DNS
// server: for each query it first sends forged "listed" answers (from another port, with another id, for
// another question, of another type, not a response, unreadable), then the real answer (NXDOMAIN). The client
// must take the real one. Query ids must be random and each query must come from a port of its own. Over real
// UDP sockets, then end to end: a tegami server whose DNSBL is asked through the relay files nothing as listed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import * as packet from 'dns-packet';
import { startDnsServer, type DnsServer } from '../../lab/dns/server.js';
import { dnsblZone, dnsblQueryName } from '../../lab/dns/dnsbl.js';
import { queryDns, parseServer } from '../../engine/spam/dns-query.js';
import { startTestServer, requireCommand, run, type TestServer } from '../helpers/server.js';

type Spoof = 'other-port' | 'wrong-id' | 'wrong-question' | 'wrong-type' | 'not-a-response' | 'garbage';
const ALL: Spoof[] = ['other-port', 'wrong-id', 'wrong-question', 'wrong-type', 'not-a-response', 'garbage'];

interface Relay {
  address: string;
  /** Every query seen: its id and the client's source port. */
  seen: { id: number; port: number; name: string }[];
  spoofs: Spoof[];
  close(): Promise<void>;
}

/** A UDP relay to `upstream` that sends this.spoofs, each claiming 127.0.0.2 ("listed"), before the real answer. */
async function startRelay(upstream: DnsServer): Promise<Relay> {
  const server = dgram.createSocket('udp4');
  const other = dgram.createSocket('udp4');
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => other.bind(0, '127.0.0.1', r));
  const relay: Relay = {
    address: `127.0.0.1:${server.address().port}`,
    seen: [],
    spoofs: ALL,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => other.close(() => r()));
    },
  };
  server.on('message', (msg, rinfo) => {
    let q: packet.DecodedPacket;
    try {
      q = packet.decode(msg);
    } catch {
      return;
    }
    const question = q.questions![0];
    relay.seen.push({ id: q.id!, port: rinfo.port, name: question.name });
    const forged = (over: { id?: number; name?: string; type?: packet.RecordType; response?: boolean }) =>
      packet.encode({
        type: over.response === false ? 'query' : 'response',
        id: over.id ?? q.id,
        flags: packet.AUTHORITATIVE_ANSWER,
        questions: [{ name: over.name ?? question.name, type: over.type ?? question.type, class: 'IN' }],
        answers: [{ name: over.name ?? question.name, type: 'A', class: 'IN', ttl: 300, data: '127.0.0.2' }],
      });
    for (const s of relay.spoofs) {
      if (s === 'other-port') other.send(forged({}), rinfo.port, rinfo.address);
      if (s === 'wrong-id') server.send(forged({ id: (q.id! + 1) & 0xffff }), rinfo.port, rinfo.address);
      if (s === 'wrong-question') server.send(forged({ name: `2.0.0.127.${question.name.split('.').slice(4).join('.')}` }), rinfo.port, rinfo.address);
      if (s === 'wrong-type') server.send(forged({ type: 'TXT' }), rinfo.port, rinfo.address);
      if (s === 'not-a-response') server.send(forged({ response: false }), rinfo.port, rinfo.address);
      if (s === 'garbage') server.send(Buffer.concat([msg.subarray(0, 2), Buffer.from([0x81, 0x80, 0xff, 0xff, 0, 9])]), rinfo.port, rinfo.address);
    }
    // then the truth, from the server's own port, after the forgeries
    const up = dgram.createSocket('udp4');
    up.on('message', (answer) => {
      server.send(answer, rinfo.port, rinfo.address);
      up.close();
    });
    up.send(msg, upstream.port, upstream.host);
  });
  return relay;
}

let dns: DnsServer;
let relay: Relay;

before(async () => {
  dns = await startDnsServer({ zones: dnsblZone('bl.test', { listed: ['192.0.2.99'] }) });
  relay = await startRelay(dns);
});
after(async () => {
  await relay?.close();
  await dns?.close();
});

describe('the DNSBL client ignores forged answers', () => {
  for (const spoof of ALL) {
    it(`a forged "listed" answer (${spoof}) sent first is ignored; the real NXDOMAIN counts`, async () => {
      relay.spoofs = [spoof];
      const r = await queryDns(parseServer(relay.address), dnsblQueryName('192.0.2.1', 'bl.test'), 'A', { timeoutMs: 5000 });
      assert.deepEqual(r.ok && { rcode: r.rcode, answers: r.answers }, { rcode: 'NXDOMAIN', answers: [] });
    });
  }

  it('all forgeries at once: a listed address still reads as listed, by the real answer', async () => {
    relay.spoofs = ALL;
    const r = await queryDns(parseServer(relay.address), dnsblQueryName('192.0.2.99', 'bl.test'), 'A', { timeoutMs: 5000 });
    assert.ok(r.ok);
    assert.equal(r.rcode, 'NOERROR');
    assert.deepEqual(r.answers.map((a) => a.data), ['127.0.0.2']);
  });

  it('query ids are random, and each query comes from a source port of its own', async () => {
    relay.spoofs = [];
    const from = relay.seen.length;
    for (let i = 0; i < 64; i++) {
      const r = await queryDns(parseServer(relay.address), dnsblQueryName(`192.0.2.${i}`, 'bl.test'), 'A', { timeoutMs: 5000 });
      assert.ok(r.ok);
    }
    const seen = relay.seen.slice(from);
    assert.equal(seen.length, 64);
    const steps = seen.slice(1).map((s, i) => (s.id - seen[i].id) & 0xffff);
    // sequential ids step by 1 every time; 64 random 16-bit ids give at most a coincidence or two of any step
    const mostCommon = Math.max(...[...new Set(steps)].map((d) => steps.filter((x) => x === d).length));
    assert.ok(mostCommon <= 3, `id steps repeat: ${steps.join(',')}`);
    assert.ok(new Set(seen.map((s) => s.id)).size >= 60, 'ids hardly repeat');
    assert.ok(new Set(seen.map((s) => s.port)).size >= 60, `source ports: ${seen.map((s) => s.port).join(',')}`);
  });

  it('TCP queries still work (tcp_first), and check id and question too', async () => {
    const r = await queryDns(parseServer(dns.address), dnsblQueryName('192.0.2.99', 'bl.test'), 'A', { timeoutMs: 5000, tcpFirst: true });
    assert.ok(r.ok);
    assert.deepEqual(r.answers.map((a) => a.data), ['127.0.0.2']);
  });
});

describe('end to end: a server whose DNSBL answers come through the spoofing relay', { timeout: 120_000 }, () => {
  let srv: TestServer;
  before(async () => {
    relay.spoofs = ALL;
    srv = await startTestServer({
      users: [{ address: 'user@example.test', password: 'secret-pass' }],
      toml: ['[[dnsbl]]', 'name = "testbl"', 'query_domain = "bl.test"', `server = "${relay.address}"`, 'timeout = "5s"'].join('\n'),
    });
  });
  after(async () => {
    await srv?.stop();
    if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
  });

  it('mail from an unlisted client (127.0.0.3) arrives without a DNSBL tag', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    const file = path.join(srv.dir, 'm.eml');
    fs.writeFileSync(file, 'From: a@sender.example\r\nTo: user@example.test\r\nSubject: spoof check\r\nMessage-ID: <spoof-check@sender.example>\r\n\r\nhello\r\n');
    const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--local-interface', '127.0.0.3', '--from', 'a@sender.example', '--to', 'user@example.test', '--data', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [stored] = await srv.waitForMail('user@example.test', 1, 120_000);
    const text = fs.readFileSync(stored, 'latin1');
    assert.ok(relay.seen.some((s) => s.name === dnsblQueryName('127.0.0.3', 'bl.test')), 'the list was asked through the relay');
    assert.doesNotMatch(text, /X-IMAIL-SPAM-DNSBL|DNSBL\(/, text.slice(0, 1500));
  });
});
