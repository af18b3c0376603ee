// The Bayes counts shared in PostgreSQL (engine/spam/pg-bayes.ts), two "nodes" (own data dirs, own pools) on one
// private database: a corpus learnt through node A moves node B's verdict; per-user counts stay the user's; the
// same message learnt on both nodes at once counts once; the counts and verdicts equal the SQLite store's for the
// same learning; with the database away the filter sits Bayes out and comes back by itself.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../../engine/db/pg/migrations.js';
import { BayesStore, classify, classifyWith, SERVER } from '../../engine/spam/bayes.js';
import { bayesFor, closeBayesStores, learnMessage, messageTokens } from '../../engine/spam/learn.js';
import { Analyser } from '../../engine/spam/pipeline.js';
import type { LoadedConfig } from '../../engine/config/load.js';
import type { ConnectionResult } from '../../engine/spam/types.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { configFrom, tempDir, removeTempDirs } from './helpers.js';
import { encodedWord, rawMail, toIso2022jp, BUSINESS_JA, SPAM_JA } from './mail.js';
import iconv from 'iconv-lite';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();

const USER = 'hanako@tegami.test';
const env = { mailFrom: 'sender@good.test', rcptTo: [USER], ip: '127.0.0.3', helo: 'mx.good.test' };
const clean: ConnectionResult = { tags: ['SPF_PASS'], headers: [], authResults: ['spf=pass smtp.mailfrom=sender@good.test'], spf: { result: 'pass', domain: 'good.test' } };

/** A small corpus in the charsets Japanese mail comes in: spam and ham, 12 each. */
function corpus(): { raw: Buffer; kind: 'spam' | 'ham' }[] {
  const out: { raw: Buffer; kind: 'spam' | 'ham' }[] = [];
  for (let i = 0; i < 12; i++) {
    const spam = `${SPAM_JA}激安 cheap pills discount ${i} viagra offer http://pills${i % 3}.spam.test/\r\n`;
    const ham = `${BUSINESS_JA}\r\nMinutes of the project meeting ${i}: agenda, budget review. 来週の会議資料を送ります。\r\n`;
    const cs = i % 3;
    out.push({
      kind: 'spam',
      raw:
        cs === 0
          ? rawMail({ subject: encodedWord(`今だけ ${i}`, 'ISO-2022-JP'), contentType: 'text/plain; charset=ISO-2022-JP', cte: '7bit', body: toIso2022jp(spam) })
          : cs === 1
            ? rawMail({ subject: encodedWord(`激安 ${i}`, 'Shift_JIS'), contentType: 'text/plain; charset=Shift_JIS', cte: '8bit', body: iconv.encode(spam, 'Shift_JIS') })
            : rawMail({ subject: `offer ${i}`, contentType: 'text/plain; charset=EUC-JP', cte: '8bit', body: iconv.encode(spam, 'EUC-JP') }),
    });
    out.push({ kind: 'ham', raw: rawMail({ subject: encodedWord(`会議 ${i}`, 'UTF-8'), body: ham }) });
  }
  return out;
}

const spamProbe = () => rawMail({ subject: encodedWord('今だけ 99', 'ISO-2022-JP'), contentType: 'text/plain; charset=ISO-2022-JP', cte: '7bit', body: toIso2022jp(`${SPAM_JA}激安 cheap pills discount 99 viagra offer http://pills1.spam.test/\r\n`) });

