// JMAP against a whole tegami over real sockets, with clients we did not write: the jmap-jam npm client (session,
// Mailbox/get, Email/query + get with back-references, Email/set keywords, a move, EmailSubmission/set), curl
// (RFC 8620's requests with Basic, the event source), swaks (mail arriving by SMTP), Python's imaplib (a STORE that
// JMAP's Email/changes sees, an IDLE that sees a JMAP move). Submissions reach a local user and the lab sink,
// where the DKIM signature is verified against keys in the lab DNS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promises as dnsp } from 'node:dns';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import { Agent, setGlobalDispatcher, getGlobalDispatcher, type Dispatcher } from 'undici';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { startDnsServer, type DnsServer } from '../../lab/dns/server.js';
import { requireCommand, run } from '../helpers/server.js';
import { until } from '../outbound/helpers.js';
import { encodedWord } from '../spam/mail.js';
import { startLive, type Live } from './live.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PEER = path.resolve(here, '../../../test/jmap/imap-peer.py');
const ALICE = 'alice@example.test';
const BOB = 'bobby@example.test';
const PW = 'alice-secret-pw-1';

let live: Live;
let sink: Sink;
let dns: DnsServer;
 
// jmap-jam's typings import raw .ts files this project's compiler settings refuse, so it is loaded untyped and
// used through this narrow view (its answers are the JMAP JSON, checked by the assertions below)
type Json = any;
interface Jam {
  getPrimaryAccount(): Promise<string | undefined>;
  api: Record<string, Record<string, (args: Json) => Promise<[Json, Json]>>>;
  requestMany(build: (b: Json) => Json): Promise<[Json, Json]>;
}
let jam: Jam;
let token: string;
let accountId: string;
let boxes: Record<string, string>;
let previous: Dispatcher;

before(async () => {
  sink = await startSink();
  dns = await startDnsServer({ zones: [] });
  live = await startLive({
    users: [{ address: ALICE, password: PW }, { address: BOB, password: 'bob-secret-pw-1' }],
    domains: ['example.test'],
    toml: ['[dns]', `servers = ["${dns.address}"]`, '[spam]', 'enabled = false', '[[route]]', 'domain = "remote.test"', `to = "${sink.address}"`].join('\n'),
  });
  const r = live.cli(['dkim', 'keygen', 'example.test', '--selector', 's1', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const rec = JSON.parse(r.stdout) as { name: string; value: string };
  dns.add([{ name: rec.name, type: 'TXT', data: rec.value }]);
  // the global fetch jmap-jam uses trusts the server's self-signed certificate (and only for these tests)
  previous = getGlobalDispatcher();
  setGlobalDispatcher(new Agent({ connect: { ca: fs.readFileSync(live.cert), checkServerIdentity: () => undefined } }));
  token = live.svc.tokens.create(ALICE, 'e2e').token;
  const { default: JamClient } = (await import('jmap-jam' as string)) as { default: new (o: { sessionUrl: string; bearerToken: string }) => Jam };
  jam = new JamClient({ sessionUrl: `https://127.0.0.1:${live.ports.web}/.well-known/jmap`, bearerToken: token });
  accountId = (await jam.getPrimaryAccount())!;
  const [mb] = await jam.api.Mailbox.get({ accountId, ids: null });
  boxes = Object.fromEntries(mb.list.map((m: Json) => [m.role ?? m.name, m.id]));
});

after(async () => {
  if (previous) setGlobalDispatcher(previous);
  await live?.stop();
  await sink?.close();
  await dns?.close();
});

async function swaks(args: string[]): Promise<string> {
  const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(live.ports.smtp), '--helo', 'client.remote.test', '--timeout', '30', ...args]);
  return r.stdout + r.stderr;
}

async function emailWithSubject(subject: string): Promise<string> {
  return until(`"${subject}" over JMAP`, async () => {
    const [q] = await jam.api.Email.query({ accountId, filter: { subject } });
    return q.ids[0];
  }, 30_000, 200);
}

