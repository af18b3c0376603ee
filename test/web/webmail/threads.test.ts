// The threads view of the message list over inject(), on the real JMAP service and Maildir store: conversations
// grouped by JMAP threadId with their count, newest date and unread state; a thread expanded to its emails; the
// threads/messages toggle remembered in a cookie; paging and sorting counting threads; a thread's checkbox acting
// on every email of it; another user's thread id refused and left alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jmapFixture, message, OTHER, PASSWORD, USER, type JmapFixture } from '../../jmap/helpers.js';
import { Browser } from '../helpers.js';

let f: JmapFixture;
before(async () => {
  f = await jmapFixture({ webmail: true });
});
after(() => f.close());

async function signedIn(user = USER, lang = 'en'): Promise<Browser> {
  const b = new Browser(f.app, { 'accept-language': lang });
  const r = await b.login(user, PASSWORD);
  assert.equal(r.statusCode, 303, r.body.slice(0, 300));
  return b;
}

async function folder(name: string, user = USER): Promise<string> {
  const list = (await f.call('Mailbox/get', { ids: null }, { user })).args.list as { id: string; name: string }[];
  const found = list.find((m) => m.name === name);
  if (found) return found.id;
  const r = await f.call('Mailbox/set', { create: { a: { name, parentId: null } } }, { user });
  return (r.args.created as Record<string, { id: string }>).a.id;
}

/** A conversation of n messages (each answering the one before) in a folder; the first `read` are seen. */
async function conversation(box: string, tag: string, n: number, read: number, user = USER): Promise<void> {
  for (let i = 0; i < n; i++) {
    const refs = Array.from({ length: i }, (_, k) => `<${tag}-${k}@example.org>`).join(' ');
    const raw = message({
      subject: i === 0 ? `${tag} 打ち合わせ` : `Re: ${tag} 打ち合わせ`,
      from: i % 2 ? 'Hanako <hanako@example.org>' : 'Taro <taro@example.org>',
      messageId: `${tag}-${i}@example.org`,
      extra: i ? [`In-Reply-To: <${tag}-${i - 1}@example.org>`, `References: ${refs}`] : [],
    });
    await f.store.append(user, box, raw, { flags: i < read ? ['\\Seen'] : [], internalDate: Date.UTC(2025, 6, 1, 10, i) });
  }
}

const threadRows = (body: string) => [...body.matchAll(/<tr class="thread (unread|read)[^"]*" data-thread="([^"]+)" data-count="(\d+)">/g)].map((m) => ({ unread: m[1] === 'unread', id: m[2], count: Number(m[3]) }));

describe('the threads view', () => {
  it('groups a folder by conversation, remembers the choice, expands a thread, and marks a whole thread', async () => {
    await folder('Project');
    await conversation('Project', 'alpha', 3, 1);
    await conversation('Project', 'beta', 2, 2);
    await f.store.append(USER, 'Project', message({ subject: 'single note', messageId: 'single@example.org' }), { flags: ['\\Seen'], internalDate: Date.UTC(2025, 6, 1, 9) });
    const mb = await folder('Project');
    const b = await signedIn();

    const messages = await b.get(`/mail?mb=${mb}`);
    assert.equal((messages.body.match(/<tr class="(unread|read)" data-id=/g) ?? []).length, 6, 'messages view by default');
    const threaded = await b.get(`/mail?mb=${mb}&view=threads`);
    assert.equal(threaded.statusCode, 200);
    assert.ok(threaded.cookies.some((c) => c.name === '__Host-tegami-list-view' && c.value === 'threads' && c.secure && c.httpOnly), 'the choice is remembered');
    const rows = threadRows(threaded.body);
    assert.deepEqual(rows.map((r) => [r.count, r.unread]), [[3, true], [2, false], [1, false]]);
    assert.match(threaded.body, /Page 1 of 1 \(3 conversations\)/);
    assert.match(threaded.body, /<a class="thread-count" [^>]*aria-expanded="false">3 messages<\/a>/);
    assert.match(threaded.body, /<td class="from">Taro, Hanako<\/td>/);
    assert.match(threaded.body, /aria-current="true" data-view="threads"/);

    // remembered: the next list without ?view is threads too, until the user switches back
    assert.equal(threadRows((await b.get(`/mail?mb=${mb}`)).body).length, 3);
    const expanded = await b.get(`/mail?mb=${mb}&thread=${rows[0].id}`);
    assert.equal((expanded.body.match(/<tr class="(unread|read) member" data-id=/g) ?? []).length, 3, 'the thread open with its three emails');
    assert.match(expanded.body, /aria-expanded="true"/);

    // the thread's checkbox acts on every email of it
    const act = await b.post('/mail/act', { thread: rows[0].id, op: 'read', back: `/mail?mb=${mb}` });
    assert.equal(act.statusCode, 303);
    assert.deepEqual(threadRows((await b.get(`/mail?mb=${mb}`)).body).map((r) => r.unread), [false, false, false]);

    const back = await b.get(`/mail?mb=${mb}&view=messages`);
    assert.equal(threadRows(back.body).length, 0);
    assert.equal((back.body.match(/<tr class="(unread|read)" data-id=/g) ?? []).length, 6);
    assert.equal(threadRows((await b.get(`/mail?mb=${mb}`)).body).length, 0, 'messages remembered now');
  });

  it('pages and sorts by thread: 55 conversations make two pages', async () => {
    const mb = await folder('Many');
    for (let i = 0; i < 53; i++) await f.store.append(USER, 'Many', message({ subject: `many ${String(i).padStart(2, '0')}` }), { internalDate: Date.UTC(2025, 5, 1, 0, i) });
    await conversation('Many', 'gamma', 4, 0);
    await conversation('Many', 'delta', 2, 0);
    const b = await signedIn(USER, 'ja');
    const p0 = await b.get(`/mail?mb=${mb}&view=threads`);
    assert.equal(threadRows(p0.body).length, 50);
    assert.match(p0.body, /rel="next" href="\/mail\?mb=[^"]*&amp;page=1"/);
    assert.match(p0.body, /スレッド/);
    const p1 = await b.get(`/mail?mb=${mb}&page=1`);
    assert.equal(threadRows(p1.body).length, 5);
    const bySubject = threadRows((await b.get(`/mail?mb=${mb}&sort=subject`)).body);
    assert.equal(bySubject.length, 50);
    const first = /<tr class="thread [^"]*" data-thread="[^"]+" data-count="\d+">[\s\S]*?<td class="subject"><a [^>]*>([^<]*)</.exec((await b.get(`/mail?mb=${mb}&sort=subject`)).body)![1];
    assert.match(first, /^Re: delta|^delta/);
  });

  it('refuses another user\'s thread id and leaves it alone', async () => {
    await conversation('INBOX', 'theirs', 2, 0, OTHER);
    const t = await f.call('Email/query', { filter: { text: 'theirs' } }, { user: OTHER });
    const g = await f.call('Email/get', { ids: t.args.ids, properties: ['threadId', 'keywords'] }, { user: OTHER });
    const tid = (g.args.list as { threadId: string }[])[0].threadId;
    const b = await signedIn();
    await b.get('/mail');
    const act = await b.post('/mail/act', { thread: tid, op: 'read', back: '/mail' });
    assert.equal(act.statusCode, 404);
    const after = await f.call('Email/get', { ids: t.args.ids, properties: ['keywords'] }, { user: OTHER });
    assert.ok((after.args.list as { keywords: Record<string, boolean> }[]).every((e) => !e.keywords.$seen));
  });
});
