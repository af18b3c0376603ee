// The lab's trial token families (lab/corpora/extra-tokens.ts, FIT_EXTRA_TOKENS; spam19): each gives the tokens its
// comment names, and none are added unless asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extraTokens } from '../../lab/corpora/extra-tokens.js';

const mail = (head: string[], body: string) => Buffer.from([...head, 'Subject: x', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8', '', body].join('\r\n'));

test('trial tokens: list headers, mailer family, hop count, pairs of the first N words', () => {
  const m = mail(
    ['Received: from a.example by b.example', 'Received: from c.example by a.example', 'From: News <news@shop.example>', 'List-Unsubscribe: <https://shop.example/u?x=1>', 'Precedence: bulk', 'X-Mailer: Mailchimp Mailer - **CIDabc**'],
    'Hello reader, this week at the shop we have new books',
  );
  assert.deepEqual(extraTokens(m, []), []);
  assert.deepEqual(extraTokens(m, ['listhdr']).sort(), ['xh:list-unsub', 'xh:list-unsub-own', 'xh:no-list-id', 'xh:precedence:bulk']);
  assert.deepEqual(extraTokens(m, ['mailer']), ['xh:mailer:mailchimp']);
  assert.deepEqual(extraTokens(m, ['hops']), ['xh:hops:2']);
  assert.deepEqual(extraTokens(m, ['bi3']).sort(), ['bi:hello reader', 'bi:reader this']);
  const other = mail(['From: a@shop.example', 'List-Unsubscribe: <mailto:leave@esp.example>', 'List-Id: <shop.list.esp.example>'], 'x');
  assert.deepEqual(extraTokens(other, ['listhdr']).sort(), ['xh:list-id', 'xh:list-unsub', 'xh:list-unsub-other']);
  assert.deepEqual(extraTokens(mail([], 'x'), ['mailer', 'hops']), ['xh:mailer:none', 'xh:hops:0']);
});
