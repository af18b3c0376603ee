// The report a scenario run produces (FEATURES L5): one JSON document per run, the HTML page is rendered
// from it alone (so `tegami lab report FILE.json` can re-render). Per target: msgs_per_s and latency
// p50/p99/p999 in milliseconds at the top level. Pure data and pure functions; no I/O here.
import os from 'node:os';
import type { LoadResult } from '../load/generator.js';
import type { HistSummary } from '../load/histogram.js';
import type { ProbeResult } from '../probes/relay.js';

export interface Check {
  /** What was expected, in words ("relay-abuse: every probe refused on tegami"). */
  name: string;
  ok: boolean;
  expected: string;
  /** What came, in one line a reader takes in at a glance ("19 of 27 probes relayed: plain, percent-hack, …"). */
  actual: string;
  /** The items behind a failure, one row each (rendered as a table under the line). */
  details?: CheckDetails;
}

export interface CheckDetails {
  columns: string[];
  rows: string[][];
}

/**
 * "19 of 27 probes relayed: plain, percent-hack, bang-path, …": a count, a verb and the first few names.
 * The list is cut after `max` names (and at 160 characters) with "…"; the rest are in the details table.
 */
export function summaryLine(count: number, of: number, what: string, names: string[], max = 6): string {
  let list = '';
  for (const [i, n] of names.slice(0, max).entries()) {
    const next = list ? `${list}, ${n}` : n;
    if (next.length > 160) {
      list += i ? ', …' : `${n.slice(0, 157)}…`;
      return `${count} of ${of} ${what}: ${list}`;
    }
    list = next;
  }
  return `${count} of ${of} ${what}${list ? `: ${list}${names.length > max ? ', …' : ''}` : ''}`;
}

export interface StepReport {
  /** e.g. "5120 B × 20 conn, closed loop". */
  label: string;
  result: LoadResult;
}

export interface TargetReport {
  name: string;
  address: string;
  describe: string;
  msgs_per_s: number;
  p50: number;
  p99: number;
  p999: number;
  accepted: number;
  errors: Record<string, number>;
  cpu_percent?: number;
  max_rss_mb?: number;
  /** Whole-message latency of the primary (first) step: the figures above and the percentile plot use it. */
  latency?: HistSummary;
  /** Label of the step the top-level figures come from. */
  primary_step?: string;
  steps: StepReport[];
  probes?: Array<Omit<ProbeResult, 'transcript'> & { transcript?: string[] }>;
  spam?: SpamScore;
  misbehaviour?: Array<{ kind: string; summary: string; ok: boolean }>;
}

export interface SpamScore {
  total: number;
  /** Confusion matrix: actual × verdict. */
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  unknown: number;
  precision: number;
  recall: number;
  /** Ham judged spam / all ham replayed (a ham without a verdict counts in the denominator). */
  ham_fp_rate: number;
  /** Per corpus group (easy_ham_2, hard_ham, spam_2, japanese…): how many were judged spam (and above each cut-off). */
  groups?: Record<string, { label: 'spam' | 'ham'; total: number; judged_spam: number; unknown: number; above_fp_05?: number; above_fp_1?: number }>;
  /** Spam recall at the lowest score cut-off that keeps ham judged spam at or under 0.5% and 1% (from the verdict's score). */
  at_fp_05?: number;
  at_fp_1?: number;
  /** The default verdict on the SpamAssassin judged half alone (what the reference filters' default figures are of). */
  split_default?: { recall: number; ham_fp_rate: number };
  /** How the figures were obtained (the protocol), one line each. */
  protocol?: string[];
  /** k folds over the whole corpus beside the fixed split: weights refitted on each fold's training part, in process. */
  kfold?: { k: number; messages: number; at_fp_05: number; at_fp_1: number; recall: number; ham_fp_rate: number; bayes_at_fp_05: number; bayes_at_fp_1: number };
  /** Mail replayed in Date order with the user correcting each mistake over IMAP. */
  replay?: { order: 'date'; corrections: number };
  /** Other filters' figures on the same split (issue 18), printed beside; not measured by this run. */
  reference?: Array<{ filter: string; at_fp_05: number | null; at_fp_1: number | null; default_recall: number | null; default_fp: number | null }>;
}

export interface Machine {
  hostname: string;
  cpus: number;
  cpu_model: string;
  mem_gb: number;
  os: string;
  node: string;
}

export interface Report {
  kind: 'tegami-lab-report';
  version: 1;
  scenario: { name: string; file: string; description: string };
  generated_at: string;
  duration_s: number;
  machine: Machine;
  ok: boolean;
  checks: Check[];
  targets: Record<string, TargetReport>;
  notes: string[];
}

export function machineInfo(): Machine {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    cpus: cpus.length,
    cpu_model: cpus[0]?.model ?? 'unknown',
    mem_gb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/**
 * Target summary from its load steps. The top-level figures (msgs_per_s, p50, p99, p999, the percentile
 * curve) are those of the primary (first) step, so targets are compared like with like; totals (accepted,
 * errors, CPU) cover every step.
 */
export function summarizeTarget(name: string, address: string, describe: string, steps: StepReport[]): TargetReport {
  let accepted = 0;
  let elapsed = 0;
  const errors: Record<string, number> = {};
  let cpuWeighted = 0;
  let maxRss = 0;
  for (const s of steps) {
    const r = s.result;
    accepted += r.accepted;
    elapsed += r.elapsedS;
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    if (r.process) {
      cpuWeighted += r.process.cpuPercent * r.elapsedS;
      maxRss = Math.max(maxRss, r.process.maxRssMb);
    }
  }
  const first = steps[0]?.result;
  const latency = first?.latency;
  const hasProc = steps.some((s) => s.result.process);
  return {
    name,
    address,
    describe,
    msgs_per_s: first?.msgs_per_s ?? 0,
    p50: latency?.p50 ?? 0,
    p99: latency?.p99 ?? 0,
    p999: latency?.p999 ?? 0,
    accepted,
    errors,
    cpu_percent: hasProc && elapsed > 0 ? Math.round((cpuWeighted / elapsed) * 10) / 10 : undefined,
    max_rss_mb: hasProc ? maxRss : undefined,
    latency: latency && latency.count ? latency : undefined,
    primary_step: steps[0]?.label,
    steps,
  };
}

export function emptyTarget(name: string, address: string, describe: string): TargetReport {
  return { name, address, describe, msgs_per_s: 0, p50: 0, p99: 0, p999: 0, accepted: 0, errors: {}, steps: [] };
}
