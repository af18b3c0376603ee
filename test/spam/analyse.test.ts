// Content analysis end to end inside one thread: phrases on Japanese in every charset, HTML and URL checks,
// whitelist, Bayes, DKIM/DMARC through the lab DNS, scores → actions, headers, and the spam log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { Analyser } from '../../engine/spam/pipeline.js';
import { learnMessage, closeBayesStores, bayesStoreFor } from '../../engine/spam/learn.js';
import { localDay } from '../../engine/log/logger.js';
import analyse, { closeAnalysers } from '../../workers/analyse.js';
import type { DnsServer } from '../../lab/dns/server.js';
import type { ConnectionResult } from '../../engine/spam/types.js';
import { configFrom, startSpamDns, tempDir, removeTempDirs } from './helpers.js';
import { encodedWord, rawMail, toIso2022jp, BUSINESS_JA, SPAM_JA } from './mail.js';

let dns: DnsServer;
const analysers: Analyser[] = [];
before(async () => {
  dns = await startSpamDns();
});
after(async () => {
  await Promise.all(analysers.map((a) => a.close()));
  closeBayesStores();
  await closeAnalysers();
  await dns.close();
  removeTempDirs();
});

function analyser(extra = '', dataDir?: string): Analyser {
  const a = new Analyser(configFrom(`[dns]\nservers = ["${dns.address}"]\n[spam]\nphrases = ["未承諾広告"]\n${extra}`, dataDir));
  analysers.push(a);
  return a;
}

const env = { mailFrom: 'sender@good.test', rcptTo: ['user@tegami.test'], ip: '127.0.0.3', helo: 'mx.good.test' };
const clean: ConnectionResult = { tags: ['SPF_PASS'], headers: [], authResults: ['spf=pass smtp.mailfrom=sender@good.test'], spf: { result: 'pass', domain: 'good.test' } };

test('phrase 未承諾広告 matches an ISO-2022-JP subject and a Shift_JIS body, never a clean Japanese business mail', async () => {
  const a = analyser();
  const subj = rawMail({ subject: encodedWord('未承諾広告※ご案内', 'ISO-2022-JP'), contentType: 'text/plain; charset=ISO-2022-JP', cte: '7bit', body: toIso2022jp('ご案内です。\r\n') });
  const r1 = await a.analyse(subj, env, clean);
  assert.ok(r1.tags.includes('PHRASE'), r1.headers);
  assert.equal(r1.action, 'spam');
  assert.match(r1.headers, /^X-IMAIL-SPAM-PHRASE: =\?UTF-8\?B\?[^\r\n]+\r\n/m);

  const body = rawMail({ subject: 'Info', contentType: 'text/plain; charset=Shift_JIS', body: iconv.encode(SPAM_JA, 'cp932') });
  const r2 = await a.analyse(body, env, clean);
  assert.ok(r2.tags.includes('PHRASE'));
  assert.equal(r2.action, 'spam');

  // Shift_JIS labelled as Latin-1: still found, and the mislabel is tagged
  const mis = rawMail({ subject: 'Info', contentType: 'text/plain; charset=iso-8859-1', body: iconv.encode(SPAM_JA, 'cp932') });
  const r3 = await a.analyse(mis, env, clean);
  assert.ok(r3.tags.includes('PHRASE') && r3.tags.includes('CHARSET_MISLABELLED'), r3.tags.join());
  // English with stray 8-bit bytes under us-ascii, or UTF-8 under Latin-1: sloppy software, not the Japanese mislabel
  // (the Windows-1252 quotes read as Shift_JIS: "Tuesday痴", "don稚", ｩ for ©)
  const latin = rawMail({ subject: 'Minutes', contentType: 'text/plain; charset=us-ascii', body: Buffer.from('The minutes of Tuesday\x92s meeting are attached. Caf\xe9 at 10 \x93sharp\x94, don\x92t be late. \xa9 2002 ACME\r\n', 'latin1') });
  const utf8 = rawMail({ subject: 'Minutes', contentType: 'text/plain; charset=iso-8859-1', body: Buffer.from('Café at 10 “sharp”, see you there.\r\n', 'utf8') });
  for (const m of [latin, utf8]) assert.ok(!(await a.analyse(m, env, clean)).tags.includes('CHARSET_MISLABELLED'));
  const utf8Ja = rawMail({ subject: 'Info', contentType: 'text/plain; charset=iso-8859-1', body: Buffer.from(BUSINESS_JA, 'utf8') });
  assert.ok((await a.analyse(utf8Ja, env, clean)).tags.includes('CHARSET_MISLABELLED'), 'Japanese UTF-8 sent as Latin-1');

  for (const [cs, bytes] of [
    ['ISO-2022-JP', toIso2022jp(BUSINESS_JA)],
    ['Shift_JIS', iconv.encode(BUSINESS_JA, 'cp932')],
    ['EUC-JP', iconv.encode(BUSINESS_JA, 'euc-jp')],
    ['UTF-8', Buffer.from(BUSINESS_JA)],
  ] as const) {
    const ok = rawMail({ subject: encodedWord('打ち合わせの件（広告代理店）', 'ISO-2022-JP'), contentType: `text/plain; charset=${cs}`, body: bytes });
    const r = await a.analyse(ok, env, clean);
    assert.ok(!r.tags.includes('PHRASE'), `${cs}: ${r.tags.join()}`);
    assert.equal(r.action, 'inbox', cs);
  }
});

