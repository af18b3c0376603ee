// SMTP load generator (FEATURES L5): closed-loop (N connections, each sends as fast as replies come) and
// open-loop fixed-rate (messages scheduled at fixed times; latency counted from the scheduled time, so a
// stalled server cannot hide its queueing: no coordinated omission). Per-phase HDR latency, msgs/s,
// errors by reply code, a per-second timeline, and CPU/RSS of a local target pid. Every run is bounded.
//
// API:
//   const res = await runLoad({ name: 'tegami', host, port, pid }, { mode: 'closed', connections: 20, messages: 2000,
//                              size: 5120, from: 'load@example.test', to: ['alice@example.test'] });
//   res.msgs_per_s, res.latency.p99, res.phases.rcpt.p50, res.errors['451'], res.timeline, res.process
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SmtpClient, type Reply } from '../smtp/client.js';
import { messageTemplate } from './message.js';
import { newHistogram, recordMs, summarize, type Histogram, type HistSummary } from './histogram.js';
import { sampleProcessTree, type ProcessStats } from './process-stats.js';

export const PHASES = ['connect', 'ehlo', 'mail', 'rcpt', 'data', 'delivered'] as const;
export type Phase = (typeof PHASES)[number];

export interface LoadTarget {
  name: string;
  host: string;
  port: number;
  /** Local pid of the server (its process tree is sampled for CPU and RSS). */
  pid?: number;
  /** More process trees belonging to the target (a filter daemon beside the MTA), sampled with it. */
  pids?: number[];
  /** Sees deliveries (a sink or a Maildir watcher): gives accept→delivered latency. */
  observer?: DeliveryObserver;
}

export interface DeliveryObserver {
  /** Called when the target answered 250 for the message carrying `token`. */
  accepted(token: string, atPerf: number): void;
  /** Wait up to ms for outstanding deliveries; returns the accept→delivered histogram and the count still missing. */
  finish(ms: number): Promise<{ histogram: Histogram; missing: number }>;
}

export interface LoadSpec {
  mode: 'closed' | 'open';
  /** Connections (closed loop) or the most messages in flight (open loop). */
  connections: number;
  /** Stop after this many messages (at least one of messages/durationMs must be set). */
  messages?: number;
  durationMs?: number;
  /** Open loop: messages per second. */
  rate?: number;
  /** Message size in bytes. */
  size: number;
  newConnectionPerMessage?: boolean;
  /** Envelope sender; "{n}" in it becomes the message's index (a sender per message defeats per-sender caches). */
  from: string;
  /** Recipients, used in turn (one per message). */
  to: string[];
  auth?: { user: string; password: string };
  ehloName?: string;
  timeoutMs?: number;
  /** Keep each phase's histogram (compressed, in its summary's hdr) as well as the whole message's, so runs can be
   * merged afterwards (bench:smtp's rounds). */
  phaseHdr?: boolean;
  /** Progress callback, about once a second. */
  onProgress?: (p: { elapsedS: number; sent: number; accepted: number; errors: number; rate: number }) => void;
}

export interface LoadResult {
  target: string;
  spec: Omit<LoadSpec, 'onProgress' | 'auth'>;
  startedAt: string;
  elapsedS: number;
  sent: number;
  accepted: number;
  /** Failures by reply code ("451", "550") or kind ("timeout", "closed", "connect"). */
  errors: Record<string, number>;
  msgs_per_s: number;
  /** Whole-message latency: scheduled (open) or started (closed) → final 250; includes connect and EHLO per message in new-connection mode. */
  latency: HistSummary;
  phases: Partial<Record<Phase, HistSummary>>;
  /** Messages accepted and errors in each second of the run. */
  timeline: Array<{ t: number; accepted: number; errors: number }>;
  process?: ProcessStats;
  deliveredMissing?: number;
}

const ok = (r: Reply) => r.code >= 200 && r.code < 300;

class Lane {
  client: SmtpClient | undefined;
  constructor(
    private readonly target: LoadTarget,
    private readonly spec: LoadSpec,
    private readonly h: Record<Phase, Histogram>,
  ) {}

