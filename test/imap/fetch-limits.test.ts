// FETCH bounds over real sockets (issue 10 #4), on both stores: items answered under the same name are merged
// (BODY[] and BODY.PEEK[], the same item twice, partials from one origin), more than 256 items get BAD and the
// session goes on, and a large message's BODY[] / RFC822 / partials, read from the store in chunks as they are
// sent, arrive byte-exact, as do sections that need the whole message parsed (TEXT, parts, Japanese headers).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import iconv from 'iconv-lite';
import type { MailboxStore } from '../../engine/store/mailbox-store.js';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { MemoryStore } from '../../engine/store/memory-store.js';
import { mail, PASS, startHarness, USER, type Harness } from './harness.js';
import { StreamClient, type Answer } from './stream-client.js';

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

const small = mail([
  'From: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?= <a@example.test>',
  'Subject: small',
  'Content-Type: text/plain; charset=EUC-JP',
  '',
  iconv.encode('小さい本文', 'EUC-JP').toString('latin1'),
]);

/** A multipart message of about 1.5 MB: a Shift_JIS text part and a base64 attachment; the parts' bytes kept. */
function large(): { msg: Buffer; text: Buffer; part1: Buffer; part2: Buffer } {
  const part1 = Buffer.concat([iconv.encode('大きなメッセージの本文です。', 'Shift_JIS'), Buffer.from('\r\n')]);
  const lines: string[] = [];
  for (let i = 0; lines.length * 78 < 1_500_000; i++) lines.push(crypto.createHash('sha512').update(String(i)).digest('base64').slice(0, 76));
  const part2 = Buffer.from(lines.join('\r\n') + '\r\n');
  const head = mail(['From: big@example.test', `To: ${USER}`, 'Subject: =?UTF-8?B?5aSn44GN44GE?=', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '']);
  const text = Buffer.concat([
    Buffer.from('--b\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'),
    part1,
    Buffer.from('--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n'),
    part2,
    Buffer.from('--b--\r\n'),
  ]);
  // mail() ends the header with CRLF CRLF; the parts' CRLF before each boundary belongs to the boundary
  return { msg: Buffer.concat([head, text]), text, part1: part1.subarray(0, part1.length - 2), part2: part2.subarray(0, part2.length - 2) };
}

const stores: [string, (dataDir: string) => MailboxStore][] = [
  ['memory store', () => new MemoryStore()],
  ['Maildir store', (d) => new MaildirStore(d)],
];

