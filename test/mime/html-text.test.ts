// The text of an HTML body (engine/mime/html-text.ts), one reader for the Sieve body :text test, JMAP's preview
// and search, the webmail and a vacation given only HTML. JMAP had a regex reader of its own that ran list items
// and table cells together, left numeric entities as they were and kept text after a "<" inside a script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { htmlToReadableText, htmlToText } from '../../engine/mime/html-text.js';
import { bodyText } from '../../engine/jmap/mail/search.js';

const ROWS: [html: string, text: string][] = [
  ['<p>休暇中です</p>', '休暇中です'],
  ['a<br>b<br/>c', 'a\nb\nc'],
  ['<p>一</p><p>二</p>', '一\n\n二'],
  ['<ul><li>one</li><li>two</li></ul>', 'one\n\ntwo'],
  ['<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>', 'ab\n\nc'],
  ['A &amp; B &lt;c&gt; &quot;d&quot; &#39;e&#39; &#12354;&#x3044;', 'A & B <c> "d" \'e\' あい'],
  ['<script>if (a<b) x()</script>本文<style>p{}</style>', '本文'],
  ['<SCRIPT type="x">a<b</SCRIPT>z', 'z'],
  ['<!-- note -->t', 't'],
  ['<p>\n\n\n\nx</p>', 'x'],
  ['<p>unclosed', 'unclosed'],
];

test('HTML to readable text: tags out, a break per block, entities decoded, script and style dropped', () => {
  for (const [html, text] of ROWS) assert.equal(htmlToReadableText(html), text, JSON.stringify(html));
  assert.equal(htmlToText('<p>x</p>'), '\nx\n', 'untrimmed for Sieve :text');
});

test("JMAP search reads an HTML part's text the same way", () => {
  const raw = Buffer.from('Content-Type: text/html; charset=utf-8\r\n\r\n<ul><li>請求書</li><li>&#12354;</li></ul>\r\n', 'utf8');
  assert.match(bodyText(raw), /請求書\s+あ/);
});
