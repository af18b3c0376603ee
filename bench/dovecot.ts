// A private Dovecot for side-by-side benchmarks (never the system service): its own config, run dir, logs and
// a copy of a Maildir, listening on free loopback ports; stopped by PID. Needs the Debian packages
// dovecot-pop3d / dovecot-imapd (install with a policy-rc.d that exits 101, so the system service never starts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canConnect, freePort } from '../lab/targets/common.js';

export interface Dovecot {
  pop3Port: number;
  imapPort: number;
  /** The copied Maildir that Dovecot serves. */
  maildir: string;
  /** Laid out like a tegami data dir (<dir>/mail/<domain>/<local>/Maildir), so a MaildirStore can open it. */
  dir: string;
  stop(): Promise<void>;
}

export function haveDovecot(): boolean {
  return spawnSync('sh', ['-c', 'command -v dovecot && test -x /usr/lib/dovecot/pop3 && test -x /usr/lib/dovecot/imap']).status === 0;
}

function uidOf(name: string): { uid: number; gid: number } {
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`no system user ${name}`);
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** Start Dovecot over a copy of `sourceMaildir` for one user (login `user`, plaintext password); `extraConfig` is appended to its config. */
export async function startDovecot(opts: { sourceMaildir: string; user: string; password: string; extraConfig?: string }): Promise<Dovecot & { pid: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-dovecot-'));
  fs.chmodSync(dir, 0o755);
  const [local, domain] = opts.user.split('@');
  const home = path.join(dir, 'mail', domain, local);
  const maildir = path.join(home, 'Maildir');
  fs.mkdirSync(home, { recursive: true });
  fs.cpSync(opts.sourceMaildir, maildir, {
    recursive: true,
    filter: (src) => !path.basename(src).startsWith('tegami-index'),
  });
  const { uid, gid } = uidOf('mail');
  spawnSync('chown', ['-R', `${uid}:${gid}`, path.join(dir, 'mail')]);
  const pop3Port = await freePort();
  const imapPort = await freePort();
  fs.writeFileSync(path.join(dir, 'passwd'), `${opts.user}:{PLAIN}${opts.password}\n`);
  const conf = path.join(dir, 'dovecot.conf');
  fs.writeFileSync(
    conf,
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = pop3 imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:~/Maildir
first_valid_uid = 1
default_login_user = dovenull
default_internal_user = dovecot
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${dir}/mail/%d/%n
}
service pop3-login {
  inet_listener pop3 {
    port = ${pop3Port}
  }
  inet_listener pop3s {
    port = 0
  }
}
service imap-login {
  inet_listener imap {
    port = ${imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
${opts.extraConfig ?? ''}
`,
  );
  fs.mkdirSync(path.join(dir, 'run'));
  fs.mkdirSync(path.join(dir, 'state'));
  const proc: ChildProcess = spawn('dovecot', ['-F', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`dovecot exited: ${out} ${readLog(dir)}`);
    if ((await canConnect(pop3Port)) && (await canConnect(imapPort))) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`dovecot did not start: ${out} ${readLog(dir)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid: proc.pid!,
    pop3Port,
    imapPort,
    maildir,
    dir,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
      }),
  };
}

function readLog(dir: string): string {
  try {
    return fs.readFileSync(path.join(dir, 'dovecot.log'), 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

