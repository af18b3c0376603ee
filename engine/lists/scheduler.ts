// The list housekeeping clock, on the main thread: every [lists] check_interval it hands one
// "lists-housekeeping" task to the worker pool (workers/lists.ts), never two at once, with a full sweep
// (crash recovery of staged batches, bounce grace, pruning) at start and every hour. What the task
// originated is adopted by the queue and its events logged. It does no list work itself.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HousekeepingTask } from './handle.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const LISTS_WORKER = path.resolve(here, '../../workers/lists.js');

export interface ListSchedulerOptions {
  /** Between the end of one run and the start of the next (ms). */
  interval: number;
  /** Full sweeps this far apart (ms); the first run is always full. */
  fullEvery?: number;
  run(task: HousekeepingTask): Promise<unknown>;
  /** Takes the task's result: adopts what it originated, logs its events. */
  accept(result: unknown): void;
  onError(e: Error): void;
  now?: () => number;
}

export class ListScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastFull = -Infinity;
  private stopped = false;

  constructor(private readonly o: ListSchedulerOptions) {}

  start(): void {
    this.stopped = false;
    this.arm(0);
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick().finally(() => {
        this.running = null;
        this.arm(this.o.interval);
      });
    }, ms);
    this.timer.unref();
  }

  /** One run now (the timer calls it; tests may too). */
  async tick(): Promise<void> {
    const now = (this.o.now ?? Date.now)();
    const full = now - this.lastFull >= (this.o.fullEvery ?? 3_600_000);
    if (full) this.lastFull = now;
    try {
      this.o.accept(await this.o.run({ kind: 'lists-housekeeping', now, full }));
    } catch (e) {
      if (full) this.lastFull = -Infinity; // the recovery must run; try it again next time
      this.o.onError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
