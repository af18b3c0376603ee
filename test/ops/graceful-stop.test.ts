// SIGTERM (what systemd sends on `systemctl stop`) stops `tegami serve` gracefully, checked on real sockets:
// new connections are refused, an idle session's next command gets 421, a message whose DATA was under
// way when the signal came is finished and either acknowledged (250, then delivered) or refused (421,
// nothing stored); the process exits 0 once nothing is left open (before the 30 s grace period) and removes its
// pid file. A message still being sent when the 30 s grace period ends is cut off with 421 (not before) and not
// stored. Waits are generous; how long each step took is a diagnostic.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startTestServer } from '../helpers/server.js';

const USER = 'dave@example.test';

/** A line-oriented SMTP client on a raw socket: send a line, await the complete reply. */
class RawSmtp {
  private buf = '';
  private waiters: ((reply: string) => void)[] = [];
  closed = false;
  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      for (;;) {
        const m = /^(\d{3}) [^\r\n]*\r\n/m.exec(this.buf);
        if (!m || !this.waiters.length) break;
        const end = m.index + m[0].length;
        const reply = this.buf.slice(0, end);
        this.buf = this.buf.slice(end);
        this.waiters.shift()!(reply);
      }
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w('(closed)');
    });
    sock.on('error', () => {});
  }
  static connect(port: number): Promise<RawSmtp> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawSmtp(s)));
      s.once('error', reject);
    });
  }
  reply(timeoutMs = 30_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no reply in ${timeoutMs} ms (buffer: ${JSON.stringify(this.buf)})`)), timeoutMs);
      this.waiters.push((r) => {
        clearTimeout(t);
        resolve(r);
      });
      this.sock.emit('data', ''); // a reply may already be buffered
    });
  }
  write(text: string): void {
    this.sock.write(text);
  }
  async cmd(line: string): Promise<string> {
    const r = this.reply();
    this.write(line + '\r\n');
    return r;
  }
  end(): void {
    this.sock.end();
  }
}

function waitExit(proc: { exitCode: number | null; once(ev: 'exit', f: (code: number | null) => void): void }, ms: number): Promise<number | null | 'timeout'> {
  if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('timeout'), ms);
    proc.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

// the two cases at once, each on its own server: the second sits out the 30 s grace period, the first need not wait for it
describe('graceful stop on SIGTERM', { concurrency: true }, () => {
  it('finishes a message whose DATA was under way, refuses new work, exits 0 once nothing is left open', async (t) => {
    const srv = await startTestServer({ users: [{ address: USER, password: 'dave-pass-1' }], listeners: ['smtp', 'pop3', 'imap'] });
    try {
      const pidFile = path.join(srv.dataDir, 'run', 'tegami.pid');
      assert.equal(fs.readFileSync(pidFile, 'utf8').trim(), String(srv.proc.pid));
      const idle = await RawSmtp.connect(srv.ports.smtp);
      assert.match(await idle.reply(), /^220 /);
      assert.match(await idle.cmd('EHLO idle.example.test'), /^250/);

      const c = await RawSmtp.connect(srv.ports.smtp);
      assert.match(await c.reply(), /^220 /);
      assert.match(await c.cmd('EHLO client.example.test'), /^250/);
      assert.match(await c.cmd('MAIL FROM:<sender@example.org>'), /^250 /);
      assert.match(await c.cmd(`RCPT TO:<${USER}>`), /^250 /);
      assert.match(await c.cmd('DATA'), /^354 /);
      const body = 'From: sender@example.org\r\nTo: dave@example.test\r\nSubject: in flight at SIGTERM\r\n\r\n';
      c.write(body + 'first half of the body\r\n');

      const stoppedAt = Date.now();
      srv.proc.kill('SIGTERM');
      // the listeners stop accepting before anything else
      const deadline = Date.now() + 30_000;
      while (!(await refused(srv.ports.smtp))) {
        assert.ok(Date.now() < deadline, 'the SMTP listener still accepts 30 s after SIGTERM');
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(await refused(srv.ports.pop3), 'POP3 listener closed');
      assert.ok(await refused(srv.ports.imap), 'IMAP listener closed');
      assert.equal(srv.proc.exitCode, null, 'still running while a message is being received');

      // an idle session's next command is answered 421
      assert.match(await idle.cmd('MAIL FROM:<x@example.org>'), /^421 /);
      idle.end();

      const final = c.reply(60_000);
      c.write('second half, sent after the signal\r\n.\r\n');
      const reply = await final;
      const files = () => srv.maildir(USER);
      if (/^250 /.test(reply)) {
        // acknowledged: it must be stored (delivered, or kept in the spool for the next start)
        c.end();
        const code = await waitExit(srv.proc, 60_000);
        assert.equal(code, 0, `exit code after a graceful stop: ${String(code)}\n${srv.output()}`);
        const delivered = files();
        const spooled = fs.existsSync(path.join(srv.dataDir, 'spool')) ? JSON.stringify(fs.readdirSync(path.join(srv.dataDir, 'spool'), { recursive: true })) : '';
        assert.ok(delivered.length === 1 || spooled.includes('.eml') || spooled.length > 2, `acknowledged but neither delivered nor spooled: ${reply}`);
        if (delivered.length === 1) {
          const stored = fs.readFileSync(delivered[0], 'utf8');
          assert.match(stored, /Subject: in flight at SIGTERM/);
          assert.match(stored, /second half, sent after the signal/);
        }
      } else {
        assert.match(reply, /^421 /, `either 250 or 421, got ${reply}`);
        c.end();
        const code = await waitExit(srv.proc, 60_000);
        assert.equal(code, 0);
        assert.equal(files().length, 0, 'refused with 421, so nothing may have been delivered');
      }
      const took = Date.now() - stoppedAt;
      t.diagnostic(`reply after SIGTERM: ${reply.trim()}; delivered ${files().length}; exited after ${took} ms`);
      // with nothing left open it does not sit out the 30 s grace period meant for unfinished sessions
      assert.ok(took < 29_000, `stopped in ${took} ms, before the 30 s grace period`);
      assert.equal(fs.existsSync(pidFile), false, 'the pid file is removed on a clean stop');
    } finally {
      await srv.stop('SIGKILL');
      fs.rmSync(srv.dir, { recursive: true, force: true });
    }
  });

  it('cuts off a message still being sent after the 30 s grace period: 421, nothing stored, exit 0', async (t) => {
    const srv = await startTestServer({ users: [{ address: USER, password: 'dave-pass-1' }], listeners: ['smtp'] });
    let trickle: NodeJS.Timeout | undefined;
    try {
      const c = await RawSmtp.connect(srv.ports.smtp);
      assert.match(await c.reply(), /^220 /);
      assert.match(await c.cmd('EHLO slow.example.test'), /^250/);
      assert.match(await c.cmd('MAIL FROM:<sender@example.org>'), /^250 /);
      assert.match(await c.cmd(`RCPT TO:<${USER}>`), /^250 /);
      assert.match(await c.cmd('DATA'), /^354 /);
      c.write('From: sender@example.org\r\nSubject: never finished\r\n\r\n');
      // a client that keeps sending but never ends the message
      let n = 0;
      trickle = setInterval(() => c.write(`line ${n++}\r\n`), 500);
      let signal: string | null = null;
      const exited = new Promise<number | null>((resolve) =>
        srv.proc.once('exit', (code, sig) => {
          signal = sig;
          resolve(code);
        }),
      );
      const at = Date.now();
      srv.proc.kill('SIGTERM');
      // the trickle never ends: without the grace period's cut no reply would ever come
      const reply = await c.reply(90_000);
      const cutAfter = Date.now() - at;
      clearInterval(trickle);
      assert.match(reply, /^421 /, `the session is ended with 421: ${reply}`);
      assert.ok(cutAfter >= 29_000, `cut off after ${cutAfter} ms, not before the 30 s grace period`);
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 60_000).unref())]);
      assert.equal(code, 0, `exit code ${String(code)}, signal ${String(signal)}: ${srv.output().slice(-3000)}`);
      t.diagnostic(`421 after ${cutAfter} ms, exited ${Date.now() - at} ms after SIGTERM`);
      assert.equal(srv.maildir(USER).length, 0, 'nothing acknowledged, nothing delivered');
      const queue = path.join(srv.dataDir, 'spool', 'queue');
      assert.deepEqual(fs.existsSync(queue) ? fs.readdirSync(queue) : [], [], 'nothing queued');
    } finally {
      clearInterval(trickle);
      await srv.stop('SIGKILL');
      fs.rmSync(srv.dir, { recursive: true, force: true });
    }
  });
});
