// Every admin page in Japanese and in English, over inject() with a cookie session: each GET page route (with
// data on it: a queued message, a held list post, a log file, a rule) is rendered for Accept-Language ja and en.
// In Japanese no English sentence may show outside user data (the message headers, log lines, addresses, form
// values): a run of three English words in the page text is a string that was never translated. The held
// post's reason (written by the list engine in English) shows in the page's language. The table must name
// every GET page route, so a new page cannot skip this test.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { holdReason, UNPROVEN_REASON } from '../../engine/lists/post.js';
import { UNPROVEN_AUTHOR } from '../../engine/lists/moderation.js';
import { SqliteActivity } from '../../engine/lists/activity.js';
import type { MailingList } from '../../engine/accounts/list-directory.js';
import { translator } from '../../engine/web/i18n.js';
import { Browser, PASSWORD } from '../web/helpers.js';
import { adminFixture, adminRoutes, ROLES, type AdminFixture } from './fixture.js';

/** The text a reader sees, without user data: tags, scripts, preformatted blocks, form values, log lines. */
function visibleText(page: string): string {
  return page
    .replace(/<head>[\s\S]*?<\/head>/, ' ')
    .replace(/<(script|pre|textarea|code|ol class="log-lines")[^>]*>[\s\S]*?<\/(script|pre|textarea|code|ol)>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;|&#34;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/** Runs of three or more English words (a sentence left in English), addresses and host names aside. */
function englishRuns(text: string): string[] {
  const words = text.replace(/\S*[@/]\S*|\S+\.[a-z]{2,}\S*/g, ' | ');
  return [...words.matchAll(/\b[A-Za-z][a-z']+(?:,? [A-Za-z][a-z']+){2,}\b/g)].map((m) => m[0]);
}

describe('admin pages in Japanese and English', () => {
  let f: AdminFixture;
  let queued = '';
  const lang = {} as Record<'ja' | 'en', Browser>;
  const reasons: string[] = [];

  before(async () => {
    f = await adminFixture();
    await f.directory.addUser({ address: 'member@example.org', password: PASSWORD, fullName: 'Member' });
    f.directory.addAlias('sales@example.org', ['member@example.org']);
    queued = await f.queueMessage({ subject: 'a queued message' });
    f.writeLog('smtp', '20261205', ['2026-12-05T09:00:00.000Z INFO connect sid=abc ip=192.0.2.7 the whole line in English']);
    f.directory.lists.createList('team@example.org');
    f.directory.lists.addMember('team@example.org', 'member@example.org');
    // a held post for each reason the list engine gives, in its own words
    const list = { ...f.directory.lists.list('team@example.org')!, maxSize: 100 } as MailingList;
    const rt = (admins: string[], member: boolean) => ({ lists: { admins: () => admins, member: () => member } }) as unknown as Parameters<typeof holdReason>[0];
    const poster = { poster: 'p@x.test', mailFrom: 'p@x.test', size: 10, spam: false };
    reasons.push(
      holdReason(rt([], true), list, { ...poster, spam: true })!,
      holdReason(rt([], true), list, { ...poster, size: 500 })!,
      holdReason(rt([], true), { ...list, post: 'moderators' }, poster)!,
      holdReason(rt([], false), { ...list, post: 'members' }, poster)!,
      holdReason(rt([], true), { ...list, post: 'anyone', moderated: true }, poster)!,
      // the reasons receivePost gives a post from our own domains without a login, and with a forged author added
      UNPROVEN_REASON,
      `${UNPROVEN_REASON}; ${UNPROVEN_AUTHOR}`,
    );
    const activity = new SqliteActivity(f.db);
    reasons.forEach((reason, i) =>
      activity.hold({ id: String.fromCharCode(97 + i).repeat(10), list: 'team@example.org', postKey: `k${i}`, sender: 'p@x.test', mailFrom: 'p@x.test', subject: `#${i}`, size: 10, reason, created: Date.now(), expires: Date.now() + 86_400_000 }),
    );
    for (const l of ['ja', 'en'] as const) {
      lang[l] = new Browser(f.admin, { 'accept-language': l === 'ja' ? 'ja-JP,ja;q=0.9' : 'en-GB,en;q=0.8' });
      assert.equal((await lang[l].login(ROLES.system, PASSWORD)).statusCode, 303);
    }
  });
  after(() => f?.close());

  const pages = (): { url: string; route: string }[] => [
    { url: '/', route: '/' },
    { url: '/domains', route: '/domains' },
    { url: '/domains/example.org', route: '/domains/:domain' },
    { url: '/users?domain=example.org', route: '/users' },
    { url: '/users/new?domain=example.org', route: '/users/new' },
    { url: '/users/member@example.org', route: '/users/:address' },
    { url: '/users/member@example.org/send-limit', route: '/users/:address/send-limit' },
    { url: '/users/import', route: '/users/import' },
    { url: '/aliases?domain=example.org', route: '/aliases' },
    { url: '/lists', route: '/lists' },
    { url: '/lists/team@example.org', route: '/lists/:list' },
    { url: '/rules/example.org', route: '/rules/:domain' },
    { url: '/settings/relay', route: '/settings/:group' },
    { url: '/settings/smtp', route: '/settings/:group' },
    { url: '/settings/spam', route: '/settings/:group' },
    { url: '/settings/dnsbl', route: '/settings/:group' },
    { url: '/queue', route: '/queue' },
    { url: `/queue/${queued}`, route: '/queue/:id' },
    { url: '/logs?service=smtp&day=20261205', route: '/logs' },
    { url: '/backup', route: '/backup' },
    { url: '/tokens', route: '/tokens' },
    { url: '/login', route: '/login' },
    { url: '/queue/ZZZZZZZZZZZZ', route: '/queue/:id' }, // 404 page
  ];

  it('renders every page in Japanese with no English sentence left, and in English', async () => {
    const left: string[] = [];
    for (const p of pages()) {
      for (const l of ['ja', 'en'] as const) {
        const b = p.url === '/login' ? new Browser(f.admin, lang[l].headers) : lang[l];
        const r = await b.get(p.url);
        assert.ok([200, 404].includes(r.statusCode), `${l} ${p.url}: ${r.statusCode}`);
        assert.match(r.body, new RegExp(`<html lang="${l}">`), `${l} ${p.url}`);
        if (l === 'ja') for (const run of englishRuns(visibleText(r.body))) left.push(`${p.url}: "${run}"`);
      }
    }
    assert.deepEqual(left, []);
  });

  it('shows a held post\'s reason in the page\'s language', async () => {
    for (const l of ['ja', 'en'] as const) {
      const t = translator(l);
      const body = (await lang[l].get('/lists/team@example.org')).body;
      const shown = [...body.matchAll(/<td class="reason"[^>]*>([^<]*)<\/td>/g)].map((m) => m[1].replace(/&gt;/g, '>').replace(/&#39;/g, "'"));
      assert.equal(shown.length, reasons.length, body.slice(0, 300));
      assert.deepEqual(shown.sort(), [
        t('lists.reasons.spam'),
        t('lists.reasons.size', { size: '500', max: '100' }),
        t('lists.reasons.moderators'),
        t('lists.reasons.member'),
        t('lists.reasons.moderated'),
        t('lists.reasons.unproven'),
        `${t('lists.reasons.unproven')} ${t('lists.reasons.unprovenAuthor')}`,
      ].sort());
    }
  });

  it('names every GET page route', () => {
    const routes = new Set(adminRoutes(f.admin).filter((r) => r.method === 'GET' && !r.path.startsWith('/api/') && !r.path.startsWith('/static/')).map((r) => r.path));
    // redirects and a download, not pages
    const notPages = new Set(['/settings', '/rules', '/users/export.csv']);
    const named = new Set(pages().map((p) => p.route));
    assert.deepEqual([...routes].filter((r) => !named.has(r) && !notPages.has(r)), []);
  });
});
