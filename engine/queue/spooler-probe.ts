// Spooler routes (a `[[route]]` with hold = true): their mail is not attempted on the retry schedule;
// instead the route's host is probed every retry_schedule[0] (at least 1 s) and, when one of its addresses
// greets with 220, `onReachable` runs (the scheduler delivers what is queued). It never delivers itself,
// and a probe always ends (a greeting, a close, an error, a timeout, or the deadline on the whole probe).
import net from 'node:net';
import type { LoadedConfig } from '../config/load.js';
import type { Resolver } from '../dns/resolver.js';
import type { Destination } from '../outbound/destination.js';
import { resolveDestination } from '../outbound/mx.js';

export interface SpoolerProbeOptions {
  config: Pick<LoadedConfig, 'queue' | 'outbound'>;
  resolver: Resolver;
  onReachable(dest: Destination): Promise<void>;
}

/** Longest greeting line read (RFC 5321 §4.5.3.1.5: 512 octets per reply line). */
const MAX_GREETING = 512;
/** The whole probe (lookups and every address) ends by then, answered or not, so the next one is armed. */
const PROBE_DEADLINE_MS = 120_000;

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

  /** Does one of the destination's addresses answer with a 220 greeting? Resolves within the probe's deadline. */
  private reachable(dest: Destination): Promise<boolean> {
    const open = new Set<net.Socket>();
    let over = false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        over = true;
        for (const s of open) s.destroy();
        resolve(false);
      }, PROBE_DEADLINE_MS);
      timer.unref();
    });
    const probe = async (): Promise<boolean> => {
      const o = this.o.config.outbound;
      const where = await resolveDestination(dest, this.o.resolver, { port: o.port, maxMx: o.max_mx }).catch(() => null);
      if (!where || where.kind !== 'ok') return false;
      for (const t of where.targets) {
        for (const ip of t.addresses) {
          if (over || this.stopped) return false;
          if (await this.greets(ip, t.port, open)) return true;
        }
      }
      return false;
    };
    return Promise.race([probe().catch(() => false), deadline]).finally(() => clearTimeout(timer));
  }

  /** One connection: true on a 220 greeting; false on anything else, a close, an error or a timeout. */
  private greets(host: string, port: number, open: Set<net.Socket>): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      open.add(s);
      let got = '';
      const done = (v: boolean) => {
        open.delete(s);
        s.destroy();
        resolve(v);
      };
      s.setTimeout(Math.min(this.o.config.outbound.connect_timeout, 10_000), () => done(false));
      s.on('data', (b: Buffer) => {
        got += b.toString('latin1');
        const nl = got.indexOf('\n');
        if (nl >= 0 || got.length >= MAX_GREETING) done(/^220(?:[ -]|\r?$)/.test(got.slice(0, nl >= 0 ? nl : undefined)));
      });
      s.once('error', () => done(false));
      // closed without a full greeting line (accepted, then dropped)
      s.once('close', () => done(false));
    });
  }
}
