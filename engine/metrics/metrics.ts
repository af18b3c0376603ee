// The server's metrics: a prom-client registry holding every metric of definitions.ts, fed only by the
// events the logger emits (the catalogue's metrics functions) — in this thread, and from the worker
// threads over the BroadcastChannel of thread-sink.ts, each checked before it is counted. Label values
// outside a label's closed set become "other". Counting is an increment; nothing here does I/O.
import { BroadcastChannel } from 'node:worker_threads';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { eventDef, SERVICES, LEVELS, type AnyEventDef, type Level, type Service } from '../log/events.js';
import { METRICS, type LabelValues, type Meter, type MetricName } from './definitions.js';
import { channelName, MAX_BATCH, type EventSink, type WorkerBatch } from './thread-sink.js';
import { PendingCounts } from './pending-counts.js';

export interface MetricsOptions {
  /** Values of the labels whose set is the config's: DNSBL list names, monitor target names. */
  configLabels?: { list?: string[]; target?: string[] };
  /** Node.js process metrics (memory, event-loop lag, GC) under the tegami_ prefix; off in unit tests. */
  processMetrics?: boolean;
}

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

export class Metrics implements EventSink {
  readonly registry = new Registry();
  private readonly metrics = new Map<string, AnyMetric>();
  private readonly allowed = new Map<string, Map<string, Set<string>>>();
  private readonly pending = new Map<string, PendingCounts>();
  private channel: BroadcastChannel | null = null;
  /** Called with a reason when a batch from a worker is refused (the caller logs it, rate-limited). */
  onRefused: ((reason: string) => void) | null = null;

  constructor(opts: MetricsOptions = {}) {
    const config: Record<string, string[]> = { list: opts.configLabels?.list ?? [], target: opts.configLabels?.target ?? [] };
    for (const [name, def] of Object.entries(METRICS)) {
      const labelNames = Object.keys(def.labels);
      const sets = new Map<string, Set<string>>();
      for (const [label, values] of Object.entries(def.labels) as [string, LabelValues][]) {
        sets.set(label, new Set(values === 'config' ? [...(config[label] ?? []), 'other'] : values));
      }
      this.allowed.set(name, sets);
      const base = { name, help: def.help, labelNames, registers: [this.registry] };
      // a counter's increments are kept by label values and handed over when it is read (pending-counts.ts)
      const pending = def.type === 'counter' ? new PendingCounts(sets) : null;
      if (pending) this.pending.set(name, pending);
      const m =
        def.type === 'counter'
          ? new Counter({
              ...base,
              collect() {
                pending!.drain(this);
              },
            })
          : def.type === 'gauge'
            ? new Gauge(base)
            : new Histogram({ ...base, buckets: [...(def as { buckets: readonly number[] }).buckets] });
      this.metrics.set(name, m);
      // a counter with one small closed label set starts at 0 for each value, so rate() sees it from the start
      const only = Object.entries(def.labels as Record<string, LabelValues>);
      if (def.type === 'counter' && only.length === 1 && only[0][1] !== 'config' && only[0][1].length <= 12) {
        for (const v of only[0][1]) if (v !== 'other') (m as Counter<string>).inc({ [only[0][0]]: v }, 0);
      }
    }
    if (opts.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: 'tegami_' });
      // gauges named like counters ("_total"), which promtool rightly refuses; handles are seen in lsof anyway
      for (const n of ['active_handles_total', 'active_requests_total', 'active_resources_total']) this.registry.removeSingleMetric(`tegami_nodejs_${n}`);
    }
  }

  /** Label values as counted: each in its label's closed set, else "other"; null (not counted) when a
   *  label without "other" gets a value outside its set. */
  private labels(name: string, given: Record<string, string>): Record<string, string> | null {
    const sets = this.allowed.get(name)!;
    const out: Record<string, string> = {};
    for (const [label, set] of sets) {
      const v = given[label];
      if (typeof v === 'string' && set.has(v)) out[label] = v;
      else if (set.has('other')) out[label] = 'other';
      else return null;
    }
    return out;
  }

  readonly meter: Meter = {
    inc: (name, labels, n = 1) => {
      if (Number.isFinite(n) && n > 0) this.pending.get(name)?.add(labels, n);
    },
    add: (name, labels, delta) => {
      const l = this.labels(name, labels);
      if (l && Number.isFinite(delta)) (this.metrics.get(name) as Gauge<string>).inc(l, delta);
    },
    observe: (name, labels, value) => {
      const l = this.labels(name, labels);
      if (l && Number.isFinite(value) && value >= 0) (this.metrics.get(name) as Histogram<string>).observe(l, value);
    },
  };

  event(name: string | null, def: AnyEventDef | null, service: Service, level: Level, fields: Record<string, unknown>): void {
    this.meter.inc('tegami_log_events_total', { service, level });
    if (name && def?.metrics) def.metrics(fields, this.meter);
  }

  /** A metric object by name (lazy gauges register their own; tests read values). */
  get(name: MetricName): AnyMetric {
    return this.metrics.get(name)!;
  }

  /** Count what the worker threads of the server on `dataDir` emit. */
  listenToWorkers(dataDir: string): void {
    if (this.channel) return;
    this.channel = new BroadcastChannel(channelName(dataDir));
    (this.channel as unknown as { unref?: () => void }).unref?.();
    this.channel.onmessage = (e: unknown) => this.fromWorker((e as { data: unknown }).data);
  }

  /** One batch from a worker, checked before anything in it is counted. */
  fromWorker(data: unknown): void {
    const why = refuseBatch(data);
    if (why) return void this.onRefused?.(why);
    for (const [name, service, level, fields] of (data as WorkerBatch).events) {
      const def = name === null ? null : eventDef(name);
      if (name !== null && (!def || def.service !== service)) {
        this.onRefused?.(`unknown event ${JSON.stringify(String(name).slice(0, 64))}`);
        continue;
      }
      try {
        this.event(name, def ?? null, service as Service, level as Level, fields);
      } catch {
        // fields of the wrong shape for the event's metrics: not counted
      }
    }
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    this.channel?.close();
    this.channel = null;
    this.registry.clear();
  }
}

/** Why a message from a worker is not a batch we count, or null when its shape is right. */
function refuseBatch(data: unknown): string | null {
  const b = data as Partial<WorkerBatch> | null;
  if (!b || typeof b !== 'object' || b.v !== 1 || !Array.isArray(b.events)) return 'not a metrics batch';
  if (b.events.length > MAX_BATCH) return `batch of ${b.events.length} events`;
  for (const e of b.events) {
    if (!Array.isArray(e) || e.length !== 4) return 'malformed event';
    const [name, service, level, fields] = e as unknown[];
    if (name !== null && typeof name !== 'string') return 'malformed event name';
    if (typeof service !== 'string' || !(SERVICES as readonly string[]).includes(service)) return 'unknown service';
    if (typeof level !== 'string' || !Object.hasOwn(LEVELS, level)) return 'unknown level';
    if (!fields || typeof fields !== 'object' || Array.isArray(fields)) return 'malformed fields';
  }
  return null;
}
