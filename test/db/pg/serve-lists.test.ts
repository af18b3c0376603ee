// Lists and vacation on [storage] backend = "postgres" (engine/lists/pg-activity.ts, engine/rules/pg-reply-history.ts,
// migration 50), over two real `tegami serve` nodes on one cluster holding the same keys/secret.key: one post (one
// Message-ID) sent through both nodes at once is distributed once; posts held on node A are listed and approved through
// node B (a moderator's reply, its CLI, its admin API) and distributed once; an archived post is read in #lists/ on the
// other node; a sender whose two messages reach the two nodes gets one vacation answer. smtplib sends, imaplib reads.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startSink, type Sink } from '../../../lab/peers/sink.js';
import { startDnsServer, type DnsServer } from '../../../lab/dns/server.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../../helpers/postgres.js';
import { requireCommand, run, startTestServer, type TestServer } from '../../helpers/server.js';
import { countOverImap, until, waitOverImap } from './shared-mail.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();

const LIST = 'team@example.test';
const USERS = [
  { address: 'alice@example.test', password: 'alice-secret-1' },
  { address: 'moder@example.test', password: 'moder-secret-1' },
  { address: 'hanako@example.test', password: 'hanako-secret-1' },
  { address: 'boss@example.test', password: 'boss password 1', admin: true },
];
/** The list's remote members: each gets its own copy at the sink (VERP). */
const REMOTE_MEMBERS = ['carol@remote.test', 'dave@remote.test'];

/** One message with smtplib: envelope and header From `from`, To `to`, the given Message-ID; the replies. */
const SEND = `
import smtplib, sys, json
host, port, mail_from, rcpt, subject, msgid = sys.argv[1:7]
body = ('From: %s\\r\\nTo: %s\\r\\nSubject: %s\\r\\nMessage-ID: %s\\r\\n\\r\\nリストへの投稿です。\\r\\n' % (mail_from, rcpt, subject, msgid)).encode('utf-8')
s = smtplib.SMTP(host, int(port), local_hostname='client.example.net', timeout=30)
s.ehlo('client.example.net')
s.mail(mail_from)
code, msg = s.rcpt(rcpt)
data = 0
if code == 250:
    data, msg = s.data(body)
print(json.dumps({"rcpt": code, "data": data, "msg": msg.decode()}))
s.quit()
`;

/** The first message in the folder holding `needle`, raw (imaplib, BODY.PEEK[]), or nothing. */
const FETCH = `
import imaplib, sys
host, port, user, pw, needle = sys.argv[1:6]
i = imaplib.IMAP4(host, int(port), timeout=30)
i.login(user, pw)
typ, data = i.select('INBOX', readonly=True)
if int(data[0]) > 0:
    typ, msgs = i.fetch('1:*', '(BODY.PEEK[])')
    for m in msgs:
        if isinstance(m, tuple) and needle.encode('utf-8') in m[1]:
            sys.stdout.buffer.write(m[1]); break
i.logout()
`;

