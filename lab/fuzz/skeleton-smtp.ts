// SMTP session skeletons for the fuzzer: valid command sequences (EHLO/HELO, AUTH PLAIN|LOGIN|CRAM-MD5
// with good and bad base64, MAIL/RCPT/DATA, BDAT when offered, RSET/NOOP/VRFY/EXPN/HELP/STARTTLS/QUIT)
// plus a few wrong-by-design commands with the reply class they must get. Pure generation, no I/O.
import type { Rng } from './rng.js';
import { b64, step, line, type Accounts, type Offers, type Unit } from './plan.js';

const R = { kind: 'reply' } as const;
const C = { kind: 'cont' } as const;
const N = { kind: 'none' } as const;

function message(rng: Rng, acc: Accounts): string[] {
  const body = ['Subject: fuzz ' + rng.int(0, 1e6), 'From: <fuzz@lab.example.test>', `To: <${acc.sink}>`, '', 'hello'];
  for (let i = rng.int(0, 4); i > 0; i--) body.push(rng.pick(['..leading dot', '.', 'x'.repeat(rng.int(1, 200)), '', 'caf\u00e9 8bit']));
  return body.map((l) => (l === '.' ? '..' : l));
}

export function smtpUnits(rng: Rng, acc: Accounts, offers: Offers): Unit[] {
  const pool: Array<() => Unit> = [
    () => ({ steps: [step('NOOP', R, { accept: /^250/ })] }),
    () => ({ steps: [step('RSET', R, { accept: /^250/ })] }),
    () => ({ steps: [step(`VRFY ${acc.user}`, R, { accept: /^(25[02]|502|550|252)/ })] }),
    () => ({ steps: [step('EXPN postmaster', R)] }),
    () => ({ steps: [step('HELP', R)] }),
    () => ({ steps: [step(rng.pick(['XYZZY', 'FOO bar', 'MAIL', 'RCPT', 'EHL0 x', 'ETRN x', 'TURN', 'X'.repeat(rng.int(1, 40))]), R, { accept: /^5/ })] }),
    () => ({ steps: [step(`AUTH PLAIN ${b64(`\0${acc.user}\0${acc.password}`)}`, R)], ordered: true }),
    () => ({ steps: [step(`AUTH PLAIN ${rng.pick(['!!!notbase64***', '====', 'AAAA=A', '%%%', b64('\0only-two')])}`, R, { accept: /^5/ })] }),
    () => ({ steps: [step('AUTH PLAIN', C), step(rng.pick(['*', '@@@@', b64(`\0${acc.user}\0wrong-password`)]), R, { accept: /^5/ })] }),
    () => ({ steps: [step('AUTH LOGIN', C), step(b64(acc.user), C), step(b64(acc.password), R)], ordered: true }),
    // smtp-server decodes a username that is not base64 leniently and asks for the password; the exchange must still fail
    () => ({ steps: [step('AUTH LOGIN', C), step(rng.pick(['not base64!', '\u00ff\u00fe', '*']), C), step(b64(acc.password), R, { accept: /^5/ })] }),
    () => ({ steps: [step('AUTH CRAM-MD5', C), step(b64(`${acc.user} ${'0'.repeat(32)}`), R, { accept: /^5/ })] }),
    () => ({ steps: [step('AUTH CRAM-MD5', C), step('$$$$', R, { accept: /^5/ })] }),
    () => ({ steps: [step(`AUTH ${rng.pick(['GSSAPI', 'XOAUTH2', 'DIGEST-MD5', 'plain'])}`, R, { desyncIf: /^334/ })] }),
    () => transaction(rng, acc, offers),
    () => ({ steps: [step(`MAIL FROM:<${'a'.repeat(rng.int(300, 3000))}@lab.example.test>`, R, { accept: /^5/ })] }),
    () => ({ steps: [step('RCPT TO:<' + acc.sink + '>', R)] }),
    () => ({ steps: [step('DATA', R, { desyncIf: /^354/ })] }),
    () => ({ steps: [step('STARTTLS', R, { desyncIf: /^220/ })] }),
  ];
  const units: Unit[] = [{ steps: [step(rng.chance(0.85) ? 'EHLO fuzz.lab.example.test' : 'HELO fuzz.lab.example.test', R, { accept: /^250/ })], ordered: true }];
  for (let n = rng.int(1, 8); n > 0; n--) units.push(rng.pick(pool)());
  if (rng.chance(0.7)) units.push({ steps: [step('QUIT', R, { accept: /^221/ })] });
  return units;
}

function transaction(rng: Rng, acc: Accounts, offers: Offers): Unit {
  const params = rng.pick(['', ' SIZE=1000', ' BODY=8BITMIME', ' SIZE=99999999999', ' BODY=BINARYMIME', ' SMTPUTF8']);
  const steps = [step(`MAIL FROM:<fuzz@lab.example.test>${params}`, R), step(`RCPT TO:<${acc.sink}>`, R)];
  if (rng.chance(0.3)) steps.push(step(`RCPT TO:<nobody-${rng.int(0, 999)}@${acc.domain}>`, R));
  if (offers.chunking && rng.chance(0.3)) {
    const chunk = Buffer.from(message(rng, acc).join('\r\n') + '\r\n', 'latin1');
    steps.push({ bytes: Buffer.concat([line(`BDAT ${chunk.length} LAST`), chunk]), wait: R });
  } else {
    steps.push(step('DATA', R, { unless: /^354/ }));
    steps.push({ bytes: Buffer.from(message(rng, acc).join('\r\n') + '\r\n', 'latin1'), wait: N });
    steps.push(step('.', R));
  }
  return { steps, ordered: true };
}
