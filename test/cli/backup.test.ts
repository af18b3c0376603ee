// `tegami backup` / `tegami restore` as an operator runs them: a backup of a running server (accounts, an
// APOP secret, an alias, a DKIM key, Bayes data, mail delivered by swaks) restored into a fresh data dir,
// then a server on it checked with Python's poplib (APOP) and imaplib and swaks (the alias); tar lists the
// file; a flipped byte or a cut file is refused with nothing written; existing accounts need --force.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

const USER = 'carol@other.test';
const PASS = 'carol-pw-1';

function cli(config: string, args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--config', config], { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A config for a data dir that does not exist yet (the restore target). */
function freshTarget(): { dir: string; dataDir: string; config: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-restore-'));
  const dataDir = path.join(dir, 'data');
  const config = path.join(dir, 'tegami.toml');
  fs.writeFileSync(config, `hostname = "mx.example.test"\ndata_dir = ${JSON.stringify(dataDir)}\n[domains]\nlocal = ["example.test"]\n[log]\nstdout = false\n`);
  return { dir, dataDir, config };
}

/** Every file under dir, relative path → content (Maildir tmp/ and SQLite side files left out). */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string, rel: string) => {
    for (const n of fs.readdirSync(d)) {
      const abs = path.join(d, n);
      const r = rel ? `${rel}/${n}` : n;
      if (fs.statSync(abs).isDirectory()) {
        if (n !== 'tmp') walk(abs, r);
      } else if (!/-(wal|shm)$/.test(n) && !n.endsWith('.sqlite')) out.set(r, fs.readFileSync(abs));
    }
  };
  walk(dir, '');
  return out;
}