for (const [name, makeStore] of stores) {
  describe(`FETCH limits (${name})`, () => {
    let h: Harness;
    let c: StreamClient;
    const big = large();
    let n = 0;
    const cmd = async (command: string): Promise<Answer> => {
      const tag = `t${++n}`;
      await c.write(`${tag} ${command}\r\n`);
      return c.until(tag);
    };

    before(async () => {
      h = await startHarness({ store: makeStore });
      await h.store.append(USER, 'INBOX', small);
      await h.store.append(USER, 'INBOX', big.msg);
      c = await StreamClient.connect(h.plain.port);
      assert.match((await cmd(`LOGIN ${USER} ${PASS}`)).status ?? '', /^OK/);
      assert.match((await cmd('SELECT INBOX')).status ?? '', /^OK/);
    });
    after(async () => {
      c.close();
      await h.close();
    });

    test('items answered under one name are merged; \\Seen is still set by a non-PEEK one', async () => {
      const r = await cmd('FETCH 1 (FLAGS UID FLAGS BODY.PEEK[HEADER] BODY.PEEK[HEADER] RFC822.SIZE BODY.PEEK[] BODY[] BODY.PEEK[])');
      assert.match(r.status ?? '', /^OK/);
      const text = r.lines.join('\n');
      for (const item of ['FLAGS', 'UID', 'BODY\\[HEADER\\]', 'RFC822\\.SIZE', 'BODY\\[\\]']) {
        assert.equal(text.match(new RegExp(`[( ]${item} `, 'g'))?.length, 1, `${item} once in ${text}`);
      }
      assert.match(text, /FLAGS \([^)]*\\Seen/);
      assert.deepEqual(r.literals.map((l) => l.sha256).slice(-1), [sha(small)]);
    });

    test('partials from one origin merge to the widest; different origins stay apart', async () => {
      const r = await cmd('FETCH 2 (BODY.PEEK[]<0.10> BODY.PEEK[]<0.100> BODY.PEEK[]<5.3> BODY.PEEK[]<0.50>)');
      assert.match(r.status ?? '', /^OK/);
      assert.deepEqual(
        r.literals.map((l) => [/(BODY\[\]<\d+>) \{\d+\}$/.exec(l.before)?.[1], l.size, l.sha256]),
        [
          ['BODY[]<0>', 100, sha(big.msg.subarray(0, 100))],
          ['BODY[]<5>', 3, sha(big.msg.subarray(5, 8))],
        ],
      );
    });

    test('partial numbers are 32-bit: past that BAD (they were echoed rounded or as 1e+21); the largest is echoed as sent', async () => {
      for (const p of ['<4294967296.1>', '<1000000000000000000000.1>', '<0.4294967296>', '<99999999999999999999>']) {
        assert.match((await cmd(`FETCH 1 (BODY.PEEK[]${p})`)).status ?? '', /^BAD Partial numbers must be below 4294967296/, p);
      }
      const r = await cmd('FETCH 1 (BODY.PEEK[]<4294967295.4294967295> BODY.PEEK[TEXT]<2.3>)');
      assert.match(r.status ?? '', /^OK/);
      assert.deepEqual(r.literals.map((l) => [/(BODY\[[A-Z]*\]<\d+>) \{\d+\}$/.exec(l.before)?.[1], l.size]), [['BODY[]<4294967295>', 0], ['BODY[TEXT]<2>', 3]]);
      assert.match((await cmd('NOOP')).status ?? '', /^OK/);
    });

    test('more than 256 items is BAD; 256 (merged to one) is fine; the session goes on', async () => {
      assert.match((await cmd(`FETCH 1 (${Array(257).fill('FLAGS').join(' ')})`)).status ?? '', /^BAD Too many fetch items \(at most 256\)/);
      const ok = await cmd(`FETCH 1 (${Array(256).fill('FLAGS').join(' ')})`);
      assert.match(ok.status ?? '', /^OK/);
      assert.equal(ok.lines.length, 1);
      assert.match(ok.lines[0], /^\* 1 FETCH \(FLAGS \([^)]*\)\)$/);
      assert.match((await cmd('NOOP')).status ?? '', /^OK/);
    });

    test('a large message: whole, RFC822, partials (inside, across and past the end) byte-exact, as are TEXT and its parts', async () => {
      const m = big.msg;
      const r = await cmd(`FETCH 2 (RFC822.SIZE BODY.PEEK[] BODY.PEEK[]<1000.5000> BODY.PEEK[]<${m.length - 10}.100> BODY.PEEK[]<${m.length + 5}>)`);
      assert.match(r.status ?? '', /^OK/);
      assert.match(r.lines[0], new RegExp(`RFC822.SIZE ${m.length} `));
      assert.deepEqual(
        r.literals.map((l) => [l.size, l.sha256]),
        [
          [m.length, sha(m)],
          [5000, sha(m.subarray(1000, 6000))],
          [10, sha(m.subarray(m.length - 10))],
          [0, sha(Buffer.alloc(0))],
        ],
      );
      const parts = await cmd('FETCH 2 (BODY.PEEK[TEXT] BODY.PEEK[1] BODY.PEEK[2] BODYSTRUCTURE ENVELOPE)');
      assert.deepEqual(parts.literals.map((l) => l.sha256), [sha(big.text), sha(big.part1), sha(big.part2)]);
      assert.match(parts.lines.join('\n'), /"SHIFT_JIS"/i);
      // ENVELOPE and BODYSTRUCTURE are cached now: the whole message is streamed beside them
      const again = await cmd('FETCH 2 (BODYSTRUCTURE BODY.PEEK[])');
      assert.deepEqual(again.literals.map((l) => l.sha256), [sha(m)]);
      const seen = await cmd('FETCH 2 (RFC822)');
      assert.deepEqual(seen.literals.map((l) => l.sha256), [sha(m)]);
      assert.match(seen.lines.join('\n'), /\\Seen/);
    });

    test('UID FETCH 1:* over small and large messages arrives in order, byte-exact', async () => {
      await h.store.append(USER, 'INBOX', small);
      await h.store.append(USER, 'INBOX', big.msg);
      assert.ok((await cmd('NOOP')).lines.includes('* 4 EXISTS'));
      const r = await cmd('UID FETCH 1:* (UID RFC822.SIZE BODY.PEEK[])');
      assert.match(r.status ?? '', /^OK/);
      assert.deepEqual(
        r.literals.map((l) => l.sha256),
        [small, big.msg, small, big.msg].map(sha),
      );
    });
  });
}
