// Scenario files (FEATURES L6): TOML data under scenarios/ saying which targets and stand-ins to start,
// what load or probe set to run, and what to expect. Parsed with smol-toml, validated with zod; a bad file
// is a ScenarioError naming the file, the line and the key (the CLI exits 2). Nothing runs from here.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { z } from 'zod';
import { MISBEHAVIOURS } from '../peers/clients.js';
import { LocatedError, locateKey } from '../../engine/config/toml-locate.js';

export { locateKey };

export const KINDS = ['relay-abuse', 'auth-abuse', 'throughput', 'slow-peers', 'spam-corpus', 'japanese', 'fuzz'] as const;
export type Kind = (typeof KINDS)[number];
export const LAB_TARGETS = ['tegami', 'smtp-sink', 'postfix', 'postfix+rspamd'] as const;

export class ScenarioError extends LocatedError {}

/** Seconds as a number, or "500ms" / "3s" / "2m"; → milliseconds. */
const duration = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m)$/, 'expected a duration like "500ms", "3s", "2m"')]).transform((v) => {
  if (typeof v === 'number') return Math.round(v * 1000);
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)$/.exec(v)!;
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm']);
});

/** Bytes as a number, or "5KB" / "100 KB" / "1MB" (KB = 1024). */
const size = z.union([z.number().int().positive(), z.string().regex(/^\d+\s*(B|KB|K|MB|M)?$/i, 'expected a size like 5120, "5KB", "1MB"')]).transform((v) => {
  if (typeof v === 'number') return v;
  const m = /^(\d+)\s*(B|KB|K|MB|M)?$/i.exec(v)!;
  const unit = (m[2] ?? 'B').toUpperCase();
  return Number(m[1]) * (unit.startsWith('M') ? 1024 * 1024 : unit.startsWith('K') ? 1024 : 1);
});

const dnsRecord = z
  .object({
    name: z.string().min(1),
    type: z.enum(['A', 'AAAA', 'MX', 'TXT', 'PTR', 'CNAME', 'NS', 'SOA']),
    data: z.union([z.string(), z.array(z.string())]),
    ttl: z.number().int().nonnegative().optional(),
  })
  .strict();

