// Real clients we did not write, against tegami's IMAP server on the durable MaildirStore: Python's imaplib
// (plain, STARTTLS, implicit TLS), curl's imap://, mutt reading in batch mode, mbsync syncing both ways, fetchmail.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { mail, PASS, RawClient, startHarness, USER, type Harness } from './harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Run a program without blocking the event loop (the server under test lives in this process). */
function run(cmd: string, args: string[], opts: { timeout?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeout ?? 120_000);
    p.on('close', (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

function have(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
}

/** Skip outside CI when a tool is missing; in CI (.ci/apt-packages installs it) the test must run. */
function needs(bin: string): { skip?: string } {
  if (have(bin) || process.env.CI) return {};
  return { skip: `${bin} not installed (apt-get install it; CI installs it from .ci/apt-packages)` };
}

let h: Harness;
before(async () => {
  h = await startHarness({ store: (dataDir) => new MaildirStore(dataDir) });
  for (let i = 1; i <= 3; i++) {
    await h.store.append(USER, 'INBOX', mail([`From: s${i}@example.test`, `To: ${USER}`, `Subject: seed ${i}`, `Message-ID: <seed${i}@example.test>`, '', `seed body ${i}`]));
  }
});
after(async () => {
  await h.close();
});

for (const mode of ['plain', 'starttls', 'ssl'] as const) {
  test(`python imaplib (${mode}): append, select, fetch, Japanese search, store, copy, move, expunge, idle, second session`, needs('python3'), async () => {
    const port = mode === 'ssl' ? h.secure.port : h.plain.port;
    const r = await run('python3', [path.join(ROOT, 'test/imap/imaplib-client.py'), mode, '127.0.0.1', String(port), USER, PASS]);
    assert.equal(r.status, 0, `imaplib failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /ok idle sees new mail/);
    assert.match(r.stdout, /ok search japanese body \(shift_jis\)/);
    assert.match(r.stdout, /ok second session sees flags\nok second session sees EXPUNGE/);
    assert.match(r.stdout, /\ndone\n$/);
  });
}

test('curl imap:// lists folders, fetches a message by UID and searches', needs('curl'), async () => {
  const base = `imap://127.0.0.1:${h.plain.port}`;
  const curl = (args: string[]) => run('curl', ['-sS', '--max-time', '30', '--user', `${USER}:${PASS}`, ...args]);
  const list = await curl([`${base}/`]);
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /\* LIST \(.*\\Junk.*\) "\/" Spam/);
  const msg = await curl([`${base}/INBOX;UID=1`]);
  assert.equal(msg.status, 0, msg.stderr);
  assert.match(msg.stdout, /Subject: seed 1\r?\n/);
  assert.match(msg.stdout, /seed body 1/);
  const search = await curl([`${base}/INBOX?SUBJECT%20%22seed%202%22`]);
  assert.equal(search.status, 0, search.stderr);
  assert.match(search.stdout, /\* SEARCH 2\b/);
  const tls = await run('curl', ['-sS', '--max-time', '30', '-k', '--user', `${USER}:${PASS}`, `imaps://127.0.0.1:${h.secure.port}/INBOX;UID=2`]);
  assert.equal(tls.status, 0, tls.stderr);
  assert.match(tls.stdout, /seed body 2/);
});

test('mutt reads a message over IMAP in batch mode', needs('mutt'), async () => {
  const dir = fs.mkdtempSync(path.join(h.dir, 'mutt-'));
  const out = path.join(dir, 'piped.eml');
  const rc = path.join(dir, 'muttrc');
  fs.writeFileSync(
    rc,
    [
      `set folder="imap://127.0.0.1:${h.plain.port}/"`,
      `set imap_user="${USER}"`,
      `set imap_pass="${PASS}"`,
      'set ssl_starttls=no',
      'set ssl_force_tls=no',
      'set wait_key=no',
      'set quit=yes',
      'set move=no',
      'set mbox_type=Maildir',
      `set header_cache=""`,
      'set sort=date',
      `set tmpdir="${dir}"`,
    ].join('\n') + '\n',
  );
  const cmd = `mutt -n -F ${rc} -f imap://127.0.0.1:${h.plain.port}/INBOX -e 'push "<pipe-message>cat > ${out}<enter><quit>"'`;
  const r = await run('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, TERM: 'xterm', HOME: dir } });
  assert.ok(fs.existsSync(out), `mutt wrote nothing: status ${r.status}\n${r.stdout.slice(-2000)}\n${r.stderr}`);
  assert.match(fs.readFileSync(out, 'utf8'), /seed body \d/);
});

test('mbsync syncs both ways: server mail to a local Maildir, local mail and flags back to the server', needs('mbsync'), async () => {
  const dir = fs.mkdtempSync(path.join(h.dir, 'mbsync-'));
  const local = path.join(dir, 'local') + '/';
  fs.mkdirSync(local);
  const rc = path.join(dir, 'mbsyncrc');
  fs.writeFileSync(
    rc,
    [
      'IMAPAccount tegami',
      'Host 127.0.0.1',
      `Port ${h.plain.port}`,
      `User ${USER}`,
      `Pass ${PASS}`,
      'SSLType None',
      'AuthMechs LOGIN',
      '',
      'IMAPStore remote',
      'Account tegami',
      '',
      'MaildirStore local',
      `Path ${local}`,
      `Inbox ${local}INBOX`,
      'SubFolders Verbatim',
      '',
      'Channel sync',
      'Far :remote:',
      'Near :local:',
      'Patterns INBOX Sent',
      'Create Both',
      'Expunge Both',
      'SyncState *',
      'Sync All',
      '',
    ].join('\n'),
  );
  const sync = () => run('mbsync', ['-c', rc, '-a'], { env: { ...process.env, HOME: dir } });
  let r = await sync();
  assert.equal(r.status, 0, `mbsync: ${r.stdout}\n${r.stderr}`);
  const inboxNew = () => [...fs.readdirSync(path.join(local, 'INBOX', 'new')), ...fs.readdirSync(path.join(local, 'INBOX', 'cur'))];
  const serverCount = (await h.store.list(USER, 'INBOX')).length;
  assert.equal(inboxNew().length, serverCount, 'every server message copied down');
  // local → server: a new message, and \Seen + \Flagged on one copied message
  const curDir = path.join(local, 'INBOX', 'cur');
  fs.writeFileSync(path.join(local, 'INBOX', 'new', `${Date.now()}.local1.host`), 'From: local@example.test\r\nSubject: written locally\r\n\r\nfrom mbsync\r\n');
  const files = fs.readdirSync(curDir).concat(fs.readdirSync(path.join(local, 'INBOX', 'new')).map((f) => '../new/' + f));
  const seed = files.find((f) => fs.readFileSync(path.join(curDir, f), 'utf8').includes('Subject: seed 1'));
  assert.ok(seed, 'seed 1 present locally');
  const src = path.join(curDir, seed!);
  const base = path.basename(seed!).replace(/:2,.*$/, '');
  fs.renameSync(src, path.join(curDir, `${base}:2,FS`));
  r = await sync();
  assert.equal(r.status, 0, `mbsync (2): ${r.stdout}\n${r.stderr}`);
  const after = await h.store.list(USER, 'INBOX');
  assert.equal(after.length, serverCount + 1, 'the local message was uploaded');
  const bodies = await Promise.all(after.map((m) => h.store.read(USER, 'INBOX', m.uid)));
  const seedIdx = bodies.findIndex((b) => b.includes('Subject: seed 1'));
  assert.deepEqual([...after[seedIdx].flags].sort(), ['\\Flagged', '\\Seen']);
  assert.ok(bodies.some((b) => b.includes('from mbsync')));
  // server → local: a flag change and an expunge made over IMAP reach the local Maildir
  const c = await RawClient.connect(h.plain.port);
  await c.login();
  await c.cmd('SELECT INBOX');
  await c.cmd(`UID STORE ${after[seedIdx].uid} +FLAGS (\\Deleted)`);
  await c.cmd('EXPUNGE');
  c.close();
  r = await sync();
  assert.equal(r.status, 0, `mbsync (3): ${r.stdout}\n${r.stderr}`);
  assert.ok(!inboxNew().some((f) => fs.readFileSync(path.join(local, 'INBOX', fs.existsSync(path.join(curDir, f)) ? 'cur' : 'new', f), 'utf8').includes('Subject: seed 1')), 'expunged on the server, gone locally');
});

test('fetchmail fetches over IMAP into a local file and deletes what it fetched', needs('fetchmail'), async () => {
  const owner = 'hanako@other.test';
  for (let i = 1; i <= 3; i++) await h.store.append(owner, 'INBOX', mail([`From: f${i}@example.test`, `Subject: fm ${i}`, '', `fetchmail body ${i}`]));
  const dir = fs.mkdtempSync(path.join(h.dir, 'fetchmail-'));
  const out = path.join(dir, 'out.mbox');
  const rc = path.join(dir, 'fetchmailrc');
  fs.writeFileSync(
    rc,
    `set no bouncemail\npoll 127.0.0.1 protocol IMAP port ${h.plain.port}:\n  user "${owner}" password "other-pw2" is root here\n  sslproto '' fetchall\n  mda "/bin/sh -c 'cat >> ${out}'"\n`,
    { mode: 0o600 },
  );
  const r = await run('fetchmail', ['-f', rc, '--nodetach', '--nosyslog'], { env: { ...process.env, HOME: dir, FETCHMAILHOME: dir } });
  assert.equal(r.status, 0, `fetchmail: ${r.stdout}\n${r.stderr}`);
  const got = fs.readFileSync(out, 'utf8');
  for (let i = 1; i <= 3; i++) assert.match(got, new RegExp(`Subject: fm ${i}\\r?\\n\\r?\\nfetchmail body ${i}`));
  assert.equal((await h.store.list(owner, 'INBOX')).length, 0, 'fetched mail was expunged on the server');
});