async function py(code: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  const r = await run('python3', ['-c', code], { env, timeoutMs: 30_000 });
  assert.equal(r.code, 0, `python failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

const POP_IMAP = `
import os, json, poplib, imaplib
user = os.environ['U']; pw = os.environ['P']
p = poplib.POP3('127.0.0.1', int(os.environ['POP']), timeout=10)
p.apop(user, pw)
count = p.stat()[0]
p.quit()
m = imaplib.IMAP4('127.0.0.1', int(os.environ['IMAP']), timeout=10)
m.login(user, pw)
typ, data = m.select('INBOX', readonly=True)
n = int(data[0])
uidvalidity = m.response('UIDVALIDITY')[1][0].decode()
bodies = []
for i in range(1, n + 1):
    typ, d = m.fetch(str(i), '(BODY.PEEK[])')
    bodies.append(d[0][1].hex())
m.logout()
print(json.dumps(dict(pop3_count=count, imap_count=n, uidvalidity=uidvalidity, bodies=bodies)))
`;

function swaks(port: number, to: string, subject: string) {
  return run('swaks', ['--server', `127.0.0.1:${port}`, '--helo', 'client.example.test', '--from', 'someone@example.test', '--to', to, '--header', `Subject: ${subject}`, '--body', `Body of ${subject}\n`, '--timeout', '20']);
}

describe('tegami backup and restore', () => {
  let src: TestServer | undefined;
  let dst: TestServer | undefined;
  let backupFile = '';
  const cleanup: string[] = [];

  before(async () => {
    src = await startTestServer({ listeners: ['smtp', 'pop3', 'imap'] });
    cleanup.push(src.dir);
  });
  after(async () => {
    await src?.stop();
    await dst?.stop();
    for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
  });

  it('round trip: backup of a running server, restore into a fresh data dir, log in with APOP and IMAP, alias routes, mail byte for byte', async (t) => {
    if (!requireCommand(t, 'swaks') || !requireCommand(t, 'python3') || !requireCommand(t, 'tar')) return;
    const s = src!;
    const c = (args: string[], input?: string) => cli(s.configPath, args, input);
    assert.equal(c(['domain', 'add', 'other.test']).code, 0);
    assert.equal(c(['user', 'add', USER, '--password-stdin'], PASS + '\n').code, 0);
    assert.equal(c(['alias', 'add', 'info@other.test', USER]).code, 0);
    const dkim = c(['dkim', 'keygen', 'other.test']);
    assert.equal(dkim.code, 0, dkim.err);
    const corpus = path.join(s.dir, 'corpus');
    for (const kind of ['spam', 'ham']) {
      fs.mkdirSync(path.join(corpus, kind), { recursive: true });
      for (let i = 0; i < 3; i++) {
        const words = kind === 'spam' ? 'cheap pills casino winner prize' : 'meeting agenda minutes project review';
        fs.writeFileSync(path.join(corpus, kind, `${i}.eml`), `From: a${i}@example.test\nSubject: ${kind} ${i}\n\n${words} ${i}\n`);
      }
      const r = c(['spam', 'learn', `--${kind}`, path.join(corpus, kind)]);
      assert.equal(r.code, 0, r.err);
    }
    assert.equal((await swaks(s.ports.smtp, USER, 'direct')).code, 0);
    assert.equal((await swaks(s.ports.smtp, 'info@other.test', 'via alias')).code, 0);
    await s.waitForMail(USER, 2);
    const env = { U: USER, P: PASS, POP: String(s.ports.pop3), IMAP: String(s.ports.imap) };
    const before = await py(POP_IMAP, env); // also creates the mailbox index the backup snapshots
    assert.equal(before.pop3_count, 2);

    backupFile = path.join(s.dir, 'backup.tar.gz');
    const b = cli(s.configPath, ['backup', backupFile, '--with-mail', '--with-bayes', '--json']);
    assert.equal(b.code, 0, b.err);
    const summary = JSON.parse(b.out) as { file: string; bytes: number; messages: number; includes: { bayes: boolean; dkim: number } };
    assert.equal(summary.file, backupFile);
    assert.equal(summary.messages, 2);
    assert.equal(summary.includes.bayes, true);
    assert.equal(summary.includes.dkim, 1);
    assert.equal(fs.statSync(backupFile).mode & 0o777, 0o600, 'the backup holds secrets: mode 0600');
    assert.equal(fs.statSync(backupFile).size, summary.bytes);
    assert.deepEqual(fs.readdirSync(s.dir).filter((n) => n.includes('.tmp-') || n.startsWith('.tegami-backup-')), [], 'no temporary files left');
    const human = cli(s.configPath, ['backup', backupFile]);
    assert.equal(human.code, 1, 'an existing file is not replaced without --force');
    assert.match(human.err, /exists/);

    const listing = await run('tar', ['-tzf', backupFile]);
    assert.equal(listing.code, 0, listing.stderr);
    const names = listing.stdout.split('\n');
    for (const n of ['manifest.json', 'data/tegami.db', 'data/bayes.db', 'data/keys/secret.key', 'data/dkim/other.test/tegami.key']) assert.ok(names.includes(n), `${n} listed`);
    assert.equal(names.filter((n) => /^data\/mail\/other\.test\/carol\/Maildir\/(new|cur)\/./.test(n)).length, 2);
    assert.ok(!names.some((n) => n.startsWith('data/spool')), 'never the spool');

    const target = freshTarget();
    cleanup.push(target.dir);
    const r = cli(target.config, ['restore', backupFile]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^restored \d+ file\(s\), \d+ bytes \(2 message\(s\)\) into /);
    assert.deepEqual(fs.readFileSync(path.join(target.dataDir, 'keys', 'secret.key')), fs.readFileSync(path.join(s.dataDir, 'keys', 'secret.key')));
    for (const f of ['keys/secret.key', 'dkim/other.test/tegami.key', 'tegami.db', 'bayes.db']) {
      assert.equal(fs.statSync(path.join(target.dataDir, f)).mode & 0o777, 0o600, `${f} is 0600`);
    }
    // mail: byte for byte, same names
    const mailSrc = tree(path.join(s.dataDir, 'mail'));
    const mailDst = tree(path.join(target.dataDir, 'mail'));
    assert.equal(mailSrc.size >= 2, true);
    assert.deepEqual([...mailDst.keys()].sort(), [...mailSrc.keys()].sort());
    for (const [k, v] of mailSrc) assert.ok(mailDst.get(k)!.equals(v), `${k} identical`);
    assert.equal(cli(target.config, ['dkim', 'show', 'other.test']).out, cli(s.configPath, ['dkim', 'show', 'other.test']).out);

    dst = await startTestServer({ dataDir: target.dataDir, listeners: ['smtp', 'pop3', 'imap'] });
    const busy = cli(dst.configPath, ['restore', backupFile, '--force']);
    assert.equal(busy.code, 1, 'no restore under a running server');
    assert.match(busy.err, /is running on/);
    const afterRestore = await py(POP_IMAP, { ...env, POP: String(dst.ports.pop3), IMAP: String(dst.ports.imap) });
    assert.equal(afterRestore.pop3_count, 2, 'APOP works: the sealed secret opened with the restored key');
    assert.equal(afterRestore.imap_count, 2);
    assert.equal(afterRestore.uidvalidity, before.uidvalidity, 'the mailbox index came along: same UIDVALIDITY');
    assert.deepEqual(afterRestore.bodies, before.bodies, 'IMAP serves the same bytes');
    assert.equal((await swaks(dst.ports.smtp, 'info@other.test', 'alias after restore')).code, 0);
    await dst.waitForMail(USER, 3);
    const learned = cli(dst.configPath, ['spam', 'learn', '--ham', path.join(corpus, 'ham', '0.eml')]);
    assert.equal(learned.code, 0, `the restored bayes.db opens: ${learned.err}`);
  });

  it('a flipped byte or a cut file is refused and nothing is written', async (t) => {
    if (!backupFile) return t.skip('needs the round-trip backup');
    const whole = fs.readFileSync(backupFile);
    const flipped = Buffer.from(whole);
    flipped[Math.floor(flipped.length / 2)] ^= 0x01;
    const bad = path.join(path.dirname(backupFile), 'flipped.tar.gz');
    fs.writeFileSync(bad, flipped);
    const cut = path.join(path.dirname(backupFile), 'cut.tar.gz');
    fs.writeFileSync(cut, whole.subarray(0, whole.length - 100));
    for (const file of [bad, cut]) {
      const target = freshTarget();
      cleanup.push(target.dir);
      const r = cli(target.config, ['restore', file]);
      assert.equal(r.code, 1, `${path.basename(file)} refused`);
      assert.match(r.err, /^tegami restore: damaged backup file: .*; nothing was written\n$/);
      assert.equal(fs.existsSync(target.dataDir), false, 'no data dir was made');
    }
    const garbage = path.join(path.dirname(backupFile), 'garbage.tar.gz');
    fs.writeFileSync(garbage, 'not a backup at all\n');
    const target = freshTarget();
    cleanup.push(target.dir);
    const r = cli(target.config, ['restore', garbage]);
    assert.equal(r.code, 1);
    assert.match(r.err, /damaged backup file/);
  });

  it('restore over existing accounts needs --force, which replaces them', async (t) => {
    if (!backupFile) return t.skip('needs the round-trip backup');
    const target = freshTarget();
    cleanup.push(target.dir);
    assert.equal(cli(target.config, ['user', 'add', 'zed1@example.test', '--password-stdin', '--admin'], 'zed-pass-1\n').code, 0);
    assert.equal(cli(target.config, ['user', 'add', 'zed2@example.test', '--password-stdin'], 'zed-pass-2\n').code, 0);
    assert.equal(cli(target.config, ['alias', 'add', 'sales@example.test', 'zed1@example.test'], '').code, 0);
    assert.equal(cli(target.config, ['admin', 'token', 'create', 'zed1@example.test']).code, 0);
    assert.equal(cli(target.config, ['dkim', 'keygen', 'example.test']).code, 0);
    const keyBefore = fs.readFileSync(path.join(target.dataDir, 'keys', 'secret.key'));
    const refused = cli(target.config, ['restore', backupFile]);
    assert.equal(refused.code, 1);
    // each thing --force would throw away is named with its count
    assert.equal(
      refused.err,
      `tegami restore: ${target.dataDir} already has 2 users, 1 alias, 1 API token and 1 DKIM key; a restore replaces all of these with the backup's (the accounts database and the keys; mail on disk stays, files the backup also holds are overwritten); nothing was written; use --force to replace them\n`,
    );
    assert.deepEqual(fs.readFileSync(path.join(target.dataDir, 'keys', 'secret.key')), keyBefore, 'nothing changed');
    const forced = cli(target.config, ['restore', backupFile, '--force', '--json']);
    assert.equal(forced.code, 0, forced.err);
    const j = JSON.parse(forced.out) as { data_dir: string; messages: number };
    assert.equal(j.data_dir, target.dataDir);
    assert.equal(j.messages, 2);
    const users = cli(target.config, ['user', 'list']).out.trim().split('\n');
    assert.deepEqual(users, [USER]);
  });

  it('a refusal over a single user says so, in the singular', (t) => {
    if (!backupFile) return t.skip('needs the round-trip backup');
    const target = freshTarget();
    cleanup.push(target.dir);
    assert.equal(cli(target.config, ['user', 'add', 'zed1@example.test', '--password-stdin'], 'zed-pass-1\n').code, 0);
    const refused = cli(target.config, ['restore', backupFile]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /already has 1 user; a restore replaces all of these/);
  });
});
