// POP3 with Python's poplib (a client we did not write): USER/PASS in plain, STLS and implicit TLS with the
// certificate verified, APOP, UIDL stable across sessions, TOP, DELE+QUIT removing the file, RETR → \Seen.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { maildirRoot } from '../../engine/store/maildir.js';
import { PASSWORD, RawClient, USER, have, run, sampleMessage, startHarness, type Harness } from './harness.js';

let h: Harness;
let python = false;

const PRELUDE = `
import os, json, ssl, poplib, sys
port = int(os.environ['PORT'])
user = os.environ['POPUSER']; password = os.environ['POPPASS']
def ctx():
    c = ssl.create_default_context(cafile=os.environ['CAFILE'])
    return c
def out(x): print(json.dumps(x))
`;

async function py(code: string, env: Record<string, string> = {}): Promise<unknown> {
  const r = await run('python3', ['-c', PRELUDE + code], {
    env: { PORT: String(h.port), POPUSER: USER, POPPASS: PASSWORD, CAFILE: h.certFile, ...env },
  });
  assert.equal(r.code, 0, `python failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

before(async () => {
  python = await have('python3');
  h = await startHarness();
  for (let i = 1; i <= 3; i++) await h.deliver(USER, sampleMessage(i));
});
after(() => h.close());

test('poplib over plain TCP on loopback: USER/PASS, STAT, LIST, RETR with dot-stuffing, UIDL, TOP', async (t) => {
  if (!python) return t.skip('python3 not installed');
  const r = (await py(`
p = poplib.POP3('127.0.0.1', port, timeout=10)
welcome = p.getwelcome().decode()
caps = p.capa()
p.user(user); p.pass_(password)
stat = p.stat()
lst = [x.decode() for x in p.list()[1]]
retr = [x.decode() for x in p.retr(2)[1]]
top = [x.decode() for x in p.top(1, 1)[1]]
uidl = [x.decode() for x in p.uidl()[1]]
p.quit()
out(dict(welcome=welcome, caps=sorted(caps.keys()), stat=stat, lst=lst, retr=retr, top=top, uidl=uidl))
`)) as Record<string, unknown>;
  assert.match(r.welcome as string, /^\+OK .*<\d+\.[0-9a-f]+\.\d+@mail\.example\.jp>$/);
  for (const c of ['TOP', 'UIDL', 'USER', 'SASL', 'STLS', 'RESP-CODES', 'PIPELINING']) assert.ok((r.caps as string[]).includes(c), c);
  const sizes = [1, 2, 3].map((i) => Buffer.byteLength(sampleMessage(i).replace(/\n/g, '\r\n')));
  assert.deepEqual(r.stat, [3, sizes.reduce((a, b) => a + b)]);
  assert.deepEqual(r.lst, sizes.map((s, i) => `${i + 1} ${s}`));
  const retr = r.retr as string[];
  assert.equal(retr[2], 'Subject: message 2');
  assert.ok(retr.includes('.starts with a dot'), 'poplib un-stuffs the dot we stuffed');
  assert.equal(retr.at(-1), 'line three');
  const top = r.top as string[];
  assert.deepEqual(top.slice(-2), ['', 'line one of 1']);
  assert.equal((r.uidl as string[]).length, 3);
  // RETR set \Seen on message 2 only
  const flags = (await h.store.list(USER, 'INBOX')).map((m) => m.flags.includes('\\Seen'));
  assert.deepEqual(flags, [false, true, false]);
});

test('UIDL is stable across sessions and new mail does not renumber the old', async (t) => {
  if (!python) return t.skip('python3 not installed');
  const code = `
p = poplib.POP3('127.0.0.1', port, timeout=10)
p.user(user); p.pass_(password)
u = [x.decode().split(' ')[1] for x in p.uidl()[1]]
p.quit()
out(u)`;
  const first = (await py(code)) as string[];
  await h.deliver(USER, sampleMessage(4));
  const second = (await py(code)) as string[];
  assert.equal(second.length, first.length + 1);
  assert.deepEqual(second.slice(0, first.length), first);
  for (const u of second) assert.match(u, /^[\x21-\x7e]{1,70}$/);
  // and after the index is deleted and rebuilt (Maildir only: the PostgreSQL store has no local index)
  if (h.storeBackend !== 'default') return;
  await h.store.close();
  const root = maildirRoot(h.data, USER);
  for (const f of fs.readdirSync(root)) if (f.startsWith('tegami-index')) fs.unlinkSync(path.join(root, f));
  assert.deepEqual(await py(code), second);
});

test('STLS then USER/PASS, and implicit TLS, both verifying the server certificate', async (t) => {
  if (!python) return t.skip('python3 not installed');
  const r = (await py(`
p = poplib.POP3('127.0.0.1', port, timeout=10)
before = sorted(p.capa().keys())
p.stls(ctx())
after = sorted(p.capa().keys())
p.user(user); p.pass_(password)
n = p.stat()[0]
cipher = p.sock.cipher()[1]
p.quit()
q = poplib.POP3_SSL('127.0.0.1', int(os.environ['TLSPORT']), context=ctx(), timeout=10)
q.user(user); q.pass_(password)
m = q.stat()[0]
q.quit()
out(dict(before=before, after=after, n=n, m=m, cipher=cipher))
`, { TLSPORT: String(h.tlsPort) })) as Record<string, unknown>;
  assert.ok((r.before as string[]).includes('STLS'));
  assert.ok(!(r.after as string[]).includes('STLS'), 'no STLS once under TLS');
  assert.ok((r.n as number) >= 3);
  assert.equal(r.m, r.n);
  assert.match(r.cipher as string, /TLS/);
});

test('APOP login with the greeting timestamp; a wrong digest is refused with [AUTH]', async (t) => {
  if (!python) return t.skip('python3 not installed');
  const r = (await py(`
p = poplib.POP3('127.0.0.1', port, timeout=10)
p.apop(user, password)
n = p.stat()[0]
p.quit()
q = poplib.POP3('127.0.0.1', port, timeout=10)
try:
    q.apop(user, 'wrong-password')
    bad = 'accepted'
except poplib.error_proto as e:
    bad = e.args[0].decode()
q.quit()
w1 = poplib.POP3('127.0.0.1', port).getwelcome(); w2 = poplib.POP3('127.0.0.1', port).getwelcome()
out(dict(n=n, bad=bad, distinct=w1 != w2))
`)) as Record<string, unknown>;
  assert.ok((r.n as number) >= 3);
  assert.match(r.bad as string, /^-ERR \[AUTH\]/);
  assert.equal(r.distinct, true, 'each greeting has its own timestamp');
});

test('DELE + QUIT removes the message file; RSET undoes; a session that drops without QUIT deletes nothing', async (t) => {
  if (!python) return t.skip('python3 not installed');
  const root = maildirRoot(h.data, USER);
  const stored = async () => (h.storeBackend === 'default' ? fs.readdirSync(path.join(root, 'cur')).length : (await h.store.list(USER, 'INBOX')).length);
  const before = await stored();
  const r = (await py(`
p = poplib.POP3('127.0.0.1', port, timeout=10)
p.user(user); p.pass_(password)
n0 = p.stat()[0]
p.dele(1); p.rset(); p.dele(1)
try:
    p.retr(1); again = 'retrieved'
except poplib.error_proto as e:
    again = e.args[0].decode()
n1 = p.stat()[0]
p.close()
q = poplib.POP3('127.0.0.1', port, timeout=10)
q.user(user); q.pass_(password)
n2 = q.stat()[0]
first = q.uidl(1).decode().split(' ')[2]
q.dele(1)
bye = q.quit().decode()
r = poplib.POP3('127.0.0.1', port, timeout=10)
r.user(user); r.pass_(password)
n3 = r.stat()[0]
uids = [x.decode().split(' ')[1] for x in r.uidl()[1]]
r.quit()
out(dict(n0=n0, n1=n1, n2=n2, n3=n3, again=again, bye=bye, first=first, uids=uids))
`)) as Record<string, number | string | string[]>;
  assert.equal(r.n1, (r.n0 as number) - 1);
  assert.match(r.again as string, /^-ERR .*deleted/);
  assert.equal(r.n2, r.n0, 'no QUIT, no UPDATE');
  assert.equal(r.n3, (r.n0 as number) - 1);
  assert.match(r.bye as string, /^\+OK/);
  assert.ok(!(r.uids as string[]).includes(r.first as string));
  // the UPDATE removed the message (its file, or its row)
  assert.equal(await stored(), before - 1);
});

test('messages flagged \\Deleted by another client (IMAP) are not shown', async (t) => {
  if (!python) return t.skip('python3 not installed');
  const list = await h.store.list(USER, 'INBOX');
  await h.store.updateFlags(USER, 'INBOX', [list[0].uid], 'add', ['\\Deleted']);
  const r = (await py(`
p = poplib.POP3('127.0.0.1', port, timeout=10)
p.user(user); p.pass_(password)
u = [x.decode().split(' ')[1] for x in p.uidl()[1]]
p.quit()
out(u)`)) as string[];
  assert.equal(r.length, list.length - 1);
  assert.ok(!r.includes(list[0].key));
  await h.store.updateFlags(USER, 'INBOX', [list[0].uid], 'remove', ['\\Deleted']);
});

test('RETR of mixed messages, in plain and over implicit TLS, one at a time and pipelined: each as stored', async (t) => {
  if (!python) return t.skip('python3 not installed');
  const owner = 'taro@other.jp';
  // CRLF and LF-only mail, dot lines (a few, and more than a reply keeps room for), Japanese, no final line end,
  // and one over 256 KB (read the slow way)
  const msgs: Buffer[] = [];
  for (let i = 0; i < 24; i++) {
    const eol = i % 3 === 0 ? '\n' : '\r\n';
    const lines = [`Subject: =?UTF-8?B?${Buffer.from(`件名 ${i}`).toString('base64')}?=`, '', ...Array.from({ length: 20 + i * 37 }, (_, l) => (l % (i % 5 === 0 ? 2 : 13) === 0 ? `.dot ${l}` : `本文 line ${l} of ${i}`))];
    msgs.push(Buffer.from(lines.join(eol) + (i % 7 === 0 ? '' : eol)));
  }
  msgs.push(Buffer.from('Subject: big\r\n\r\n' + '.big line\r\n'.repeat(30_000)));
  for (const m of msgs) await h.store.append(owner, 'INBOX', m);
  // what a client un-stuffing the reply must get: the message's lines, whatever its line ends
  const want = msgs.map((m) => m.toString('utf8').replace(/\r?\n$/, '').split(/\r?\n/));
  const r = (await py(`
def fetch(p):
    p.user('taro@other.jp'); p.pass_('taro-pass')
    got = [[x.decode() for x in p.retr(i)[1]] for i in range(1, p.stat()[0] + 1)]
    p.rset(); p.quit()
    return got
plain = fetch(poplib.POP3('127.0.0.1', port, timeout=30))
tls = fetch(poplib.POP3_SSL('127.0.0.1', int(os.environ['TLSPORT']), context=ctx(), timeout=30))
out(dict(plain=plain, tls=tls))
`, { TLSPORT: String(h.tlsPort) })) as { plain: string[][]; tls: string[][] };
  assert.deepEqual(r.plain, want);
  assert.deepEqual(r.tls, want);
  // all RETRs in one write: replies gathered while the socket is corked
  const c = await RawClient.connect(h.port);
  await c.line();
  await c.cmd(`USER ${owner}`);
  assert.match((await c.cmd('PASS taro-pass'))!, /^\+OK/);
  c.send(msgs.map((_, i) => `RETR ${i + 1}\r\n`).join(''));
  for (let i = 0; i < msgs.length; i++) {
    assert.match((await c.line())!, /^\+OK \d+ octets$/);
    const octets = want[i].map((l) => Buffer.from(l).toString('latin1')); // the raw client reads octets as latin1
    assert.deepEqual((await c.multi()).map((l) => (l.startsWith('.') ? l.slice(1) : l)), octets, `message ${i + 1}`);
  }
  assert.match((await c.cmd('QUIT'))!, /^\+OK/);
});