  /** Connect, greeting, EHLO (and AUTH). Returns an error key or undefined. */
  async open(): Promise<string | undefined> {
    const t0 = performance.now();
    let c: SmtpClient;
    try {
      c = await SmtpClient.connect(this.target.host, this.target.port, { timeoutMs: this.spec.timeoutMs ?? 30_000, transcript: false });
    } catch {
      return 'connect';
    }
    const g = await c.reply();
    if (g.code !== 220) {
      c.close();
      return g.code <= 0 ? (g.code === 0 ? 'closed' : 'timeout') : String(g.code);
    }
    const t1 = performance.now();
    recordMs(this.h.connect, t1 - t0);
    const e = await c.cmd(`EHLO ${this.spec.ehloName ?? 'load.lab.example.test'}`);
    if (!ok(e)) {
      c.close();
      return e.code <= 0 ? 'closed' : String(e.code);
    }
    recordMs(this.h.ehlo, performance.now() - t1);
    if (this.spec.auth) {
      const a = await c.authPlain(this.spec.auth.user, this.spec.auth.password);
      if (a.code !== 235) {
        c.close();
        return `auth-${a.code}`;
      }
    }
    this.client = c;
    return undefined;
  }

  /** One transaction on the open connection; returns undefined on 250 or the error key. */
  async send(body: Buffer, from: string, to: string): Promise<string | undefined> {
    const c = this.client!;
    const err = (r: Reply) => (r.code === 0 ? 'closed' : r.code === -1 ? 'timeout' : String(r.code));
    let t = performance.now();
    const m = await c.cmd(`MAIL FROM:<${from}>`);
    if (!ok(m)) return this.fail(err(m), m);
    let now = performance.now();
    recordMs(this.h.mail, now - t);
    t = now;
    const r = await c.cmd(`RCPT TO:<${to}>`);
    if (!ok(r)) return this.fail(err(r), r);
    now = performance.now();
    recordMs(this.h.rcpt, now - t);
    t = now;
    const d = await c.cmd('DATA');
    if (d.code !== 354) return this.fail(err(d), d);
    c.write(body);
    const e = await c.reply();
    if (!ok(e)) return this.fail(err(e), e);
    recordMs(this.h.data, performance.now() - t);
    return undefined;
  }

  private async fail(key: string, r: Reply): Promise<string> {
    if (r.code > 0 && this.client && !this.client.isClosed) {
      const rs = await this.client.cmd('RSET');
      if (!ok(rs)) this.drop();
    } else this.drop();
    return key;
  }

  drop(): void {
    this.client?.close();
    this.client = undefined;
  }

  async quit(): Promise<void> {
    if (this.client) await this.client.quit();
    this.client = undefined;
  }
}

