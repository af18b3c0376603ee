// Spooler routes (a `[[route]]` with hold = true): their mail is not attempted on the retry schedule;
// instead the route's host is probed every retry_schedule[0] (at least 1 s) and, when one of its addresses
// greets with 220, `onReachable` runs (the scheduler delivers what is queued). It never delivers itself.
import net from 'node:net';
import type { LoadedConfig } from '../config/load.js';
import type { Resolver } from '../dns/resolver.js';
import type { Destination } from '../outbound/destination.js';
import { resolveDestination } from '../outbound/mx.js';

export interface SpoolerProbeOptions {
  config: LoadedConfig;
  resolver: Resolver;
  onReachable(dest: Destination): Promise<void>;
}

export class SpoolerProbes {
  private timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly o: SpoolerProbeOptions) {}

  start(dest: Destination): void {
    const every = Math.max(1000, this.o.config.queue.retry_schedule[0] ?? 300_000);
    const tick = async () => {
      if (this.stopped) return;
      try {
        if (await this.reachable(dest)) await this.o.onReachable(dest);
      } finally {
        // the next probe is armed whatever this one did (onReachable logs its own failures)
        if (!this.stopped) this.timers.set(dest.key, setTimeout(run, every).unref());
      }
    };
    const run = () => {
      tick().catch(() => {});
    };
    this.timers.set(dest.key, setTimeout(run, every).unref());
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
  }

  /** Does one of the destination's addresses answer with a 220 greeting? */
  private async reachable(dest: Destination): Promise<boolean> {
    const o = this.o.config.outbound;
    const where = await resolveDestination(dest, this.o.resolver, { port: o.port, maxMx: o.max_mx }).catch(() => null);
    if (!where || where.kind !== 'ok') return false;
    for (const t of where.targets) {
      for (const ip of t.addresses) {
        const ok = await new Promise<boolean>((resolve) => {
          const s = net.connect({ host: ip, port: t.port });
          const done = (v: boolean) => {
            s.destroy();
            resolve(v);
          };
          s.setTimeout(Math.min(o.connect_timeout, 10_000), () => done(false));
          s.once('data', (b) => done(b.toString('latin1').startsWith('220')));
          s.once('error', () => done(false));
        });
        if (ok) return true;
      }
    }
    return false;
  }
}
