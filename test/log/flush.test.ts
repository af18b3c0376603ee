// When the logger writes its files (logger.ts, inline-files.ts): on the main thread every line at the end of the
// turn that logged it, with no timer (timers mocked here and never advanced), and close() writes whatever waits. In a worker thread the turn's lines are appended
// through one descriptor kept open across turns (not opened and closed per turn) and closed when the thread
// ends, with every line in the file. A line's text made in one pass is the same as the fields shown, then
// formatted (every catalogue event, random values).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { Logger, formatFields, lineText, localDay, shownFields } from '../../engine/log/logger.js';
import { EVENTS, eventDef, type EventName } from '../../engine/log/events.js';
import { InlineFiles } from '../../engine/log/inline-files.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-log-flush-'));
const file = (dir: string, service: string) => path.join(dir, `${service}-${localDay(new Date())}.log`);
const text = (dir: string, service: string) => (fs.existsSync(file(dir, service)) ? fs.readFileSync(file(dir, service), 'utf8') : '');
/** Turns of the event loop (setImmediate is not mocked): the stream's write goes through libuv's pool meanwhile. */
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};
/** Wait (real time, by turns) until the file holds `re`. */
async function untilIn(dir: string, service: string, re: RegExp): Promise<string> {
  const end = Date.now() + 120_000;
  for (;;) {
    const t = text(dir, service);
    if (re.test(t)) return t;
    if (Date.now() > end) throw new Error(`timed out waiting for ${re} in ${service}: ${t}`);
    await turns(10);
  }
}
/** Descriptors of this process open on `f` (every thread's: one process). */
const fdsOn = (f: string) =>
  fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === f;
    } catch {
      return false;
    }
  }).length;

describe('the main thread writes its lines at the end of the turn', () => {
  it('an info line is written without any timer firing', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    const dir = tmp();
    const logger = new Logger({ dir, stdout: false, sink: null });
    logger.emit('smtp.queued', { sid: 's1', id: 'q1', from: 'a@example.test', rcpts: 1, size: 10, delivered: true });
    assert.doesNotMatch(text(dir, 'smtp'), /queued/, 'never written synchronously');
    await untilIn(dir, 'smtp', /INFO queued sid=s1 id=q1 /);
    await logger.close();
  });

  it('a warn line is written at the end of the turn, with the info lines before it, in order', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const dir = tmp();
    const logger = new Logger({ dir, stdout: false, sink: null });
    logger.emit('smtp.queued', { sid: 's1', id: 'q1', from: 'a@example.test', rcpts: 1, size: 10, delivered: true });
    logger.emit('smtp.auth-failed', { sid: 's2', ip: '192.0.2.1', method: 'PLAIN', user: '太郎@example.jp', failures: 1, blocked: false });
    const got = await untilIn(dir, 'smtp', /WARN auth-failed sid=s2 /);
    assert.match(got, /INFO queued sid=s1[^\n]*\n[^\n]*WARN auth-failed sid=s2 /);
    await logger.close();
  });

  it('a thousand lines of one turn are all written', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const dir = tmp();
    const logger = new Logger({ dir, stdout: false, sink: null });
    for (let i = 0; i < 1000; i++) logger.emit('delivery.delivered', { id: `q${i}`, to: 'alice@example.test', rcpt: 'alice@example.test', folder: 'INBOX/日程', delay_ms: i });
    await untilIn(dir, 'delivery', /id=q999 /);
    await logger.close();
  });

  it('close() writes what waits, without a turn; a line after close() is written at once', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const dir = tmp();
    const logger = new Logger({ dir, stdout: false, sink: null });
    logger.emit('smtp.queued', { sid: 's1', id: 'q1', from: 'a@example.test', rcpts: 1, size: 10, delivered: true });
    await logger.close();
    assert.match(text(dir, 'smtp'), /INFO queued sid=s1 id=q1 /);
    logger.emit('system.stopping', {});
    assert.match(text(dir, 'system'), /INFO stopping/);
  });
});