test('curl with Basic, as RFC 8620 §2 and §3 show it: the session, then an API call', async (t) => {
  if (!requireCommand(t, 'curl')) return;
  const base = `https://127.0.0.1:${live.ports.web}`;
  const s = await run('curl', ['-s', '--cacert', live.cert, '-k', '-u', `${ALICE}:${PW}`, `${base}/.well-known/jmap`]);
  const session = JSON.parse(s.stdout);
  assert.equal(session.apiUrl, `${base}/jmap/api`);
  assert.equal(session.username, ALICE);
  const a = await run('curl', ['-s', '-k', '-u', `${ALICE}:${PW}`, '-H', 'Content-Type: application/json', '--data', JSON.stringify({ using: ['urn:ietf:params:jmap:core'], methodCalls: [['Core/echo', { hello: true, high: 5 }, 'b3ff']] }), session.apiUrl]);
  assert.deepEqual(JSON.parse(a.stdout).methodResponses, [['Core/echo', { hello: true, high: 5 }, 'b3ff']]);
  const denied = await run('curl', ['-s', '-k', '-o', '/dev/null', '-w', '%{http_code}', `${base}/.well-known/jmap`]);
  assert.equal(denied.stdout, '401');
});

test('jmap-jam: mail delivered by SMTP (Shift_JIS) is found and read back; keywords set reach the file name', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  // raw Shift_JIS bytes cannot travel in an argument: swaks reads the whole message from a file
  const file = path.join(live.dir, 'sjis.eml');
  fs.writeFileSync(file, Buffer.concat([
    Buffer.from(`From: sender@remote.test\r\nTo: ${ALICE}\r\nSubject: ${encodedWord('打ち合わせの件', 'Shift_JIS')}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n`),
    iconv.encode('来週の打ち合わせは月曜日です。\r\n', 'cp932'),
  ]));
  const out = await swaks(['--from', 'sender@remote.test', '--to', ALICE, '--data', file]);
  assert.match(out, /250 2\.0\.0 Ok: queued/, out);
  const id = await emailWithSubject('打ち合わせ');
  const [res] = await jam.requestMany((b) => {
    const q = b.Email.query({ accountId, filter: { inMailbox: boxes.inbox, text: '打ち合わせ' }, sort: [{ property: 'receivedAt', isAscending: false }] });
    const g = b.Email.get({ accountId, ids: q.$ref('/ids'), properties: ['subject', 'from', 'textBody', 'bodyValues'], fetchTextBodyValues: true });
    return { q, g };
  });
  assert.ok(res.q.ids.includes(id));
  const e = res.g.list.find((x: Json) => x.id === id);
  assert.equal(e.subject, '打ち合わせの件');
  assert.equal(e.bodyValues[e.textBody[0].partId].value.trimEnd(), '来週の打ち合わせは月曜日です。');
  const [set] = await jam.api.Email.set({ accountId, update: { [id]: { 'keywords/$seen': true } } });
  assert.deepEqual(set.updated, { [id]: null });
  const files = fs.readdirSync(path.join(live.dataDir, 'mail', 'example.test', 'alice', 'Maildir', 'cur'));
  assert.ok(files.some((f) => /:2,S$/.test(f)), files.join(' '));
});

test('a flag set over IMAP (Python imaplib STORE) shows in Email/changes', async (t) => {
  if (!requireCommand(t, 'python3')) return;
  const id = await emailWithSubject('打ち合わせ');
  const [g] = await jam.api.Email.get({ accountId, ids: [id], properties: ['keywords'] });
  const r = await run('python3', [PEER, 'store', '127.0.0.1', String(live.ports.imap), ALICE, PW, '打ち合わせ']);
  assert.match(r.stdout, /ok store/, r.stdout + r.stderr);
  const [ch] = await jam.api.Email.changes({ accountId, sinceState: g.state });
  assert.deepEqual(ch.updated, [id]);
  const [after] = await jam.api.Email.get({ accountId, ids: [id], properties: ['keywords'] });
  assert.deepEqual(after.list[0].keywords, { $seen: true, $flagged: true });
});

test('a move over JMAP is seen at once by an IMAP IDLE (EXPUNGE), and keeps the email id', async (t) => {
  if (!requireCommand(t, 'python3')) return;
  const id = await emailWithSubject('打ち合わせ');
  const idle = spawn('python3', [PEER, 'idle', '127.0.0.1', String(live.ports.imap), ALICE, PW]);
  let out = '';
  idle.stdout.on('data', (d) => (out += d));
  idle.stderr.on('data', (d) => (out += d));
  const done = new Promise<void>((resolve) => idle.on('close', () => resolve()));
  await until('IDLE to start', () => out.includes('idling'), 120_000, 50);
  const [set] = await jam.api.Email.set({ accountId, update: { [id]: { mailboxIds: { [boxes.trash]: true } } } });
  assert.deepEqual(set.updated, { [id]: null });
  await done;
  assert.match(out, /\* \d+ EXPUNGE/, out);
  assert.match(out, /expunged/);
  const [g] = await jam.api.Email.get({ accountId, ids: [id], properties: ['mailboxIds'] });
  assert.deepEqual(g.list[0].mailboxIds, { [boxes.trash]: true });
});