test('regex phrases in any language; an invalid regex is a config error', async () => {
  const a = analyser('phrase_regexes = ["v[i1]agra", "今すぐ.{0,5}クリック"]');
  const r = await a.analyse(rawMail({ subject: 'cheap V1AGRA', body: 'hello' }), env, clean);
  assert.ok(r.tags.includes('PHRASE'));
  const r2 = await a.analyse(rawMail({ subject: 'x', contentType: 'text/plain; charset=EUC-JP', body: iconv.encode('今すぐ　ここをクリック', 'euc-jp') }), env, clean);
  assert.ok(r2.tags.includes('PHRASE'));
  assert.throws(() => analyser('phrase_regexes = ["(unclosed"]'), /phrase_regexes/);
});

test('HTML checks: deceptive link, comment in a word, script, image-only, nested tables, many links', async () => {
  const a = analyser('html_max_links = 3');
  const html = `<html><body><table><tr><td><table><tr><td>
    <a href="http://evil.example.net/login">https://www.mybank.co.jp/login</a>
    V<!-- x -->iagra <script>alert(1)</script><spamtag>x</spamtag>
    <a href="http://a.test/">a</a><a href="http://b.test/">b</a><a href="http://c.test/">c</a>
    </td></tr></table></td></tr></table></body></html>`;
  const r = await a.analyse(rawMail({ subject: 'hi', contentType: 'text/html; charset=utf-8', body: html }), env, clean);
  for (const t of ['HTML_DECEPTIVE_URL', 'HTML_COMMENT', 'HTML_SCRIPT', 'HTML_NESTED_TABLE', 'HTML_LINKS', 'HTML_INVALID_TAG'] as const) {
    assert.ok(r.tags.includes(t), `${t} missing: ${r.tags.join()}`);
  }
  assert.match(r.headers, /X-IMAIL-SPAM-HTML: .*link shows www\.mybank\.co\.jp but goes to evil\.example\.net/);
  const img = await a.analyse(rawMail({ subject: 'hi', contentType: 'text/html', body: '<p><a href="http://x.test/"><img src="http://x.test/buy.png"></a></p>' }), env, clean);
  // (a pasted fragment, no <html> or <body>, with a link and little text: HTML_FRAGMENT and HTML_LITTLE_TEXT too, since spam10)
  assert.deepEqual(img.tags.filter((t) => t.startsWith('HTML')), ['HTML_IMAGE_ONLY', 'HTML_FRAGMENT', 'HTML_LITTLE_TEXT']);
  const short = '<p>Meeting notes: see <a href="https://docs.good.test/x">docs.good.test</a> for details of the plan.</p>';
  const notes = `${short}<p>We agreed to move the review to Thursday, to ask the design team for the drawings first, and to send the budget to finance before the end of the month. Minutes of the whole meeting follow next week, once everyone has read them.</p>`;
  const fine = await a.analyse(rawMail({ subject: 'hi', contentType: 'text/html', body: `<html><body>${notes}</body></html>` }), env, clean);
  assert.deepEqual(fine.tags.filter((t) => t.startsWith('HTML')), []);
  // HTML only, a link and under 200 letters: HTML_LITTLE_TEXT (spam10; 25 spam, no ham of the learn half)
  const brief = await a.analyse(rawMail({ subject: 'hi', contentType: 'text/html', body: `<html><body>${short}</body></html>` }), env, clean);
  assert.deepEqual(brief.tags.filter((t) => t.startsWith('HTML')), ['HTML_LITTLE_TEXT']);
  const fragment = await a.analyse(rawMail({ subject: 'hi', contentType: 'text/html', body: notes }), env, clean);
  assert.deepEqual(fragment.tags.filter((t) => t.startsWith('HTML')), ['HTML_FRAGMENT']);
});

