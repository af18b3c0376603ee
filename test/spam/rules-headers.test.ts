// The header and structure checks of engine/spam/rules/checks-headers.ts (spam7): each tag on the shape it names,
// named in the X-IMAIL-SPAM-RULES header; and none of them on well-formed Japanese mail in ISO-2022-JP, Shift_JIS,
// EUC-JP and UTF-8 (Received chain, +0900 Date with its (JST) comment, hotmail sender through hotmail's relay,
// romaji host names, full-width spaces in the subject, a short HTML notice, a Re: without In-Reply-To, no MIME-Version and a birthday in the address). The
// rule key unless_header (an admin's rule may use it).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { Analyser } from '../../engine/spam/pipeline.js';
import { configFrom, removeTempDirs, tempDir } from './helpers.js';
import { encodedWord, toIso2022jp } from './mail.js';

const a = new Analyser(configFrom('[log]\nfiles = false\n[spam]\ndkim_dmarc = false\nbayes = false\n', tempDir()));
after(async () => {
  await a.close();
  removeTempDirs();
});

const env = { mailFrom: 'sender@sender.example', rcptTo: ['user@tegami.test'], ip: '192.0.2.10', helo: 'mx.sender.example' };
const NEW_TAGS = ['HDR_DATE_FUTURE', 'HDR_DATE_PAST', 'HDR_DATE_MALFORMED', 'HDR_MSGID_MALFORMED', 'MIME_NO_VERSION', 'FROM_FREEMAIL_FORGED',
  'SUBJ_TRACKER', 'HDR_TO_NO_ADDRESS', 'URI_RANDOM_HOST', 'URI_OBFUSCATED', 'HTML_FRAGMENT', 'EN_URGENCY', 'SUBJ_FAKE_REPLY', 'FROM_LOCAL_RANDOM',
  'HDR_MANY_RECIPIENTS', 'HDR_OUTLOOK_FORGED', 'HTML_LITTLE_TEXT', 'EN_BIG_MONEY'];

