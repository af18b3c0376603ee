// The fuzzer's oracle transactions: after each session a fresh connection must do a known-good exchange
// (SMTP: a whole mail to the oracle mailbox; POP3: login + STAT; IMAP: LOGIN, SELECT INBOX, FETCH 1 (FLAGS))
// with the right replies, well-formed, within the reply bound. Never touches the fuzzed mailbox.
import { step, type Plan, type Protocol } from './plan.js';
import { runSession, type Failure, type SessionOptions } from './session.js';

export interface OracleAccount {
  user: string;
  password: string;
}

const R = { kind: 'reply' } as const;

export function oraclePlan(protocol: Protocol, acc: OracleAccount, marker: string): Plan {
  const steps =
    protocol === 'smtp'
      ? [
          step('EHLO oracle.lab.example.test', R, { accept: /^250 / }),
          step('MAIL FROM:<oracle@lab.example.test>', R, { accept: /^250 / }),
          step(`RCPT TO:<${acc.user}>`, R, { accept: /^250 / }),
          step('DATA', R, { accept: /^354 / }),
          { bytes: Buffer.from(`Subject: oracle\r\nX-Fuzz-Oracle: ${marker}\r\nMessage-ID: <${marker}@lab.example.test>\r\n\r\nstill serving\r\n`), wait: { kind: 'none' } as const },
          step('.', R, { accept: /^250 / }),
          step('QUIT', R, { accept: /^221 / }),
        ]
      : protocol === 'pop3'
        ? [step(`USER ${acc.user}`, R, { accept: /^\+OK/ }), step(`PASS ${acc.password}`, R, { accept: /^\+OK/ }), step('STAT', R, { accept: /^\+OK [1-9]\d* \d+/ }), step('QUIT', R, { accept: /^\+OK/ })]
        : [
            step(`O1 LOGIN "${acc.user}" "${acc.password.replace(/["\\]/g, '\\$&')}"`, { kind: 'tag', tag: 'O1' }, { accept: /^O1 OK/ }),
            step('O2 SELECT INBOX', { kind: 'tag', tag: 'O2' }, { accept: /^O2 OK/ }),
            step('O3 FETCH 1 (FLAGS)', { kind: 'tag', tag: 'O3' }, { accept: /^O3 OK/ }),
            step('O4 LOGOUT', { kind: 'tag', tag: 'O4' }, { accept: /^O4 OK/ }),
          ];
  return { protocol, seed: 0, steps, mutations: [] };
}

/** Run the oracle; failures (kind 'oracle') when any reply is wrong, late, malformed or missing. */
export async function runOracle(protocol: Protocol, acc: OracleAccount, marker: string, opts: SessionOptions): Promise<Failure[]> {
  const plan = oraclePlan(protocol, acc, marker);
  const r = await runSession(plan, { ...opts, probe: false });
  const out = r.failures.map((f) => ({ kind: 'oracle' as const, detail: `${protocol} oracle: ${f.kind}: ${f.detail}` }));
  const text = r.transcript.filter((x) => x.dir === 'S').map((x) => x.data).join('');
  if (protocol === 'imap' && !/^\* 1 FETCH \(.*FLAGS \(/m.test(text)) out.push({ kind: 'oracle', detail: 'imap oracle: no "* 1 FETCH (FLAGS (...))" response' });
  if (r.stepsSent < plan.steps.length) out.push({ kind: 'oracle', detail: `${protocol} oracle: connection closed after ${r.stepsSent} of ${plan.steps.length} commands` });
  return out;
}
