// The spam filter of `tegami serve` on [storage] backend = "postgres" reads and learns the Bayes counts in
// PostgreSQL: a corpus learnt with `tegami spam learn` under node A's config changes the verdict of node B (its
// X-IMAIL-SPAM-STATISTICS header, read over IMAP with imaplib); a user moving mail into Spam over IMAP on node B
// trains that user's counts in PostgreSQL (through B's worker pool). Neither node writes a bayes.db.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { postgresUnavailable } from '../../helpers/postgres.js';
import { BIN, requireCommand, run, type TestServer } from '../../helpers/server.js';
import { pgNodes, storageToml } from './pg-node.js';
import { until } from './shared-mail.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();

const USER = 'taro@example.test';
const PASS = 'taro-pass-1';
const SPAM_TEXT = '未承諾広告※ 今だけ！簡単に月収100万円を稼ぐ方法 激安 cheap pills discount viagra offer http://pills.spam.test/';
const HAM_TEXT = '来週の会議資料を送ります。Minutes of the project meeting: agenda, budget review, schedule.';

/** Send one message with smtplib: UTF-8 text, its Subject and X-Test-Id the test id. */
const SEND = `
import smtplib, sys
port, rcpt, test_id, text = sys.argv[1:5]
s = smtplib.SMTP('127.0.0.1', int(port), local_hostname='client.example.net', timeout=30)
body = ('From: sender@example.net\\r\\nTo: %s\\r\\nSubject: %s\\r\\nX-Test-Id: %s\\r\\nContent-Type: text/plain; charset=UTF-8\\r\\nContent-Transfer-Encoding: 8bit\\r\\n\\r\\n%s\\r\\n' % (rcpt, test_id, test_id, text)).encode('utf-8')
s.sendmail('sender@example.net', [rcpt], body)
s.quit()
`;

/** Find the message by X-Test-Id in INBOX or Spam: prints "found FOLDER UID" and its header block, or "none". */
const FIND = `
import imaplib, sys
port, user, pw, needle, move = sys.argv[1:6]
i = imaplib.IMAP4('127.0.0.1', int(port), timeout=30)
i.login(user, pw)
for folder in ('INBOX', 'Spam'):
    typ, data = i.select(folder)
    if typ != 'OK':
        continue
    typ, data = i.uid('SEARCH', None, 'HEADER', 'X-Test-Id', needle)
    uids = data[0].split()
    if uids:
        typ, msg = i.uid('FETCH', uids[0], '(BODY.PEEK[HEADER])')
        print('found', folder, uids[0].decode())
        print(msg[0][1].decode('utf-8', 'replace'))
        if move == 'move' and folder != 'Spam':
            typ, data = i.uid('MOVE', uids[0], 'Spam')
            print('moved', typ)
        break
else:
    print('none')
i.logout()
`;

describe('tegami serve on PostgreSQL: Bayes counts shared by the nodes', { skip: skip ?? false }, () => {
  const fx = pgNodes('tegami_serve_bayes');
  let b: TestServer;
  let sql: pg.Client;
  let configA: string;
  let corpus: string;
  before(async () => {
    b = await fx.node({ name: 'node-b', listeners: ['smtp', 'imap'], hostname: 'b.example.test', users: [{ address: USER, password: PASS }] });
    // node A: its own data dir and config, only its CLI is used
    const dirA = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-node-a-'));
    configA = path.join(dirA, 'tegami.toml');
    fs.writeFileSync(configA, `hostname = "a.example.test"\ndata_dir = ${JSON.stringify(path.join(dirA, 'data'))}\n${storageToml(fx.url, 'node-a')}\n`);
    corpus = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-corpus-'));
    const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
    for (const kind of ['spam', 'ham']) {
      fs.mkdirSync(path.join(corpus, kind));
      words.forEach((w, i) => {
        const text = kind === 'spam' ? `${SPAM_TEXT} ${w}` : `${HAM_TEXT} ${w}`;
        const msg = `From: s${i}@example.net\r\nTo: ${USER}\r\nSubject: ${kind} ${w}\r\nMessage-ID: <${kind}-${w}@corpus.test>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n${text}\r\n`;
        fs.writeFileSync(path.join(corpus, kind, `${w}.eml`), msg);
      });
    }
    sql = await fx.client();
  });
  after(() => {
    fs.rmSync(path.dirname(configA), { recursive: true, force: true });
    fs.rmSync(corpus, { recursive: true, force: true });
  });

  const send = async (id: string, text: string) => {
    const r = await run('python3', ['-c', SEND, String(b.ports.smtp), USER, id, text]);
    assert.equal(r.code, 0, r.stderr);
  };
  const find = async (id: string, move = false) => {
    let out = '';
    await until(`${id} over IMAP on node B`, async () => {
      const r = await run('python3', ['-c', FIND, String(b.ports.imap), USER, PASS, id, move ? 'move' : 'peek']);
      out = r.stdout;
      return r.code === 0 && /^found /m.test(out);
    });
    return out;
  };

  it('a corpus learnt with node A\'s CLI changes node B\'s verdict; a move into Spam on B trains the user\'s counts', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    await send('before-learning', SPAM_TEXT);
    const untrained = await find('before-learning');
    assert.doesNotMatch(untrained, /X-IMAIL-SPAM-STATISTICS/, untrained);

    for (const kind of ['spam', 'ham']) {
      const r = await run(BIN, ['spam', 'learn', `--${kind}`, path.join(corpus, kind), '--config', configA]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`learnt 12 message\\(s\\) as ${kind} for the server`));
    }
    const totals = await sql.query("SELECT spam::int, ham::int FROM bayes_totals WHERE owner = ''");
    assert.deepEqual(totals.rows, [{ spam: 12, ham: 12 }]);

    await send('after-learning', `${SPAM_TEXT} mike`);
    const trained = await find('after-learning');
    assert.match(trained, /X-IMAIL-SPAM-STATISTICS: probability=(0\.9\d\d|1\.000)/, trained);

    // a message filed in INBOX, moved into Spam by its owner over IMAP on node B
    await send('move-me', `${HAM_TEXT} november`);
    const moved = await find('move-me', true);
    assert.match(moved, /^found INBOX /m, moved);
    assert.match(moved, /^moved OK/m, moved);
    await until('the user\'s counts in PostgreSQL', async () => (await sql.query('SELECT spam::int FROM bayes_totals WHERE owner = $1', [USER])).rows[0]?.spam === 1);
    const learnt = await sql.query('SELECT kind FROM bayes_learnt WHERE owner = $1', [USER]);
    assert.deepEqual(learnt.rows, [{ kind: 'spam' }]);
    assert.equal(fs.existsSync(path.join(b.dataDir, 'bayes.db')), false, 'node B keeps no bayes.db');
    assert.equal(fs.existsSync(path.join(path.dirname(configA), 'data', 'bayes.db')), false, 'node A keeps no bayes.db');
  });
});
