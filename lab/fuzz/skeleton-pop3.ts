// POP3 session skeletons for the fuzzer: USER/PASS, APOP, AUTH PLAIN|LOGIN|CRAM-MD5 (good and bad base64),
// STLS, CAPA, STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, QUIT, with out-of-range and malformed
// arguments and the status they must get. Pure generation, no I/O.
import type { Rng } from './rng.js';
import { b64, step, type Accounts, type Unit } from './plan.js';

const R = { kind: 'reply' } as const;
const M = { kind: 'reply', multi: true } as const;
const C = { kind: 'cont' } as const;
const ERR = /^-ERR/;

export function pop3Units(rng: Rng, acc: Accounts): Unit[] {
  const n = () => String(rng.pick([1, 1, 2, 3]));
  const bad = () => rng.pick(['0', '-1', '99999', 'abc', '4294967296', '1.5', '1 2']);
  const pool: Array<() => Unit> = [
    () => ({ steps: [step('CAPA', M, { accept: /^\+OK/ })] }),
    () => ({ steps: [step('STAT', R)] }),
    () => ({ steps: [step('LIST', M)] }),
    () => ({ steps: [step(`LIST ${n()}`, R)] }),
    () => ({ steps: [step('UIDL', M)] }),
    () => ({ steps: [step(`UIDL ${n()}`, R)] }),
    () => ({ steps: [step(`RETR ${n()}`, M)] }),
    () => ({ steps: [step(`TOP ${n()} ${rng.pick(['0', '1', '5', '100000'])}`, M)] }),
    () => ({ steps: [step(`TOP ${n()} ${rng.pick(['-1', 'x', '', '99999999999999999999'])}`, R, { accept: ERR })] }),
    () => ({ steps: [step(`${rng.pick(['RETR', 'DELE', 'LIST', 'UIDL'])} ${bad()}`, R, { accept: ERR })] }),
    () => ({ steps: [step(`DELE ${n()}`, R)] }),
    () => ({ steps: [step('RSET', R)] }),
    () => ({ steps: [step('NOOP', R)] }),
    () => ({ steps: [step(rng.pick(['XYZZY', 'HELO x', 'LAST', 'FOO bar', 'RETR1', 'X'.repeat(rng.int(1, 30))]), R, { accept: ERR })] }),
    () => ({ steps: [step(`USER ${acc.user}`, R), step('PASS wrong-password', R, { accept: ERR })] }),
    () => ({ steps: [step(`APOP ${acc.user} ${'0'.repeat(32)}`, R, { accept: ERR })] }),
    () => ({ steps: [step(`APOP ${rng.pick(['', acc.user, 'x y z'])}`, R, { accept: ERR })] }),
    () => ({ steps: [step('AUTH PLAIN', C), step(rng.pick(['!!!notbase64***', '====', b64('\0only-two'), '*']), R, { accept: ERR })] }),
    () => ({ steps: [step(`AUTH PLAIN ${rng.pick(['%%%', 'AAAA=A', b64(`\0${acc.user}\0nope`)])}`, R, { accept: ERR })] }),
    () => ({ steps: [step('AUTH LOGIN', C), step(b64(acc.user), C), step(rng.pick(['#bad#', b64('wrong')]), R, { accept: ERR })] }),
    () => ({ steps: [step('AUTH CRAM-MD5', C), step(rng.pick([b64(`${acc.user} ${'f'.repeat(32)}`), '&&&']), R, { accept: ERR })] }),
    () => ({ steps: [step('AUTH', M)] }),
    () => ({ steps: [step(`AUTH ${rng.pick(['GSSAPI', 'XOAUTH2', 'plainx'])}`, R, { accept: ERR })] }),
    () => ({ steps: [step('STLS', R, { desyncIf: /^\+OK/ })] }),
    () => ({ steps: [step(`PASS ${acc.password}`, R)] }),
  ];
  const login: Unit = rng.pick([
    { steps: [step(`USER ${acc.user}`, R, { accept: /^\+OK/ }), step(`PASS ${acc.password}`, R, { accept: /^\+OK/ })], ordered: true },
    { steps: [step(`AUTH PLAIN ${b64(`\0${acc.user}\0${acc.password}`)}`, R, { accept: /^\+OK/ })], ordered: true },
    { steps: [step('AUTH LOGIN', C), step(b64(acc.user), C), step(b64(acc.password), R, { accept: /^\+OK/ })], ordered: true },
  ]);
  const units: Unit[] = rng.chance(0.85) ? [login] : [];
  for (let k = rng.int(1, 9); k > 0; k--) units.push(rng.pick(pool)());
  // QUIT without DELE-ing anything the oracle or the next session needs: RSET first
  if (rng.chance(0.7)) units.push({ steps: [step('RSET', R), step('QUIT', R, { accept: /^\+OK/ })] });
  return units;
}
