// The queue page over inject() with a system admin's cookie session: the list filtered by state, recipient
// domain and text (queue id, sender, recipient); a message's retry, hold, release and delete from its buttons,
// each seen in the queue's state files; a gone message answers 404; every message to one domain retried,
// held (new mail to it too), released and deleted at once, with the notice in the page's language; a bad
// domain refused next to the field with nothing held; and the signature web.js polls changes with the queue.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { translator } from '../../engine/web/i18n.js';
import { Browser, PASSWORD } from '../web/helpers.js';
import { adminFixture, json, ROLES, type AdminFixture } from './fixture.js';

/** The queue ids listed on a queue page. */
const rows = (page: string) => [...page.matchAll(/<tr data-id="([^"]+)" data-state="([a-z]+)">/g)].map((m) => m[1]).sort();
const stateOf = async (f: AdminFixture, id: string) => (await f.svc.queue.show(id))?.state ?? 'gone';

describe('queue page: filters, message actions, domain actions', () => {
  let f: AdminFixture;
  let b: Browser;
  let ja: Browser;
  const id = { far1: '', far2: '', other: '', held: '' };

  before(async () => {
    f = await adminFixture();
    id.far1 = await f.queueMessage({ to: ['one@far.test'] });
    id.far2 = await f.queueMessage({ to: ['two@far.test'], from: 'zed@example.com' });
    id.other = await f.queueMessage({ to: ['x@other.test'] });
    id.held = await f.queueMessage({ to: ['y@other.test'], held: true });
    b = new Browser(f.admin, { 'accept-language': 'en' });
    ja = new Browser(f.admin, { 'accept-language': 'ja' });
    for (const x of [b, ja]) assert.equal((await x.login(ROLES.system, PASSWORD)).statusCode, 303);
  });
  after(() => f?.close());

  it('filters by state, recipient domain, and queue id, sender or recipient', async () => {
    assert.deepEqual(rows((await b.get('/queue')).body), Object.values(id).sort());
    assert.deepEqual(rows((await b.get('/queue?state=hold')).body), [id.held]);
    assert.deepEqual(rows((await b.get('/queue?domain=far.test')).body), [id.far1, id.far2].sort());
    assert.deepEqual(rows((await b.get('/queue?q=ZED@example')).body), [id.far2]);
    assert.deepEqual(rows((await b.get(`/queue?q=${id.other}`)).body), [id.other]);
    assert.deepEqual(rows((await b.get('/queue?q=y@other')).body), [id.held]);
    assert.equal((await b.get('/queue?state=bogus')).statusCode, 400);
  });

  it('retries, holds, releases and deletes one message from its buttons', async () => {
    const page = (await b.get(`/queue/${id.other}`)).body;
    for (const a of ['retry', 'hold', 'delete']) assert.match(page, new RegExp(`action="/queue/${id.other}/${a}"`));
    const before = (await f.svc.queue.show(id.other))!.next_attempt!;
    let r = await b.post(`/queue/${id.other}/retry`, {});
    assert.equal(r.statusCode, 303);
    assert.equal(r.headers.location, `/queue/${id.other}`);
    assert.ok(Date.parse((await f.svc.queue.show(id.other))!.next_attempt!) < Date.parse(before), 'the next attempt is now');
    await b.get(`/queue/${id.other}`);
    r = await b.post(`/queue/${id.other}/hold`, {});
    assert.equal(await stateOf(f, id.other), 'hold');
    assert.match((await b.get(`/queue/${id.other}`)).body, new RegExp(`action="/queue/${id.other}/release"`));
    r = await b.post(`/queue/${id.other}/release`, {});
    assert.notEqual(await stateOf(f, id.other), 'hold');
    await b.get(`/queue/${id.other}`);
    r = await b.post(`/queue/${id.other}/delete`, {});
    assert.equal(r.headers.location, '/queue?done=delete');
    assert.equal(await stateOf(f, id.other), 'gone');
    assert.ok((await b.get('/queue?done=delete')).body.includes(translator('en')('queue.done.delete')));
    const gone = await b.get(`/queue/${id.other}`);
    assert.equal(gone.statusCode, 404);
    assert.ok(gone.body.includes(translator('en')('queue.gone')));
    assert.equal((await b.post(`/queue/${id.other}/retry`, {})).statusCode, 404);
  });

  it('holds, releases, retries and deletes every message to one domain, and holds its new mail too', async () => {
    const t = translator('ja');
    const page = (await ja.get('/queue?domain=FAR.test')).body;
    assert.ok(page.includes(t('queue.domainActions.title', { domain: 'far.test' })));
    for (const a of ['retry', 'hold', 'release', 'delete']) assert.match(page, new RegExp(`action="/queue/by-domain/${a}"`));
    let r = await ja.post('/queue/by-domain/hold', { domain: 'FAR.test' });
    assert.equal(r.statusCode, 303);
    const done = await ja.get(String(r.headers.location));
    assert.ok(done.body.includes(t('queue.doneDomain.hold', { count: 2, domain: 'far.test' })), String(r.headers.location));
    assert.deepEqual([await stateOf(f, id.far1), await stateOf(f, id.far2), await stateOf(f, id.held)], ['hold', 'hold', 'hold']);
    const late = await f.queueMessage({ to: ['three@far.test'] });
    assert.equal(await stateOf(f, late), 'hold', 'new mail to a held domain waits too');
    const other = await f.queueMessage({ to: ['z@other.test'] });
    assert.notEqual(await stateOf(f, other), 'hold', 'other domains go on');

    await ja.get('/queue?domain=far.test');
    r = await ja.post('/queue/by-domain/release', { domain: 'far.test' });
    assert.ok((await ja.get(String(r.headers.location))).body.includes(t('queue.doneDomain.release', { count: 3, domain: 'far.test' })));
    assert.notEqual(await stateOf(f, late), 'hold');

    await ja.get('/queue?domain=far.test');
    r = await ja.post('/queue/by-domain/retry', { domain: 'far.test' });
    assert.ok((await ja.get(String(r.headers.location))).body.includes(t('queue.doneDomain.retry', { count: 3, domain: 'far.test' })));

    await ja.get('/queue?domain=far.test');
    r = await ja.post('/queue/by-domain/delete', { domain: 'far.test' });
    assert.ok((await ja.get(String(r.headers.location))).body.includes(t('queue.doneDomain.delete', { count: 3, domain: 'far.test' })));
    assert.deepEqual([await stateOf(f, id.far1), await stateOf(f, id.far2), await stateOf(f, late)], ['gone', 'gone', 'gone']);
    assert.notEqual(await stateOf(f, other), 'gone');
    assert.equal(await stateOf(f, id.held), 'hold', 'a message held on its own stays held');
  });

  it('refuses a bad domain next to the field, in the page\'s language, holding nothing', async () => {
    await ja.get('/queue');
    const r = await ja.post('/queue/by-domain/hold', { domain: 'bad domain!' });
    assert.equal(r.statusCode, 400);
    assert.ok(r.body.includes(translator('ja')('field.not-domain', { value: 'bad domain!' })));
    assert.ok(!(await f.svc.queue.list()).some((e) => e.state === 'hold' && e.id !== id.held));
    const api = await f.api('system', 'POST', '/api/v1/queue/by-domain/hold', { domain: 'bad domain!' });
    assert.equal(api.statusCode, 400);
  });

  it('changes the signature web.js polls when the queue changes', async () => {
    const page = (await b.get('/queue')).body;
    const shown = /data-signature="([^"]*)"/.exec(page)![1];
    const before = json<{ signature: string }>(await f.api('system', 'GET', '/api/v1/queue')).signature;
    assert.equal(shown, before);
    const fresh = await f.queueMessage({ to: ['w@other.test'] });
    const after = json<{ signature: string; messages: { id: string }[] }>(await f.api('system', 'GET', '/api/v1/queue'));
    assert.notEqual(after.signature, before);
    assert.ok(after.messages.some((m) => m.id === fresh));
    const held = json<{ domain: string; messages: number }>(await f.api('system', 'POST', '/api/v1/queue/by-domain/hold', { domain: 'other.test' }));
    assert.deepEqual(held, { domain: 'other.test', messages: 3 });
    assert.notEqual(json<{ signature: string }>(await f.api('system', 'GET', '/api/v1/queue')).signature, after.signature);
  });
});
