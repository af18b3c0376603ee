// The ManageSieve framer on its own, fed byte by byte and in odd chunks: atoms, quoted strings with escapes,
// {N+} and {N} literals across chunks, the quoted-string bound, an overlong line, an oversized literal before
// login (fatal) and after it (skipped without being kept, then refused, the next command read in step), and
// what it waits for (the deadlines' clock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lexLine, SieveReader, type ReaderEvent, type ReaderLimits } from '../../engine/managesieve/reader.js';

const LIMITS: ReaderLimits = { maxLine: 200, maxLiteral: 50, maxCommand: 400, skipOversized: false };

function feed(r: SieveReader, data: string | Buffer, chunk = 1): ReaderEvent[] {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
  const out: ReaderEvent[] = [];
  for (let i = 0; i < b.length; i += chunk) {
    r.push(b.subarray(i, i + chunk));
    for (let e = r.take(); e; e = r.take()) {
      out.push(e);
      if (e.kind === 'error' && e.fatal) return out; // the session closes the connection here
    }
  }
  return out;
}

const texts = (e: ReaderEvent) => (e.kind === 'command' ? e.tokens.map((t) => (t.t === 'atom' ? `atom:${t.v}` : `str:${t.v.toString('utf8')}`)) : [`error:${e.text}`]);

test('commands with atoms, quoted strings and literals, byte by byte', () => {
  const r = new SieveReader(() => LIMITS);
  const evs = feed(r, 'PUTSCRIPT "a \\"b\\" \\\\" {7+}\r\nkeep;\r\n\r\nHAVESPACE "仕事" 100\r\nputscript {2}\r\nxy {0+}\r\n\r\n');
  assert.deepEqual(evs.map(texts), [
    ['atom:PUTSCRIPT', 'str:a "b" \\', 'str:keep;\r\n'],
    ['atom:HAVESPACE', 'str:仕事', 'atom:100'],
    ['atom:putscript', 'str:xy', 'str:'],
  ]);
  assert.equal(r.waitingFor(), null);
});

test('the waits the deadlines time: a partial line, an announced literal', () => {
  const r = new SieveReader(() => LIMITS);
  feed(r, 'NOOP');
  assert.equal(r.waitingFor()?.kind, 'line');
  feed(r, ' {5+}\r\nab');
  assert.equal(r.waitingFor()?.kind, 'literal');
  const evs = feed(r, 'cde\r\n');
  assert.deepEqual(evs.map(texts), [['atom:NOOP', 'str:abcde']]);
});

test('bad syntax is a non-fatal error; a quoted string over 1024 octets must be a literal', () => {
  assert.equal(lexLine(Buffer.from('A "unterminated')).ok, false);
  assert.equal(lexLine(Buffer.from('A "bad \\x escape"')).ok, false);
  assert.equal(lexLine(Buffer.from('A {5+} trailing')).ok, false);
  assert.equal(lexLine(Buffer.from(`A "${'x'.repeat(1025)}"`)).ok, false);
  assert.equal(lexLine(Buffer.from(`A "${'x'.repeat(1024)}"`)).ok, true);
  const r = new SieveReader(() => ({ ...LIMITS, maxLine: 4000 }));
  const evs = feed(r, '\x01\x02\r\nNOOP\r\n', 3);
  assert.equal(evs[0].kind === 'error' && !evs[0].fatal, true);
  assert.deepEqual(texts(evs[1]), ['atom:NOOP']);
});

test('an overlong line and an oversized literal before login end the connection without being buffered', () => {
  const r = new SieveReader(() => LIMITS);
  const long = feed(r, 'X'.repeat(1000), 100);
  assert.equal(long.length, 1);
  assert.equal(long[0].kind === 'error' && long[0].fatal, true);
  assert.equal(r.bufferedBytes, 0);
  const r2 = new SieveReader(() => LIMITS);
  const big = feed(r2, 'AUTHENTICATE "PLAIN" {1000000+}\r\n' + 'A'.repeat(300), 64);
  assert.equal(big.length, 1);
  assert.equal(big[0].kind === 'error' && big[0].fatal && big[0].code, 'QUOTA/MAXSIZE');
  assert.ok(r2.bufferedBytes < 300);
});

test('after login an oversized literal is skipped unkept, refused, and the next command is read in step', () => {
  let kept = 0;
  const r = new SieveReader(() => ({ ...LIMITS, skipOversized: true }));
  const evs: ReaderEvent[] = [];
  const data = Buffer.from(`PUTSCRIPT "big" {5000+}\r\n${'#'.repeat(5000)} trailing\r\nNOOP "next"\r\n`);
  for (let i = 0; i < data.length; i += 97) {
    r.push(data.subarray(i, i + 97));
    kept = Math.max(kept, r.bufferedBytes);
    for (let e = r.take(); e; e = r.take()) evs.push(e);
  }
  assert.deepEqual(evs.map(texts), [['error:Literal too large (at most 50 octets)'], ['atom:NOOP', 'str:next']]);
  assert.ok(kept < 200, `never more than a chunk held (${kept})`);
});
