// A deleted account takes its per-user Bayes counts with it (engine/accounts/bayes-forget.ts): trained with the
// real CLI (`tegami spam learn --user`, Japanese ISO-2022-JP and UTF-8 mail) for two accounts and for the server,
// `tegami user del` of one leaves no token, total or learnt key of it in bayes.db, while the other account's and
// the server's stay; the address made again starts untrained. Also: a failed removal keeps the account, and the
// forward-list day count (sieve_redirects, "forward:<address>") goes with the account by the trigger.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import Encoding from 'encoding-japanese';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openDatabase } from '../../engine/db/database.js';
import { SqliteDirectory } from '../../engine/accounts/sqlite-directory.js';
import { directoryOptions } from '../../engine/context.js';
import { parseConfigText } from '../../engine/config/load.js';
import { forgetBayes } from '../../engine/accounts/bayes-forget.js';

const GONE = 'hanako@example.test';
const KEPT = 'taro@example.test';
let srv: TestServer;

before(async () => {
  srv = await startTestServer({ listeners: ['smtp'], users: [{ address: GONE, password: 'gone-owner-pw1' }, { address: KEPT, password: 'kept-owner-pw1' }] });
});
after(async () => {
  await srv?.stop();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

function ok(args: string[]): string {
  const r = srv.cli(args);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Rows of `owner` in each Bayes table. */
function bayesRows(owner: string): Record<string, number> {
  const db = new Database(path.join(srv.dataDir, 'bayes.db'), { readonly: true });
  try {
    return Object.fromEntries(['tokens', 'totals', 'learnt'].map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t} WHERE owner = ?`).get(owner) as { n: number }).n]));
  } finally {
    db.close();
  }
}

function messages(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const jis = Buffer.from(Encoding.convert(Encoding.stringToCode('格安セール開催中、今すぐクリック'), { to: 'JIS', from: 'UNICODE' })).toString('latin1');
  fs.writeFileSync(path.join(dir, '1.eml'), Buffer.from(`From: shop@spam.test\r\nSubject: =?ISO-2022-JP?B?${Buffer.from(jis, 'latin1').toString('base64')}?=\r\nMessage-ID: <s1@spam.test>\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n${jis}\r\ncheap pills viagra casino\r\n`, 'latin1'));
  fs.writeFileSync(path.join(dir, '2.eml'), Buffer.from('From: win@spam.test\r\nSubject: 当選しました\r\nMessage-ID: <s2@spam.test>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n賞金を受け取るにはこちら lottery winner prize\r\n', 'utf8'));
  return dir;
}

it('user del removes the account\'s Bayes counts; another account\'s and the server\'s stay; made again, it starts untrained', () => {
  const dir = messages(path.join(srv.dir, 'train'));
  for (const who of [GONE, KEPT]) ok(['spam', 'learn', '--spam', dir, '--user', who]);
  ok(['spam', 'learn', '--spam', dir]);
  for (const who of [GONE, KEPT, '']) {
    const r = bayesRows(who);
    assert.ok(r.tokens > 0 && r.totals === 1 && r.learnt === 2, `${who || 'the server'} trained: ${JSON.stringify(r)}`);
  }
  ok(['user', 'del', GONE]);
  assert.deepEqual(bayesRows(GONE), { tokens: 0, totals: 0, learnt: 0 }, 'nothing of the deleted account');
  assert.equal(bayesRows(KEPT).totals, 1, 'the other account keeps its counts');
  assert.equal(bayesRows('').totals, 1, "the server's own counts stay");
  ok(['user', 'add', GONE, '--password', 'new-owner-pw1']);
  assert.deepEqual(bayesRows(GONE), { tokens: 0, totals: 0, learnt: 0 }, 'the new owner starts untrained');
});

it('a removal that fails keeps the account; the forward-list day count goes with the account', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-bayes-forget-'));
  const config = parseConfigText(`hostname = "mx.example.test"\ndata_dir = "${tmp}"\n[domains]\nlocal = ["example.test"]\n`, path.join(tmp, 'tegami.toml'));
  const db = openDatabase(tmp);
  try {
    const dir = new SqliteDirectory(db, { ...directoryOptions(config), forgetBayes: () => { throw new Error('database is locked'); } });
    await dir.addUser({ address: 'jiro@example.test', password: 'jiro-pw-123' });
    assert.throws(() => dir.deleteUser('jiro@example.test'), /database is locked/);
    assert.ok(dir.user('jiro@example.test'), 'kept: the removal failed');

    db.prepare('INSERT INTO sieve_redirects (address, at, n, msg) VALUES (?, 1, 2, ?), (?, 1, 1, ?)').run('forward:jiro@example.test', 'q1', 'forward:saburo@example.test', 'q2');
    const real = new SqliteDirectory(db, directoryOptions(config));
    real.deleteUser('jiro@example.test');
    assert.deepEqual((db.prepare('SELECT address FROM sieve_redirects').all() as { address: string }[]).map((r) => r.address), ['forward:saburo@example.test']);
    assert.equal(forgetBayes(tmp, 'jiro@example.test'), 0, 'no bayes.db: nothing to do');
  } finally {
    db.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
