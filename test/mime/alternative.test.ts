// The multipart/alternative entity a :mime vacation reason is (engine/mime/alternative.ts): read back by the
// MIME parser IMAP and JMAP use, each part decodes to the text it was given (Japanese, line lengths at and around
// base64's 57-octet line), every encoded line is at most 76 characters, and the boundary is not in the content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alternativeEntity } from '../../engine/mime/alternative.js';
import { parseMime } from '../../engine/mime/mime-tree.js';

const TEXTS = ['', 'Away until Monday.', '8月15日まで休暇をいただいております。\n"急ぎ"の方は \\ 代表へ。', 'a'.repeat(57), 'b'.repeat(57 * 3), 'c'.repeat(58), '--tegami-vacation-alternative--\r\n'];

test('each part of the entity decodes to its text, in lines of at most 76 characters', () => {
  for (const text of TEXTS) {
    const html = `<p>${text}</p>`;
    const entity = alternativeEntity(text, html);
    const raw = Buffer.from(entity, 'utf8');
    const root = parseMime(raw);
    assert.equal(`${root.type}/${root.subtype}`, 'multipart/alternative', JSON.stringify(text));
    assert.deepEqual(
      root.children.map((c) => `${c.type}/${c.subtype}`),
      ['text/plain', 'text/html'],
    );
    const decoded = root.children.map((c) => Buffer.from(raw.subarray(c.bodyStart, c.end).toString('latin1'), 'base64').toString('utf8'));
    assert.deepEqual(decoded, [text, html], JSON.stringify(text));
    for (const c of root.children) {
      assert.match(c.headers.map((h) => `${h.name}: ${h.value}`).join('\n'), /charset=utf-8[\s\S]*Content-Transfer-Encoding: base64/i);
      for (const line of raw.subarray(c.bodyStart, c.end).toString('latin1').split('\r\n')) assert.ok(line.length <= 76, `line of ${line.length}`);
    }
    const boundary = root.params.find(([k]) => k === 'boundary')![1];
    assert.equal(entity.split(`--${boundary}`).length, 4, 'the boundary stands at its three delimiters only');
    assert.ok(entity.endsWith(`--${boundary}--\r\n`));
  }
});