describe("a worker thread's files", () => {
  it('one descriptor per file is kept across turns and closed when the thread ends; every line is written', async () => {
    const dataDir = tmp();
    const logsDir = path.join(dataDir, 'logs');
    const w = new Worker(path.join(here, 'worker-emitter.js'), { workerData: { dataDir, count: 20, logsDir, turns: 10 } });
    const seen: number[] = [];
    w.on('message', (m: { fds: number }) => seen.push(m.fds));
    await new Promise((r) => w.once('exit', r));
    assert.deepEqual(seen, new Array(10).fill(1), 'one descriptor open on the spam log after each turn');
    assert.equal(fdsOn(file(logsDir, 'spam')), 0, 'closed when the thread ended');
    assert.equal(text(logsDir, 'spam').trimEnd().split('\n').length, 200);
  });

  it("another day's file closes the day before's; a write that fails is reported and the next one opens afresh", () => {
    const dir = tmp();
    const files = new InlineFiles();
    const day1 = path.join(dir, 'spam-20261205.log');
    const day2 = path.join(dir, 'spam-20261206.log');
    assert.equal(files.append(day1, 'a\n'), true);
    assert.equal(files.append(path.join(dir, 'delivery-20261205.log'), 'd\n'), true);
    assert.equal(files.size, 2);
    assert.equal(files.append(day2, 'b\n'), true);
    assert.equal(files.size, 2, 'one descriptor per service');
    assert.equal(fdsOn(day1), 0, "the day before's file is closed");
    assert.equal(fs.statSync(day2).mode & 0o777, 0o600);
    // the directory goes away: nothing can be written (false, nothing thrown); made again, the file is opened again
    fs.rmSync(dir, { recursive: true });
    assert.equal(files.append(path.join(dir, 'spam-20261207.log'), 'c\n'), false);
    fs.mkdirSync(dir);
    assert.equal(files.append(path.join(dir, 'spam-20261207.log'), 'e\n'), true);
    assert.equal(fs.readFileSync(path.join(dir, 'spam-20261207.log'), 'utf8'), 'e\n');
    files.closeAll();
    assert.equal(files.size, 0);
  });
});

describe("a line's text", () => {
  it('is formatFields(shownFields()) for every catalogue event and for fields outside it, with random values', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const pieces = ['a', 'b c', 'x"y', 'k=v', '\n', '\t', '\x00', '\x7f', '日本語', 'ｶﾀｶﾅ', '\u2028', 'taro@example.jp', '#', '\\', ' '];
    const str = () => {
      let s = '';
      for (let i = rnd(6); i >= 0; i--) s += pieces[rnd(pieces.length)];
      return rnd(20) === 0 ? s.repeat(200) : s;
    };
    const value = (): unknown => [str, str, () => rnd(1000) - 500, () => rnd(3) / 7, () => undefined, () => [str(), rnd(9)], () => rnd(2) === 0, () => null][rnd(8)]();
    const extra = ['password', 'auth_password', 'token', 'login', 'note', 'cookie', 'user'];
    let n = 0;
    for (const name of Object.keys(EVENTS) as EventName[]) {
      const def = eventDef(name)!;
      for (let round = 0; round < 20; round++) {
        const fields: Record<string, unknown> = {};
        for (const k of Object.keys(def.fields)) if (rnd(4)) fields[k] = value();
        if (rnd(3) === 0) fields[extra[rnd(extra.length)]] = value();
        assert.equal(lineText(def, fields), formatFields(shownFields(def, fields)), `${name} ${JSON.stringify(fields)}`);
        assert.equal(lineText(null, fields), formatFields(shownFields(null, fields)), `(uncatalogued) ${JSON.stringify(fields)}`);
        n++;
      }
    }
    assert.ok(n > 1000, `${n} events`);
  });
});
