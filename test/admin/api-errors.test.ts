// The admin JSON API's refusals in the caller's language, over a real `tegami serve` with curl and a token
// from `tegami admin token create`: a body that misses a field, names one the route does not take or gives
// one of the wrong type is a 400 whose `message` is a sentence in Japanese for a Japanese caller (English for
// an English one) and whose `fields` names the field, as the route's own refusals do; the schema's English
// text stays in `detail`. An unknown route and a role refusal are translated the same way. Nothing is written.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

const BOSS = 'boss@example.test';
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

describe('admin API errors in the caller\'s language (tegami serve, curl)', { timeout: 180_000 }, () => {
  let srv: TestServer;
  let token = '';
  let userToken = '';

  async function api(lang: 'en' | 'ja', method: string, url: string, body?: string, bearer = token): Promise<{ status: number; json: any }> {
    const args = ['-sk', '-X', method, '-H', `Authorization: Bearer ${bearer}`, '-H', `Accept-Language: ${lang}`, '-w', '\n%{http_code}', `https://127.0.0.1:${srv.ports.admin}${url}`];
    if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data-binary', body);
    const r = await run('curl', args);
    const nl = r.stdout.lastIndexOf('\n');
    return { status: Number(r.stdout.slice(nl + 1)), json: JSON.parse(r.stdout.slice(0, nl)) };
  }

  before(async () => {
    srv = await startTestServer({ listeners: ['admin'], users: [{ address: BOSS, password: 'boss password 1', admin: true }, { address: 'host@example.test', password: 'host password 1' }] });
    const t = srv.cli(['admin', 'token', 'create', BOSS]);
    assert.equal(t.status, 0, t.stderr);
    token = t.stdout.trim();
    assert.equal(srv.cli(['user', 'set', 'host@example.test', '--host-admin', 'example.test']).status, 0);
    const h = srv.cli(['admin', 'token', 'create', 'host@example.test']);
    assert.equal(h.status, 0, h.stderr);
    userToken = h.stdout.trim();
  });
  after(async () => {
    await srv?.stop();
  });

  it('a body that misses, adds or mistypes a field: 400 with the field named, in Japanese or English', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const cases = [
      { body: '{"domain":"new.example"}', field: 'name', code: 'required', ja: /リクエストに項目「name」がありません/, en: /lacks the field "name"/ },
      { body: '{"name":"new.example","owner":"x"}', field: 'owner', code: 'unknown-field', ja: /項目「owner」はこのリクエストでは使えません/, en: /"owner" is not one this request takes/ },
      { body: '{"name":42}', field: 'name', code: 'type', ja: /^項目「name」は JSON の string 型で指定してください。$/, en: /^The field "name" must be of JSON type string\.$/ },
      { body: `{"name":"${'a'.repeat(301)}"}`, field: 'name', code: 'maxLength', ja: /^項目「name」は300文字以内にしてください。$/, en: /^The field "name" is longer than 300 characters\.$/ },
    ];
    for (const c of cases) {
      for (const lang of ['ja', 'en'] as const) {
        const r = await api(lang, 'POST', '/api/v1/domains', c.body);
        assert.equal(r.status, 400, `${lang} ${c.body}`);
        assert.equal(r.json.error, 'invalid');
        assert.match(r.json.message, c[lang], `${lang} ${c.body}: ${r.json.message}`);
        assert.equal(JAPANESE.test(r.json.message), lang === 'ja', r.json.message);
        assert.deepEqual(r.json.fields.map((f: { field: string; code: string }) => [f.field, f.code]), [[c.field, c.code]]);
        assert.equal(r.json.fields[0].message, r.json.message);
        assert.match(r.json.detail, /^body /);
      }
    }
    // a query parameter outside its set: the allowed values named
    const state = await api('ja', 'GET', '/api/v1/queue?state=bogus');
    assert.equal(state.status, 400);
    assert.deepEqual(state.json.fields.map((f: { field: string; code: string }) => [f.field, f.code]), [['state', 'enum']]);
    assert.match(state.json.message, /^項目「state」は次のいずれかにしてください: .*deferred/);
    const domains = await api('en', 'GET', '/api/v1/domains');
    assert.ok(!JSON.stringify(domains.json).includes('new.example'), 'nothing was added');
  });

  it('an unknown route and a role refusal are said in the caller\'s language, the reason in detail', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const missing = await api('ja', 'GET', '/api/v1/nowhere');
    assert.equal(missing.status, 404);
    assert.ok(JAPANESE.test(missing.json.message), missing.json.message);
    assert.equal(missing.json.detail, 'no such route');
    const denied = await api('ja', 'GET', '/api/v1/settings', undefined, userToken);
    assert.equal(denied.status, 403);
    assert.equal(denied.json.error, 'forbidden');
    assert.ok(JAPANESE.test(denied.json.message), denied.json.message);
    const deniedEn = await api('en', 'GET', '/api/v1/settings', undefined, userToken);
    assert.equal(deniedEn.json.message, 'You may not do that.');
  });
});