export async function runLoad(target: LoadTarget, spec: LoadSpec): Promise<LoadResult> {
  if (!spec.messages && !spec.durationMs) throw new Error('load: set messages or durationMs');
  if (spec.mode === 'open' && !(spec.rate && spec.rate > 0)) throw new Error('load: open loop needs rate > 0');
  const h = Object.fromEntries(PHASES.map((p) => [p, newHistogram()])) as Record<Phase, Histogram>;
  const total = newHistogram();
  const tpl = messageTemplate(spec.size);
  const run = randomBytes(3).toString('hex');
  const errors: Record<string, number> = {};
  const timeline: LoadResult['timeline'] = [];
  const maxMessages = spec.messages ?? Number.MAX_SAFE_INTEGER;
  const t0 = performance.now();
  const deadline = spec.durationMs ? t0 + spec.durationMs : Number.POSITIVE_INFINITY;
  const startedAt = new Date().toISOString();
  const sampler = target.pid ? sampleProcessTree([target.pid, ...(target.pids ?? [])]) : undefined;
  let next = 0;
  let sent = 0;
  let accepted = 0;
  let errorCount = 0;

  const bucket = (at: number) => {
    const i = Math.floor((at - t0) / 1000);
    while (timeline.length <= i) timeline.push({ t: timeline.length, accepted: 0, errors: 0 });
    return timeline[i];
  };
  const noteError = (key: string) => {
    errors[key] = (errors[key] ?? 0) + 1;
    errorCount++;
    bucket(performance.now()).errors++;
  };

  // Open loop: a schedule of intended start times; lanes take them in order.
  const schedule: number[] = [];
  let scheduleDone = spec.mode === 'closed';
  const wakers: Array<() => void> = [];
  const wake = () => {
    while (wakers.length) wakers.shift()!();
  };
  const take = async (): Promise<number | undefined> => {
    for (;;) {
      if (spec.mode === 'closed') {
        if (next >= maxMessages || performance.now() >= deadline) return undefined;
        next++;
        return performance.now();
      }
      if (schedule.length) return schedule.shift();
      if (scheduleDone) return undefined;
      await new Promise<void>((r) => wakers.push(r));
    }
  };
  let scheduler: Promise<void> = Promise.resolve();
  if (spec.mode === 'open') {
    const gap = 1000 / spec.rate!;
    scheduler = (async () => {
      let i = 0;
      while (i < maxMessages) {
        const now = performance.now();
        const due = t0 + i * gap;
        if (due >= deadline) break;
        if (due > now) {
          await new Promise((r) => setTimeout(r, Math.max(1, due - now)));
          continue;
        }
        for (; i < maxMessages && t0 + i * gap <= now && t0 + i * gap < deadline; i++) schedule.push(t0 + i * gap);
        wake();
      }
      scheduleDone = true;
      wake();
    })();
  }

  const progress = spec.onProgress
    ? setInterval(() => {
        const el = (performance.now() - t0) / 1000;
        spec.onProgress!({ elapsedS: Math.round(el), sent, accepted, errors: errorCount, rate: Math.round(accepted / el) });
      }, 1000)
    : undefined;

  const laneLoop = async (lane: Lane) => {
    for (let guard = 0; guard < 100_000_000; guard++) {
      const startAt = await take();
      if (startAt === undefined) break;
      const idx = sent++;
      const to = spec.to[idx % spec.to.length];
      const token = `${run}-${idx}`;
      if (!lane.client) {
        const e = await lane.open();
        if (e) {
          noteError(e);
          if (e === 'connect') await new Promise((r) => setTimeout(r, 50));
          continue;
        }
      }
      const from = spec.from.includes('{n}') ? spec.from.replace('{n}', String(idx)) : spec.from;
      const e = await lane.send(tpl.render(token, from, to), from, to);
      const done = performance.now();
      if (e) noteError(e);
      else {
        accepted++;
        bucket(done).accepted++;
        recordMs(total, done - startAt);
        target.observer?.accepted(token, done);
      }
      if (spec.newConnectionPerMessage) await lane.quit();
    }
    await lane.quit();
  };

  const lanes = Array.from({ length: Math.max(1, spec.connections) }, () => new Lane(target, spec, h));
  await Promise.all([scheduler, ...lanes.map(laneLoop)]);
  const elapsed = (performance.now() - t0) / 1000;
  if (progress) clearInterval(progress);
  let deliveredMissing: number | undefined;
  if (target.observer) {
    const fin = await target.observer.finish(10_000);
    h.delivered.add(fin.histogram);
    deliveredMissing = fin.missing;
  }
  const process = sampler?.stop();
  const phases: LoadResult['phases'] = {};
  for (const p of PHASES) if (h[p].totalCount) phases[p] = summarize(h[p], spec.phaseHdr === true); // the whole-message histogram is kept in full
  const { onProgress: _p, auth: _a, ...specOut } = spec;
  return {
    target: target.name,
    spec: specOut,
    startedAt,
    elapsedS: Math.round(elapsed * 1000) / 1000,
    sent,
    accepted,
    errors,
    msgs_per_s: elapsed > 0 ? Math.round((accepted / elapsed) * 10) / 10 : 0,
    latency: summarize(total),
    phases,
    timeline,
    process,
    deliveredMissing,
  };
}