test('the event source pushes a StateChange (Email, EmailDelivery) when mail arrives by SMTP', async (t) => {
  if (!requireCommand(t, 'curl') || !requireCommand(t, 'swaks')) return;
  const url = `https://127.0.0.1:${live.ports.web}/jmap/eventsource?types=*&closeafter=state&ping=0`;
  const curl = spawn('curl', ['-sN', '-k', '-H', `Authorization: Bearer ${token}`, url]);
  let out = '';
  curl.stdout.on('data', (d) => (out += d));
  const done = new Promise<void>((resolve) => curl.on('close', () => resolve()));
  await until('the event stream to open', () => out.includes(': tegami jmap event source'), 120_000, 50);
  await until('the baseline', () => out.includes(': ready'), 120_000, 50);
  const sent = await swaks(['--from', 'sender@remote.test', '--to', ALICE, '--header', 'Subject: pushed']);
  assert.match(sent, /250 2\.0\.0/);
  const timer = setTimeout(() => curl.kill(), 30_000);
  await done;
  clearTimeout(timer);
  const m = /event: state\nid: \S+\ndata: (.+)\n/.exec(out);
  assert.ok(m, out);
  const change = JSON.parse(m![1]);
  assert.equal(change['@type'], 'StateChange');
  assert.ok(change.changed[accountId].Email && change.changed[accountId].EmailDelivery, m![1]);
});

test('EmailSubmission/set sends through the queue: a local user gets it, the sink gets it DKIM-signed, Bcc removed; the draft moves to Sent', async () => {
  const [c] = await jam.api.Email.set({
    accountId,
    create: {
      d: {
        mailboxIds: { [boxes.drafts]: true },
        keywords: { $draft: true },
        from: [{ name: 'アリス', email: ALICE }],
        to: [{ email: BOB }, { email: 'friend@remote.test' }],
        bcc: [{ email: 'secret@remote.test' }],
        subject: '送信テスト e2e',
        bodyValues: { t: { value: 'こんにちは。JMAP から送ります。' } },
        textBody: [{ partId: 't', type: 'text/plain' }],
      },
    },
  });
  const draftId = c.created!.d.id;
  const [ids] = await jam.api.Identity.get({ accountId, ids: null });
  const [s] = await jam.api.EmailSubmission.set({
    accountId,
    create: { s: { identityId: ids.list[0].id, emailId: draftId } },
    onSuccessUpdateEmail: { '#s': { [`mailboxIds/${boxes.drafts}`]: null, [`mailboxIds/${boxes.sent}`]: true, 'keywords/$draft': null } },
  });
  assert.ok(s.created?.s, JSON.stringify(s));
  const remote = await until('the message at the sink', () => sink.messages.find((m) => m.raw.toString().includes('JMAP') || m.to.includes('friend@remote.test')), 120_000);
  assert.deepEqual(remote.to.sort(), ['friend@remote.test', 'secret@remote.test']);
  assert.equal(remote.from, ALICE);
  const text = remote.raw.toString('latin1');
  assert.doesNotMatch(text, /^Bcc:/im);
  assert.doesNotMatch(text, /secret@remote\.test/);
  const resolver = new dnsp.Resolver();
  resolver.setServers([dns.address]);
  const v = await dkimVerify(remote.raw, { resolver: (name: string, rr: string) => resolver.resolve(name, rr) as Promise<string[][]> });
  assert.deepEqual(v.results.map((r: Json) => [r.status.result, r.signingDomain]), [['pass', 'example.test']]);
  // bob has it in his INBOX (local delivery through the same queue)
  await until("bob's copy", () => live.store.list(BOB, 'INBOX').then((l) => l.length > 0), 120_000, 100);
  const [moved] = await jam.api.Email.get({ accountId, ids: [draftId], properties: ['mailboxIds', 'keywords'] });
  assert.deepEqual(moved.list[0].mailboxIds, { [boxes.sent]: true });
  assert.deepEqual(moved.list[0].keywords, {});
});