/** Header fields in order (a null value leaves the field out), an empty line, the body bytes. */
function mail(fields: Record<string, string | null>, body: Buffer | string): Buffer {
  const head = Object.entries(fields).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}`).join('\r\n');
  return Buffer.concat([Buffer.from(head + '\r\n\r\n', 'latin1'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
}

const RELAY = 'from mx.sender.example (mx.sender.example [192.0.2.10]) by mx.tegami.test with ESMTP id 1; Fri, 23 Aug 2002 10:05:00 +0000';
const FIRST = 'from [10.0.0.5] by mx.sender.example with SMTP id 2; Fri, 23 Aug 2002 10:00:00 +0000';
/** An ordinary English message; each case below changes one thing. */
const base: Record<string, string | null> = {
  Received: RELAY,
  From: 'Pat Example <pat@sender.example>',
  To: 'user@tegami.test',
  Subject: 'notes from the meeting',
  Date: 'Fri, 23 Aug 2002 09:59:00 +0000',
  'Message-ID': '<20020823095900.1234@sender.example>',
  'MIME-Version': '1.0',
  'Content-Type': 'text/plain; charset=us-ascii',
};
const plain = 'Hello,\r\nthe notes are at https://docs.sender.example/meeting and the slides follow.\r\n';

async function tagsOf(raw: Buffer): Promise<{ tags: string[]; headers: string }> {
  const r = await a.analyse(raw, env, undefined);
  return { tags: r.tags.filter((t) => NEW_TAGS.includes(t)), headers: r.headers };
}

/** The raw message with `Received` given twice (the relay's, then the first hop's). */
function chain(fields: Record<string, string | null>, body: Buffer | string): Buffer {
  const raw = mail(fields, body).toString('latin1');
  return Buffer.from(raw.replace(`Received: ${RELAY}\r\n`, `Received: ${RELAY}\r\nReceived: ${FIRST}\r\n`), 'latin1');
}

test('the plain English message hits none of the header and structure checks', async () => {
  assert.deepEqual((await tagsOf(chain(base, plain))).tags, []);
});

test('each header and structure check hits the shape it names, and the rules header names it', async () => {
  const cases: [string, Record<string, string | null>, string][] = [
    ['HDR_DATE_FUTURE', { Date: 'Sun, 25 Aug 2002 09:59:00 +0000' }, plain],
    ['HDR_DATE_PAST', { Date: 'Mon, 5 Aug 2002 09:59:00 +0000' }, plain],
    ['HDR_DATE_MALFORMED', { Date: 'Fri, 23 Aug 2002 09:59:00 +1600' }, plain],
    ['HDR_DATE_MALFORMED', { Date: 'Friday, August 23, 2002 9:59 AM' }, plain],
    ['HDR_MSGID_MALFORMED', { 'Message-ID': '<20020823.ABCDEF>' }, plain],
    ['MIME_NO_VERSION', { 'MIME-Version': null, 'Content-Type': 'text/html; charset=us-ascii' }, '<html><body><p>Hello</p></body></html>'],
    ['FROM_FREEMAIL_FORGED', { From: 'Pat <pat1877@hotmail.com>' }, plain],
    ['SUBJ_TRACKER', { Subject: 'Lowest rates available!                 18070' }, plain],
    ['SUBJ_TRACKER', { Subject: 'PROTECT YOUR COMPUTER! 21198' }, plain],
    ['HDR_TO_NO_ADDRESS', { To: 'friend' }, plain],
    ['URI_RANDOM_HOST', {}, 'See http://xk7qz93bfm2lw4.sender.example/offer today.\r\n'],
    ['URI_OBFUSCATED', {}, 'See http://3232235777/offer today.\r\n'],
    ['URI_OBFUSCATED', {}, 'See http://%77%77%77.sender.example/offer today.\r\n'],
    ['HTML_FRAGMENT', { 'Content-Type': 'text/html; charset=us-ascii' }, `<p>Hello <a href="https://docs.sender.example/">the notes</a></p><p>${'We went through the plan for the autumn and agreed on the next steps. '.repeat(4)}</p>`],
    ['EN_URGENCY', {}, 'This is a limited time offer. Act now, before it is gone.\r\n'],
    ['SUBJ_FAKE_REPLY', { Subject: 'Re: your account' }, plain],
    ['FROM_LOCAL_RANDOM', { From: 'Pat <lindsey48213@sender.example>' }, plain],
    ['FROM_LOCAL_RANDOM', { From: 'a3f9c2e71b0d4e@sender.example' }, plain],
    ['HDR_MANY_RECIPIENTS', { To: Array.from({ length: 10 }, (_, i) => `user${i}@tegami.test`).join(', ') }, plain],
    ['HDR_OUTLOOK_FORGED', { 'X-Mailer': 'Microsoft Outlook Express 6.00.2600.0000' }, plain],
    ['HTML_LITTLE_TEXT', { 'Content-Type': 'text/html; charset=us-ascii' }, '<html><body><a href="https://shop.sender.example/"><img src="https://shop.sender.example/a.png">Buy today</a></body></html>'],
    ['EN_BIG_MONEY', {}, 'You could receive $25,000 within weeks.\r\n'],
  ];
  for (const [tag, change, body] of cases) {
    const { tags, headers } = await tagsOf(chain({ ...base, ...change }, body));
    assert.deepEqual(tags, [tag], `${tag}: ${JSON.stringify(change)}`);
    assert.match(headers, new RegExp(`^X-IMAIL-SPAM-RULES: .*${tag}`, 'm'), tag);
  }
  // a From at hotmail that came through hotmail's relay; an order number after a colon; a Date with its zone's name
  const fine: Record<string, string | null>[] = [
    { From: 'Pat <pat1877@hotmail.com>', Received: `from bay4.hotmail.com (bay4.hotmail.com [192.0.2.44]) by mx.tegami.test; Fri, 23 Aug 2002 10:05:00 +0000` },
    { Subject: 'Order received: 789-5104838' },
    { Date: 'Fri, 23 Aug 2002 02:59:00 -0700 (PDT)' },
    { Date: '23 Aug 02 09:59 GMT' },
    // a reply that says what it replies to, and list mail (unless_header: List-Id) whose software dropped the fields
    { Subject: 'Re: your account', 'In-Reply-To': '<1@sender.example>' },
    { Subject: 'Re: your account', 'List-Id': 'Talk <talk.sender.example>' },
    { 'X-Mailer': 'Microsoft Outlook Express 6.00.2600.0000', 'X-MimeOLE': 'Produced By Microsoft MimeOLE V6.00.2600.0000' },
    { From: 'Pat <pat2002@sender.example>', To: 'a@tegami.test, b@tegami.test' },
  ];
  for (const change of fine) assert.deepEqual((await tagsOf(chain({ ...base, ...change }, plain))).tags, [], JSON.stringify(change));
  // no Date, no Received: nothing to compare, no tag
  assert.deepEqual((await tagsOf(mail({ ...base, Received: null, Date: null }, plain))).tags, []);
});

const SUBJECT_JA = '【ご案内】定例会議　　　第１２回のお知らせ';
const BODY_JA =
  'いつもお世話になっております。株式会社サンプルの山田です。\r\n' +
  '第12回定例会議の資料を https://www.kawasakijukogyo.co.jp/kaigi/shiryou に置きました。\r\n' +
  '至急ご確認ください。本日中にご返信いただけますと幸いです。\r\n';
const HTML_JA = `<html><body><p>${BODY_JA.replace(/\r\n/g, '<br>')}</p><p><a href="https://tokyo-kaigishitsu.example.jp/yoyaku">会議室の予約</a></p></body></html>`;

test('Japanese business mail in ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8 hits none of them', async () => {
  const charsets: [string, (s: string) => Buffer, 'ISO-2022-JP' | 'UTF-8' | 'Shift_JIS'][] = [
    ['ISO-2022-JP', toIso2022jp, 'ISO-2022-JP'],
    ['Shift_JIS', (s) => iconv.encode(s, 'cp932'), 'Shift_JIS'],
    ['EUC-JP', (s) => iconv.encode(s, 'euc-jp'), 'UTF-8'],
    ['UTF-8', (s) => Buffer.from(s, 'utf8'), 'UTF-8'],
  ];
  for (const [charset, enc, subjectCharset] of charsets) {
    const ja = {
      ...base,
      From: `${encodedWord('山田 太郎', subjectCharset)} <taro.yamada@hotmail.com>`,
      Received: 'from BAY12-F34.hotmail.com (bay12-f34.hotmail.com [192.0.2.44]) by mx.tegami.test; Fri, 23 Aug 2002 10:05:00 +0000',
      Subject: encodedWord(SUBJECT_JA, subjectCharset),
      Date: 'Fri, 23 Aug 2002 18:59:00 +0900 (JST)',
      'Message-ID': '<200208231859.ABC12345@bay12-f34.hotmail.com>',
      'Content-Type': `text/plain; charset=${charset}`,
    };
    assert.deepEqual((await tagsOf(chain(ja, enc(BODY_JA)))).tags, [], `${charset} text`);
    const html = { ...ja, 'Content-Type': `text/html; charset=${charset}` };
    assert.deepEqual((await tagsOf(chain(html, enc(HTML_JA)))).tags, [], `${charset} HTML`);
    // a short HTML notice to a phone, and a reply written by hand without In-Reply-To: ordinary in Japanese mail
    const short = `<html><body><p>今週の期間限定価格のご案内です。</p><p><a href="https://www.shop.example.jp/">エアリズムTシャツ 990円</a></p></body></html>`;
    assert.deepEqual((await tagsOf(chain(html, enc(short)))).tags, [], `${charset} short HTML`);
    const reply = { ...ja, Subject: encodedWord('Re: 打ち合わせの件', subjectCharset) };
    assert.deepEqual((await tagsOf(chain(reply, enc(BODY_JA)))).tags, [], `${charset} Re:`);
    // sent by a script: no MIME-Version, a phone address with a birthday in it
    const bare = { ...ja, 'MIME-Version': null, From: 'hanako19850412@docomo.example.jp' };
    assert.deepEqual((await tagsOf(chain(bare, enc(BODY_JA)))).tags, [], `${charset} no MIME-Version`);
    // a notice to the whole office: a group To (関係者各位:;), a long Cc list, a Date with a nested comment
    const cc = Array.from({ length: 14 }, (_, i) => `staff${i}@tokyo-office.example.jp`).join(', ');
    const office = { ...ja, To: `${encodedWord('関係者各位', subjectCharset)}:;`, Cc: cc, Date: 'Fri, 23 Aug 2002 18:59:00 +0900 (JST (Tokyo))' };
    assert.deepEqual((await tagsOf(chain(office, enc(BODY_JA)))).tags, [], `${charset} office-wide notice`);
  }
});

test('unless_header: a rule does not hit mail that has one of the named fields (an admin rule too)', async () => {
  const b = new Analyser(configFrom('[log]\nfiles = false\n[spam]\ndkim_dmarc = false\nbayes = false\nrules_file = "rules.toml"\n', (() => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'rules.toml'), '[[rule]]\ntag = "LOCAL_WEBINAR"\nin = "body"\nany = ["webinar"]\nunless_header = ["List-Unsubscribe"]\nscore = 1\n');
    return dir;
  })()));
  try {
    const body = 'Join our webinar next week.\r\n';
    assert.ok((await b.analyse(chain(base, body), env, undefined)).tags.includes('LOCAL_WEBINAR'));
    const listed = chain({ ...base, 'List-Unsubscribe': '<mailto:leave@sender.example>' }, body);
    assert.ok(!(await b.analyse(listed, env, undefined)).tags.includes('LOCAL_WEBINAR'));
  } finally {
    await b.close();
  }
});

test('big_money: the same answer as its regex over the body\'s first 64 Ki characters, wherever the $ is', async () => {
  const { HEADER_CHECKS, BIG_MONEY, MONEY_CHARS } = await import('../../engine/spam/rules/checks-headers.js');
  const { ruleInput } = await import('../../engine/spam/rules/input.js');
  const { parseMessage } = await import('../../engine/spam/message.js');
  const { rawMail } = await import('./mail.js');
  const filler = (n: number, unit: string) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
  const amounts = ['$25,000', '$10000', '$ 10000', '$1,000,000', '$999', '$', '$$', 'US$12345', '$12,34', '$123456789012'];
  let hits = 0;
  let misses = 0;
  for (const unit of ['The quick brown fox. ', '見積書をお送りします。', 'a']) {
    for (const at of [0, 5, MONEY_CHARS - 20, MONEY_CHARS - 7, MONEY_CHARS - 6, MONEY_CHARS - 3, MONEY_CHARS - 1, MONEY_CHARS, MONEY_CHARS + 1, MONEY_CHARS + 40]) {
      for (const amount of amounts) {
        for (const early of ['', 'costs $5 only. ']) {
          const body = early + filler(at, unit) + amount + ' today ' + filler(300, unit);
          const msg = parseMessage(rawMail({ subject: 'offer', body }), { partScanBytes: 400_000 });
          const inp = ruleInput(msg, [], []);
          const want = BIG_MONEY.test(inp.rawBody.slice(0, MONEY_CHARS));
          assert.equal(HEADER_CHECKS.big_money(inp, {} as never, 1) !== null, want, `${amount} at ${at} after ${JSON.stringify(early)} in ${unit}`);
          if (want) hits++;
          else misses++;
        }
      }
    }
  }
  assert.ok(hits > 50 && misses > 50, `${hits} hits, ${misses} misses`);
});
