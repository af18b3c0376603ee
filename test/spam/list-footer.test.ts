// Mailing-list trailers are left out of the Bayes tokens on mail with list headers: the post's own words count,
// the list's footer and the links only it carries do not. Mail without list headers is never cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isListMail, listFooterStart } from '../../engine/spam/list-footer.js';
import { messageTokens } from '../../engine/spam/learn.js';

const MAILMAN_FOOTER = [
  '_______________________________________________',
  'Spamassassin-talk mailing list',
  'Spamassassin-talk@lists.sourceforge.net',
  'https://lists.sourceforge.net/lists/listinfo/spamassassin-talk',
].join('\r\n');

const SF_SPONSOR = ['-------------------------------------------------------', 'This sf.net email is sponsored by: ThinkGeek', 'Welcome to geek heaven.', 'http://thinkgeek.com/sf'].join('\r\n');

function post(body: string, listHeaders = true): Buffer {
  const head = [
    'From: Seller <seller@cheap-pills.example>',
    'To: spamassassin-talk@lists.sourceforge.net',
    'Subject: Best prices on everything',
    'Message-ID: <1@cheap-pills.example>',
    ...(listHeaders ? ['List-Id: <spamassassin-talk.lists.sourceforge.net>', 'X-Mailman-Version: 2.0.9-sf.net'] : []),
    'Content-Type: text/plain; charset=us-ascii',
  ].join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${body}`, 'latin1');
}

test('the trailer starts at the first separator followed by list words; a plain separator in the text is kept', () => {
  const text = `Buy now at http://pills.example/\r\n\r\n${SF_SPONSOR}\r\n${MAILMAN_FOOTER}\r\n`;
  assert.equal(listFooterStart(text), text.indexOf('-----'));
  const prose = `Results:\r\n--------------------------\r\nrow one\r\nrow two\r\n`;
  assert.equal(listFooterStart(prose), prose.length, 'a separator without list words after it is not a trailer');
  const late = `${MAILMAN_FOOTER.split('\r\n')[0]}\r\n${'filler line\r\n'.repeat(45)}unsubscribe here\r\n`;
  assert.equal(listFooterStart(late), late.length, 'list words more than 40 lines below do not count');
});

test('list headers decide whether a message is list mail', () => {
  assert.equal(isListMail(new Map([['list-id', ['x']]])), true);
  assert.equal(isListMail(new Map([['x-beenthere', ['x']]])), true);
  assert.equal(isListMail(new Map([['subject', ['x']]])), false);
});

test('tokens of list mail leave out the footer and its links; the same text without list headers keeps them', () => {
  const body = `Buy cheap pills now at http://pills.example/order\r\n\r\n${SF_SPONSOR}\r\n${MAILMAN_FOOTER}\r\n`;
  const listed = new Set(messageTokens(post(body)));
  for (const t of ['cheap', 'pills', 'url:pills.example']) assert.ok(listed.has(t), `${t} in ${[...listed].join(' ')}`);
  for (const t of ['thinkgeek', 'geek', 'heaven', 'sponsored', 'url:sourceforge.net', 'url:thinkgeek.com', 'spamassassin-talk']) assert.ok(!listed.has(t), `${t} should be left out`);
  const direct = new Set(messageTokens(post(body, false)));
  for (const t of ['thinkgeek', 'heaven', 'url:sourceforge.net']) assert.ok(direct.has(t), `${t} kept without list headers`);
});

test('a link the author wrote in the post is kept even when the footer repeats it', () => {
  const body = `Read https://lists.sourceforge.net/lists/listinfo/spamassassin-talk before posting.\r\n\r\n${MAILMAN_FOOTER}\r\n`;
  assert.ok(new Set(messageTokens(post(body))).has('url:sourceforge.net'));
});
