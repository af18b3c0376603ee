// `tegami lab run` against outside targets (--target): an open relay built here makes relay-abuse fail
// with exit 1 and the probes' transcripts; slow-peers runs its misbehaving clients and remote peers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { tegamiLab } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-fail-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('relay-abuse against an open relay: RELAYED lines, exit 1, expected vs got printed', async () => {
  const server = new SMTPServer({ ...({ greetingDelay: 0 } as object), disableReverseLookup: true, authOptional: true, logger: false, disabledCommands: ['AUTH'], onData: (s, _x, cb) => s.on('end', () => cb()).resume() });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  try {
    const r = await tegamiLab(['run', 'relay-abuse', '--target', `127.0.0.1:${port}`, '--domain', 'example.test', '--report-dir', dir]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^plain\s+RELAYED\s/m);
    assert.match(r.out, /FAIL 127\.0\.0\.1:\d+: every relay probe refused/);
    assert.match(r.out, /expected: refused for every probe/);
    // one line a reader takes in at a glance, the probes' rows under it
    assert.match(r.out, /got: {6}\d+ of \d+ probes relayed: plain, /);
    assert.match(r.out, /^ {7}plain \| RELAYED[^|]* \| accepted for a third party: 250 /m);
    const html = fs.readFileSync(/report: (\S+\.json)/.exec(r.out)![1].replace(/\.json$/, '.html'), 'utf8');
    assert.match(html, /<p class="at-a-glance">\d+ of \d+ expectations failed: \d+ of \d+ probes relayed: plain, /);
    assert.match(html, /<table class="details"><thead><tr><th>probe<\/th><th>verdict<\/th><th>reply<\/th><\/tr><\/thead><tbody><tr><td>plain<\/td>/);
    assert.match(r.out, /transcript of plain:/);
    assert.match(r.out, /^auth-forged-sender\s+skipped\s+needs --auth/m);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('slow-peers against tegami: misbehaving clients handled, slow/greylisting/temp-failing remote MTAs', async () => {
  const r = await tegamiLab(['run', 'slow-peers', '--report-dir', dir]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /PASS tegami: retries the greylisting MTA and delivers/);
  assert.match(r.out, /PASS tegami: still serves a polite client after the abuse/);
  // the scenario's tegami has a 2 s command deadline: the dripping session gets 421 and is closed in time
  assert.match(r.out, /ok {3}slowloris: replies 220,421; server closed after \d+ ms/);
  assert.match(r.out, /PASS tegami: slowloris client refused or cut off/);
});

test('slowloris expectation fails against a server whose only timeout is an idle one that every byte resets', async () => {
  // smtp-server as shipped: a 10 s idle timeout, no line deadline
  const server = new SMTPServer({ ...({ greetingDelay: 0 } as object), disableReverseLookup: true, authOptional: true, logger: false, socketTimeout: 10_000, onData: (s, _x, cb) => s.on('end', () => cb()).resume() });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  const file = path.join(dir, 'slowloris-only.toml');
  fs.writeFileSync(file, 'name = "slowloris-only"\nkind = "slow-peers"\n[slow]\nmisbehaviours = ["slowloris"]\nslowloris_time = "2500ms"\nremote_peers = false\n[expect]\nslowloris_closed_within = "2s"\n');
  try {
    const r = await tegamiLab(['run', file, '--target', `127.0.0.1:${port}`, '--domain', 'example.test', '--report-dir', dir]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /BAD  slowloris: .*connection left open/);
    assert.match(r.out, /FAIL 127\.0\.0\.1:\d+: slowloris client refused or cut off/);
    assert.match(r.out, /expected: closed within 2000 ms/);
  } finally {
    server.close(() => undefined);
  }
});
