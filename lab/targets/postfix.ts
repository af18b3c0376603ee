// A private, real Postfix instance as a lab target (Debian package postfix): its own config, queue, data
// and Maildir tree in a temp dir, SMTP on a high loopback port, virtual(8) delivery into Maildirs, relay
// closed (even from loopback), no DNS. It never touches the system's /etc/postfix or its service; it needs
// root (Postfix's master runs as root and drops to the postfix user), as Postfix itself requires.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, guardAgainstOrphan, hasCommand, waitForPort, type RunningTarget } from './common.js';

export function postfixAvailable(): { ok: true } | { ok: false; reason: string } {
  if (!hasCommand('/usr/sbin/postfix')) return { ok: false, reason: 'postfix is not installed (apt-get install postfix)' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'a private Postfix instance needs root' };
  if (spawnSync('id', ['postfix']).status !== 0) return { ok: false, reason: 'no postfix user' };
  return { ok: true };
}

export interface PostfixOptions {
  domain?: string;
  /** More domains hosted the same way (virtual(8) mailboxes). */
  domains?: string[];
  /** Local mailboxes (addresses in `domain` or `domains`). */
  users?: string[];
  /** transport(5) entries, address → transport ("error:5.2.2 Mailbox full": accepted, then bounced with Postfix's own DSN). */
  transport?: Record<string, string>;
  /** Its host name (HELO, the DSNs it writes); default postfix.lab.example.test. */
  hostname?: string;
  /** More main.cf lines (e.g. `relayhost = [127.0.0.1]:PORT` for the bounces it sends). */
  mainCf?: string[];
  port?: number;
  keep?: boolean;
  /** A milter every message goes through before it is queued ("inet:127.0.0.1:PORT": rspamd's proxy). */
  milter?: string;
}

const SERVICES = `cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd -o max_idle=3600s
pickup    unix  n - n 60 1 pickup
`;

