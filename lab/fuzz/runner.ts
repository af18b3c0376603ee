// Runs a bounded fuzz campaign: for each protocol, N seeded sessions against the target, each followed by
// the oracle on a fresh connection, with crash and RSS checks on a local pid. A failing session is shrunk
// (steps dropped while the failure still reproduces) and reported with its replay seed and transcript.
import { generatePlan } from './generate.js';
import { sessionSeed } from './rng.js';
import { runSession, show, type Failure, type SessionOptions, type SessionResult } from './session.js';
import { runOracle, oraclePlan, type OracleAccount } from './oracle.js';
import { alive, rssKb } from './rss.js';
import { waitForPort } from '../targets/common.js';
import { step, type Accounts, type Offers, type Plan, type Protocol } from './plan.js';

export interface FuzzTarget {
  host: string;
  ports: Partial<Record<Protocol, number>>;
  /** A local server's pid: crash and RSS checks. */
  pid?: number;
}

export interface FuzzOptions {
  seed: number;
  sessions: number;
  protocols: Protocol[];
  replyBoundMs: number;
  sessionBudgetMs: number;
  /** The whole campaign stops starting sessions after this (ms). */
  deadlineMs: number;
  maxRssGrowthMb: number;
  fuzz: Accounts;
  oracle: OracleAccount;
  /** Run exactly these sessions ("imap:123456") instead of seeded ones. */
  replay?: string[];
  minimize?: boolean;
  say?: (line: string) => void;
  progress?: (line: string) => void;
}

export interface FoundFailure {
  protocol: Protocol;
  replay: string;
  mutations: string[];
  failures: Failure[];
  /** The smallest step list that still fails, as sent. */
  steps: string[];
  /** What the server answered to those steps. */
  transcript: string[];
}

export interface ProtocolStats {
  sessions: number;
  mutated: number;
  closedByServer: number;
  slowestMs: number;
  failures: FoundFailure[];
  oracleRuns: number;
}

export interface FuzzReport {
  protocols: Partial<Record<Protocol, ProtocolStats>>;
  /** mid: when half the sessions were done. A leak grows from mid to after; the heap's early high-water mark does not. */
  rss?: { beforeKb: number; midKb: number; afterKb: number; peakKb: number };
  crashed?: string;
  stoppedEarly: string[];
  oracleMarkers: string[];
  offers: Offers;
  ms: number;
}

const MAX_FAILURES_KEPT = 8;

async function preflight(t: FuzzTarget, o: SessionOptions): Promise<Offers> {
  const offers: Offers = { chunking: false, literalPlus: false };
  if (t.ports.smtp) {
    const r = await runSession({ protocol: 'smtp', seed: 0, steps: [step('EHLO preflight.lab.example.test', { kind: 'reply' }), step('QUIT', { kind: 'reply' })], mutations: [] }, { ...o, port: t.ports.smtp, probe: false });
    offers.chunking = /^250[ -]CHUNKING/m.test(r.transcript.map((x) => x.data).join(''));
  }
  if (t.ports.imap) {
    const r = await runSession({ protocol: 'imap', seed: 0, steps: [step('P1 CAPABILITY', { kind: 'tag', tag: 'P1' }), step('P2 LOGOUT', { kind: 'tag', tag: 'P2' })], mutations: [] }, { ...o, port: t.ports.imap, probe: false });
    offers.literalPlus = /^\* CAPABILITY .*LITERAL\+/im.test(r.transcript.map((x) => x.data).join(''));
  }
  return offers;
}

/** One SMTP delivery of a benign message (seeding the mailboxes); true when the final dot got 250. */
async function deliver(t: FuzzTarget, o: SessionOptions, rcpt: string, marker: string): Promise<boolean> {
  if (!t.ports.smtp) return false;
  const f = await runOracle('smtp', { user: rcpt, password: '' }, marker, { ...o, port: t.ports.smtp });
  return f.length === 0;
}

