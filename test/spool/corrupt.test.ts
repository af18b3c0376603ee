// Damaged files in spool/queue/ never stop the server. Each kind of damage is seeded beside good messages:
// `tegami queue list` works, `tegami serve` starts and delivers the good messages, every damaged file is in
// spool/corrupt/ with a log line naming it and what was wrong. (Before: a length field >= 2^31 aborted serve
// and queue list natively, exit 134; a state file without recipients stopped start-up with a TypeError.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BIN, startTestServer } from '../helpers/server.js';
import { encodeHeader, newQueueId, type Envelope } from '../../engine/spool/envelope.js';
import { localDay } from '../../engine/log/logger.js';

const USER = 'hanako@example.test';

function envelope(id: string, rcpt = USER): Envelope {
  return { id, time: Date.now() - 60_000, mailFrom: 'sender@example.org', rcptTo: [{ address: rcpt, kind: 'local' }], client: { ip: '192.0.2.7', helo: 'client.example.org', protocol: 'ESMTP', listener: 'smtp' } };
}

function message(subject: string): Buffer {
  return Buffer.from(`From: sender@example.org\r\nTo: ${USER}\r\nSubject: ${subject}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n${subject}: 会議の資料を送ります。\r\n`);
}

/** Good messages and every kind of damage, written into <dataDir>/spool/queue/. Returns what to expect. */
function seed(dataDir: string) {
  const q = path.join(dataDir, 'spool', 'queue');
  fs.mkdirSync(q, { recursive: true });
  const good: { id: string; subject: string }[] = [];
  const put = (name: string, data: Buffer | string) => fs.writeFileSync(path.join(q, name), data);
  const spoolFile = (env: Envelope, body: Buffer) => Buffer.concat([encodeHeader(env), body]);
  const addGood = (subject: string) => {
    const id = newQueueId();
    put(id, spoolFile(envelope(id), message(subject)));
    good.push({ id, subject });
    return id;
  };
  addGood('plain good message');
  // good messages whose state file is damaged: the state goes to corrupt/, the message is still delivered
  const noRcpts = addGood('state without recipients');
  put(`${noRcpts}.state`, JSON.stringify({ id: noRcpts, created: Date.now(), held: false }));
  const badStateJson = addGood('state with bad JSON');
  put(`${badStateJson}.state`, '{"id": "' + badStateJson + '", "recipients": [');
  const wrongTypes = addGood('state with wrong types');
  put(`${wrongTypes}.state`, JSON.stringify({ id: wrongTypes, created: 'yesterday', held: 'no', recipients: [{ address: USER, kind: 'local', status: 'deferred', attempts: -1 }] }));
  const dirState = addGood('state that is a directory');
  fs.mkdirSync(path.join(q, `${dirState}.state`, 'inside'), { recursive: true });
  // a good message with a valid state: a locally deferred recipient, due now
  const withState = addGood('valid state, deferred locally');
  put(`${withState}.state`, JSON.stringify({ id: withState, created: Date.now() - 60_000, held: false, recipients: [{ address: USER, rcpt: USER, kind: 'local', status: 'deferred', attempts: 1, nextAttempt: Date.now() - 1000, lastError: '4.3.0 disk was full' }] }));

  // damaged spool files
  const bad: Record<string, string> = {};
  const addBad = (what: string, data: Buffer | string | null) => {
    const id = newQueueId();
    if (data === null) fs.mkdirSync(path.join(q, id, 'x'), { recursive: true });
    else put(id, data);
    bad[id] = what;
    return id;
  };
  const hdr = (len: number) => {
    const b = Buffer.alloc(12);
    b.write('TGSPOOL1', 0, 'latin1');
    b.writeUInt32BE(len, 8);
    return b;
  };
  addBad('truncated', 'TGSPO');
  addBad('oversized length', Buffer.concat([hdr(0x80000000), Buffer.from('{"id":"x"}')]));
  addBad('length 2^32-1', Buffer.concat([hdr(0xffffffff), Buffer.alloc(100, 0x41)]));
  const wrongMagic = newQueueId();
  put(wrongMagic, Buffer.concat([Buffer.from('XXSPOOL9'), encodeHeader(envelope(wrongMagic)).subarray(8), message('wrong magic')]));
  bad[wrongMagic] = 'wrong magic';
  const json = Buffer.from('{"id": not json at all');
  addBad('bad JSON', Buffer.concat([hdr(json.length), json, message('x')]));
  const typesId = newQueueId();
  const typed = Buffer.from(JSON.stringify({ ...envelope(typesId), rcptTo: 'hanako@example.test', time: 'noon' }));
  put(typesId, Buffer.concat([hdr(typed.length), typed, message('wrong types')]));
  bad[typesId] = 'wrong types';
  const short = Buffer.from(JSON.stringify(envelope('X')));
  addBad('header longer than the file', Buffer.concat([hdr(short.length + 500), short]));
  const other = newQueueId();
  const mismatch = newQueueId();
  put(mismatch, spoolFile(envelope(other), message('id mismatch')));
  bad[mismatch] = 'id mismatch';
  addBad('a directory', null);
  put('not-a-queue-id', 'hello');
  bad['not-a-queue-id'] = 'not a queue id';
  // a state file whose message is gone
  const lonely = newQueueId();
  put(`${lonely}.state`, JSON.stringify({ id: lonely, created: Date.now(), held: false, recipients: [] }));
  // a state write that never finished (crash during writeState)
  put(`${withState}.state.tmp1234abcdef`, '{"id":');
  return { q, good, bad, damagedStates: [noRcpts, badStateJson, wrongTypes, dirState], lonely, tmp: `${withState}.state.tmp1234abcdef` };
}

