// Issue #9: outside systemd (umask 022) the data dir and everything in it must still be private: the
// accounts database (hashes, sealed secrets), bayes.db, logs, mailboxes, run/ and the control socket. The CLI
// and the server are started through `sh -c 'umask 022; exec …'`, as from an operator's shell; mail goes in
// with swaks and is read with Python's poplib. A data dir left open by an older version is fixed at start,
// and the fix is logged.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, freePort, requireCommand, run } from '../helpers/server.js';
import { canConnect } from '../../lab/targets/common.js';
import { localDay } from '../../engine/log/logger.js';

const USER = 'yamada@example.test';
const PASS = 'yamada-pw-1';

/** Run with the umask an interactive shell usually has. */
function withUmask022(args: string[]): string[] {
  return ['-c', 'umask 022; exec "$@"', 'sh', process.execPath, BIN, ...args];
}

function cli(args: string[], input?: string) {
  const r = spawnSync('sh', withUmask022(args), { input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function serve(configPath: string, port: number): Promise<{ proc: ChildProcess; output: () => string }> {
  let out = '';
  const proc = spawn('sh', withUmask022(['serve', '--config', configPath]), { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 30_000;
  while (!(await canConnect(port))) {
    if (proc.exitCode !== null) throw new Error(`server exited: ${out}`);
    if (Date.now() > deadline) throw new Error(`server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, output: () => out };
}

function stop(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

/** Every path under root (root included) whose mode lets group or others in. */
function openToOthers(root: string): string[] {
  const bad: string[] = [];
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    if (st.mode & 0o077) bad.push(`${path.relative(root, p) || '.'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
  };
  walk(root);
  return bad;
}

const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);

function writeConfig(dir: string, ports: { smtp: number; pop3: number }): string {
  const configPath = path.join(dir, 'tegami.toml');
  fs.writeFileSync(
    configPath,
    // (the test client is trusted, so its message is in INBOX whatever the connection checks think of loopback)
    `hostname = "mx.example.test"\ndata_dir = "data"\n[listen]\nsmtp = "127.0.0.1:${ports.smtp}"\npop3 = "127.0.0.1:${ports.pop3}"\n[domains]\nlocal = ["example.test"]\n[log]\nstdout = false\n[dns]\nservers = ["127.0.0.1:9"]\ntimeout = "500ms"\n[spam]\ntrusted_ips = ["127.0.0.1/32"]\n`,
  );
  return configPath;
}

describe('file modes with umask 022', () => {
  it('the CLI and the server keep the whole data dir private', async (t) => {
    if (!requireCommand(t, 'swaks') || !requireCommand(t, 'python3')) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-modes-'));
    const dataDir = path.join(dir, 'data');
    const ports = { smtp: await freePort(), pop3: await freePort() };
    const configPath = writeConfig(dir, ports);
    let proc: ChildProcess | undefined;
    try {
      const add = cli(['user', 'add', USER, '--password-stdin', '--config', configPath], PASS + '\n');
      assert.equal(add.status, 0, add.stderr);
      const ham = path.join(dir, 'ham.eml');
      fs.writeFileSync(ham, 'Subject: 打ち合わせ\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n来週の打ち合わせの件です。\r\n');
      const learn = cli(['spam', 'learn', '--ham', ham, '--config', configPath]);
      assert.equal(learn.status, 0, learn.stderr);
      const s = await serve(configPath, ports.smtp);
      proc = s.proc;
      const sent = await run('swaks', ['--server', `127.0.0.1:${ports.smtp}`, '--from', 'sender@example.org', '--to', USER, '--header', 'Subject: modes', '--body', 'private mail', '--helo', 'client.example.org'], { timeoutMs: 60_000 });
      assert.equal(sent.code, 0, sent.stdout + sent.stderr);
      const maildir = path.join(dataDir, 'mail', 'example.test', 'yamada', 'Maildir');
      const deadline = Date.now() + 30_000;
      const delivered = () => ['new', 'cur'].flatMap((d) => (fs.existsSync(path.join(maildir, d)) ? fs.readdirSync(path.join(maildir, d)).map((n) => path.join(maildir, d, n)) : []));
      while (!delivered().length) {
        assert.ok(Date.now() < deadline, `not delivered: ${s.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // read it over POP3 (this opens the mailbox index too)
      const py = `import poplib\np = poplib.POP3('127.0.0.1', ${ports.pop3}, timeout=30)\np.user('${USER}')\np.pass_('${PASS}')\nprint(p.stat()[0])\np.quit()\n`;
      const pop = await run('python3', ['-c', py], { timeoutMs: 60_000 });
      assert.equal(pop.stdout.trim(), '1', pop.stderr);

      const sock = path.join(dataDir, 'run', 'control.sock');
      assert.ok(fs.statSync(sock).isSocket());
      for (const [p, want] of [
        [dataDir, '700'],
        [path.join(dataDir, 'tegami.db'), '600'],
        [path.join(dataDir, 'bayes.db'), '600'],
        [path.join(dataDir, 'logs'), '700'],
        [path.join(dataDir, 'logs', `smtp-${localDay(new Date())}.log`), '600'],
        [path.join(dataDir, 'run'), '700'],
        [sock, '600'],
        [path.join(dataDir, 'run', 'tegami.pid'), '600'],
        [delivered()[0], '600'],
        [path.join(maildir, 'new'), '700'],
        [path.join(maildir, 'cur'), '700'],
        [maildir, '700'],
        [path.join(dataDir, 'mail'), '700'],
      ] as const) {
        assert.equal(mode(p), want, path.relative(dir, p));
      }
      assert.deepEqual(openToOthers(dataDir), [], 'nothing in the data dir is open to group or others');
    } finally {
      if (proc) await stop(proc);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a data dir made open by an older version is made private at start, and the change is logged', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-modes-old-'));
    const dataDir = path.join(dir, 'data');
    const ports = { smtp: await freePort(), pop3: await freePort() };
    const configPath = writeConfig(dir, ports);
    let proc: ChildProcess | undefined;
    try {
      assert.equal(cli(['user', 'add', USER, '--password-stdin', '--config', configPath], PASS + '\n').status, 0);
      // what an older tegami left under umask 022
      for (const d of [dataDir, path.join(dataDir, 'run'), path.join(dataDir, 'keys')]) {
        fs.mkdirSync(d, { recursive: true });
        fs.chmodSync(d, 0o755);
      }
      fs.chmodSync(path.join(dataDir, 'keys', 'secret.key'), 0o644);
      const note = cli(['user', 'list', '--config', configPath]);
      assert.equal(note.status, 0, note.stderr);
      assert.match(note.stderr, /note: \S+\/data was mode 0755, made 0700/);
      assert.equal(mode(dataDir), '700');
      // again, for the server: the fix is in the system log
      for (const d of [dataDir, path.join(dataDir, 'run'), path.join(dataDir, 'keys')]) fs.chmodSync(d, 0o755);
      const s = await serve(configPath, ports.smtp);
      proc = s.proc;
      for (const [p, want] of [[dataDir, '700'], [path.join(dataDir, 'run'), '700'], [path.join(dataDir, 'keys'), '700'], [path.join(dataDir, 'keys', 'secret.key'), '600']] as const) {
        assert.equal(mode(p), want, p);
      }
      await stop(proc);
      proc = undefined;
      const logFile = path.join(dataDir, 'logs', `system-${localDay(new Date())}.log`);
      assert.ok(fs.existsSync(logFile), `no ${logFile}: ${s.output()}`);
      const log = fs.readFileSync(logFile, 'utf8');
      for (const sub of ['data', 'data/run', 'data/keys']) assert.match(log, new RegExp(`WARN file-mode-fixed path=\\S*/${sub} was=0755 now=0700`), sub);
    } finally {
      if (proc) await stop(proc);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