test("a From: that is not the user's is refused like SMTP AUTH refuses it (forbiddenFrom), nothing reaches the sink", async () => {
  const before = sink.messages.length;
  const [c] = await jam.api.Email.set({
    accountId,
    create: { d: { mailboxIds: { [boxes.drafts]: true }, from: [{ email: 'ceo@example.test' }], to: [{ email: 'friend@remote.test' }], subject: 'forged', bodyValues: { t: { value: 'x' } }, textBody: [{ partId: 't' }] } },
  });
  const [ids] = await jam.api.Identity.get({ accountId, ids: null });
  const [s] = await jam.api.EmailSubmission.set({ accountId, create: { s: { identityId: ids.list[0].id, emailId: c.created!.d.id, envelope: { mailFrom: { email: ALICE }, rcptTo: [{ email: 'friend@remote.test' }] } } } });
  assert.equal(s.notCreated?.s.type, 'forbiddenFrom', JSON.stringify(s));
  const [s2] = await jam.api.EmailSubmission.set({ accountId, create: { s: { identityId: ids.list[0].id, emailId: c.created!.d.id, envelope: { mailFrom: { email: 'ceo@example.test' }, rcptTo: [{ email: 'friend@remote.test' }] } } } });
  assert.equal(s2.notCreated?.s.type, 'forbiddenMailFrom');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(sink.messages.length, before);
});

test('a null envelope sender (MAIL FROM:<>) is refused for a logged-in user over JMAP as at SMTP MAIL FROM: no bounce in nobody\'s name', async (t) => {
  const before = sink.messages.length;
  const [c] = await jam.api.Email.set({
    accountId,
    create: { d: { mailboxIds: { [boxes.drafts]: true }, from: [{ email: ALICE }], to: [{ email: 'friend@remote.test' }], subject: '配送不能通知もどき', bodyValues: { t: { value: 'x' } }, textBody: [{ partId: 't' }] } },
  });
  const [ids] = await jam.api.Identity.get({ accountId, ids: null });
  const [s] = await jam.api.EmailSubmission.set({ accountId, create: { s: { identityId: ids.list[0].id, emailId: c.created!.d.id, envelope: { mailFrom: { email: '' }, rcptTo: [{ email: 'friend@remote.test' }, { email: BOB }] } } } });
  assert.equal(s.notCreated?.s.type, 'forbiddenMailFrom', JSON.stringify(s));
  if (requireCommand(t, 'swaks')) {
    // the same user on the submission port: 553 at MAIL FROM
    const out = await run('swaks', ['--server', '127.0.0.1', '--port', String(live.ports.submission), '--timeout', '30', '--auth', 'PLAIN', '--auth-user', ALICE, '--auth-password', PW, '--from', '<>', '--to', 'friend@remote.test']);
    assert.match(out.stdout + out.stderr, /MAIL FROM:<>\s+<\*\* 553 5\.7\.1/);
  }
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(sink.messages.length, before);
});

test('Email/query refuses a filter of thousands of conditions or words (unsupportedFilter) and still answers an ordinary one: no request holds the server', async (t) => {
  if (!requireCommand(t, 'curl')) return;
  // before the bound, 2,000 {body} conditions over one 1 MB message (30 kB of JSON) held the event loop 14 s (SMTP
  // banners waited), 10 MB of them hours; each condition folded the whole body again
  const query = async (filter: unknown) => {
    const r = await run('curl', ['-s', '-k', '-u', `${ALICE}:${PW}`, '-H', 'Content-Type: application/json', '--data-binary', '@-', `https://127.0.0.1:${live.ports.web}/jmap/api`], {
      input: JSON.stringify({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: [['Email/query', { accountId, filter }, 'q']] }),
    });
    return JSON.parse(r.stdout).methodResponses[0] as [string, Record<string, unknown>, string];
  };
  const many = await query({ operator: 'OR', conditions: Array.from({ length: 2000 }, () => ({ body: '本文' })) });
  assert.equal(many[0], 'error');
  assert.equal(many[1].type, 'unsupportedFilter', JSON.stringify(many[1]));
  const words = Array.from({ length: 64 }, (_, i) => `語${i}`).join(' ');
  const wordy = await query({ operator: 'AND', conditions: Array.from({ length: 5 }, () => ({ text: words })) });
  assert.equal(wordy[1].type, 'unsupportedFilter', JSON.stringify(wordy[1]));
  // what a client sends for a search box still works
  const ok = await query({ operator: 'AND', conditions: [{ text: '打ち合わせ 来週' }, { from: 'example' }, { operator: 'NOT', conditions: [{ hasKeyword: '$junk' }] }] });
  assert.equal(ok[0], 'Email/query', JSON.stringify(ok[1]));
  // a sort of thousands of tying comparators walked all of them in every comparison
  const sorted = async (n: number) => {
    const r = await run('curl', ['-s', '-k', '-u', `${ALICE}:${PW}`, '-H', 'Content-Type: application/json', '--data-binary', '@-', `https://127.0.0.1:${live.ports.web}/jmap/api`], {
      input: JSON.stringify({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: [['Email/query', { accountId, sort: [...Array.from({ length: n - 1 }, () => ({ property: 'hasKeyword', keyword: '$x' })), { property: 'receivedAt' }] }, 'q']] }),
    });
    return JSON.parse(r.stdout).methodResponses[0] as [string, Record<string, unknown>, string];
  };
  assert.equal((await sorted(5000))[1].type, 'invalidArguments');
  assert.equal((await sorted(16))[0], 'Email/query');
});