test('a script is raw text: its `i<n` opens no tag, so the text after it is read (spam13)', async () => {
  const a = analyser();
  const para = '<p>Thank you for your order. Your package ships on Monday from our warehouse; track it from Your Orders at any time, or call us with questions about delivery. Items from other sellers arrive in their own boxes, and returns are free within thirty days of delivery.</p>';
  for (const script of ['<script type="text/javascript">function preload(){for(var i=0;i<arguments.length;i++){x[i]=new Image();}}</script>', '<SCRIPT>if (a<b) go();</SCRIPT >']) {
    const body = `<html><head>${script}</head><body><table><tr><td><img src="http://shop.test/logo.gif">${para}<a href="http://shop.test/orders">Your Orders</a></td></tr></table></body></html>`;
    const r = await a.analyse(rawMail({ subject: 'Your order', contentType: 'text/html; charset=utf-8', body }), env, clean);
    const html = r.tags.filter((t) => t.startsWith('HTML'));
    // before spam13 the '<arguments…' tag swallowed </script>: HTML_INVALID_TAG, HTML_IMAGE_ONLY and HTML_LITTLE_TEXT
    assert.deepEqual(html, ['HTML_SCRIPT'], script);
  }
  // a <style> block with '<' in it likewise, and a script never closed still reads as one
  const styled = await a.analyse(rawMail({ subject: 'x', contentType: 'text/html', body: `<html><head><style>/* a<b */ p{color:red}</style></head><body>${para}</body></html>` }), env, clean);
  assert.deepEqual(styled.tags.filter((t) => t.startsWith('HTML')), []);
  const open = await a.analyse(rawMail({ subject: 'x', contentType: 'text/html', body: `<html><body>${para}<script>var x = 1;</body></html>` }), env, clean);
  assert.ok(open.tags.includes('HTML_SCRIPT'), open.tags.join());
});

test('URL blacklist matches subdomains; the sender whitelist wins unless SPF failed', async () => {
  const a = analyser('url_blacklist = ["spam.test"]\nsender_whitelist = ["@good.test", "boss@other.test"]');
  const r = await a.analyse(rawMail({ from: 'x@nowhere.test', subject: 'x', body: 'visit http://cheap.spam.test/offer now' }), { ...env, mailFrom: 'x@nowhere.test' }, undefined);
  assert.ok(r.tags.includes('URL_BLACKLIST'));
  assert.match(r.headers, /X-IMAIL-SPAM-URL: cheap\.spam\.test/);
  assert.equal(r.action, 'spam');
  const w = await a.analyse(rawMail({ subject: '未承諾広告', body: 'x' }), env, clean);
  assert.ok(w.tags.includes('SENDER_WHITELIST') && w.tags.includes('PHRASE'));
  assert.equal(w.action, 'inbox');
  const forged = await a.analyse(rawMail({ subject: '未承諾広告', body: 'x' }), env, { tags: ['SPF_FAIL'], headers: [], authResults: [] });
  assert.ok(!forged.tags.includes('SENDER_WHITELIST'));
  assert.equal(forged.action, 'spam');
});

test('scores, thresholds and actions: headers, reject naming the reason, delete after N matches, trusted DNSBL', async () => {
  const conn: ConnectionResult = { tags: ['DNSBL', 'VALREVDNS'], headers: ['X-IMAIL-SPAM-DNSBL: testbl 127.0.0.2', 'X-IMAIL-SPAM-VALREVDNS: 127.0.0.2 has no PTR record'], authResults: ['spf=none smtp.mailfrom=sender@good.test'] };
  const def = await analyser().analyse(rawMail({ subject: 'hello', body: 'plain' }), env, conn);
  assert.equal(def.action, 'spam');
  assert.equal(def.score, 6);
  const lines = def.headers.split('\r\n');
  assert.ok(lines.includes('X-IMAIL-SPAM-DNSBL: testbl 127.0.0.2'));
  assert.ok(lines.includes('X-IMAIL-SPAM: score=6.0 threshold=5.0 verdict=spam tags=DNSBL(5.0),VALREVDNS(1.0)'), def.headers);
  assert.match(def.headers, /Authentication-Results: mx\.tegami\.test;\r\n\tspf=none smtp\.mailfrom=sender@good\.test;\r\n\tdkim=none/);
  assert.ok(def.headers.endsWith('\r\n'));

  const rej = await analyser('reject_threshold = 5.5').analyse(rawMail({ subject: 'hello', body: 'plain' }), env, conn);
  assert.equal(rej.action, 'reject');
  assert.match(rej.rejectText!, /score 6\.0: DNSBL, VALREVDNS/);
  const del = await analyser('delete_after_matches = 2').analyse(rawMail({ subject: 'hello', body: 'plain' }), env, conn);
  assert.equal(del.action, 'delete');
  const tr = await analyser().analyse(rawMail({ subject: 'hello', body: 'plain' }), env, { ...conn, tags: ['DNSBL_TRUSTED'] });
  assert.equal(tr.action, 'delete');
  const rescored = await analyser('scores = { DNSBL = 1 }').analyse(rawMail({ subject: 'hello', body: 'plain' }), env, conn);
  assert.equal(rescored.action, 'inbox');
  assert.match(rescored.headers, /^X-Tegami-Spam-Status: .*verdict=ham/m);
  assert.doesNotMatch(rescored.headers, /^X-IMAIL-SPAM:/m, 'ham never carries the spam summary');
  const skipped = await analyser().analyse(rawMail({ subject: '未承諾広告', body: 'x' }), { ...env, authenticatedUser: 'user@tegami.test' }, conn);
  assert.deepEqual(skipped, { tags: [], score: 0, action: 'inbox', headers: '' });
});

