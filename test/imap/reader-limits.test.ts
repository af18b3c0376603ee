// Unit tests for the IMAP reader's memory bounds: limits that follow the session's state, a literal above them
// handed to a sink (and input left unconsumed while the sink is full, so the socket's pause holds), sinks
// dropped with their command, and overlong lines or commands announcing a LITERAL+ literal treated as fatal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandReader, discardSpooled, type LiteralSink, type ReaderLimits } from '../../engine/imap/protocol/reader.js';
import { parseCommand } from '../../engine/imap/protocol/tokens.js';

class FakeSink implements LiteralSink {
  got: Buffer[] = [];
  full = false;
  discarded = 0;
  constructor(readonly size: number) {}
  write(chunk: Buffer): void {
    this.got.push(Buffer.from(chunk));
  }
  discard(): void {
    this.discarded++;
  }
  get bytes(): string {
    return Buffer.concat(this.got).toString();
  }
}

const small: ReaderLimits = { maxLine: 100, maxLiteral: 8, maxCommand: 300 };
const large: ReaderLimits = { maxLine: 100, maxLiteral: 50, maxCommand: 400 };

test('limits follow the session: a literal refused before login is read after it', () => {
  let authenticated = false;
  const r = new CommandReader({ limits: () => (authenticated ? large : small) });
  r.push(Buffer.from('a1 LOGIN {9}\r\n'));
  const e = r.take('command');
  assert.deepEqual(e && e.kind === 'error' && [e.tag, e.code, e.fatal], ['a1', 'TOOBIG', false]);
  assert.match(e?.kind === 'error' ? e.text : '', /at most 8 octets/);
  assert.equal(r.continuationWanted, false, 'no "+" for a refused literal');
  authenticated = true;
  r.push(Buffer.from('a2 SEARCH TEXT {9}\r\n'));
  assert.equal(r.take('command'), null);
  assert.equal(r.continuationWanted, true);
  r.push(Buffer.from('123456789\r\n'));
  assert.equal(r.take('command')?.kind, 'command');
});

test('a literal above the limits goes to the sink the spill hook gives, and stops being consumed while the sink is full', () => {
  const sinks: FakeSink[] = [];
  const asked: [string, number, boolean][] = [];
  const r = new CommandReader({
    limits: () => small,
    spill: (first, size, again) => {
      asked.push([first.toString(), size, again]);
      const s = new FakeSink(size);
      sinks.push(s);
      return { sink: s };
    },
  });
  r.push(Buffer.from('a1 APPEND INBOX {30+}\r\n0123456789'));
  assert.equal(r.take('command'), null);
  assert.deepEqual(asked, [['a1 APPEND INBOX {30+}', 30, false]]);
  const sink = sinks[0];
  assert.equal(sink.bytes, '0123456789');
  sink.full = true;
  r.push(Buffer.from('abcdefghij'));
  assert.equal(r.take('command'), null);
  assert.equal(r.bufferedBytes, 10, 'input waits unconsumed while the sink is full');
  assert.deepEqual(r.waitingFor()?.kind, 'literal');
  sink.full = false;
  r.push(Buffer.from('ABCDEFGHIJ\r\n'));
  const ev = r.take('command');
  assert.equal(ev?.kind, 'command');
  assert.equal(sink.bytes, '0123456789abcdefghijABCDEFGHIJ');
  if (ev?.kind !== 'command') return;
  assert.deepEqual(ev.segments.map((s) => s.kind), ['line', 'spooled', 'line']);
  const p = parseCommand(ev.segments);
  assert.ok(p.ok);
  assert.deepEqual(p.ok && p.cmd.args.map((t) => t.t), ['atom', 'spooled']);
  discardSpooled(ev);
  assert.equal(sink.discarded, 1);
});

test('a refused spill keeps its text; a sink is dropped when its command is abandoned', () => {
  const sinks: FakeSink[] = [];
  const r = new CommandReader({
    limits: () => small,
    spill: (_first, size, again) => {
      if (again || size > 100) return { refuse: 'Message too large (at most 100 octets)' };
      const s = new FakeSink(size);
      sinks.push(s);
      return { sink: s };
    },
  });
  r.push(Buffer.from('a1 APPEND INBOX {101}\r\n'));
  const e = r.take('command');
  assert.equal(e?.kind === 'error' && e.text, 'Message too large (at most 100 octets)');
  r.push(Buffer.from('a2 APPEND INBOX {20}\r\n'));
  assert.equal(r.take('command'), null);
  r.push(Buffer.from('01234567890123456789 {20}\r\n'));
  const e2 = r.take('command');
  assert.equal(e2?.kind === 'error' && e2.text, 'Message too large (at most 100 octets)', 'one large literal per command');
  assert.equal(sinks[0].discarded, 1, 'the first sink went with its refused command');
  r.push(Buffer.from('a3 APPEND INBOX {20}\r\n0123'));
  assert.equal(r.take('command'), null);
  r.discardBuffered(); // STARTTLS or the connection's end
  assert.equal(sinks[1].discarded, 1);
});

test('an overlong line or command announcing a LITERAL+ literal is fatal; a synchronizing one is not', () => {
  const r = new CommandReader(small);
  r.push(Buffer.from(`a1 NOOP ${'x'.repeat(150)} {5+}\r\n`));
  const e1 = r.take('command');
  assert.deepEqual(e1?.kind === 'error' && [e1.text, e1.fatal], ['Line too long', true]);
  const r2 = new CommandReader(small);
  for (let i = 0; i < 40; i++) r2.push(Buffer.from('y'.repeat(10)));
  r2.push(Buffer.from(' {5}\r\n'));
  const e2 = r2.take('command');
  assert.deepEqual(e2?.kind === 'error' && [e2.text, e2.fatal], ['Line too long', false]);
  for (const [marker, fatal] of [['{8+}', true], ['{8}', false]] as const) {
    const r3 = new CommandReader({ maxLine: 100, maxLiteral: 8, maxCommand: 120 });
    r3.push(Buffer.from(`a3 X ${'z'.repeat(80)} {8}\r\n12345678 ${'w'.repeat(20)} ${marker}\r\n`));
    const ev = r3.take('command');
    assert.deepEqual(ev?.kind === 'error' && [ev.text, ev.fatal], ['Command too long', fatal], marker);
  }
});
