// An error no handler catches (a bug: an unhandled rejection or an uncaught exception) makes `tegami serve` log
// it and stop the graceful way instead of dying mid-write: listeners close, a message whose DATA was under
// way is finished (250 and stored, or 421 and nothing stored), the pid file goes, the exit code is 1 so a
// supervisor restarts it. The fault is injected from outside through a test-only preload (test/helpers/fault.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT, startTestServer } from '../helpers/server.js';
import { RawSmtp } from '../helpers/smtp-client.js';
import { localDay } from '../../engine/log/logger.js';

const USER = 'suzuki@example.test';
const FAULT = path.join(ROOT, 'dist', 'test', 'helpers', 'fault.js');

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

function exitOf(proc: { exitCode: number | null; signalCode: NodeJS.Signals | null; once(ev: 'exit', f: (code: number | null, signal: NodeJS.Signals | null) => void): void }, ms: number): Promise<string> {
  if (proc.exitCode !== null || proc.signalCode) return Promise.resolve(`code ${String(proc.exitCode)} signal ${String(proc.signalCode)}`);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('still running'), ms);
    proc.once('exit', (code, signal) => {
      clearTimeout(t);
      resolve(`code ${String(code)} signal ${String(signal)}`);
    });
  });
}

describe('a fatal error stops the server cleanly', () => {
  for (const kind of ['rejection', 'exception'] as const) {
    it(`unhandled ${kind}: logged, listeners closed, the message in DATA finished, exit 1`, async (t) => {
      const srv = await startTestServer({
        users: [{ address: USER, password: 'suzuki-pw-1' }],
        listeners: ['smtp', 'pop3'],
        env: { NODE_OPTIONS: `--import ${new URL(`file://${FAULT}`).href}`, TEGAMI_TEST_FAULT: kind },
      });
      try {
        const pidFile = path.join(srv.dataDir, 'run', 'tegami.pid');
        const c = await RawSmtp.connect(srv.ports.smtp);
        assert.equal((await c.reply()).code, 220);
        assert.equal((await c.cmd('EHLO client.example.org')).code, 250);
        assert.equal((await c.cmd('MAIL FROM:<sender@example.org>')).code, 250);
        assert.equal((await c.cmd(`RCPT TO:<${USER}>`)).code, 250);
        assert.equal((await c.cmd('DATA')).code, 354);
        c.write(`From: sender@example.org\r\nTo: ${USER}\r\nSubject: in flight at a fatal error\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n前半\r\n`);

        srv.proc.kill('SIGUSR2');
        // polled, listener by listener (they close one after another; on a busy machine the second may take a
        // moment): well within the 45 s a fatal stop is given, so the message in DATA can still be finished
        const deadline = Date.now() + 30_000;
        for (const [name, port] of [['SMTP', srv.ports.smtp], ['POP3', srv.ports.pop3]] as const) {
          while (!(await refused(port))) {
            assert.ok(Date.now() < deadline, `the ${name} listener still accepts 30 s after the fault:\n${srv.output()}`);
            await new Promise((r) => setTimeout(r, 50));
          }
        }
        assert.equal(srv.proc.exitCode, null, 'still running while a message is being received');

        c.write('後半, sent after the fault\r\n.\r\n');
        const reply = await c.reply(30_000);
        c.close();
        const exit = await exitOf(srv.proc, 30_000);
        assert.equal(exit, 'code 1 signal null', srv.output());
        const stored = srv.maildir(USER);
        if (reply.code === 250) {
          // acknowledged, so stored: delivered, or durable in the spool for the next start
          const id = /queued as (\w+)/.exec(reply.text)?.[1] ?? '';
          const spooled = path.join(srv.dataDir, 'spool', 'queue', id);
          assert.ok(stored.length === 1 || (id && fs.existsSync(spooled)), `acknowledged but neither delivered nor spooled: ${reply.text}`);
          assert.match(fs.readFileSync(stored.length ? stored[0] : spooled, 'utf8'), /後半, sent after the fault/);
        } else {
          assert.equal(reply.code, 421, reply.text);
          assert.equal(stored.length, 0);
        }
        assert.equal(fs.existsSync(pidFile), false, 'a clean stop removes the pid file');
        const log = fs.readFileSync(path.join(srv.dataDir, 'logs', `system-${localDay(new Date())}.log`), 'utf8');
        assert.match(log, new RegExp(`ERROR fatal kind=${kind === 'rejection' ? 'unhandled-rejection' : 'uncaught-exception'} error="injected fault`));
        assert.match(srv.output(), /injected fault/);
        t.diagnostic(`in-flight message: ${reply.text}`);
      } finally {
        await srv.stop('SIGKILL');
        fs.rmSync(srv.dir, { recursive: true, force: true });
      }
    });
  }
});
