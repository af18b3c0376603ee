// The spam reader (engine/spam/message.ts) on a table of MIME shapes (mime-shapes.ts): what the filters get of
// each — header fields, decoded Subject and From, text and HTML parts, attachments, types, the mislabelled flag —
// must be what the table recorded (mime-shapes-want.ts), so a change to how the reader finds the message's
// structure shows here case by case. The parts it reads are the ones IMAP and the webmail show: the parts of the
// one MIME tree (engine/mime/mime-tree.ts), in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../engine/spam/message.js';
import { parseMime, SPAM_BOUNDS, type MimeNode } from '../../engine/mime/mime-tree.js';
import { SHAPES, summary } from './mime-shapes.js';
import { WANT } from './mime-shapes-want.js';

test('every shape has a recorded reading', () => {
  assert.deepEqual(SHAPES.map((s) => s.name).sort(), Object.keys(WANT).sort());
});

for (const shape of SHAPES) {
  test(`spam reader: ${shape.name}`, () => {
    assert.deepEqual(summary(parseMessage(shape.raw)), WANT[shape.name]);
  });
}

/** The types of a tree's parts in document order (an encapsulated message after its message/rfc822 part). */
function treeTypes(node: MimeNode, out: string[] = []): string[] {
  out.push(`${node.type}/${node.subtype}`);
  for (const c of node.children) treeTypes(c, out);
  if (node.message) treeTypes(node.message, out);
  return out;
}

test('the spam reader reads the parts of the one MIME tree', () => {
  for (const shape of SHAPES) {
    assert.equal(parseMessage(shape.raw).types.join(' '), treeTypes(parseMime(shape.raw, SPAM_BOUNDS)).join(' '), shape.name);
  }
});