test('JMAP keeps to the mailbox quota as IMAP APPEND/COPY do: Email/import and a copy into another mailbox past it get overQuota', async (t) => {
  if (!requireCommand(t, 'curl')) return;
  // before, neither Email/import nor Email/set (create, or a mailbox added) looked at the quota: upload, import,
  // repeat (uploads are evicted, the mail stays) filled the server's disk from any account
  const bob = ['-s', '-k', '-u', `${BOB}:bob-secret-pw-1`];
  const web = `https://127.0.0.1:${live.ports.web}`;
  const set = live.cli(['user', 'set', BOB, '--quota', '100K']);
  assert.equal(set.status, 0, set.stderr);
  const session = JSON.parse((await run('curl', [...bob, `${web}/.well-known/jmap`])).stdout);
  const acct = session.primaryAccounts['urn:ietf:params:jmap:mail'] as string;
  const api = async (calls: unknown[]) => {
    const r = await run('curl', [...bob, '-H', 'Content-Type: application/json', '--data-binary', '@-', `${web}/jmap/api`], {
      input: JSON.stringify({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: calls }),
    });
    return JSON.parse(r.stdout).methodResponses as [string, Record<string, any>, string][];
  };
  const msg = `From: ${BOB}\r\nTo: ${BOB}\r\nSubject: =?UTF-8?B?${Buffer.from('容量の試験').toString('base64')}?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${'本文です。'.repeat(3000)}\r\n`;
  const up = await run('curl', [...bob, '-H', 'Content-Type: message/rfc822', '--data-binary', '@-', `${web}/jmap/upload/${acct}`], { input: msg });
  const blobId = JSON.parse(up.stdout).blobId as string;
  const [[, boxes]] = await api([['Mailbox/get', { accountId: acct, ids: null }, 'm']]);
  const box = (role: string) => (boxes.list as { id: string; role: string | null }[]).find((m) => m.role === role)!.id;
  const imports: Record<string, Record<string, any>> = {};
  for (let i = 0; i < 4; i++) {
    const [[, r]] = await api([['Email/import', { accountId: acct, emails: { [`i${i}`]: { blobId, mailboxIds: { [box('inbox')]: true } } } }, 'i']]);
    imports[`i${i}`] = r.created?.[`i${i}`] ?? r.notCreated?.[`i${i}`];
  }
  // 45 kB each against 100 kB: two fit, the third is refused and nothing of it is stored
  assert.ok(imports.i0.id && imports.i1.id, JSON.stringify(imports));
  assert.equal(imports.i2.type, 'overQuota', JSON.stringify(imports.i2));
  assert.equal(imports.i3.type, 'overQuota');
  const [[, copy]] = await api([['Email/set', { accountId: acct, update: { [imports.i0.id]: { [`mailboxIds/${box('drafts')}`]: true } } }, 'c']]);
  assert.equal(copy.notUpdated?.[imports.i0.id]?.type, 'overQuota', JSON.stringify(copy));
  // a move takes no room and still works
  const [[, move]] = await api([['Email/set', { accountId: acct, update: { [imports.i0.id]: { mailboxIds: { [box('drafts')]: true } } } }, 'v']]);
  assert.ok(move.updated && imports.i0.id in move.updated, JSON.stringify(move));
  const [[, q]] = await api([['Email/query', { accountId: acct, filter: { subject: '容量の試験' } }, 'q']]);
  assert.equal((q.ids as string[]).length, 2);
});

