// The logs page over inject() with a system admin's cookie session: the services and days on offer (a rotated
// .log.gz day among them), the newest day chosen by default, a search by queue id, by address (any case) and
// by IP, paged 100 lines at a time with working next/previous links in both languages, a gzipped day read the
// same way, a day that does not exist shown as none, and the API answering the same lines.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { translator } from '../../engine/web/i18n.js';
import { Browser, PASSWORD } from '../web/helpers.js';
import { adminFixture, json, ROLES, type AdminFixture } from './fixture.js';

/** The lines on a logs page (their text, unescaped enough to compare) and its pager links. */
function shown(page: string): { lines: string[]; next: string | null; prev: string | null } {
  const lines = [...page.matchAll(/<li value="\d+"><code>([^<]*)<\/code>/g)].map((m) => m[1].replace(/&amp;/g, '&'));
  const link = (rel: string) => new RegExp(`<a rel="${rel}" href="([^"]+)"`).exec(page)?.[1].replace(/&amp;/g, '&') ?? null;
  return { lines, next: link('next'), prev: link('prev') };
}

describe('logs page: services, days, search, paging', () => {
  let f: AdminFixture;
  const b = {} as Record<'en' | 'ja', Browser>;

  before(async () => {
    f = await adminFixture();
    const smtp: string[] = [];
    for (let i = 0; i < 250; i++) smtp.push(`2026-12-05T09:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z INFO connect sid=s${i} ip=192.0.2.${i % 2 ? 7 : 8}`);
    smtp.push('2026-12-05T10:00:00.000Z INFO queued sid=s1 id=Q7ABCDEF from=Alice@Example.com rcpts=1');
    f.writeLog('smtp', '20261205', smtp);
    f.writeLog('smtp', '20261204', ['2026-12-04T09:00:00.000Z INFO connect sid=old ip=198.51.100.1']);
    f.writeLog('imap', '20261205', ['2026-12-05T09:00:00.000Z INFO login sid=i1 user=alice@example.com ip=192.0.2.7']);
    fs.writeFileSync(path.join(f.logsDir, 'smtp-20261203.log.gz'), zlib.gzipSync('2026-12-03T09:00:00.000Z INFO connect sid=gz ip=203.0.113.5\n'));
    for (const l of ['en', 'ja'] as const) {
      b[l] = new Browser(f.admin, { 'accept-language': l });
      assert.equal((await b[l].login(ROLES.system, PASSWORD)).statusCode, 303);
    }
  });
  after(() => f?.close());

  it('offers each service and its days, the newest first, and opens the newest smtp day', async () => {
    const page = (await b.en.get('/logs')).body;
    const services = [...page.matchAll(/<option value="([a-z]+)"(?: selected)?>\1<\/option>/g)].map((m) => m[1]);
    assert.ok(services.includes('smtp') && services.includes('imap'), services.join());
    const days = [...page.matchAll(/<option value="(\d{8})"( selected)?>[^<]*<\/option>/g)].map((m) => `${m[1]}${m[2] ? '*' : ''}`);
    assert.deepEqual(days, ['20261205*', '20261204', '20261203']);
    assert.ok(page.includes('(gz)'));
    assert.equal(shown(page).lines.length, 100);
  });

  it('pages through the lines, 100 at a time, with next and previous links, in both languages', async () => {
    for (const l of ['en', 'ja'] as const) {
      const t = translator(l);
      let p = shown((await b[l].get('/logs?service=smtp&day=20261205')).body);
      assert.equal(p.prev, null);
      assert.match(p.lines[0], /sid=s0 /);
      const seen = [...p.lines];
      while (p.next) {
        const page = (await b[l].get(p.next)).body;
        if (!p.prev && seen.length === 100) assert.ok(page.includes(t('logs.summary', { file: 'smtp-20261205.log', page: 2 })), 'page 2 named in the page language');
        p = shown(page);
        seen.push(...p.lines);
      }
      assert.equal(seen.length, 251);
      assert.equal(new Set(seen).size, 251, 'no line twice');
      assert.ok(p.prev, 'the last page links back');
    }
  });

  it('finds a queue id, an address in any case, and an IP', async () => {
    let p = shown((await b.en.get('/logs?service=smtp&day=20261205&q=Q7ABCDEF')).body);
    assert.deepEqual(p.lines.map((x) => /INFO (\w+)/.exec(x)![1]), ['queued']);
    p = shown((await b.en.get('/logs?service=smtp&day=20261205&q=alice%40example.COM')).body);
    assert.equal(p.lines.length, 1);
    p = shown((await b.en.get('/logs?service=smtp&day=20261205&q=192.0.2.7')).body);
    assert.equal(p.lines.length, 100);
    assert.ok(p.lines.every((x) => x.includes('ip=192.0.2.7')));
    const second = shown((await b.en.get(p.next!)).body);
    assert.equal(second.lines.length, 25);
    assert.equal(second.next, null);
    const none = (await b.ja.get('/logs?service=smtp&day=20261205&q=nothing-like-this')).body;
    assert.ok(none.includes(translator('ja')('logs.noMatch')));
  });

  it('reads a gzipped day, and shows none for a day that is not there', async () => {
    assert.deepEqual(shown((await b.en.get('/logs?service=smtp&day=20261203')).body).lines.map((x) => /sid=(\w+)/.exec(x)![1]), ['gz']);
    const missing = await b.en.get('/logs?service=smtp&day=20200101');
    assert.equal(missing.statusCode, 200);
    // operator run 2: a day or a service that is not there said "There are no log files yet." among many files
    assert.ok(missing.body.includes('The smtp log has no file for the day 20200101.'), missing.body);
    const ja = await b.ja.get('/logs?service=smtp&day=20200101');
    assert.ok(ja.body.includes('smtp のログに 20200101 の日のファイルはありません。'));
    assert.equal((await b.en.get('/logs?service=../../etc&day=20261205')).statusCode, 400);
  });

  it('answers the same lines in the API', async () => {
    const api = json<{ lines: { text: string }[]; more: boolean }>(await f.api('system', 'GET', '/api/v1/logs?service=imap&day=20261205&q=ALICE'));
    assert.equal(api.lines.length, 1);
    assert.match(api.lines[0].text, /user=alice@example.com/);
    assert.equal(api.more, false);
    const none = await f.api('system', 'GET', '/api/v1/logs?service=pop3');
    assert.equal(none.statusCode, 404);
    assert.match(json<{ message: string }>(none).message, /no log of the service "pop3"; the services with logs: .*smtp/);
    assert.match(json<{ message: string }>(await f.api('system', 'GET', '/api/v1/logs?service=imap&day=20200101')).message, /The imap log has no file for the day 20200101/);
  });
});
