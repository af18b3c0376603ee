// The spam reader (engine/spam/message.ts) on a table of MIME shapes (mime-shapes.ts): what the filters get of
// each — header fields, decoded Subject and From, text and HTML parts, attachments, types, the mislabelled flag —
// must be what the table recorded (mime-shapes-want.ts), so a change to how the reader finds the message's
// structure shows here case by case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../engine/spam/message.js';
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
