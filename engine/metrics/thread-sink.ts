// How events emitted in a worker thread reach the main thread's metrics: each Logger in a pool worker
// gathers the events it emits and posts them at most every POST_INTERVAL_MS on a BroadcastChannel named
// for the data dir, where the main thread's Metrics (engine/metrics/metrics.ts)
// checks each one against the catalogue and counts it exactly as if it had been emitted there.
// It never counts anything itself and never blocks: a post is a structured clone, at most once an interval.
// (Once a turn, it was a post — and a wake-up of the main thread's loop — for nearly every message under load.)
import { BroadcastChannel, isMainThread, workerData } from 'node:worker_threads';
import type { AnyEventDef, Level, Service } from '../log/event-types.js';

/** What a Logger tells about each emission (the main thread's Metrics, or a worker's poster). */
export interface EventSink {
  event(name: string | null, def: AnyEventDef | null, service: Service, level: Level, fields: Record<string, unknown>): void;
}

/** One batch on the channel: [catalogue name or null, service, level, fields][]. */
export interface WorkerBatch {
  v: 1;
  events: [string | null, string, string, Record<string, unknown>][];
}

export function channelName(dataDir: string): string {
  return `tegami-metrics:${dataDir}`;
}

/** At most this many events per batch; past it, events of that turn are not counted (a runaway loop). */
export const MAX_BATCH = 10_000;
/** A batch waits at most this long (a counter seen 50 ms late); one post per interval however many messages. */
export const POST_INTERVAL_MS = 50;

class WorkerPoster implements EventSink {
  private readonly channel: BroadcastChannel;
  private batch: WorkerBatch['events'] = [];
  private scheduled = false;

  constructor(name: string) {
    this.channel = new BroadcastChannel(name);
    // the channel must not keep a worker alive that piscina wants to end
    (this.channel as unknown as { unref?: () => void }).unref?.();
  }

  event(name: string | null, _def: AnyEventDef | null, service: Service, level: Level, fields: Record<string, unknown>): void {
    if (this.batch.length >= MAX_BATCH) return;
    this.batch.push([name, service, level, plain(fields)]);
    if (!this.scheduled) {
      this.scheduled = true;
      // a timer that keeps the thread alive until it fires: a worker that ends on its own posts its last batch first
      setTimeout(() => this.flush(), POST_INTERVAL_MS);
    }
  }

  flush(): void {
    this.scheduled = false;
    if (!this.batch.length) return;
    const msg: WorkerBatch = { v: 1, events: this.batch };
    this.batch = [];
    try {
      this.channel.postMessage(msg);
    } catch {
      // a field that cannot be cloned: the metrics of this batch are lost, the log lines are not
    }
  }
}

/** Only what structured clone carries faithfully and the metrics need: primitives and string lists. */
function plain(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
    else if (Array.isArray(v)) out[k] = v.filter((x) => typeof x === 'string');
  }
  return out;
}

let poster: WorkerPoster | null | undefined;

/** The default sink of a Logger made in this thread: the poster in a pool worker of a server, else none. */
export function threadSink(): EventSink | null {
  if (poster !== undefined) return poster;
  const dataDir = (workerData as { dataDir?: unknown } | null)?.dataDir;
  poster = !isMainThread && typeof dataDir === 'string' ? new WorkerPoster(channelName(dataDir)) : null;
  return poster;
}
