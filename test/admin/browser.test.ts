// The administration in a real browser: Debian's Chromium (headless, driven by playwright-core, never a
// downloaded browser) against a real `tegami serve` with [listen] admin, swaks sending the mail. In English and
// then in Japanese, the system admin adds a domain (DKIM key, DNS records) and users (a host admin, a list
// admin), imports a CSV with a bad line (preview, then the good lines only), edits the spam settings and sees
// the next message judged by the new threshold, opens relaying and holds and releases the queued message,
// finds its session in the logs, tests a DNSBL list (RFC 5782 test points on the lab DNS), checks a rule and
// downloads a backup. The host admin and the list admin then see only what is theirs (another domain's URL:
// 403). HTML in a full name, a subject and a log line renders as text; no CSP violation. A screenshot of each
// page goes to reports/admin/ after its expected text is checked. A moderated list: its list admin approves a
// held post (the subject an XSS payload), the member receives it, and the list admin makes an API token.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { dnsblZone } from '../../lab/dns/dnsbl.js';
import { startDnsServer, type DnsServer } from '../../lab/dns/server.js';
import { translator, type Lang } from '../../engine/web/i18n.js';
import { hasCommand, ROOT, run, startTestServer, type TestServer } from '../helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'reports', 'admin');
const BOSS = 'boss@example.test';
const PW = 'boss password 1';
const USER_PW = 'user password 1';
const HOSTILE = `<img src=x onerror="document.body.dataset.pwned=1"><script>document.body.dataset.pwned=2</script>`;

const skip = (!fs.existsSync(CHROMIUM) || !hasCommand('swaks')) && !process.env.CI ? 'chromium or swaks not installed' : false;