async function waitForMail(t: FuzzTarget, o: SessionOptions, acc: OracleAccount, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  const proto: Protocol | undefined = t.ports.pop3 ? 'pop3' : t.ports.imap ? 'imap' : undefined;
  if (!proto) return true;
  while (Date.now() < deadline) {
    if (!(await runOracle(proto, acc, 'seed', { ...o, port: t.ports[proto]! })).length) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function failureKey(f: Failure[]): string {
  return f.map((x) => `${x.kind}:${x.detail.replace(/\d+/g, 'N').slice(0, 80)}`).join('|');
}

/** Drop steps one by one (last first) while the session still fails the same way; bounded reruns. */
async function shrink(plan: Plan, first: SessionResult, o: SessionOptions, maxRuns = 30): Promise<{ plan: Plan; result: SessionResult }> {
  const kinds = new Set(first.failures.map((f) => f.kind));
  let best = { plan, result: first };
  let runs = 0;
  for (let i = best.plan.steps.length - 1; i >= 0 && runs < maxRuns; i--) {
    const steps = best.plan.steps.filter((_, j) => j !== i);
    const candidate = { ...best.plan, steps };
    runs++;
    const r = await runSession(candidate, o);
    if (r.failures.some((f) => kinds.has(f.kind))) best = { plan: candidate, result: r };
  }
  return best;
}

function transcriptLines(r: SessionResult): string[] {
  const out: string[] = [];
  for (const x of r.transcript) {
    const text = show(x.data, 300);
    if (out.length < 60) out.push(`${x.dir}: ${text}`);
  }
  if (r.transcript.length > 60) out.push(`… ${r.transcript.length - 60} more exchanges`);
  return out;
}

export function parseReplay(spec: string): { protocol: Protocol; seed: number } | undefined {
  const m = /^(smtp|pop3|imap):(\d+)$/.exec(spec.trim());
  return m ? { protocol: m[1] as Protocol, seed: Number(m[2]) } : undefined;
}

export async function runFuzz(t: FuzzTarget, opts: FuzzOptions): Promise<FuzzReport> {
  const t0 = Date.now();
  const say = opts.say ?? (() => undefined);
  const base: SessionOptions = { host: t.host, port: 0, replyBoundMs: opts.replyBoundMs, budgetMs: opts.sessionBudgetMs };
  const report: FuzzReport = { protocols: {}, stoppedEarly: [], oracleMarkers: [], offers: { chunking: false, literalPlus: false }, ms: 0 };
  // a server starts its listeners one after the other: wait for each before the first session
  for (const p of opts.protocols) if (t.ports[p]) await waitForPort(t.ports[p]!, 15_000, () => !t.pid || alive(t.pid), t.host);
  report.offers = await preflight(t, base);
  say(`fuzz: offers CHUNKING=${report.offers.chunking} LITERAL+=${report.offers.literalPlus}`);
  // seed both mailboxes: the oracle's (read-only for the fuzzer) and the fuzzed one
  for (let i = 0; i < 3; i++) await deliver(t, base, opts.fuzz.user, `seed-fuzz-${i}`);
  await deliver(t, base, opts.oracle.user, `seed-oracle`);
  if (!(await waitForMail(t, base, opts.oracle, 20_000))) say('fuzz: note: the oracle mailbox shows no mail yet');
  const before = t.pid ? rssKb(t.pid) : undefined;
  let peak = before ?? 0;
  let crashed: string | undefined;
  const deadline = t0 + opts.deadlineMs;
  let oracleSeq = 0;
  let done = 0;
  let mid: number | undefined;
  const total = (opts.replay ?? []).length || opts.sessions * opts.protocols.filter((p) => t.ports[p]).length;

  const checkCrash = (): boolean => {
    if (!t.pid || crashed) return !!crashed;
    if (!alive(t.pid)) crashed = `the server process ${t.pid} is gone`;
    else peak = Math.max(peak, rssKb(t.pid) ?? 0);
    return !!crashed;
  };

  const replays = (opts.replay ?? []).map((s) => parseReplay(s)).filter((x): x is { protocol: Protocol; seed: number } => !!x);
  const loop = async (protocol: Protocol) => {
    const port = t.ports[protocol];
    if (!port) return;
    const seeds = replays.length ? replays.filter((r) => r.protocol === protocol).map((r) => r.seed) : Array.from({ length: opts.sessions }, (_, i) => sessionSeed(opts.seed, protocol, i));
    if (!seeds.length) return;
    const stats: ProtocolStats = { sessions: 0, mutated: 0, closedByServer: 0, slowestMs: 0, failures: [], oracleRuns: 0 };
    report.protocols[protocol] = stats;
    const o = { ...base, port };
    const seen = new Set<string>();
    for (const [i, seed] of seeds.entries()) {
      if (Date.now() > deadline) {
        report.stoppedEarly.push(`${protocol}: stopped after ${i} sessions at the ${Math.round(opts.deadlineMs / 1000)} s deadline`);
        break;
      }
      if (crashed) break;
      if (protocol !== 'smtp' && i > 0 && i % 40 === 0) await deliver(t, base, opts.fuzz.user, `topup-${protocol}-${i}`);
      const plan = generatePlan(protocol, seed, opts.fuzz, report.offers);
      const r = await runSession(plan, o);
      stats.sessions++;
      if (++done >= total / 2 && mid === undefined && t.pid) mid = rssKb(t.pid);
      if (plan.mutations.length) stats.mutated++;
      if (r.closedByServer) stats.closedByServer++;
      stats.slowestMs = Math.max(stats.slowestMs, r.slowest);
      opts.progress?.(`fuzz ${protocol} ${i + 1}/${seeds.length}`);
      const failures = [...r.failures];
      if (checkCrash()) failures.push({ kind: 'crash', detail: crashed! });
      else {
        const marker = `${protocol}-${seed}-${oracleSeq++}`;
        const of = await runOracle(protocol, opts.oracle, marker, o);
        stats.oracleRuns++;
        if (protocol === 'smtp' && !of.length) report.oracleMarkers.push(marker);
        failures.push(...of);
        if (checkCrash()) failures.push({ kind: 'crash', detail: crashed! });
      }
      if (!failures.length) continue;
      const key = failureKey(failures);
      if (seen.has(key) || stats.failures.length >= MAX_FAILURES_KEPT) continue;
      seen.add(key);
      let shown = { plan, result: r };
      const shrinkable = !crashed && failures.every((f) => f.kind !== 'oracle' && f.kind !== 'crash');
      if (shrinkable && opts.minimize !== false) shown = await shrink(plan, r, o);
      const found: FoundFailure = {
        protocol,
        replay: `${protocol}:${seed}`,
        mutations: plan.mutations,
        failures: shrinkable && shown.result.failures.length ? shown.result.failures : failures,
        steps: shown.plan.steps.map((s) => show(s, 300)),
        transcript: transcriptLines(shown.result),
      };
      stats.failures.push(found);
      say(`FUZZ FAILURE ${protocol} session ${i} (replay "${found.replay}", run seed ${opts.seed}; mutations: ${plan.mutations.join(', ') || 'none'})`);
      for (const f of found.failures) say(`  ${f.kind}: ${f.detail}`);
      say('  minimal transcript:');
      for (const l of found.transcript) say(`    ${l}`);
    }
  };
  await Promise.all(opts.protocols.map((p) => loop(p)));
  checkCrash();
  if (t.pid && before !== undefined && !crashed) {
    await new Promise((r) => setTimeout(r, 500));
    const after = rssKb(t.pid) ?? 0;
    report.rss = { beforeKb: before, midKb: mid ?? before, afterKb: after, peakKb: Math.max(peak, after) };
  }
  report.crashed = crashed;
  report.ms = Date.now() - t0;
  return report;
}

export { oraclePlan };