describe('Bayes counts shared in PostgreSQL', { skip: skip ?? false }, () => {
  let cluster: PgCluster;
  let url: string;
  let sql: pg.Client;
  const analysers: Analyser[] = [];
  const nodeConfig = (node: string, dir = tempDir()): LoadedConfig =>
    configFrom(`[storage]\nbackend = "postgres"\nurl = ${JSON.stringify(url)}\ntls = "disable"\nnode_name = "${node}"\n[dns]\nservers = ["127.0.0.1:9"]\ntimeout = "200ms"\n[spam]\ndkim_dmarc = false`, dir);
  let a: LoadedConfig;
  let b: LoadedConfig;

  before(async () => {
    cluster = await startPostgres('tegami_bayes');
    url = cluster.url;
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    await migrate(pool);
    await pool.end();
    sql = new pg.Client({ connectionString: url });
    sql.on('error', () => undefined); // cut when the database is halted below
    await sql.connect();
    a = nodeConfig('node-a');
    b = nodeConfig('node-b');
  });
  after(async () => {
    await Promise.all(analysers.map((x) => x.close()));
    closeBayesStores();
    await sql?.end().catch(() => undefined);
    await cluster?.stop();
    removeTempDirs();
  });

  it('a corpus learnt through node A moves node B\'s verdict; neither node has a bayes.db', async () => {
    const onB = new Analyser(b);
    analysers.push(onB);
    const before = await onB.analyse(spamProbe(), env, clean);
    assert.ok(!before.tags.includes('STATISTICS') && !before.tags.some((t) => t.startsWith('BAYES_')), `untrained: ${before.tags.join(',')}`);
    for (const m of corpus()) assert.equal(await learnMessage(a, m.raw, m.kind), true);
    const afterLearning = await onB.analyse(spamProbe(), env, clean);
    assert.ok(afterLearning.tags.includes('STATISTICS'), afterLearning.headers);
    assert.match(afterLearning.headers, /X-IMAIL-SPAM-STATISTICS: probability=(0\.9\d\d|1\.000)/);
    const ham = await onB.analyse(rawMail({ subject: encodedWord('会議 99', 'UTF-8'), body: `${BUSINESS_JA}\r\nMinutes of the project meeting 99: agenda, budget review.\r\n` }), env, clean);
    assert.ok(ham.tags.includes('STATISTICS_HAM'), ham.headers);
    assert.equal(fs.existsSync(path.join(a.data_dir, 'bayes.db')), false);
    assert.equal(fs.existsSync(path.join(b.data_dir, 'bayes.db')), false);
    const t = await sql.query("SELECT spam::int, ham::int FROM bayes_totals WHERE owner = ''");
    assert.deepEqual(t.rows, [{ spam: 12, ham: 12 }]);
  });

  it('per-user counts: learnt on A, read on B, apart from the server\'s; once when both nodes learn one message at once; relearning moves them', async () => {
    const m = spamProbe();
    const tokens = messageTokens(m);
    const both = await Promise.all([learnMessage(a, m, 'spam', 'Hanako@Tegami.test'), learnMessage(b, m, 'spam', USER)]);
    assert.deepEqual(both.sort(), [false, true], 'one of the two nodes learnt it, the other found it learnt');
    const onB = bayesFor(b);
    const user = await onB.lookup([USER], tokens, 1);
    assert.deepEqual([user.spam, user.ham], [1, 0]);
    assert.equal((await onB.lookup(['other@tegami.test'], tokens, 1)).spam, 0, 'another user has none');
    const server = await onB.lookup([SERVER], tokens, 1);
    assert.deepEqual([server.spam, server.ham], [12, 12], 'the server\'s counts did not move');
    const summed = await onB.lookup([SERVER, USER], tokens, 1);
    assert.deepEqual([summed.spam, summed.ham], [13, 12]);
    // every token of the message counts one more spam for server + user than for the server alone
    for (const t of new Set(tokens)) assert.equal(summed.counts.get(t)![0], (server.counts.get(t)?.[0] ?? 0) + tokens.filter((x) => x === t).length, t);
    assert.equal(await learnMessage(b, m, 'ham', USER), true);
    const moved = await bayesFor(a).lookup([SERVER, USER], tokens, 1);
    assert.deepEqual([moved.spam, moved.ham], [12, 13]);
    for (const t of new Set(tokens)) {
      const n = tokens.filter((x) => x === t).length;
      assert.deepEqual(moved.counts.get(t), [server.counts.get(t)?.[0] ?? 0, (server.counts.get(t)?.[1] ?? 0) + n], t);
    }
    // under the minimum, no token is read (the vote needs both totals)
    assert.equal((await onB.lookup([USER], tokens, 1)).counts.size, 0, 'the user alone has no spam now');
    assert.equal((await onB.lookup([SERVER, USER], tokens, 13)).counts.size, 0);
  });

  it('counts and verdicts equal the SQLite store\'s for the same learning', async () => {
    const dir = tempDir();
    const local = new BayesStore(dir);
    try {
      const owner = 'equal@tegami.test';
      const items = corpus().map((m, i) => ({ tokens: messageTokens(m.raw), kind: m.kind, messageId: `<${i}@corpus.test>` }));
      // learnt in two batches with one message relearnt as the other kind, on both stores
      const shared = bayesFor(a);
      assert.equal(local.learnMany(owner, items.slice(0, 10)), await shared.learnMany(owner, items.slice(0, 10)));
      assert.equal(local.learnMany(owner, items), await shared.learnMany(owner, items));
      const flip = { ...items[3], kind: items[3].kind === 'spam' ? ('ham' as const) : ('spam' as const) };
      assert.equal(local.learnMany(owner, [flip]), await shared.learnMany(owner, [flip]));
      for (const probe of [spamProbe(), corpus()[5].raw]) {
        const tokens = messageTokens(probe);
        const l = local.lookup([owner], tokens, 1);
        const p = await shared.lookup([owner], tokens, 1);
        assert.deepEqual([p.spam, p.ham], [l.spam, l.ham]);
        assert.deepEqual(new Map([...p.counts].sort()), new Map([...l.counts].sort()));
        const vp = await classifyWith(shared, [owner], tokens, 1);
        const vl = classify(local, [owner], tokens, 1);
        // clues of equal strength may come in another order: the sums agree to rounding
        assert.ok(vp.probability !== null && vl.probability !== null && Math.abs(vp.probability - vl.probability) < 1e-9, `${vp.probability} vs ${vl.probability}`);
        assert.equal(vp.known, vl.known);
      }
    } finally {
      local.close();
    }
  });

  it('with the database away Bayes sits out (the message is still judged) and is back once it returns', async () => {
    const onB = new Analyser(b);
    analysers.push(onB);
    await cluster.halt();
    try {
      const r = await onB.analyse(spamProbe(), env, clean);
      assert.ok(!r.tags.includes('STATISTICS') && !r.tags.some((t) => t.startsWith('BAYES_')), r.tags.join(','));
      assert.match(r.headers, /(X-IMAIL-SPAM|X-Tegami-Spam-Status): score=/);
    } finally {
      await cluster.resume();
    }
    await sql.end().catch(() => undefined);
    sql = new pg.Client({ connectionString: url });
    sql.on('error', () => undefined);
    await sql.connect();
    const back = await onB.analyse(spamProbe(), env, clean);
    assert.ok(back.tags.includes('STATISTICS'), back.headers);
  });
});
