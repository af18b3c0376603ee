// IMAP session skeletons for the fuzzer: tagged LOGIN/AUTHENTICATE, SELECT/EXAMINE, FETCH with nested
// body sections and partials, SEARCH with nested parentheses and charsets, STORE/COPY/MOVE and their UID
// forms, APPEND with {n} and {n+} literals (some lying about their size), IDLE/DONE, with the completion
// they must get where it does not depend on state. Pure generation, no I/O.
import type { Rng } from './rng.js';
import { b64, line, step, type Accounts, type Offers, type Step, type Unit } from './plan.js';

const C = { kind: 'cont' } as const;
const BADNO = (tag: string) => new RegExp(`^${tag} (BAD|NO)`);

export function imapUnits(rng: Rng, acc: Accounts, offers: Offers): Unit[] {
  let n = 0;
  const tag = () => `F${(++n).toString().padStart(3, '0')}`;
  const cmd = (text: string, more: Partial<Step> = {}): Step => {
    const t = tag();
    return step(`${t} ${text}`, { kind: 'tag', tag: t }, { ...more, accept: more.accept ? new RegExp(more.accept.source.replace('TAG', t)) : undefined });
  };
  const set = () => rng.pick(['1', '1:*', '*', '1,2', '2:1', '1:3,5', '0', '4294967295', '1:4294967296', '$']);
  const section = (): string => {
    const part = rng.pick(['', '1', '1.2', '2.1.3', '1.MIME', '0']);
    const kind = rng.pick(['', 'HEADER', 'TEXT', 'HEADER.FIELDS (SUBJECT FROM)', 'HEADER.FIELDS.NOT (DATE)', 'MIME', 'HEADER.FIELDS ()']);
    const s = [part, kind].filter(Boolean).join('.');
    const partial = rng.pick(['', '', '<0.10>', '<5.0>', '<4294967295.1>', '<1.99999999999>', '<0>']);
    return `${rng.pick(['BODY', 'BODY.PEEK', 'BINARY.PEEK', 'BINARY.SIZE'])}[${s}]${partial}`;
  };
  const fetchItems = () => {
    const items = ['FLAGS', 'UID', 'RFC822.SIZE', 'ENVELOPE', 'BODYSTRUCTURE', 'INTERNALDATE', 'BODY', section(), section()];
    return `(${rng.shuffle(items).slice(0, rng.int(1, items.length)).join(' ')})`;
  };
  const nested = (depth: number): string => (depth <= 0 ? rng.pick(['ALL', 'SEEN', 'SUBJECT "fuzz"', 'FROM "x"', 'LARGER 10', 'UID 1:*', '1:*', 'SINCE 1-Jan-2020', 'HEADER "Subject" "hi"']) : rng.pick([`(${nested(depth - 1)})`, `OR (${nested(depth - 1)}) (${nested(depth - 1)})`, `NOT (${nested(depth - 1)})`]));
  const literal = (text: string, lie: number, plus: boolean) => `{${Buffer.byteLength(text, 'latin1') + lie}${plus ? '+' : ''}}`;
  const msg = () => `Subject: appended ${rng.int(0, 1e6)}\r\nFrom: <fuzz@lab.example.test>\r\n\r\nbody ${'y'.repeat(rng.int(0, 300))}\r\n`;
  const pool: Array<() => Unit> = [
    () => ({ steps: [cmd('CAPABILITY', { accept: /^TAG OK/ })] }),
    () => ({ steps: [cmd('NOOP', { accept: /^TAG OK/ })] }),
    () => ({ steps: [cmd(rng.pick(['XYZZY', 'FOO bar', 'SELEC INBOX', 'UID', 'UID XYZZY 1', 'FETCH', '']), { accept: /^TAG BAD/ })] }),
    () => ({ steps: [cmd(`LOGIN ${acc.user} wrong-password`, { accept: BADNO('TAG') })] }),
    () => ({ steps: [cmd(`LOGIN ${rng.pick(['"unterminated', '()', 'a b c d', '', '"a" NIL'])}`, { accept: BADNO('TAG') })] }),
    () => ({ steps: [cmd(`SELECT ${rng.pick(['INBOX', 'inbox', '"INBOX"', 'Nonexistent', '"&Jjo-"', '"a\\"b"', 'INBOX.Sub'])}`)] }),
    () => ({ steps: [cmd('EXAMINE INBOX')] }),
    () => ({ steps: [cmd(`FETCH ${set()} ${fetchItems()}`)] }),
    () => ({ steps: [cmd(`UID FETCH ${set()} ${fetchItems()}`)] }),
    () => ({ steps: [cmd(`FETCH ${set()} ${rng.pick(['ALL', 'FAST', 'FULL', 'BODY[', 'BODY[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16]', '(FLAGS', 'BODY[]<-1.5>', 'BODY[HEADER.FIELDS (SUBJECT]'])}`)] }),
    () => ({ steps: [cmd(`SEARCH ${rng.pick(['', 'CHARSET UTF-8 ', 'CHARSET ISO-2022-JP ', 'CHARSET US-ASCII '])}${nested(rng.int(0, 4))}`)] }),
    () => ({ steps: [cmd(`UID SEARCH ${'('.repeat(rng.int(1, 60))}ALL${')'.repeat(rng.int(0, 60))}`)] }),
    () => ({ steps: [cmd(`SEARCH CHARSET ${rng.pick(['BOGUS-9', 'X-UNKNOWN'])} SUBJECT "x"`)] }),
    () => ({ steps: [cmd(`SEARCH ${rng.pick(['SINCE 32-Foo-2020', 'LARGER x', 'UID', 'OR ALL', 'NOT', 'HEADER', 'BEFORE'])}`)] }),
    () => ({ steps: [cmd(`STORE ${set()} ${rng.pick(['+FLAGS', '-FLAGS', 'FLAGS', '+FLAGS.SILENT', 'BOGUS'])} ${rng.pick(['(\\Seen)', '(\\Flagged $Junk)', '()', '\\Seen', '(\\Bogus)', '(\\Recent)'])}`)] }),
    () => ({ steps: [cmd(`UID STORE ${set()} +FLAGS (\\Seen)`)] }),
    () => ({ steps: [cmd(`${rng.pick(['COPY', 'UID COPY', 'MOVE', 'UID MOVE'])} ${set()} ${rng.pick(['INBOX', 'Trash', '""', 'Nonexistent'])}`)] }),
    () => ({ steps: [cmd(`LIST "" "${rng.pick(['*', '%', 'INBOX/%', '%/%', `${'*a'.repeat(rng.int(1, 24))}c`, '%*'.repeat(rng.int(1, 200)), `${'a'.repeat(rng.int(1, 40))}*`])}"`)] }),
    () => ({ steps: [cmd(`CREATE ${rng.pick([`fuzz-${'a'.repeat(40)}`, 'fuzz/sub/deeper', '"fuzz &-"', '""', '/', 'INBOX'])}`)] }),
    () => ({ steps: [cmd(`STATUS INBOX (${rng.pick(['MESSAGES UIDNEXT', 'UNSEEN RECENT UIDVALIDITY', 'BOGUS', ''])})`)] }),
    () => ({ steps: [cmd(rng.pick(['CHECK', 'CLOSE', 'UNSELECT', 'EXPUNGE', 'ENABLE UTF8=ACCEPT', 'ID NIL', 'NAMESPACE']))] }),
    () => {
      const t = tag();
      return { steps: [step(`${t} IDLE`, C), step('DONE', { kind: 'tag', tag: t })] };
    },
    () => {
      const t = tag();
      return { steps: [step(`${t} AUTHENTICATE PLAIN`, C), step(rng.pick(['!!!notbase64***', '====', '*', b64(`\0${acc.user}\0nope`)]), { kind: 'tag', tag: t }, { accept: BADNO(t) })] };
    },
    () => ({ steps: [cmd(`AUTHENTICATE ${rng.pick(['GSSAPI', 'BOGUS', 'PLAIN %%%', 'PLAIN ='])}`, { accept: BADNO('TAG') })] }),
    () => {
      const t = tag();
      return { steps: [step(`${t} STARTTLS`, { kind: 'tag', tag: t }, { desyncIf: new RegExp(`^${t} OK`) })] };
    },
    () => appendUnit(rng, tag(), msg(), literal, offers),
  ];
  const login: Unit = rng.pick([
    { steps: [cmd(`LOGIN ${acc.user} ${acc.password}`, { accept: /^TAG OK/ })], ordered: true },
    (() => {
      const t = tag();
      if (!offers.literalPlus) return { steps: [cmd(`LOGIN "${acc.user}" "${acc.password}"`, { accept: /^TAG OK/ })], ordered: true } as Unit;
      return { steps: [{ bytes: Buffer.from(`${t} LOGIN "${acc.user}" {${acc.password.length}+}\r\n${acc.password}\r\n`, 'latin1'), wait: { kind: 'tag', tag: t }, accept: new RegExp(`^${t} OK`) }], ordered: true } as Unit;
    })(),
    (() => {
      const t = tag();
      return { steps: [step(`${t} AUTHENTICATE PLAIN`, C), step(b64(`\0${acc.user}\0${acc.password}`), { kind: 'tag', tag: t }, { accept: new RegExp(`^${t} OK`) })], ordered: true } as Unit;
    })(),
  ]);
  const units: Unit[] = rng.chance(0.85) ? [login] : [];
  if (rng.chance(0.8)) units.push({ steps: [cmd(rng.pick(['SELECT INBOX', 'EXAMINE INBOX']), { accept: units.length ? /^TAG OK/ : /^TAG BAD/ })], ordered: true });
  for (let k = rng.int(1, 9); k > 0; k--) units.push(rng.pick(pool)());
  if (rng.chance(0.7)) units.push({ steps: [cmd('LOGOUT', { accept: /^TAG OK/ })] });
  return units;
}

function appendUnit(rng: Rng, t: string, msg: string, literal: (text: string, lie: number, plus: boolean) => string, offers: Offers): Unit {
  const plus = offers.literalPlus && rng.chance(0.4);
  const lie = rng.chance(0.2) ? rng.pick([-5, 1, 10, 200]) : 0;
  const head = `${t} APPEND ${rng.pick(['INBOX', 'INBOX', 'Nonexistent'])} ${rng.pick(['', '(\\Seen) ', '(\\Bogus $x) ', '"1-Jan-2020 00:00:00 +0000" '])}${literal(msg, lie, plus)}`;
  const tail = Buffer.from(msg + '\r\n', 'latin1');
  if (plus) return { steps: [{ bytes: Buffer.concat([line(head), tail]), wait: lie ? { kind: 'none' } : { kind: 'tag', tag: t }, desync: lie !== 0 }] };
  return { steps: [step(head, { kind: 'cont' }), { bytes: tail, wait: lie ? { kind: 'none' } : { kind: 'tag', tag: t }, desync: lie !== 0 }] };
}