test('Email/get refuses more than 100 header: properties (each is answered for every email and body part); 100, or one asked many times, still work', async (t) => {
  if (!requireCommand(t, 'curl')) return;
  // before, 300,000 header properties (5 MB of request) made a 178 MB answer from 20 small emails
  const get = async (properties: string[], bodyProperties?: string[]) => {
    const r = await run('curl', ['-s', '-k', '-u', `${ALICE}:${PW}`, '-H', 'Content-Type: application/json', '--data-binary', '@-', `https://127.0.0.1:${live.ports.web}/jmap/api`], {
      input: JSON.stringify({
        using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'],
        methodCalls: [['Email/query', { accountId, limit: 5 }, 'q'], ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties, bodyProperties }, 'g']],
      }),
    });
    return JSON.parse(r.stdout).methodResponses[1] as [string, Record<string, any>, string];
  };
  const names = (n: number) => Array.from({ length: n }, (_, i) => `header:X-Kenmei-${i}:asText`);
  const many = await get(names(5000));
  assert.equal(many[0], 'error');
  assert.equal(many[1].type, 'invalidArguments', JSON.stringify(many[1]));
  const parts = await get(['bodyStructure'], ['partId', ...names(101)]);
  assert.equal(parts[1].type, 'invalidArguments', JSON.stringify(parts[1]));
  const ok = await get(['subject', ...names(100)]);
  assert.equal(ok[0], 'Email/get', JSON.stringify(ok[1]));
  assert.ok((ok[1].list as unknown[]).length > 0);
  const same = await get(['subject', ...Array.from({ length: 5000 }, () => 'header:Subject:asText')]);
  assert.equal(same[0], 'Email/get', JSON.stringify(same[1]));
  for (const e of same[1].list as Record<string, unknown>[]) assert.equal(e['header:Subject:asText'], e.subject);
});

test('Email/set create stops composing at max_message_size: one upload named by many parts is refused tooLarge before the rest is read', async (t) => {
  if (!requireCommand(t, 'curl')) return;
  // before, every part read its blob and kept it base64-encoded until the whole message was built: one 50 MB upload
  // named by thousands of parts (a 10 MB request) took the server's memory; the size was checked only at the end
  const web = `https://127.0.0.1:${live.ports.web}`;
  const alice = ['-s', '-k', '-u', `${ALICE}:${PW}`];
  const up = await run('curl', [...alice, '-H', 'Content-Type: application/octet-stream', '--data-binary', '@-', `${web}/jmap/upload/${accountId}`], { input: 'あ'.repeat(350_000) });
  const blobId = JSON.parse(up.stdout).blobId as string;
  // 1 MB × 20 parts, base64: past the 25 MiB max_message_size; the last part names no blob at all
  const subParts = [...Array.from({ length: 20 }, (_, i) => ({ blobId, type: 'application/octet-stream', name: `添付${i}.bin` })), { blobId: `U${'0'.repeat(40)}`, type: 'text/plain' }];
  const r = await run('curl', [...alice, '-H', 'Content-Type: application/json', '--data-binary', '@-', `${web}/jmap/api`], {
    input: JSON.stringify({
      using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'],
      methodCalls: [['Email/set', { accountId, create: { big: { mailboxIds: { [boxes.drafts]: true }, subject: '大きすぎる下書き', bodyStructure: { type: 'multipart/mixed', subParts } } } }, 's']],
    }),
  });
  const [, set] = JSON.parse(r.stdout).methodResponses[0] as [string, Record<string, any>];
  assert.equal(set.notCreated?.big?.type, 'tooLarge', JSON.stringify(set));
  // a few parts of it still make a draft
  const ok = await run('curl', [...alice, '-H', 'Content-Type: application/json', '--data-binary', '@-', `${web}/jmap/api`], {
    input: JSON.stringify({
      using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'],
      methodCalls: [['Email/set', { accountId, create: { two: { mailboxIds: { [boxes.drafts]: true }, subject: '添付二つ', bodyStructure: { type: 'multipart/mixed', subParts: subParts.slice(0, 2) } } } }, 's']],
    }),
  });
  const [, made] = JSON.parse(ok.stdout).methodResponses[0] as [string, Record<string, any>];
  assert.ok(made.created?.two?.id, JSON.stringify(made));
});