describe('administration in Chromium', { skip, timeout: 600_000 }, () => {
  let srv: TestServer;
  let dns: DnsServer;
  let profile: string;
  let browser: BrowserContext;
  const problems: string[] = [];
  const base = () => `https://127.0.0.1:${srv.ports.admin}`;

  before(async () => {
    dns = await startDnsServer({ zones: dnsblZone('bl.lab.test', { listed: ['192.0.2.99'] }) });
    srv = await startTestServer({
      listeners: ['smtp', 'admin'],
      users: [{ address: BOSS, password: PW, admin: true }, { address: 'alice@example.test', password: USER_PW }],
      // mail to remote.example waits in the queue (a closed port), so it can be held and released
      toml: ['[dns]', `servers = ["${dns.address}"]`, 'timeout = "1s"', '[[route]]', 'domain = "remote.example"', 'to = "127.0.0.1:9"'].join('\n'),
    });
    fs.mkdirSync(SHOTS, { recursive: true });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      ignoreHTTPSErrors: true,
      acceptDownloads: true,
      viewport: { width: 1200, height: 800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    browser.on('console', (m) => {
      if (m.type() === 'error' && !/status of 403|status of 400/.test(m.text())) problems.push(`${m.type()}: ${m.text()}`);
      if (/Content[- ]Security[- ]Policy|Refused to/i.test(m.text())) problems.push(`${m.type()}: ${m.text()}`);
    });
    browser.on('weberror', (e) => problems.push(`page error: ${e.error().message}`));
    browser.on('page', (p) => {
      p.on('dialog', (d) => {
        d.accept().catch(() => undefined);
      });
    });
  });

  after(async () => {
    await browser?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    await srv?.stop();
    await dns?.close();
  });

  async function newPage(lang: Lang): Promise<Page> {
    await browser.clearCookies();
    const page = await browser.newPage();
    await page.setExtraHTTPHeaders({ 'accept-language': lang === 'ja' ? 'ja-JP,ja;q=0.9' : 'en-GB,en;q=0.8' });
    return page;
  }

  async function login(page: Page, address: string, password: string): Promise<void> {
    await page.goto(`${base()}/`);
    assert.ok(page.url().endsWith('/login'), page.url());
    await page.fill('#login', address);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${base()}/`), page.click('form.login-form button[type="submit"]')]);
  }

  async function shot(page: Page, name: string, lang: Lang, expect: string): Promise<void> {
    const h1 = (await page.locator('main h1').first().textContent()) ?? '';
    assert.ok((await page.locator('main').textContent())!.includes(expect), `${name}: expected "${expect}" on the page (h1 "${h1}")`);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${lang}.png`), fullPage: true });
  }

  async function submit(page: Page, button: string): Promise<void> {
    await Promise.all([page.waitForNavigation(), page.click(button)]);
  }

  async function swaks(args: string[]): Promise<string> {
    const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--timeout', '30', ...args]);
    assert.equal(r.code, 0, r.stdout);
    return r.stdout;
  }

  for (const lang of ['en', 'ja'] as const) {
    it(`system admin, in ${lang === 'en' ? 'English' : 'Japanese'}: domain, users, CSV, spam threshold, relay and queue, logs, DNSBL, rules, backup`, async () => {
      const t = translator(lang);
      const domain = `shop-${lang}.example`;
      const page = await newPage(lang);
      await login(page, BOSS, PW);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      assert.equal(await page.locator('main h1').textContent(), t('dashboard.title'));
      assert.equal(await page.locator('table.services tr[data-service="admin"] .badge').textContent(), t('dashboard.up'));
      if (lang === 'ja') assert.equal(await page.locator('main h1').textContent(), 'ダッシュボード');
      await shot(page, 'dashboard', lang, t('dashboard.today'));

      // a domain, its DKIM key and the records it needs
      await page.goto(`${base()}/domains`);
      await page.fill('#f-domain', domain);
      await submit(page, 'form[action="/domains"] button[type="submit"]');
      assert.equal(await page.locator('p.notice').textContent(), t('domains.done.added'));
      await shot(page, 'domains', lang, domain);
      await page.goto(`${base()}/domains/${domain}`);
      await submit(page, `form[action="/domains/${domain}/dkim"] button[type="submit"]`);
      assert.match((await page.locator('#dkim-record').textContent()) ?? '', new RegExp(`\\._domainkey\\.${domain.replace(/\./g, '\\.')}\\. IN TXT "v=DKIM1; k=rsa; p=`));
      assert.equal(await page.locator('table.dns tr[data-kind="MX"]').getAttribute('data-state'), 'missing', 'the lab DNS has no MX for it');
      await shot(page, 'domain', lang, t('domains.dns.title'));

      // a host admin of the new domain (its full name is an XSS payload in English) and a list admin
      const hana = `hana-${lang}@${domain}`;
      await page.goto(`${base()}/users/new?domain=${domain}`);
      await page.fill('#f-address', hana);
      await page.fill('#f-password', USER_PW);
      await page.fill('#f-fullName', lang === 'en' ? HOSTILE : '山田 花子');
      await page.fill('#f-hostAdminOf', domain);
      await submit(page, 'form[action="/users/new"] button[type="submit"]');
      assert.equal(await page.locator('p.notice').textContent(), t('users.done.created'));
      assert.equal(await page.locator('#f-fullName').inputValue(), lang === 'en' ? HOSTILE : '山田 花子');
      await shot(page, 'user', lang, t('users.usage'));
      await page.goto(`${base()}/users/new?domain=example.test`);
      await page.fill('#f-address', `lena-${lang}@example.test`);
      await page.fill('#f-password', USER_PW);
      await page.fill('#f-listAdminOf', 'team@example.test');
      await submit(page, 'form[action="/users/new"] button[type="submit"]');
      // the list does not exist yet: refused next to the field, nothing made (the right comes with the list's
      // moderators below)
      assert.equal(await page.locator('#listAdminOf-error').textContent(), t('field.no-such-list', { address: 'team@example.test' }));
      await page.goto(`${base()}/users/new?domain=example.test`);
      await page.fill('#f-address', `lena-${lang}@example.test`);
      await page.fill('#f-password', USER_PW);
      await submit(page, 'form[action="/users/new"] button[type="submit"]');
      assert.equal(await page.locator('p.notice').textContent(), t('users.done.created'));
      // a bad field shows its error next to it
      await page.goto(`${base()}/users/new?domain=${domain}`);
      await page.fill('#f-address', `x@${domain}`); // too short a user part, and too short a password: both errors at once
      await page.fill('#f-password', 'x');
      await submit(page, 'form[action="/users/new"] button[type="submit"]');
      assert.equal(await page.locator('#password-error').textContent(), t('field.password-length', { min: 4, max: 30 }));
      assert.equal(await page.locator('#address-error').textContent(), t('field.local-length', { min: 4 }));
      await shot(page, 'user-new-error', lang, t('field.password-length', { min: 4, max: 30 }));

      // CSV import with one bad line: preview, nothing written, then the good lines only
      await page.goto(`${base()}/users/import`);
      await page.fill('#f-csv', `address,password,full_name\r\ncsv1-${lang}@${domain},${USER_PW},One\r\ncsv2-${lang}@${domain},x,Two\r\ncsv3-${lang}@${domain},${USER_PW},Three\r\n`);
      await submit(page, 'button[name="mode"][value="preview"]');
      assert.equal(await page.locator('#preview-summary').textContent(), t('users.import.summary', { good: 2, bad: 1 }));
      assert.equal(await page.locator('table.import-errors tr[data-line="3"]').count(), 1);
      assert.ok(await page.locator('button[name="mode"][value="all"]').isDisabled(), '"import all" is off while a line is bad');
      await shot(page, 'users-import', lang, t('users.import.preview'));
      await submit(page, 'button[name="mode"][value="good-only"]');
      assert.equal(await page.locator('p.notice').textContent(), t('users.done.imported'));
      assert.equal(await page.locator(`tr[data-address="csv1-${lang}@${domain}"]`).count(), 1);
      assert.equal(await page.locator(`tr[data-address="csv2-${lang}@${domain}"]`).count(), 0);
      await shot(page, 'users', lang, `csv3-${lang}@${domain}`);

      // spam settings: the next message is judged by the new threshold
      await page.goto(`${base()}/settings/spam`);
      await page.fill('[name="spam.spam_threshold"]', 'abc');
      await submit(page, 'form.settings button[type="submit"]');

      assert.match((await page.locator('[id="spam.spam_threshold-error"]').textContent()) ?? '', new RegExp(t('field.setting-type', { detail: '' }).trim().slice(0, 6)));
      await page.fill('[name="spam.spam_threshold"]', '4');
      await page.fill('[name="spam.phrases"]', '限定セール');
      await submit(page, 'form.settings button[type="submit"]');
      assert.equal(await page.locator('p.notice').textContent(), t('settings.saved'));
      await shot(page, 'settings-spam', lang, t('settings.spam.title'));
      await swaks(['--from', 'shop@sender.example', '--to', 'alice@example.test', '--header', `Subject: browser-${lang}-four`, '--body', '本日限定セールのお知らせです。']);
      const spam = fs.readFileSync(await srv.waitForMessage('alice@example.test', `browser-${lang}-four`, 120_000, 'Spam'), 'utf8');
      assert.match(spam, /X-IMAIL-SPAM: score=5(\.0)? threshold=4(\.0)? verdict=spam/);
      await page.fill('[name="spam.spam_threshold"]', '6');
      await submit(page, 'form.settings button[type="submit"]');
      await swaks(['--from', 'shop@sender.example', '--to', 'alice@example.test', '--header', `Subject: browser-${lang}-six`, '--body', '本日限定セールのお知らせです。']);
      const ham = fs.readFileSync(await srv.waitForMessage('alice@example.test', `browser-${lang}-six`, 120_000), 'utf8');
      assert.match(ham, /threshold=6(\.0)? verdict=ham/);

      // relay for 127.0.0.1, then hold and release the queued message (its subject is an XSS payload)
      await page.goto(`${base()}/settings/relay`);
      await page.selectOption('[name="relay.mode"]', 'addresses');
      await page.fill('[name="relay.allow_ips"]', '127.0.0.1/32');
      await submit(page, 'form.settings button[type="submit"]');
      assert.equal(await page.locator('p.notice').textContent(), t('settings.saved'));
      await shot(page, 'settings-relay', lang, t('settings.relay.title'));
      const sent = await swaks(['--from', 'alice@example.test', '--to', `far-${lang}@remote.example`, '--header', `Subject: ${HOSTILE} ${lang}`]);
      const id = /queued as (\w+)/.exec(sent)![1];
      await page.goto(`${base()}/queue`);
      await page.locator(`tr[data-id="${id}"]`).waitFor({ timeout: 30_000 });
      await shot(page, 'queue', lang, id);
      await submit(page, `tr[data-id="${id}"] form[action="/queue/${id}/hold"] button`);
      assert.equal(await page.locator('#msg-state').textContent(), t('queue.states.hold'));
      assert.ok(((await page.locator('#msg-headers').textContent()) ?? '').includes(`Subject: ${HOSTILE} ${lang}`), 'the header shows as text');
      assert.equal(await page.locator('main img').count(), 0);
      await shot(page, 'queue-message', lang, t('queue.headers'));
      await submit(page, `form[action="/queue/${id}/release"] button`);
      assert.notEqual(await page.locator('#msg-state').textContent(), t('queue.states.hold'));

      // the logs: that message's session, found by its queue id
      await page.goto(`${base()}/logs?service=smtp`);
      await page.fill('#l-q', id);
      await submit(page, 'form.filters button[type="submit"]');
      const lines = await page.locator('ol.log-lines li').allTextContents();
      assert.ok(lines.some((l) => l.includes(`id=${id}`) && l.includes('queued')), lines.join('\n'));
      const sid = /sid=(\S+)/.exec(lines.find((l) => l.includes('queued'))!)![1];
      await page.fill('#l-q', sid);
      await submit(page, 'form.filters button[type="submit"]');
      const session = await page.locator('ol.log-lines li').allTextContents();
      assert.ok(session.some((l) => / connect /.test(l)) && session.some((l) => / disconnect /.test(l)), `the whole session: ${session.join('\n')}`);
      await shot(page, 'logs', lang, sid);

      // a DNSBL list, tested against its RFC 5782 test points on the lab DNS
      await page.goto(`${base()}/settings/dnsbl`);
      const row = page.locator('table.dnsbl tbody tr').last();
      await row.locator('input[name$=".name"]').fill(`lab-${lang}`);
      await row.locator('input[name$=".query_domain"]').fill('bl.lab.test');
      await submit(page, 'form.settings button.primary');
      assert.equal(await page.locator('p.notice').textContent(), t('settings.saved'));
      await submit(page, `tr[data-list="lab-${lang}"] button[name="test"]`);
      assert.equal(await page.locator('section.dnsbl-test').getAttribute('data-ok'), 'true');
      await shot(page, 'settings-dnsbl', lang, t('settings.dnsbl.testOk'));

      // a domain rule, checked by the Sieve parser
      await page.goto(`${base()}/rules/example.test`);
      await page.fill('[name="r.0.c.0.value"]', '限定');
      await page.fill('[name="r.0.arg"]', 'Junk');
      await submit(page, 'form.rules button[type="submit"]');
      assert.match((await page.locator('#compiled').textContent()) ?? '', /fileinto "Junk"/);
      await page.fill('#f-script', 'if header :contains "subject" "x" { fileinto "Junk" }');
      await submit(page, 'form[action="/rules/example.test/raw"] button[type="submit"]');
      assert.match((await page.locator('p.field-error[data-field="script"]').textContent()) ?? '', /^(Line|\d+行目)/);
      await shot(page, 'rules', lang, t('rules.raw'));

      // a backup, downloaded
      await page.goto(`${base()}/backup`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('form[action="/backup"] button[type="submit"]')]);
      const file = path.join(srv.dir, `backup-${lang}.tar.gz`);
      await download.saveAs(file);
      assert.ok(fs.statSync(file).size > 1000);
      await page.goto(`${base()}/backup`);
      // a download is shown apart from the last backup `tegami backup` made (none here)
      assert.equal(await page.locator('#last-download dd').last().textContent(), BOSS);
      assert.equal(await page.locator('p#last-backup').textContent(), t('backup.never'));
      await shot(page, 'backup', lang, t('backup.lastDownload'));
      await page.close();
    });
  }

  it('the host admin sees only its domain; another domain\'s URL is 403; its XSS name is text', async () => {
    const t = translator('en');
    const page = await newPage('en');
    await login(page, 'hana-en@shop-en.example', USER_PW);
    assert.equal(await page.locator('form.logout .who').textContent(), HOSTILE);
    assert.equal(await page.evaluate<string | null>('document.body.dataset.pwned ?? null'), null, 'nothing ran');
    const nav = await page.locator('header nav a').allTextContents();
    assert.ok(!nav.includes(t('nav.settings')) && !nav.includes(t('nav.queue')), nav.join(','));
    await page.goto(`${base()}/users`);
    assert.ok(page.url().endsWith('/users?domain=shop-en.example'), page.url());
    assert.equal(await page.locator('tr[data-address]').count() >= 3, true);
    for (const url of ['/users?domain=example.test', '/users/alice@example.test', '/domains/example.test', '/settings/spam', '/queue', '/logs']) {
      const r = await page.goto(`${base()}${url}`);
      assert.equal(r?.status(), 403, url);
    }
    await shot(page, 'forbidden', 'en', t('error.403'));
    await page.close();
  });

  it('a moderated list: the system admin makes it, its list admin approves a held post, the member gets it', async () => {
    const sys = await newPage('en');
    await login(sys, BOSS, PW);
    await sys.goto(`${base()}/lists`);
    await sys.fill('#f-address', 'team@example.test');
    await submit(sys, 'form[action="/lists"] button[type="submit"]');
    assert.equal(await sys.locator('main h1').textContent(), 'team@example.test');
    await sys.check('#f-moderated');
    await sys.fill('#f-moderators', 'lena-ja@example.test');
    await submit(sys, 'form[action="/lists/team@example.test"] button.primary');
    await sys.fill('#f-members', 'alice@example.test');
    await submit(sys, 'form[action="/lists/team@example.test/members"] button.primary');
    assert.equal(await sys.locator('tr[data-member="alice@example.test"]').count(), 1);
    await sys.close();
    await swaks(['--from', 'alice@example.test', '--to', 'team@example.test', '--header', `Subject: ${HOSTILE} held-for-approval`, '--body', 'Please approve me.']);

    const page = await newPage('ja');
    await login(page, 'lena-ja@example.test', USER_PW);
    const t = translator('ja');
    assert.deepEqual(await page.locator('header nav a').allTextContents(), [t('nav.dashboard'), t('nav.lists')]);
    assert.equal((await page.goto(`${base()}/users`))?.status(), 403);
    await page.goto(`${base()}/lists/team@example.test`);
    const held = page.locator('table.held tbody tr');
    for (let i = 0; i < 100 && (await held.count()) === 0; i++) {
      await new Promise((r) => setTimeout(r, 300));
      await page.reload();
    }
    assert.ok(((await held.first().locator('td').nth(1).textContent()) ?? '').includes(`${HOSTILE} held-for-approval`), 'the subject shows as text');
    assert.equal(await page.locator('main img').count(), 0);
    await shot(page, 'list', 'ja', t('lists.moderation'));
    await submit(page, 'table.held form[action$="/approve"] button');
    assert.equal(await page.locator('p.notice').textContent(), t('lists.done.approve'));
    await srv.waitForMessage('alice@example.test', 'held-for-approval', 120_000);
    await page.goto(`${base()}/lists`);
    await shot(page, 'lists', 'ja', 'team@example.test');
    // its own API token, made from the dashboard's link, works on the lists it administers
    await page.goto(`${base()}/`);
    await Promise.all([page.waitForURL(`${base()}/tokens`), page.click('p.tokens-link a')]);
    await page.fill('#f-label', '夜間スクリプト');
    await submit(page, 'form[action="/tokens"] button[type="submit"]');
    const token = (await page.locator('#new-token').textContent()) ?? '';
    await shot(page, 'tokens', 'ja', t('tokens.new'));
    const api = await page.request.get(`${base()}/api/v1/lists`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(api.status(), 200);
    assert.deepEqual(((await api.json()) as { lists: { address: string }[] }).lists.map((l) => l.address), ['team@example.test']);
    await page.close();
  });

  it('a hostile login name in the audit log renders as text on the logs page', async () => {
    const page = await newPage('en');
    await page.goto(`${base()}/login`);
    await page.fill('#login', `${HOSTILE}@x.test`);
    await page.fill('#password', 'wrong');
    await page.click('form.login-form button[type="submit"]');
    await page.waitForLoadState('load');
    await login(page, BOSS, PW);
    await page.goto(`${base()}/logs?service=admin&q=onerror`);
    const text = (await page.locator('ol.log-lines').textContent()) ?? '';
    assert.ok(text.includes('<img src=x onerror='), text);
    assert.equal(await page.locator('main img').count(), 0);
    assert.equal(await page.evaluate<string | null>('document.body.dataset.pwned ?? null'), null);
    await page.close();
  });

  it('reported no CSP violation, console error or page error', () => {
    assert.deepEqual(problems, []);
  });
});