const loadStep = z
  .object({
    label: z.string().optional(),
    mode: z.enum(['closed', 'open']).default('closed'),
    connections: z.number().int().positive().max(1000).default(20),
    messages: z.number().int().positive().max(1_000_000).optional(),
    duration: duration.optional(),
    rate: z.number().positive().optional(),
    size: size.prefault('5KB'),
    new_connection_per_message: z.boolean().default(false),
  })
  .strict()
  .refine((s) => s.messages !== undefined || s.duration !== undefined, { message: 'set messages or duration (every load is bounded)' })
  .refine((s) => s.mode !== 'open' || s.rate !== undefined, { message: 'an open-loop step needs rate (messages per second)' });

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    kind: z.enum(KINDS),
    targets: z
      .object({
        /** Targets the lab starts itself when no --target is given. */
        start: z.array(z.enum(LAB_TARGETS)).min(1).default(['tegami']),
        /** Of those, the ones skipped (with a note) when not available here, e.g. postfix without root. */
        optional: z.array(z.enum(LAB_TARGETS)).default([]),
        domain: z.string().default('example.test'),
        user: z.string().default('alice@example.test'),
        password: z.string().default('lab-password-1'),
        /** Extra TOML appended to the config of the tegami the lab starts. */
        tegami_toml: z.string().default(''),
      })
      .strict()
      .prefault({}),
    dns: z
      .object({
        records: z.array(dnsRecord).default([]),
        dnsbl: z.array(z.object({ zone: z.string(), listed: z.array(z.string()).default([]) }).strict()).default([]),
      })
      .strict()
      .optional(),
    relay: z
      .object({
        relay_domain: z.string().default('relay-sink.lab.example.test'),
        only: z.array(z.string()).optional(),
        proof_wait: duration.prefault('3s'),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        /** Wrong passwords tried in a row from one client. */
        guesses: z.number().int().positive().max(100).default(8),
        /** After this many failures the server should slow down or refuse (tegami's default throttle_after is 5). */
        throttle_after: z.number().int().nonnegative().default(5),
      })
      .strict()
      .prefault({}),
    load: z.array(loadStep).default([]),
    slow: z
      .object({
        misbehaviours: z.array(z.enum(MISBEHAVIOURS)).default([...MISBEHAVIOURS]),
        slowloris_time: duration.prefault('3s'),
        /** Also run slow / temp-failing / greylisting remote MTAs behind a lab-started tegami. */
        remote_peers: z.boolean().default(true),
        remote_wait: duration.prefault('20s'),
      })
      .strict()
      .prefault({}),
    spam: z
      .object({
        train_ham: z.number().int().nonnegative().default(200),
        train_spam: z.number().int().nonnegative().default(200),
        eval_ham: z.number().int().nonnegative().default(40),
        eval_spam: z.number().int().nonnegative().default(40),
        japanese: z.number().int().nonnegative().default(16),
        /** Headers that carry the target's verdict, first found wins (tegami's, SpamAssassin's). */
        verdict_header: z.union([z.string(), z.array(z.string()).min(1)]).default(['X-Tegami-Spam-Status', 'X-IMAIL-SPAM', 'X-Spam-Status', 'X-Spam-Flag']),
        /** A verdict header value matching this (case-insensitive) means spam. */
        spam_pattern: z.string().default('verdict=spam|^yes\\b'),
        deliver_wait: duration.prefault('30s'),
        /** false: judge with nothing learnt (a new install). */
        learn: z.boolean().default(true),
        /** Also learn the Japanese training mail bench/spam-fit.ts fits with (its Bayes counts, for comparing with in process). */
        learn_japanese: z.boolean().default(false),
        /** Also judge the hand-written Japanese test set (lab/corpora/japanese-written.ts). */
        japanese_written: z.boolean().default(false),
        /** Send from this loopback address (127.0.0.10: not this machine, so the connection checks judge it). */
        client_ip: z.string().optional(),
        ehlo: z.string().default('corpus.lab.example.test'),
        mail_from: z.string().default('corpus@lab.example.test'),
        /** "date-order": one message at a time in Date order, the user moving each misfiled one over IMAP (it learns). */
        replay: z.enum(['batch', 'date-order']).default('batch'),
        /** k folds over the whole SpamAssassin corpus beside the fixed split, weights refitted per fold (in process); 0 = off. */
        kfold: z.number().int().min(0).max(20).default(0),
        /**
         * A diagnostic that never reads the judged half: learn the learn half's other folds (of 5, lab/corpora/features.ts
         * foldOf with LEARN_FOLD_SEED) and judge this one over SMTP (bench/spam-paths.ts compares it with in process).
         */
        judge_learn_fold: z.number().int().min(0).max(4).optional(),
        /** Write each judged message's id, label, folder and verdict header here (JSON lines), for a per-message diff. */
        verdicts_file: z.string().optional(),
      })
      .strict()
      .prefault({}),
    japanese: z
      .object({
        /** Messages per charset (ISO-2022-JP, Shift_JIS, EUC-JP, UTF-8). */
        per_charset: z.number().int().positive().max(100).default(2),
        deliver_wait: duration.prefault('15s'),
      })
      .strict()
      .prefault({}),
    fuzz: z
      .object({
        /** The run seed: each session's own seed derives from it, the protocol and the session's index. */
        seed: z.number().int().nonnegative().default(1),
        /** Sessions per protocol. */
        sessions: z.number().int().positive().max(100_000).default(300),
        protocols: z.array(z.enum(['smtp', 'pop3', 'imap'])).min(1).default(['smtp', 'pop3', 'imap']),
        /** No reply (planned, or to the liveness probe) may take longer than this. */
        reply_bound: duration.prefault('5s'),
        session_budget: duration.prefault('20s'),
        /** No new session starts after this; the run is bounded whatever `sessions` says. */
        deadline: duration.prefault('100s'),
        /** RSS may grow at most this much from half-way to the end (a leak keeps growing; a heap's high-water mark does not). */
        max_rss_growth_mb: z.number().positive().default(150),
        /** Replay exactly these sessions ("imap:123456", as a failure prints) instead of seeded ones. */
        replay: z.array(z.string().regex(/^(smtp|pop3|imap):\d+$/, 'expected "smtp|pop3|imap:SESSION_SEED"')).default([]),
        /** Shrink a failing session to the fewest steps that still fail. */
        minimize: z.boolean().default(true),
        /** The mailbox fuzz sessions use (created in a lab-started tegami); the oracle uses targets.user. */
        user: z.string().default('fuzz@example.test'),
        password: z.string().default('fuzz-password-1'),
        /** For an external --target: its POP3 and IMAP addresses (host:port); without them only SMTP is fuzzed. */
        pop3_target: z.string().optional(),
        imap_target: z.string().optional(),
      })
      .strict()
      .prefault({}),
    expect: z
      .object({
        /** relay-abuse: "refused" = every probe refused (skips allowed), "any" = report only. */
        probes: z.enum(['refused', 'any']).default('refused'),
        /** throughput: per target, at least this many msgs/s (omit to only report). */
        min_msgs_per_s: z.number().nonnegative().optional(),
        max_p99_ms: z.number().positive().optional(),
        /** Failed transactions / sent, per target. */
        max_error_rate: z.number().min(0).max(1).default(0),
        /** spam-corpus */
        min_precision: z.number().min(0).max(1).optional(),
        min_recall: z.number().min(0).max(1).optional(),
        /** spam-corpus: ham judged spam / all ham replayed. */
        max_ham_fp_rate: z.number().min(0).max(1).optional(),
        /** spam-corpus: spam recall at the score cut-off that keeps ham judged spam ≤ 0.5% / ≤ 1% (fixed split, and k folds when run). */
        min_recall_at_fp_05: z.number().min(0).max(1).optional(),
        min_recall_at_fp_1: z.number().min(0).max(1).optional(),
        /** spam-corpus: also beat every reference filter of issue 18 at both false-positive rates (fixed split only: their figures are of it). */
        beat_reference: z.boolean().default(false),
        /** spam-corpus: per group, at least this share of each spam group judged spam at the default verdict. */
        min_group_recall: z.number().min(0).max(1).optional(),
        /** slow-peers: a misbehaving client must be refused or cut off, and the server must keep serving. */
        slowloris_closed_within: duration.optional(),
        /** fuzz: failing sessions allowed per protocol (malformed, wrong, late or missing replies, oracle). */
        max_fuzz_failures: z.number().int().nonnegative().default(0),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema> & { file: string };

export function parseScenarioText(text: string, file: string): Scenario {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (e) {
    if (e instanceof TomlError) throw new ScenarioError(file, e.line, undefined, e.message.split('\n')[0]);
    throw e;
  }
  const r = scenarioSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const keyPath: Array<string | number> = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
    if (issue.code === 'unrecognized_keys') keyPath.push(issue.keys[0]);
    const key = keyPath.map((k) => (typeof k === 'number' ? `[${k}]` : k)).join('.').replace(/\.\[/g, '[');
    const reason = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
    throw new ScenarioError(file, locateKey(text, keyPath), key || undefined, reason);
  }
  return { ...r.data, file };
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(file, undefined, undefined, `cannot read: ${(e as Error).message}`);
  }
  return parseScenarioText(text, file);
}

/** Scenario files in a directory, with their name, kind and description (bad files listed with their error). */
export function listScenarios(dir: string): Array<{ file: string; name?: string; kind?: string; description?: string; error?: string }> {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((f) => f.endsWith('.toml')).sort();
  } catch {
    return [];
  }
  return names.map((f) => {
    const file = path.join(dir, f);
    try {
      const s = loadScenario(file);
      return { file, name: s.name, kind: s.kind, description: s.description };
    } catch (e) {
      return { file, error: (e as Error).message };
    }
  });
}