function postfixStart(etc: string): { status: number | null; out: string } {
  // postfix prints its fatal errors only to a terminal or syslog; `script` gives it a terminal;
  // `timeout` bounds the whole tree (spawnSync's own timeout would kill only `script`)
  const r = spawnSync('timeout', ['-k', '5', '60', 'script', '-qec', `/usr/sbin/postfix -c ${etc} start`, '/dev/null'], { encoding: 'utf8', timeout: 70_000 });
  return { status: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

/** How often a port that another process took between choosing and binding it is replaced by a new one. */
const BIND_ATTEMPTS = 5;

const alive = (pid: number | undefined) => pid !== undefined && fs.existsSync(`/proc/${pid}`);

/**
 * Stop the master we started by its pid, as postfix-script does (TERM, wait, then KILL its process group),
 * without `postfix stop`: that runs `master -t`, which can block for good on a full postlog socket.
 */
async function stopMaster(pid: number | undefined): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(pid!, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  try {
    process.kill(-pid!, 'SIGKILL'); // the master leads the process group of its daemons; leave none behind
  } catch {
    /* all gone */
  }
}

export async function startPostfix(opts: PostfixOptions = {}): Promise<RunningTarget & { dir: string; maillog(): string }> {
  const avail = postfixAvailable();
  if (!avail.ok) throw new Error(avail.reason);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-postfix-'));
  fs.chmodSync(dir, 0o755);
  const etc = path.join(dir, 'etc');
  const queue = path.join(dir, 'queue');
  const data = path.join(dir, 'data');
  const mail = path.join(dir, 'mail');
  for (const d of [etc, queue, data, mail]) fs.mkdirSync(d, { recursive: true });
  spawnSync('chown', ['postfix', data]);
  spawnSync('chown', ['65534:65534', mail]);
  const domain = opts.domain ?? 'example.test';
  const maillog = path.join(dir, 'maillog');
  fs.writeFileSync(
    path.join(etc, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${queue}`,
      `data_directory = ${data}`,
      'meta_directory = /etc/postfix',
      'shlib_directory = /usr/lib/postfix',
      'daemon_directory = /usr/lib/postfix/sbin',
      'command_directory = /usr/sbin',
      'mail_owner = postfix',
      'setgid_group = postdrop',
      `myhostname = ${opts.hostname ?? 'postfix.lab.example.test'}`,
      'mydomain = lab.example.test',
      'mydestination =',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      // nobody is trusted by address, not even loopback: relay only where the recipient is ours
      'mynetworks = 192.0.2.1/32',
      'smtpd_relay_restrictions = reject_unauth_destination',
      `virtual_mailbox_domains = ${[domain, ...(opts.domains ?? [])].join(' ')}`,
      `virtual_mailbox_base = ${mail}`,
      `virtual_mailbox_maps = texthash:${path.join(etc, 'vmailbox')}`,
      'virtual_uid_maps = static:65534',
      'virtual_gid_maps = static:65534',
      `maillog_file = ${maillog}`,
      `maillog_file_prefixes = ${dir}`,
      'alias_maps =',
      'alias_database =',
      'smtp_dns_support_level = disabled',
      'smtpd_peername_lookup = no',
      'biff = no',
      'smtpd_tls_security_level = none',
      'smtp_tls_security_level = none',
      'default_process_limit = 100',
      ...(opts.transport ? [`transport_maps = texthash:${path.join(etc, 'transport')}`] : []),
      ...(opts.mainCf ?? []),
      ...(opts.milter
        ? [`smtpd_milters = ${opts.milter}`, 'non_smtpd_milters =', 'milter_protocol = 6', 'milter_default_action = tempfail', 'milter_mail_macros = i {mail_addr} {client_addr} {client_name} {auth_authen}']
        : []),
      '',
    ].join('\n'),
  );
  const users = opts.users ?? [`alice@${domain}`];
  fs.writeFileSync(path.join(etc, 'vmailbox'), users.map((u) => `${u.toLowerCase()} ${u.split('@')[1].toLowerCase()}/${u.split('@')[0].toLowerCase()}/Maildir/`).join('\n') + '\n');
  if (opts.transport) fs.writeFileSync(path.join(etc, 'transport'), Object.entries(opts.transport).map(([a, t]) => `${a.toLowerCase()} ${t}`).join('\n') + '\n');
  // Postfix cannot report a port chosen by the system: choose a free one, and should another process take it
  // before the master binds it (`postfix start` then fails: the master's -w start-up includes the bind),
  // choose again
  let port = 0;
  let started: { status: number | null; out: string } = { status: null, out: '' };
  for (let attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
    port = opts.port ?? (await freePort());
    fs.writeFileSync(path.join(etc, 'master.cf'), `127.0.0.1:${port} inet n - n - - smtpd\n${SERVICES}`);
    const logBefore = fs.existsSync(maillog) ? fs.statSync(maillog).size : 0;
    started = postfixStart(etc);
    const log = fs.existsSync(maillog) ? fs.readFileSync(maillog).subarray(logBefore).toString('utf8') : '';
    if (started.status === 0 || opts.port !== undefined || !/Address already in use/i.test(started.out + log)) break;
  }
  const pidFile = path.join(queue, 'pid', 'master.pid');
  const up = started.status === 0 && (await waitForPort(port, 30_000));
  const readPid = () => {
    try {
      return Number(fs.readFileSync(pidFile, 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  const masterPid = readPid();
  const stop = async () => {
    await stopMaster(masterPid ?? readPid());
    if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
  };
  if (!up) {
    const log = fs.existsSync(maillog) ? fs.readFileSync(maillog, 'utf8').slice(-2000) : '';
    await stop();
    throw new Error(`postfix did not start: ${started.out.trim()} ${log}`);
  }
  guardAgainstOrphan(masterPid, { dir: opts.keep ? undefined : dir, group: true });
  return {
    name: 'postfix',
    host: '127.0.0.1',
    port,
    pid: masterPid,
    dir,
    describe: `Postfix ${spawnSync('postconf', ['-dh', 'mail_version'], { encoding: 'utf8' }).stdout.trim()} on 127.0.0.1:${port}, virtual(8) → Maildir, relay closed${opts.milter ? `, milter ${opts.milter} (milter_default_action = tempfail)` : ''}`,
    maildir: (address) => {
      const [local, dom] = address.toLowerCase().split('@');
      return path.join(mail, dom, local, 'Maildir');
    },
    maillog: () => (fs.existsSync(maillog) ? fs.readFileSync(maillog, 'utf8') : ''),
    stop,
  };
}