function cliIn(dir: string, configPath: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--config', configPath], { encoding: 'utf8', timeout: 60_000, cwd: dir });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('corrupt spool and state files', () => {
  it('queue list works, serve starts and delivers the good messages, the damage goes to spool/corrupt/', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-corrupt-'));
    const dataDir = path.join(dir, 'data');
    const s = seed(dataDir);
    // first without a server: queue list reads the files itself and must not die on them
    const cfg = path.join(dir, 'offline.toml');
    fs.writeFileSync(cfg, `hostname = "mx.example.test"\ndata_dir = ${JSON.stringify(dataDir)}\n[domains]\nlocal = ["example.test"]\n[log]\nstdout = false\n`);
    const offline = cliIn(dir, cfg, ['queue', 'list', '--json']);
    assert.equal(offline.signal, null, `queue list was killed by ${String(offline.signal)}: ${offline.stderr}`);
    assert.equal(offline.status, 0, offline.stderr);
    const listed = (JSON.parse(offline.stdout) as { queue: { id: string }[] }).queue.map((e) => e.id).sort();
    assert.deepEqual(listed, s.good.map((g) => g.id).sort(), 'every good message is listed, nothing damaged');

    const srv = await startTestServer({ dataDir, users: [{ address: USER, password: 'hanako-pw-1' }], listeners: ['smtp'] });
    try {
      const files = await srv.waitForMail(USER, s.good.length, 120_000);
      const subjects = files.map((f) => /^Subject: (.*)$/m.exec(fs.readFileSync(f, 'utf8'))?.[1]).sort();
      assert.deepEqual(subjects, s.good.map((g) => g.subject).sort(), 'each good message delivered once');
      const corrupt = path.join(dataDir, 'spool', 'corrupt');
      const moved = fs.readdirSync(corrupt).sort();
      const expected = [...Object.keys(s.bad), ...s.damagedStates.map((id) => `${id}.state`), `${s.lonely}.state`].sort();
      assert.deepEqual(moved, expected, 'exactly the damaged files are in spool/corrupt/');
      assert.ok(fs.statSync(path.join(corrupt, Object.keys(s.bad).find((k) => s.bad[k] === 'a directory')!)).isDirectory());
      // the log names each file and what was wrong
      const log = fs.readFileSync(path.join(dataDir, 'logs', `queue-${localDay(new Date())}.log`), 'utf8');
      for (const [id, what] of Object.entries(s.bad)) assert.match(log, new RegExp(`corrupt file=\\S*/spool/queue/${id} reason=`), `no log line for ${what}`);
      assert.match(log, /reason="wrong magic: not a tegami spool file"/);
      assert.match(log, /reason="header length 2147483648 is over the \d+-byte limit"/);
      assert.match(log, /reason="truncated: 5 byte\(s\), shorter than the 12-byte spool header"/);
      assert.match(log, /reason="bad JSON in the envelope: /);
      assert.match(log, /reason="bad envelope: time: /);
      assert.match(log, /reason="not a regular file \(a directory\)"/);
      assert.match(log, new RegExp(`file=\\S*/${s.damagedStates[0]}\\.state reason="bad state: recipients: [^"]*; the message is delivered again from its envelope"`));
      assert.match(log, /reason="a state file without its message"/);
      assert.ok(!fs.existsSync(path.join(s.q, s.tmp)), 'the unfinished state write is removed');
      // the queue empties: every good message was delivered, nothing is left behind
      const deadline = Date.now() + 30_000;
      while (fs.readdirSync(s.q).length) {
        assert.ok(Date.now() < deadline, `spool/queue/ still holds ${fs.readdirSync(s.q).join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // and queue list over the control socket works too
      const live = srv.cli(['queue', 'list', '--json']);
      assert.equal(live.status, 0, live.stderr);
      assert.deepEqual(JSON.parse(live.stdout), { queue: [] });
      t.diagnostic(`moved to spool/corrupt/: ${moved.length}`);
    } finally {
      await srv.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the control socket checks each request line: garbage gets "bad request" with the reason, the server goes on', async () => {
    const srv = await startTestServer({ users: [{ address: USER, password: 'hanako-pw-1' }], listeners: ['smtp'] });
    try {
      const sock = path.join(srv.dataDir, 'run', 'control.sock');
      const ask = (line: string) =>
        new Promise<string>((resolve, reject) => {
          const c = net.connect(sock);
          let buf = '';
          c.setEncoding('utf8');
          c.on('connect', () => c.write(line + '\n'));
          c.on('data', (d: string) => (buf += d));
          c.on('end', () => resolve(buf));
          c.on('error', reject);
        });
      const cases: [string, RegExp][] = [
        ['{not json', /bad request: not JSON/],
        ['{"cmd":"frobnicate"}', /bad request: cmd: /],
        ['{"cmd":"list","args":{"state":5}}', /bad request: args\.state: /],
        ['{"cmd":"delete","args":{"id":"../../tegami.db"}}', /bad request: args\.id: not a queue id/],
        ['{"cmd":"retry","args":{"all":"yes"}}', /bad request: args\.all: /],
        ['{"cmd":"hold","args":{"domain":"x.test","extra":1}}', /bad request: args: /],
        ['[1,2,3]', /bad request: /],
        ['null', /bad request: /],
      ];
      for (const [line, want] of cases) {
        const answer = JSON.parse(await ask(line)) as { ok: boolean; error?: string };
        assert.equal(answer.ok, false, line);
        assert.match(answer.error ?? '', want, line);
      }
      assert.deepEqual(JSON.parse(await ask('{"cmd":"ping"}')), { ok: true, result: 'pong' });
      assert.equal(srv.proc.exitCode, null, 'the server is still running');
      assert.equal(srv.cli(['queue', 'list']).status, 0);
    } finally {
      await srv.stop();
      fs.rmSync(srv.dir, { recursive: true, force: true });
    }
  });
});
