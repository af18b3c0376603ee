// Runs Pigeonhole's sieve-test (Debian's dovecot-sieve) in a private throw-away configuration and turns its
// report, and tegami's SieveResult, into one normal form so the differential test can compare them line by line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SieveResult } from '../../engine/sieve/index.js';

export const ENVELOPE = { from: 'sender@example.org', to: 'user@example.com' };

export interface PigeonholeRun {
  normal: string[];
  stdout: string;
  stderr: string;
}

/** A private dovecot config readable by the unprivileged user sieve-test drops to (it refuses to run as root). */
export class Pigeonhole {
  readonly dir: string;

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pigeonhole-'));
    fs.chmodSync(this.dir, 0o777);
    for (const d of ['home', 'personal', 'global']) {
      fs.mkdirSync(path.join(this.dir, d));
      fs.chmodSync(path.join(this.dir, d), 0o777);
    }
    fs.writeFileSync(
      path.join(this.dir, 'dovecot.conf'),
      [
        'mail_uid = nobody',
        'mail_gid = nogroup',
        'first_valid_uid = 1',
        'first_valid_gid = 1',
        'log_path = /dev/stderr',
        'plugin {',
        `  sieve = file:${this.dir}/personal`,
        `  sieve_global = ${this.dir}/global`,
        '  sieve_extensions = +vacation-seconds +editheader +spamtest +spamtestplus',
        '  sieve_spamtest_status_type = score',
        '  sieve_spamtest_status_header = X-IMAIL-SPAM: score=(-?[0-9]+\\.[0-9]+)',
        '  sieve_spamtest_max_value = 10.0',
        '}',
        '',
      ].join('\n'),
    );
  }

  setIncludes(personal: Record<string, string> = {}, global: Record<string, string> = {}) {
    for (const [sub, files] of [['personal', personal], ['global', global]] as const) {
      const d = path.join(this.dir, sub);
      for (const f of fs.readdirSync(d)) fs.rmSync(path.join(d, f), { force: true });
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(d, `${name}.sieve`), text, { mode: 0o644 });
    }
  }

  /** Run a script on a message; `execute` makes sieve-test carry out the actions (vacation decides for real). */
  run(script: string, message: Buffer, opts: { from?: string; to?: string; execute?: boolean } = {}): PigeonholeRun {
    const work = fs.mkdtempSync(path.join(this.dir, 'run-'));
    fs.chmodSync(work, 0o777);
    const scriptFile = path.join(work, 'script.sieve');
    const msgFile = path.join(work, 'message.eml');
    fs.writeFileSync(scriptFile, script, { mode: 0o644 });
    fs.writeFileSync(msgFile, message, { mode: 0o644 });
    const home = path.join(work, 'home');
    fs.mkdirSync(home, { mode: 0o777 });
    fs.chmodSync(home, 0o777);
    const to = opts.to ?? ENVELOPE.to;
    const args = ['-c', path.join(this.dir, 'dovecot.conf'), '-l', `maildir:${home}/Maildir`, '-f', opts.from ?? ENVELOPE.from, '-r', to, '-a', to];
    if (opts.execute) args.push('-e');
    args.push(scriptFile, msgFile);
    const r = spawnSync('sieve-test', args, { env: { ...process.env, HOME: home }, encoding: 'utf8', timeout: 30_000 });
    fs.rmSync(work, { recursive: true, force: true });
    return { normal: normalisePigeonhole(r.stdout ?? '', r.stderr ?? '', r.status), stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  close() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

const flagsPart = (flags: string[]) => (flags.length ? ` flags=${flags.map((f) => f.toLowerCase()).sort().join(',')}` : '');

/** sieve-test's "Performed actions / Implicit keep" report → normal form. */
export function normalisePigeonhole(stdout: string, stderr: string, status: number | null): string[] {
  if (/failed to compile/.test(stderr) || (status !== 0 && !/final result/.test(stderr))) return ['compile-error'];
  if (/final result: failed/.test(stderr)) return ['runtime-error', 'implicit-keep'];
  const out: string[] = [];
  const lines = stdout.split('\n');
  let section: 'none' | 'actions' | 'implicit' = 'none';
  let cur: { kind: string; text: string; flags: string[]; create: boolean; vac: Record<string, string> } | null = null;
  let inMessage = false;
  let reason: string[] = [];
  const flush = () => {
    if (!cur) return;
    if (cur.kind === 'store') out.push(section === 'implicit' ? `implicit-keep${cur.text !== 'INBOX' ? ' ' + cur.text : ''}${flagsPart(cur.flags)}` : `store ${cur.text}${flagsPart(cur.flags)}${cur.create ? ' create' : ''}`);
    else if (cur.kind === 'vacation') out.push(vacationLine(Number(cur.vac.seconds), cur.vac.subject ?? null, cur.vac.from ?? null, cur.vac.handle ?? '', reason.join('\n')));
    else out.push(cur.text);
    cur = null;
    reason = [];
  };
  for (const line of lines) {
    if (inMessage) {
      if (line === 'END MESSAGE') inMessage = false;
      else reason.push(line);
      continue;
    }
    if (line.startsWith('Performed actions:')) section = 'actions';
    else if (line.startsWith('Implicit keep:')) {
      flush();
      section = 'implicit';
    } else if (line === 'START MESSAGE') inMessage = true;
    else if (section !== 'none' && /^ \* /.test(line)) {
      flush();
      const t = line.slice(3);
      let m: RegExpExecArray | null;
      if ((m = /^store message in folder: (.*)$/.exec(t))) cur = { kind: 'store', text: m[1], flags: [], create: false, vac: {} };
      else if ((m = /^redirect message to: <(.*)>$/.exec(t))) cur = { kind: 'other', text: `redirect ${m[1]}`, flags: [], create: false, vac: {} };
      else if ((m = /^reject message with reason: (.*)$/.exec(t))) cur = { kind: 'other', text: `reject ${m[1]}`, flags: [], create: false, vac: {} };
      else if (t === 'send vacation message:') cur = { kind: 'vacation', text: '', flags: [], create: false, vac: {} };
      else cur = { kind: 'other', text: t.trim(), flags: [], create: false, vac: {} };
    } else if (cur && /^\s+\+ add IMAP flags: /.test(line)) cur.flags = line.replace(/^\s+\+ add IMAP flags: /, '').split(' ').filter(Boolean);
    else if (cur && /^\s+\+ create mailbox/.test(line)) cur.create = true;
    else if (cur && /^\s+=> (\w+)\s*: (.*)$/.test(line)) {
      const m = /^\s+=> (\w+)\s*: (.*)$/.exec(line)!;
      cur.vac[m[1]] = m[2];
    } else if (section === 'implicit' && /^\s+\(none\)/.test(line)) out.push('no-implicit-keep');
  }
  flush();
  return out;
}

function vacationLine(seconds: number, subject: string | null, from: string | null, handle: string, reason: string): string {
  return `vacation seconds=${seconds} subject=${subject ?? '-'} from=${from ?? '-'} handle=${handle} reason=${reason.replace(/\r/g, '').trim()}`;
}

/** tegami's result → the same normal form. */
export function normaliseTegami(r: SieveResult | { compileErrors: true }): string[] {
  if ('compileErrors' in r) return ['compile-error'];
  if (r.errors.length) return ['runtime-error', 'implicit-keep'];
  const out: string[] = [];
  for (const a of r.actions) {
    switch (a.type) {
      case 'keep':
        out.push(`store INBOX${flagsPart(a.flags)}`);
        break;
      case 'fileinto':
        out.push(`store ${a.mailbox}${flagsPart(a.flags)}${a.create ? ' create' : ''}`);
        break;
      case 'redirect':
        out.push(`redirect ${a.address}`);
        break;
      case 'discard':
        out.push('discard');
        break;
      case 'reject':
        out.push(`reject ${a.reason}`);
        break;
      case 'vacation':
        out.push(vacationLine(a.seconds, a.subject, a.from, a.handle, a.reason));
        break;
    }
  }
  out.push(r.implicitKeep ? `implicit-keep${flagsPart(r.implicitKeep.flags)}` : 'no-implicit-keep');
  return out;
}
