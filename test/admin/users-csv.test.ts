// The admin's CSV export carries what `tegami user export` does — the domains and lists an account administers and
// its own quota — and the import reads them back: an exported list admin's line (with a password added, as an
// administrator moving accounts does) is created with the same list right and quota. The old export wrote
// list_admin=yes, which names no list, so its own file was refused line by line. The CLI's file imports here too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv } from '../../engine/cli/csv.js';
import { SETTING_COLUMNS } from '../../engine/cli/user-csv.js';
import { adminFixture, type AdminFixture } from './fixture.js';
import { Browser, PASSWORD } from '../web/helpers.js';

describe('admin: users CSV export and import', () => {
  let f: AdminFixture;
  let b: Browser;
  before(async () => {
    f = await adminFixture();
    f.directory.lists.createList('team@example.com');
    f.directory.updateUser('lists@example.com', { quota: { bytes: 50 * 1024 * 1024, messages: null } });
    f.directory.updateUser('host@example.org', { hostAdminOf: ['example.org'] });
    b = new Browser(f.admin, { 'accept-language': 'ja-JP,ja;q=0.9' });
    assert.equal((await b.login('admin@example.com', PASSWORD)).statusCode, 303);
  });
  after(() => f?.close());

  /** The export of a domain as rows of cells (header first). */
  const exportOf = async (domain: string) => {
    const r = await b.get(`/users/export.csv?domain=${domain}`);
    assert.equal(r.statusCode, 200);
    return parseCsv(r.body.replace(/^\uFEFF/, '')).filter((x) => x.length > 1);
  };

  it('the export has the CLI columns: rights by name and the own quota', async () => {
    const rows = await exportOf('example.com');
    assert.deepEqual(rows[0], [...SETTING_COLUMNS]);
    const line = Object.fromEntries(rows[0].map((c, i) => [c, rows.find((x) => x[0] === 'lists@example.com')![i]]));
    assert.equal(line.list_admin_of, 'team@example.com');
    assert.equal(line.quota_bytes, String(50 * 1024 * 1024));
    assert.equal(line.quota_messages, '', 'the domain default: empty');
    const host = (await exportOf('example.org')).find((x) => x[0] === 'host@example.org')!;
    assert.equal(host[SETTING_COLUMNS.indexOf('host_admin_of')], 'example.org');
  });

  it('an exported line imports back with its list right and quota (a password added)', async () => {
    const rows = await exportOf('example.com');
    const src = rows.find((x) => x[0] === 'lists@example.com')!;
    const moved = ['lists2@example.com', ...src.slice(1)];
    const csv = [[...rows[0], 'password'], [...moved, 'パスワード-1234']].map((r) => r.map((c) => (/[",]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n') + '\r\n';
    await b.get('/users/import');
    const preview = await b.post('/users/import', { csv, mode: 'preview' });
    assert.equal(preview.statusCode, 200, preview.body.match(/<table class="import-errors">[\s\S]*?<\/table>/)?.[0]);
    const r = await b.post('/users/import', { csv, mode: 'all' });
    assert.equal(r.statusCode, 303);
    const u = f.directory.user('lists2@example.com')!;
    assert.deepEqual(u.listAdminOf, ['team@example.com']);
    assert.equal(u.fullName, 'Lisa Lists');
    assert.deepEqual(f.directory.quotaOverride('lists2@example.com'), { bytes: 50 * 1024 * 1024, messages: null });
  });

  it('a quota that is neither a number nor a size is named on its line; sizes such as 500M are read', async () => {
    await b.get('/users/import');
    const csv = 'address,password,quota_bytes,quota_messages\r\nq1@example.com,pass-word-1,500M,1000\r\nq2@example.com,pass-word-2,たくさん,\r\n';
    const p = await b.post('/users/import', { csv, mode: 'preview' });
    assert.equal(p.statusCode, 400);
    assert.match(p.body, /<tr data-line="3">/);
    assert.doesNotMatch(p.body, /<tr data-line="2">/);
    assert.equal((await b.post('/users/import', { csv, mode: 'good-only' })).statusCode, 303);
    assert.deepEqual(f.directory.quotaOverride('q1@example.com'), { bytes: 500 * 1024 * 1024, messages: 1000 });
    assert.equal(f.directory.user('q2@example.com'), undefined);
  });
});
