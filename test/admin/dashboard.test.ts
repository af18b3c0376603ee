// The dashboard (the services page of the administration) over inject(): the services with their listeners
// up or down, today's traffic counted from log lines written by the real Logger (received, delivered, sent,
// bounced, spam verdicts by action), the queue's size and oldest age, and the latest error lines (HTML in
// them shown as text), in English and Japanese, and the same figures from GET /api/v1/dashboard. Lines
// written later are counted on the next load. A host admin sees its domains, not the server's figures.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '../../engine/log/logger.js';
import { translator } from '../../engine/web/i18n.js';
import { Browser, PASSWORD } from '../web/helpers.js';
import { adminFixture, json, ROLES, type AdminFixture } from './fixture.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

/** The figures of the dashboard page: data-figure and data-verdict values, as shown. */
function figures(page: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of page.matchAll(/<dd data-(?:figure|verdict)="([a-z-]+)">([^<]*)<\/dd>/g)) out[m[1]] = m[2];
  return out;
}

async function writeLines(dir: string, write: (l: Logger) => void): Promise<void> {
  const logger = new Logger({ dir, stdout: false });
  write(logger);
  await logger.close();
}

describe('dashboard: services, today, queue, errors', () => {
  let f: AdminFixture;
  const b = {} as Record<'en' | 'ja' | 'host', Browser>;

  before(async () => {
    f = await adminFixture();
    f.svc.status = {
      listeners: () => [
        { name: 'smtp', address: '0.0.0.0:25', up: true },
        { name: 'imap', address: '0.0.0.0:143', up: false },
        { name: 'admin', address: '127.0.0.1:8181', up: true },
      ],
    };
    await writeLines(f.logsDir, (l) => {
      for (let i = 0; i < 2; i++) l.info('smtp', 'queued', { sid: `s${i}`, id: `q${i}`, from: 'a@x.test', rcpts: 1, size: 10 });
      for (let i = 0; i < 3; i++) l.info('delivery', 'delivered', { id: `q${i}`, to: 'user@example.com', rcpt: 'user@example.com', folder: 'INBOX' });
      l.info('delivery', 'sent', { id: 'q9', rcpt: 'far@remote.test' });
      l.warn('delivery', 'bounced', { id: 'q8', rcpt: 'gone@remote.test' });
      l.info('delivery', 'verdict', { id: 'q0', stage: 'inbound', score: 9, tags: 'BAYES', action: 'spam' });
      l.info('delivery', 'verdict', { id: 'q1', stage: 'inbound', score: 8, tags: 'BAYES', action: 'spam' });
      l.info('delivery', 'verdict', { id: 'q2', stage: 'inbound', score: 0, tags: '', action: 'inbox' });
      l.log('delivery', 'remote-failed', { id: 'q7', error: `${HOSTILE} refused` }, 'error');
    });
    await f.queueMessage({ subject: 'waiting' });
    await f.queueMessage({ subject: 'held', held: true });
    for (const k of ['en', 'ja', 'host'] as const) {
      b[k] = new Browser(f.admin, { 'accept-language': k === 'ja' ? 'ja' : 'en' });
      assert.equal((await b[k].login(k === 'host' ? ROLES.host : ROLES.system, PASSWORD)).statusCode, 303);
    }
  });
  after(() => f?.close());

  it('shows each service with its listener, up or down, in the page\'s language', async () => {
    for (const lang of ['en', 'ja'] as const) {
      const t = translator(lang);
      const page = (await b[lang].get('/')).body;
      const rows = [...page.matchAll(/<tr data-service="([a-z]+)"><td>[^<]*<\/td><td><code>([^<]*)<\/code><\/td><td><span class="badge (ok|error)">([^<]*)<\/span>/g)].map((m) => [m[1], m[2], m[3], m[4]]);
      assert.deepEqual(rows, [
        ['smtp', '0.0.0.0:25', 'ok', t('dashboard.up')],
        ['imap', '0.0.0.0:143', 'error', t('dashboard.down')],
        ['admin', '127.0.0.1:8181', 'ok', t('dashboard.up')],
      ]);
    }
  });

  it('greets an account without a full name by its address once (operator run 2: "alice@x (alice@x)")', async () => {
    const welcome = async (lang: 'en' | 'ja') => /<p class="welcome">([^<]*)<\/p>/.exec((await b[lang].get('/')).body)?.[1];
    assert.equal(await welcome('en'), `Signed in as Ada Admin (${ROLES.system}).`);
    const name = async (fullName: string) => assert.equal((await f.api('system', 'PATCH', `/api/v1/users/${ROLES.system}`, { fullName })).statusCode, 200);
    await name('');
    try {
      assert.equal(await welcome('en'), `Signed in as ${ROLES.system}.`);
      assert.equal(await welcome('ja'), `${ROLES.system} としてログインしています。`);
    } finally {
      await name('Ada Admin');
    }
  });

  it('counts today\'s traffic and verdicts from the logs, sizes the queue and lists the errors as text', async () => {
    const t = translator('ja');
    const page = (await b.ja.get('/')).body;
    assert.deepEqual(figures(page), { received: '2', delivered: '3', sent: '1', bounced: '1', spam: '2', inbox: '1' });
    assert.ok(page.includes(`<dt>${t('dashboard.actions.spam')}</dt>`), 'verdict action translated');
    // two waiting, the oldest queued two minutes before the test began (more on a slow machine)
    const summary = t('dashboard.queueSize', { count: '2', hours: 0, minutes: 999 }).replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('999', '([2-9]|[1-5]\\d)');
    assert.match(page, new RegExp(`<p id="queue-summary">${summary}</p>`));
    assert.ok(page.includes('&lt;img src=x onerror=alert(1)&gt; refused'), 'the error line, escaped');
    assert.ok(!page.includes(HOSTILE));
    const api = json<{ today: { received: number; verdicts: Record<string, number>; errors: { service: string }[] }; queue: { messages: number; oldestSeconds: number; byState: Record<string, number> }; listeners: { up: boolean }[] }>(await f.api('system', 'GET', '/api/v1/dashboard'));
    assert.equal(api.today.received, 2);
    assert.deepEqual(api.today.verdicts, { spam: 2, inbox: 1 });
    assert.deepEqual(api.today.errors.map((e) => e.service), ['delivery']);
    assert.equal(api.queue.messages, 2);
    assert.equal(api.queue.byState.hold, 1);
    assert.ok(api.queue.oldestSeconds >= 100, String(api.queue.oldestSeconds));
    assert.deepEqual(api.listeners.map((l) => l.up), [true, false, true]);
  });

  it('counts lines written after the last load on the next one', async () => {
    await writeLines(f.logsDir, (l) => {
      l.info('smtp', 'queued', { sid: 's9', id: 'q9', from: 'a@x.test', rcpts: 1, size: 10 });
      l.info('delivery', 'verdict', { id: 'q9', stage: 'inbound', score: 20, tags: 'DNSBL', action: 'reject' });
    });
    const page = (await b.en.get('/')).body;
    assert.equal(figures(page).received, '3');
    assert.equal(figures(page).reject, '1');
  });

  it('names the storage backend and this node, in the page\'s language, when the operations\' status is there', async () => {
    const before = f.svc.status;
    const storage = { backend: 'postgresql' as const, location: 'postgres://tegami:***@db.example.jp:5432/tegami', node: 'node-a' };
    f.svc.status = {
      listeners: before.listeners,
      document: async () => ({ listeners: [], queue: { total: 0, oldest_age_seconds: 0, by_state: {} }, monitor: [], storage }) as never,
    };
    try {
      for (const lang of ['en', 'ja'] as const) {
        const t = translator(lang);
        const page = (await b[lang].get('/')).body;
        const dd = /<dd id="storage" data-backend="postgresql">([^<]*)<code>([^<]*)<\/code><\/dd>/.exec(page);
        assert.ok(dd, 'the storage line');
        assert.equal(dd[1].trim(), t('dashboard.storageNode', { backend: 'PostgreSQL', node: 'node-a' }));
        assert.equal(dd[2], storage.location);
        assert.ok(page.includes(`<dt>${t('dashboard.storage')}</dt>`));
      }
      assert.match(translator('ja')('dashboard.storageNode', { backend: 'PostgreSQL', node: 'node-a' }), /ノード node-a/);
      const api = json<{ storage: typeof storage }>(await f.api('system', 'GET', '/api/v1/dashboard'));
      assert.deepEqual(api.storage, storage);
    } finally {
      f.svc.status = before;
    }
  });

  it('says whether the database answered, in the page\'s language', async () => {
    const before = f.svc.status;
    let database = { backend: 'postgresql' as const, where: 'db.example.jp:5432/tegami', ok: true, ms: 1.5 } as { backend: 'postgresql'; where: string; ok: boolean; ms: number; error?: string };
    f.svc.status = {
      listeners: before.listeners,
      document: async () => ({ listeners: [], queue: { total: 0, oldest_age_seconds: 0, by_state: {} }, monitor: [], database }) as never,
    };
    try {
      for (const lang of ['en', 'ja'] as const) {
        const t = translator(lang);
        database = { backend: 'postgresql', where: 'db.example.jp:5432/tegami', ok: true, ms: 1.5 };
        let page = (await b[lang].get('/')).body;
        assert.ok(page.includes(`<dt>${t('dashboard.database')}</dt><dd id="database" data-ok="true">${t('dashboard.databaseOk', { ms: 1.5 })}</dd>`), page);
        database = { backend: 'postgresql', where: 'db.example.jp:5432/tegami', ok: false, ms: 5000, error: 'connect ECONNREFUSED 192.0.2.5:5432' };
        page = (await b[lang].get('/')).body;
        assert.ok(page.includes(`<dd id="database" data-ok="false">${t('dashboard.databaseDown', { ms: 5000, error: 'connect ECONNREFUSED 192.0.2.5:5432' })}</dd>`), page);
      }
      assert.match(translator('ja')('dashboard.databaseDown', { ms: 5000, error: 'x' }), /応答がありません/);
      assert.match(translator('en')('dashboard.databaseOk', { ms: 1.5 }), /answered a query in 1\.5 ms/);
      const api = json<{ database: typeof database }>(await f.api('system', 'GET', '/api/v1/dashboard'));
      assert.equal(api.database.ok, false);
    } finally {
      f.svc.status = before;
    }
  });

  it('gives a host admin its domains and none of the server\'s figures', async () => {
    const page = (await b.host.get('/')).body;
    assert.doesNotMatch(page, /data-service=|data-figure=|queue-summary/);
    assert.match(page, /<tr data-domain="example.org">/);
    assert.doesNotMatch(page, /data-domain="example.com"/);
    assert.equal((await f.api('host', 'GET', '/api/v1/dashboard')).statusCode, 403);
  });
});
