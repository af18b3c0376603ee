// The shared namespace "#lists/" (list archives over IMAP) with Python's imaplib against a real tegami: a
// member posts a Japanese (ISO-2022-JP) message to an archiving list over submission (smtplib); the list's
// administrator sees the shared namespace, LISTs, SELECTs (read-only), FETCHes, SEARCHes and COPYs it out;
// APPEND, STORE, EXPUNGE, CREATE, RENAME and DELETE there are refused; a member and a stranger see nothing
// (NONEXISTENT, answered exactly as for a list that does not exist); traversal in the shared name goes nowhere.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseSharedName } from '../../engine/imap/list-archives.js';
import { BIN, hasCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { until } from '../outbound/helpers.js';

const PW = 'shared-secret-1';
const ADMIN = 'moder@example.test';
const LISTADMIN = 'a2admin@example.test';
const HOSTADMIN = 'hostadm@example.test';
const MEMBER = 'member@example.test';
const STRANGER = 'stranger@example.test';
const SHARED = '#lists/dev@example.test';
const SUBJECT = '日本語の件名です';
const BODY_JIS = Buffer.from('1b2442304b4a38244f1b2842', 'hex'); // "本文は" in ISO-2022-JP
let srv: TestServer;
let archiveDir: string;

before(async () => {
  srv = await startTestServer({
    listeners: ['smtp', 'submission', 'imap'],
    users: [ADMIN, LISTADMIN, HOSTADMIN, MEMBER, STRANGER].map((address) => ({ address, password: PW })),
    toml: '[spam]\nenabled = false',
  });
  const cli = (args: string[]) => {
    const r = srv.cli(args);
    assert.equal(r.status, 0, `tegami ${args.join(' ')}: ${r.stderr}`);
  };
  cli(['list', 'create', 'dev@example.test', '--archive']);
  cli(['list', 'set', 'dev@example.test', '--admin', ADMIN]);
  cli(['list', 'add', 'dev@example.test', MEMBER]);
  cli(['list', 'create', 'quiet@example.test']); // no archive: not a shared folder even for its admin
  cli(['list', 'set', 'quiet@example.test', '--admin', ADMIN]);
  cli(['user', 'set', LISTADMIN, '--list-admin', 'dev@example.test']);
  cli(['user', 'set', HOSTADMIN, '--host-admin', 'example.test']);
  archiveDir = path.join(srv.dataDir, 'lists', 'example.test', 'dev', 'archive');
});

after(async () => {
  await srv?.stop();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

/** Run Python with an imaplib connection `m` logged in as `user`; the script's last line is JSON. */
async function py(user: string, code: string): Promise<Record<string, unknown>> {
  const prelude = [
    'import imaplib, json, email, email.header',
    `m = imaplib.IMAP4('127.0.0.1', ${srv.ports.imap}, timeout=30)`,
    `m.login(${JSON.stringify(user)}, ${JSON.stringify(PW)})`,
    'def d(x):',
    '    if isinstance(x, (list, tuple)): return [d(i) for i in x]',
    "    return x.decode('utf-8', 'replace') if isinstance(x, bytes) else x",
    'def cmd(*a):',
    '    try:',
    '        t, data = m._simple_command(*a)',
    '        return [t, d(data)]',
    '    except m.error as e:',
    "        return ['ERR', str(e)]",
    'def lit(body):',
    "    return '{%d+}\\r\\n%s' % (len(body.encode()), body)",
    'def sel(name):',
    '    try:',
    '        return d(m.select(name))',
    '    except m.readonly:',
    '        m.is_readonly = True  # imaplib refuses to go on in a mailbox it did not open read-only itself',
    "        return 'READ-ONLY'",
    '',
  ].join('\n');
  const r = await run('python3', ['-c', prelude + code], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

/** The tagged reply of one command as imaplib saw it: "NO [NOPERM] ..." etc. */
const tagged = (x: unknown) => String((x as unknown[])[1]);

describe('list archives in the shared IMAP namespace', () => {
  it('a member posts a Japanese message; it is archived', async (t) => {
    if (!hasCommand('python3')) return t.skip('python3 not installed');
    const r = await run('python3', ['-c', `
import smtplib
body = bytes.fromhex(${JSON.stringify(BODY_JIS.toString('hex'))})
subj = '=?ISO-2022-JP?B?' + __import__('base64').b64encode(${JSON.stringify(SUBJECT)}.encode('iso2022_jp')).decode() + '?='
msg = (b'From: ${MEMBER}\\r\\nTo: dev@example.test\\r\\nSubject: ' + subj.encode() + b'\\r\\nMessage-ID: <shared-1@example.test>\\r\\n'
       b'MIME-Version: 1.0\\r\\nContent-Type: text/plain; charset=ISO-2022-JP\\r\\nContent-Transfer-Encoding: 7bit\\r\\n\\r\\n' + body + b' archive-marker-1\\r\\n')
s = smtplib.SMTP('127.0.0.1', ${srv.ports.submission}, timeout=30)
s.login('${MEMBER}', '${PW}')
s.sendmail('${MEMBER}', ['dev@example.test'], msg)
s.quit()
print('sent')
`], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    await until('the archived post', () => {
      for (const sub of ['new', 'cur']) {
        const dir = path.join(archiveDir, sub);
        if (fs.existsSync(dir) && fs.readdirSync(dir).some((f) => fs.readFileSync(path.join(dir, f), 'latin1').includes('archive-marker-1'))) return true;
      }
      return null;
    }, 30_000);
  });

  it('the list admin sees the namespace, LISTs, SELECTs read-only, FETCHes and SEARCHes the post intact', async (t) => {
    if (!hasCommand('python3')) return t.skip('python3 not installed');
    const r = await py(ADMIN, `
ns = d(m.namespace())
lst = d(m.list('""', '*')[1])
top = d(m.list('""', '%')[1])
st = d(m.status('"${SHARED}"', '(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)'))
sel = sel('"${SHARED}"')
exists = d(m.untagged_responses.get('EXISTS', []))
hdr = m.fetch('1', '(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT LIST-ID)] BODY.PEEK[TEXT])')
parts = [x for x in hdr[1] if isinstance(x, tuple)]
head = email.message_from_bytes(parts[0][1])
subject = str(email.header.make_header(email.header.decode_header(head['Subject'])))
text = parts[1][1].hex()
m.literal = '${SUBJECT.slice(0, 3)}'.encode('utf-8')
srch = d(m.search('UTF-8', 'SUBJECT'))
m.literal = '${SUBJECT.slice(0, 3)}'.encode('iso2022_jp')
srch_jis = d(m.search('ISO-2022-JP', 'SUBJECT'))
srch_text = d(m.uid('SEARCH', 'TEXT', 'archive-marker-1'))
flags_after = d(m.fetch('1', '(FLAGS)')[1])
print(json.dumps(dict(ns=ns, lst=lst, top=top, st=st, sel=sel, exists=exists, uidfetch=d(hdr[1][0][0]),
  subject=subject, listid=head['List-Id'], text=text, srch=srch, srch_jis=srch_jis, srch_text=srch_text, flags_after=flags_after)))
`);
    assert.match(String(r.ns), /\(\("" "\/"\)\) NIL \(\("#lists\/" "\/"\)\)/);
    const lst = (r.lst as string[]).join('\n');
    assert.match(lst, /\(\\HasNoChildren\) "\/" "?#lists\/dev@example\.test"?/);
    assert.doesNotMatch(lst, /quiet@example\.test/, 'a list without an archive has no shared folder');
    assert.match((r.top as string[]).join('\n'), /\\Noselect[^)]*\) "\/" "?#lists"?/);
    assert.match(JSON.stringify(r.st), /MESSAGES 1 /);
    assert.equal(r.sel, 'READ-ONLY', 'SELECT answered OK [READ-ONLY] (imaplib raises readonly)');
    assert.deepEqual(r.exists, ['1']);
    assert.equal(r.subject, `[dev] ${SUBJECT}`);
    assert.equal(r.listid, '<dev.example.test>');
    assert.ok(String(r.text).startsWith(BODY_JIS.toString('hex')), 'the ISO-2022-JP body is byte-exact');
    assert.deepEqual(r.srch, ['OK', ['1']]);
    assert.deepEqual(r.srch_jis, ['OK', ['1']]);
    assert.match(JSON.stringify(r.srch_text), /"OK",\["\d+"\]/);
    assert.doesNotMatch(JSON.stringify(r.flags_after), /Seen/, 'reading the archive sets no flag');
  });

  it('A2 list admins and host admins of the domain see it too', async (t) => {
    if (!hasCommand('python3')) return t.skip('python3 not installed');
    for (const who of [LISTADMIN, HOSTADMIN]) {
      const r = await py(who, `print(json.dumps(dict(lst=d(m.list('""', '*')[1]), sel=d(m.select('"${SHARED}"', readonly=True)))))`);
      assert.match((r.lst as string[]).join('\n'), /#lists\/dev@example\.test/, who);
      assert.deepEqual(r.sel, ['OK', ['1']], who);
    }
  });

  it('APPEND, STORE, EXPUNGE, MOVE, CREATE, RENAME, DELETE are refused; COPY out into INBOX works', async (t) => {
    if (!hasCommand('python3')) return t.skip('python3 not installed');
    const r = await py(ADMIN, `
app = cmd('APPEND', '"${SHARED}"', lit('Subject: x\\r\\n\\r\\nforged'))
sel('"${SHARED}"')
sto = cmd('STORE', '1', '+FLAGS', '(\\\\Deleted \\\\Seen)')
exp = cmd('EXPUNGE')
uexp = cmd('UID', 'EXPUNGE', '1:*')
mv = cmd('MOVE', '1', 'INBOX')
cp = cmd('COPY', '1', 'INBOX')
cpin = cmd('COPY', '1', '"${SHARED}"')
m.close()
cre = cmd('CREATE', '"#lists/new@example.test"')
ren = cmd('RENAME', '"${SHARED}"', 'Stolen')
ren_in = cmd('RENAME', 'Drafts', '"#lists/x@example.test"')
dele = cmd('DELETE', '"${SHARED}"')
m.select('INBOX')
inbox = d(m.search(None, 'TEXT', 'archive-marker-1'))
inbox_subj = d(m.fetch('1:*', '(BODY.PEEK[HEADER.FIELDS (LIST-ID)])')[1])
st = d(m.status('"${SHARED}"', '(MESSAGES)'))
print(json.dumps(dict(app=app, sto=sto, exp=exp, uexp=uexp, mv=mv, cp=cp, cpin=cpin, cre=cre, ren=ren, ren_in=ren_in, dele=dele, inbox=inbox, inbox_subj=inbox_subj, st=st)))
`);
    for (const k of ['app', 'sto', 'exp', 'uexp', 'mv', 'cre', 'ren', 'ren_in', 'dele', 'cpin']) assert.match(tagged(r[k]), /\[NOPERM\]/, `${k}: ${JSON.stringify(r[k])}`);
    assert.equal((r.cp as unknown[])[0], 'OK', JSON.stringify(r.cp));
    assert.match(JSON.stringify(r.cp), /COPYUID \d+ 1 \d+/);
    assert.ok(((r.inbox as unknown[])[1] as string[])[0].trim().length > 0, 'the copy is in INBOX');
    assert.match(JSON.stringify(r.inbox_subj), /dev\.example\.test/);
    assert.match(JSON.stringify(r.st), /MESSAGES 1\)/, 'the archive still has its post');
    // nothing changed on disk: no flag, nothing appended, nothing forged anywhere
    const files = fs.readdirSync(path.join(archiveDir, 'cur')).concat(fs.readdirSync(path.join(archiveDir, 'new')));
    assert.equal(files.length, 1);
    assert.match(files[0], /:2,$/, 'no flags stored on the archived file');
    assert.ok(!fs.existsSync(path.join(srv.dataDir, 'lists', 'example.test', 'new')), 'CREATE made no list directory');
  });

  it('a member and a stranger see nothing: not listed, NONEXISTENT exactly as for a list that does not exist', async (t) => {
    if (!hasCommand('python3')) return t.skip('python3 not installed');
    for (const who of [MEMBER, STRANGER]) {
      const r = await py(who, `
ns = d(m.namespace())
lst = d(m.list('""', '*')[1])
top = d(m.list('""', '#lists/*')[1])
lsub = d(m.lsub('""', '*')[1])
res = {}
for name in ('${SHARED}', '#lists/nosuch@example.test'):
    res[name] = dict(sel=cmd('SELECT', '"%s"' % name), exa=cmd('EXAMINE', '"%s"' % name), st=cmd('STATUS', '"%s"' % name, '(MESSAGES)'),
      app=cmd('APPEND', '"%s"' % name, lit('Subject: x\\r\\n\\r\\nforged')), dele=cmd('DELETE', '"%s"' % name),
      sub=cmd('SUBSCRIBE', '"%s"' % name), gqr=cmd('GETQUOTAROOT', '"%s"' % name))
print(json.dumps(dict(ns=ns, lst=lst, top=top, lsub=lsub, res=res)))
`);
      assert.match(String(r.ns), /#lists\//, 'the namespace is the same for everyone');
      assert.doesNotMatch(JSON.stringify([r.lst, r.top, r.lsub]), /#lists/, `${who} lists nothing shared`);
      const res = r.res as Record<string, Record<string, unknown>>;
      for (const [k, v] of Object.entries(res[SHARED])) {
        assert.match(tagged(v), /\[NONEXISTENT\]/, `${who} ${k}: ${JSON.stringify(v)}`);
        assert.deepEqual(v, res['#lists/nosuch@example.test'][k], `${who} ${k}: the same answer as for no list at all`);
      }
    }
  });

  it('traversal in the shared name goes nowhere', async (t) => {
    if (!hasCommand('python3')) return t.skip('python3 not installed');
    const names = ['#lists/../x', '#lists/dev@example.test/../../', '#lists/dev@example.test/..', '#lists/..@example.test', '#lists/dev@..', '#lists/../../mail/example.test/member/Maildir', '#lists/dev@example.test/../../../../mail/example.test/member'];
    const r = await py(ADMIN, `
out = {}
for name in ${JSON.stringify(names)}:
    out[name] = dict(sel=cmd('SELECT', '"%s"' % name), st=cmd('STATUS', '"%s"' % name, '(MESSAGES)'), cre=cmd('CREATE', '"%s"' % name), app=cmd('APPEND', '"%s"' % name, lit('Subject: x\\r\\n\\r\\nforged')))
print(json.dumps(out))
`);
    for (const name of names) {
      const o = r[name] as Record<string, unknown>;
      for (const k of ['sel', 'st', 'app']) assert.match(tagged(o[k]), /\[NONEXISTENT\]/, `${name} ${k}: ${JSON.stringify(o[k])}`);
      assert.match(tagged(o.cre), /\[NOPERM\]/, `${name} CREATE`);
    }
    // nothing was made outside the archives (the member's Maildir has no index or folder from it)
    assert.ok(!fs.existsSync(path.join(srv.dataDir, 'lists', 'x')));
    assert.ok(!fs.existsSync(path.join(srv.dataDir, 'lists', 'example.test', 'dev', 'archive', '.x')));
  });

  it('UIDs and UIDVALIDITY stay the same across a restart (the index lives in the archive)', async (t) => {
    if (!hasCommand('python3')) return t.skip('python3 not installed');
    const probe = `print(json.dumps(dict(st=d(m.status('"${SHARED}"', '(UIDVALIDITY UIDNEXT MESSAGES)')), uid=d(m.select('"${SHARED}"', readonly=True) and m.fetch('1', '(UID)')))))`;
    const before = await py(ADMIN, probe);
    assert.ok(fs.existsSync(path.join(archiveDir, 'tegami-index.sqlite')), 'the index is in the archive root');
    await srv.restart();
    const afterRestart = await py(ADMIN, probe);
    assert.deepEqual(afterRestart, before);
    assert.match(JSON.stringify(before.uid), /UID 1\)/);
  });

  it('a right taken away applies at once, without logging out', async (t) => {
    if (!hasCommand('python3')) return t.skip('python3 not installed');
    const r = await run('python3', ['-c', `
import imaplib, json, subprocess, sys
m = imaplib.IMAP4('127.0.0.1', ${srv.ports.imap}, timeout=30)
m.login('${LISTADMIN}', '${PW}')
before = m.status('"${SHARED}"', '(MESSAGES)')[0]
r = subprocess.run([sys.argv[1], sys.argv[2], 'user', 'set', '${LISTADMIN}', '--no-list-admin', 'dev@example.test', '--config', sys.argv[3]], capture_output=True)
assert r.returncode == 0, r.stderr
after = m.status('"${SHARED}"', '(MESSAGES)')
lst = [x.decode() for x in m.list('""', '*')[1]]
print(json.dumps(dict(before=before, after=[after[0], after[1][0].decode()], lst=lst)))
`, process.execPath, BIN, srv.configPath], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as { before: string; after: [string, string]; lst: string[] };
    assert.equal(o.before, 'OK');
    assert.deepEqual(o.after[0], 'NO');
    assert.match(o.after[1], /\[NONEXISTENT\]/);
    assert.doesNotMatch(o.lst.join('\n'), /#lists/);
  });

  it('parseSharedName takes only NAME@DOMAIN after the prefix', () => {
    assert.equal(parseSharedName('#lists/dev@example.test'), 'dev@example.test');
    assert.equal(parseSharedName('#LISTS/Dev@Example.Test'), 'dev@example.test');
    for (const bad of ['#lists/../x', '#lists/dev@example.test/../../', '#lists/..@example.test', '#lists/dev@..', '#lists/dev@example..test', '#lists/.dev@example.test', '#lists/dev@example.test/', '#lists/a/b@example.test', 'lists/dev@example.test', '#lists/', '#lists/dev@ex\\ample.test', '#lists/dev\u0000@example.test']) {
      assert.equal(parseSharedName(bad), null, bad);
    }
  });
});
