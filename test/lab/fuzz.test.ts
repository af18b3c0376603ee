// The protocol fuzzer (lab/fuzz) against a real `tegami serve` (SMTP, POP3, IMAP): a short seeded run in
// which the oracle must hold after every session; and against a deliberately broken SMTP server, where
// it must report malformed replies, silence and a failing oracle with a replayable seed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { runFuzz } from '../../lab/fuzz/runner.js';
import { generatePlan } from '../../lab/fuzz/generate.js';
import { PROTOCOLS } from '../../lab/fuzz/plan.js';

const ORACLE = { user: 'alice@example.test', password: 'lab-password-1' };
const FUZZ = { user: 'fuzz@example.test', password: 'fuzz-password-1', sink: 'fuzz@example.test', domain: 'example.test' };
let srv: TestServer;

before(async () => {
  srv = await startTestServer({
    listeners: ['smtp', 'pop3', 'imap'],
    users: [{ address: ORACLE.user, password: ORACLE.password }, { address: FUZZ.user, password: FUZZ.password }],
    toml: '[auth]\nthrottle_after = 0\nblock_after = 0',
  });
});
after(() => srv?.stop());

test('plans are a pure function of the session seed (a printed seed replays the same bytes)', () => {
  for (const p of PROTOCOLS) {
    const a = generatePlan(p, 123456, FUZZ, { chunking: false, literalPlus: true });
    const b = generatePlan(p, 123456, FUZZ, { chunking: false, literalPlus: true });
    assert.deepEqual(a.steps.map((s) => s.bytes.toString('hex')), b.steps.map((s) => s.bytes.toString('hex')));
    assert.notDeepEqual(a.steps.map((s) => s.bytes.toString('hex')), generatePlan(p, 654321, FUZZ, { chunking: false, literalPlus: true }).steps.map((s) => s.bytes.toString('hex')));
  }
});

test('60 seeded sessions per protocol: replies well-formed and given, the oracle holds after each, no crash, no lost mail', { timeout: 900_000 }, async (t) => {
  // every session must run and be judged: the campaign deadline is only a backstop below the test's timeout.
  // A reply counts as missing after 30 s (a hung session), not as late; how long the run took is a diagnostic.
  const r = await runFuzz(
    { host: '127.0.0.1', ports: { smtp: srv.ports.smtp, pop3: srv.ports.pop3, imap: srv.ports.imap }, pid: srv.proc.pid },
    { seed: 4242, sessions: 60, protocols: ['smtp', 'pop3', 'imap'], replyBoundMs: 30_000, sessionBudgetMs: 300_000, deadlineMs: 840_000, maxRssGrowthMb: 200, fuzz: FUZZ, oracle: ORACLE },
  );
  t.diagnostic(`fuzz: ${r.ms} ms for 3 × 60 sessions; slowest planned reply ${Object.entries(r.protocols).map(([p, st]) => `${p} ${st!.slowestMs} ms`).join(', ')}`);
  for (const p of PROTOCOLS) {
    const st = r.protocols[p]!;
    assert.equal(st.sessions, 60, `${p}: sessions run (${r.stoppedEarly.join('; ')})`);
    assert.equal(st.oracleRuns, 60, `${p}: oracle runs`);
    assert.ok(st.mutated >= 30, `${p}: most sessions are mutated (${st.mutated})`);
    assert.deepEqual(st.failures.map((f) => `${f.replay}: ${f.failures.map((x) => `${x.kind}: ${x.detail}`).join('; ')}`), [], `${p}: failing sessions`);
  }
  assert.equal(r.crashed, undefined);
  assert.ok(r.rss && r.rss.afterKb > 0, 'RSS sampled');
  assert.equal(r.oracleMarkers.length, 60, 'every SMTP oracle mail was accepted');
  // +1: the oracle mailbox was seeded before the run
  await srv.waitForMail(ORACLE.user, 61, 120_000);
});

test('a broken server is caught: malformed replies, silence and a failing oracle, each with a replay seed', async () => {
  // answers "220", then "250 ok" to every line, except: VRFY gets a line without a code, 8-bit input gets no reply
  const fake = net.createServer((s) => {
    s.write('220 fake ESMTP\r\n');
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10)) {
        const line = buf.subarray(0, i);
        buf = buf.subarray(i + 1);
        if (line.some((b) => b >= 0x80)) continue;
        s.write(/^VRFY/i.test(line.toString('latin1')) ? 'looks fine\r\n' : '250 ok\r\n');
      }
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  try {
    const port = (fake.address() as net.AddressInfo).port;
    const r = await runFuzz(
      { host: '127.0.0.1', ports: { smtp: port } },
      { seed: 7, sessions: 40, protocols: ['smtp'], replyBoundMs: 800, sessionBudgetMs: 5000, deadlineMs: 240_000, maxRssGrowthMb: 200, fuzz: FUZZ, oracle: ORACLE, minimize: false },
    );
    assert.equal(r.protocols.smtp!.sessions, 40, `every session ran (${r.stoppedEarly.join('; ')})`);
    const kinds = new Set(r.protocols.smtp!.failures.flatMap((f) => f.failures.map((x) => x.kind)));
    assert.ok(kinds.has('malformed'), `malformed reported: ${[...kinds]}`);
    assert.ok(kinds.has('oracle'), `oracle failure reported (DATA got 250, not 354): ${[...kinds]}`);
    assert.ok(r.protocols.smtp!.failures.every((f) => /^smtp:\d+$/.test(f.replay) && f.transcript.length > 0));
  } finally {
    await new Promise((r) => fake.close(r));
  }
});