describe('lists and vacation on PostgreSQL: moderation, dedup and reply history shared by every node', { skip: skip ?? false, timeout: 300_000 }, () => {
  let cluster: PgCluster;
  let sink: Sink;
  let dns: DnsServer;
  let a: TestServer;
  let b: TestServer;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pglists-'));
  // the key list tokens (and sealed DKIM keys) are made with: the same file on every node (docs/scale-out.md, "Keys")
  const secret = crypto.randomBytes(32);
  const srsSecret = crypto.randomBytes(32).toString('hex') + '\n';
  const decoy = crypto.randomBytes(32);

  const dataDir = (name: string) => {
    const d = path.join(tmp, name);
    fs.mkdirSync(path.join(d, 'keys'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(d, 'keys', 'secret.key'), secret, { mode: 0o600 });
    fs.writeFileSync(path.join(d, 'keys', 'srs.secret'), srsSecret, { mode: 0o600 });
    fs.writeFileSync(path.join(d, 'keys', 'decoy.key'), decoy, { mode: 0o600 });
    return d;
  };
  const toml = (node: string) =>
    [
      '[storage]',
      'backend = "postgres"',
      `url = ${JSON.stringify(cluster.url)}`,
      'tls = "disable"',
      'pool_size = 4',
      `node_name = "${node}"`,
      '[dns]',
      `servers = ["${dns.address}"]`,
      'timeout = "2s"',
      '[spam]',
      'enabled = false',
      '[queue]',
      'retry_schedule = ["1s"]',
      '[lists]',
      'check_interval = "1s"',
      ...['remote.test', 'example.net'].flatMap((d) => ['[[route]]', `domain = "${d}"`, `to = "${sink.address}"`]),
    ].join('\n');

  /** Both nodes' delivery logs (the list and vacation outcomes are there). */
  const logs = () =>
    [a, b].map((s) => {
      const dir = path.join(s.dataDir, 'logs');
      return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith('delivery-')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('') : '';
    });
  const lines = (re: RegExp) => logs().flatMap((l) => l.split('\n').filter((x) => re.test(x)));
  const atSink = (subject: string) => sink.messages.filter((m) => m.raw.toString('utf8').includes(subject));

  async function post(srv: TestServer, from: string, to: string, subject: string, msgid = `<${crypto.randomUUID()}@client.example.net>`): Promise<void> {
    const r = await run('python3', ['-c', SEND, srv.host, String(srv.ports.smtp), from, to, subject, msgid]);
    assert.equal(r.code, 0, r.stderr);
    const reply = JSON.parse(r.stdout.trim()) as { rcpt: number; data: number; msg: string };
    assert.deepEqual([reply.rcpt, reply.data], [250, 250], reply.msg);
  }

  const cli = (srv: TestServer, args: string[]) => {
    const r = srv.cli(args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  /** Node B's copy of the directory holds what node A's CLI wrote (the replica's notification reached it). */
  const inCopyOfB = (what: string, sql: string, want: number) =>
    until(`${what} in node B's copy`, () => {
      const copy = new Database(path.join(b.dataDir, 'tegami.db'), { readonly: true });
      try {
        return (copy.prepare(sql).get() as { n: number }).n === want;
      } finally {
        copy.close();
      }
    }, 30_000);

  /** Every member has the post once: the remote ones at the sink, alice over IMAP (read on node B). */
  async function distributedOnce(subject: string): Promise<void> {
    await until(`"${subject}" at the sink for each remote member`, () => atSink(subject).length >= REMOTE_MEMBERS.length, 120_000);
    await waitOverImap(b, 'alice@example.test', USERS[0].password, subject);
    assert.deepEqual(atSink(subject).flatMap((m) => m.to).sort(), REMOTE_MEMBERS, 'one copy per remote member');
    assert.equal(await countOverImap(b, 'alice@example.test', USERS[0].password, 'INBOX', subject), 1, "one copy in alice's INBOX");
  }

  before(async () => {
    cluster = await startPostgres('tegami_serve_lists');
    sink = await startSink({});
    dns = await startDnsServer({ zones: [] });
    a = await startTestServer({ dataDir: dataDir('a'), listeners: ['smtp', 'imap'], hostname: 'a.example.test', toml: toml('node-a'), users: USERS });
    b = await startTestServer({ dataDir: dataDir('b'), listeners: ['smtp', 'imap', 'admin'], hostname: 'b.example.test', toml: toml('node-b') });
    cli(a, ['list', 'create', LIST]);
    cli(a, ['list', 'set', LIST, '--admin', 'moder@example.test']);
    cli(a, ['list', 'add', LIST, 'alice@example.test', ...REMOTE_MEMBERS]);
    await inCopyOfB('the list, its members and moderator', "SELECT (SELECT COUNT(*) FROM list_members WHERE list = 'team@example.test') + (SELECT COUNT(*) FROM list_admins WHERE list = 'team@example.test') AS n", 4);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await sink?.close();
    await dns?.close();
    await cluster?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the same post (one Message-ID) sent through both nodes at once is distributed once', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const subject = 'twice through two nodes';
    const msgid = '<same-post-1@remote.test>';
    await Promise.all([post(a, 'carol@remote.test', LIST, subject, msgid), post(b, 'carol@remote.test', LIST, subject, msgid)]);
    const key = crypto.createHash('sha256').update(`id:${msgid}`).digest('hex').slice(0, 32);
    // each node has decided: one distributed it, the other found it distributed (or lost the race to record it)
    await until('both nodes handled the post', () => lines(new RegExp(`list-(distributed|duplicate) .*post_key=${key}`)).length >= 2, 120_000);
    assert.equal(lines(new RegExp(`list-distributed .*post_key=${key}`)).length, 1, `one distribution: ${lines(new RegExp(key)).join('\n')}`);
    await distributedOnce(subject);
  });

  it('a post held on node A is listed and approved through node B (a reply to the notice, the CLI, the admin API), and distributed once', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    // 1. approved by the moderator's reply, sent through node B
    await post(a, 'stranger@remote.test', LIST, 'held on A, approved by mail on B');
    await until('the post listed by node B\'s CLI', () => cli(b, ['list', 'pending', LIST]).includes('held on A, approved by mail on B'), 120_000);
    assert.equal(atSink('held on A, approved by mail on B').length, 0, 'nothing distributed while held');
    let notice = '';
    await until('the moderation notice in moder\'s INBOX', async () => {
      const r = await run('python3', ['-c', FETCH, b.host, String(b.ports.imap), 'moder@example.test', USERS[1].password, 'approved by mail on B']);
      notice = r.stdout;
      return /held for approval/.test(notice);
    }, 60_000);
    const approve = /^Reply-To: <([^>]+)>/m.exec(notice)?.[1];
    assert.match(approve ?? '', /^team-request\+approve-[a-z2-7]{10}-[a-z2-7]{16}@example\.test$/);
    await post(b, 'moder@example.test', approve!, 'Re: approved');
    await distributedOnce('held on A, approved by mail on B');
    assert.equal(lines(/list-moderated .*decision=approve/).length, 1);

    // 2. approved with node B's CLI: one node's housekeeping carries it out
    await post(a, 'stranger@remote.test', LIST, 'held on A, approved by the CLI on B');
    let id = '';
    await until('the second post listed by node B\'s CLI', () => {
      id = cli(b, ['list', 'pending', LIST]).split('\n').find((l) => l.includes('approved by the CLI on B'))?.split('\t')[0] ?? '';
      return !!id;
    }, 30_000);
    assert.match(cli(b, ['list', 'approve', LIST, id]), /approved/);
    await distributedOnce('held on A, approved by the CLI on B');
    assert.equal(lines(new RegExp(`list-moderated .*held_id=${id}`)).length, 1, 'carried out by one node');

    // 3. approved with node B's admin API (curl, an API token made with node A's CLI)
    if (!requireCommand(t, 'curl')) return;
    const token = cli(a, ['admin', 'token', 'create', 'boss@example.test']).trim();
    await post(a, 'stranger@remote.test', LIST, 'held on A, approved by the admin API of B');
    const api = async (method: string, url: string) => {
      const r = await run('curl', ['-sk', '-X', method, '-H', `Authorization: Bearer ${token}`, '-w', '\n%{http_code}', `https://127.0.0.1:${b.ports.admin}${url}`]);
      const nl = r.stdout.lastIndexOf('\n');
      return { status: Number(r.stdout.slice(nl + 1)), body: r.stdout.slice(0, nl) };
    };
    let held: { id: string; subject: string }[] = [];
    await until("the post in node B's GET /api/v1/lists/…/held", async () => {
      const r = await api('GET', `/api/v1/lists/${LIST}/held`);
      held = r.status === 200 ? (JSON.parse(r.body) as { held: { id: string; subject: string }[] }).held : [];
      return held.some((h) => h.subject.includes('admin API of B'));
    }, 30_000);
    const hid = held.find((h) => h.subject.includes('admin API of B'))!.id;
    const r = await api('POST', `/api/v1/lists/${LIST}/held/${hid}/approve`);
    assert.equal(r.status, 200, r.body);
    await distributedOnce('held on A, approved by the admin API of B');
    assert.equal(lines(new RegExp(`list-moderated .*held_id=${hid}`)).length, 1, 'carried out by one node');
    assert.equal(cli(a, ['list', 'pending', LIST]), '', 'nothing held any more, on either node');
  });

  it('an archived post is in the shared store: #lists/ shows it over IMAP on the other node, once', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    cli(b, ['list', 'set', LIST, '--archive']);
    const archiving = (srv: TestServer) => () => {
      const copy = new Database(path.join(srv.dataDir, 'tegami.db'), { readonly: true });
      try {
        return (copy.prepare("SELECT archive FROM lists WHERE address = 'team@example.test'").get() as { archive: number }).archive === 1;
      } finally {
        copy.close();
      }
    };
    await until("archiving on in node A's copy", archiving(a), 120_000);
    await post(a, 'carol@remote.test', LIST, 'kept in the archive 保存', '<archived-1@remote.test>');
    await distributedOnce('kept in the archive 保存');
    // the moderator reads the archive through node B; node A distributed (and archived) the post
    await until('the post in #lists/ on node B', async () => (await countOverImap(b, 'moder@example.test', USERS[1].password, `#lists/${LIST}`, 'kept in the archive')) === 1, 120_000);
    assert.ok(!fs.existsSync(path.join(a.dataDir, 'lists', 'example.test', 'team', 'archive')), "nothing in node A's archive Maildir");
    // the same post again (same Message-ID) through node B: no second copy anywhere
    await post(b, 'carol@remote.test', LIST, 'kept in the archive 保存', '<archived-1@remote.test>');
    await until('node B found it distributed', () => lines(/list-duplicate /).length >= 2, 120_000);
    assert.equal(await countOverImap(a, 'moder@example.test', USERS[1].password, `#lists/${LIST}`, 'kept in the archive'), 1);
  });

  it("a sender whose two messages reach the two nodes gets one vacation answer (RFC 5230 :days)", async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const r = a.cli(['vacation', 'set', 'hanako@example.test', '--subject', '不在のお知らせ', '--days', '7'], '8月15日まで休暇中です。\nI am away until 15 August.\n');
    assert.equal(r.status, 0, r.stderr);
    await inCopyOfB('the vacation', "SELECT COUNT(*) AS n FROM vacations WHERE address = 'hanako@example.test' AND enabled = 1", 1);
    const replies = () => sink.messages.filter((m) => m.to.includes('friend@example.net') && /Auto-Submitted: auto-replied/i.test(m.raw.toString('latin1')));

    await post(a, 'friend@example.net', 'hanako@example.test', 'first, through node A');
    await until('the vacation answer at the sink', () => replies().length === 1, 120_000);
    await post(b, 'friend@example.net', 'hanako@example.test', 'second, through node B');
    await waitOverImap(a, 'hanako@example.test', USERS[2].password, 'second, through node B');
    await until('node B decided on the second message', () => lines(/vacation-(sent|skipped) /).length >= 2, 120_000);
    assert.equal(lines(/vacation-sent /).length, 1, lines(/vacation-/).join('\n'));
    assert.equal(lines(/vacation-skipped .*already-replied/).length, 1);
    assert.equal(replies().length, 1, 'one answer for both messages');
  });
});