test('DKIM and DMARC verified through the configured resolver: DMARC fail tagged when SPF fails and no signature', async () => {
  const a = analyser();
  const r = await a.analyse(rawMail({ from: 'Bank <no-reply@fail.test>', subject: 'x', body: 'x' }), { ...env, mailFrom: 'no-reply@fail.test' }, { tags: ['SPF_FAIL'], headers: [], authResults: ['spf=fail smtp.mailfrom=no-reply@fail.test'], spf: { result: 'fail', domain: 'fail.test' } });
  assert.ok(r.tags.includes('DMARC_FAIL'), r.headers);
  assert.match(r.headers, /dmarc=fail/);
  assert.match(r.headers, /X-IMAIL-SPAM-DMARC: dmarc fail for fail\.test \(policy reject\)/);
  assert.ok(dns.queries.some((q) => q.name === '_dmarc.fail.test'));
});

test('Bayes learns per server and per user; relearning moves counts; the verdict goes to the spam log', async () => {
  const dir = tempDir();
  const spamBody = (i: number) => `Cheap pills discount pharmacy order now ${i} viagra cialis offer limited 今だけ 激安 http://pills${i % 3}.spam.test/`;
  const hamBody = (i: number) => `Minutes of the project meeting ${i}: agenda, budget review, schedule for next quarter. 来週の会議資料を送ります。`;
  for (let i = 0; i < 12; i++) {
    await learnMessage(dir, rawMail({ subject: `offer ${i}`, body: spamBody(i) }), 'spam');
    await learnMessage(dir, rawMail({ subject: `meeting ${i}`, body: hamBody(i) }), 'ham');
  }
  const store = bayesStoreFor(dir);
  assert.deepEqual(store.totals(''), { spam: 12, ham: 12 });
  const m = rawMail({ subject: 'offer', body: spamBody(99) });
  assert.equal(await learnMessage(dir, m, 'spam', 'User@Tegami.test'), true);
  assert.equal(await learnMessage(dir, m, 'spam', 'user@tegami.test'), false, 'learning twice counts once');
  assert.equal(await learnMessage(dir, m, 'ham', 'user@tegami.test'), true);
  assert.deepEqual(store.totals('user@tegami.test'), { spam: 0, ham: 1 });

  const a = analyser('verbose_log = true', dir);
  const s = await a.analyse(rawMail({ subject: 'offer', body: spamBody(7) }), env, clean);
  assert.ok(s.tags.includes('STATISTICS'), s.headers);
  assert.match(s.headers, /X-IMAIL-SPAM-STATISTICS: probability=(0\.9\d\d|1\.000)/);
  const h = await a.analyse(rawMail({ subject: 'meeting', body: hamBody(7) }), env, clean);
  assert.ok(h.tags.includes('STATISTICS_HAM'), h.headers);
  await a.close();
  const log = fs.readFileSync(path.join(dir, 'logs', `spam-${localDay(new Date())}.log`), 'utf8');
  // the Bayes weight is in its band (fitted); STATISTICS writes the seed's header and weighs nothing itself
  assert.match(log, /verdict action=spam score=\d.* tags=.*BAYES_99\d?\([1-9]\d*\.\d\).*STATISTICS\(0\.0\)/);
  assert.match(log, /analyzer-bayes p=(0\.9|1\.0)/);
});

test('the worker task reads the spool file at bodyOffset and loads the config by path', async () => {
  const dir = tempDir();
  const cfg = path.join(dir, 'tegami.toml');
  fs.writeFileSync(cfg, `data_dir = ${JSON.stringify(dir)}\nhostname = "mx.tegami.test"\n[dns]\nservers = ["${dns.address}"]\n[spam]\nphrases = ["未承諾広告"]\n`);
  const spool = path.join(dir, 'msg.spool');
  const prefix = Buffer.from('TGSPOOL1 some header bytes\n');
  fs.writeFileSync(spool, Buffer.concat([prefix, rawMail({ subject: encodedWord('未承諾広告', 'ISO-2022-JP'), body: 'x' })]));
  const r = await analyse({ spoolPath: spool, bodyOffset: prefix.length, configPath: cfg, envelope: env, connection: clean });
  assert.equal(r.action, 'spam');
  assert.deepEqual(r.tags, ['SPF_PASS', 'PHRASE', 'JA_AD_MARK_SUBJECT']);
});
