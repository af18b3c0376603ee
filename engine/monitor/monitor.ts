// The monitor ([[monitor]]): checks each target at its interval with its timeout; `failures` failed checks
// in a row make it "down", one success makes it "up". A change of state (down; up again after down) is
// alerted by alerts.ts; every check is an event (metrics) and each target keeps its last checks and state
// changes for `tegami status` and the admin dashboard (snapshot()). One target's slow check or alert
// never delays another's; nothing here throws.
import type { MonitorConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { Alerter, AlertEvent } from './alerts.js';
import { probe, type ProbeResult } from './probes.js';

export type TargetState = 'unknown' | 'up' | 'down';

/**
 * A target as it is shown (log lines, `tegami status`, the dashboard) and sent (alert webhooks and mail, often a
 * third party's chat service): an http URL without its user:password and with every query value replaced by "…",
 * where status pages keep their access tokens. The check itself uses the URL as configured.
 */
export function shownTarget(c: Pick<MonitorConfig, 'check' | 'target'>): string {
  if (c.check !== 'http') return c.target;
  let u: URL;
  try {
    u = new URL(c.target);
  } catch {
    return '(not a URL)';
  }
  const query = [...u.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=…`).join('&');
  return `${u.protocol}//${u.host}${u.pathname}${query ? `?${query}` : ''}`;
}

export interface TargetView {
  name: string;
  check: string;
  address: string;
  state: TargetState;
  since: string;
  failures_in_a_row: number;
  last_check: { at: string; ok: boolean; ms: number; detail: string } | null;
  /** The last checks, newest last (at most 20). */
  checks: { at: string; ok: boolean; ms: number; detail: string }[];
  /** State changes, newest last (at most 50). */
  history: { at: string; from: TargetState; to: TargetState; detail: string }[];
}

interface Target {
  c: MonitorConfig;
  state: TargetState;
  since: number;
  failures: number;
  checks: TargetView['checks'];
  history: TargetView['history'];
  timer: NodeJS.Timeout | null;
  running: boolean;
}

export interface MonitorOptions {
  logger: Logger;
  alerter: Alerter | null;
  dnsServers?: string[];
  /** Replaces the real checks (tests of the state machine). */
  probe?: (t: MonitorConfig) => Promise<ProbeResult>;
  now?: () => number;
}

export class Monitor {
  private readonly targets: Target[];
  private stopped = false;
  private readonly now: () => number;
  private readonly alerts = new Set<Promise<unknown>>();

  constructor(
    configs: MonitorConfig[],
    private readonly o: MonitorOptions,
  ) {
    this.now = o.now ?? Date.now;
    this.targets = configs.map((c) => ({ c, state: 'unknown', since: this.now(), failures: 0, checks: [], history: [], timer: null, running: false }));
  }

  /** Check every target now, then at its interval. */
  start(): void {
    for (const t of this.targets) this.schedule(t, 0);
  }

  private schedule(t: Target, ms: number): void {
    if (this.stopped) return;
    t.timer = setTimeout(() => {
      t.timer = null;
      this.checkOnce(t)
        .catch((e: Error) => this.o.logger.emit('monitor.check-failed', { target: t.c.name, error: e.message }))
        .finally(() => this.schedule(t, t.c.interval));
    }, ms);
    t.timer.unref();
  }

  /** One check of one target and what follows from it (state, alert). */
  private async checkOnce(t: Target): Promise<void> {
    if (t.running || this.stopped) return;
    t.running = true;
    try {
      const r = await (this.o.probe ?? ((c: MonitorConfig) => probe(c, this.o.dnsServers)))(t.c);
      if (this.stopped) return;
      this.record(t, r);
    } finally {
      t.running = false;
    }
  }

  private record(t: Target, r: ProbeResult): void {
    const at = new Date(this.now()).toISOString();
    t.checks.push({ at, ok: r.ok, ms: r.ms, detail: r.detail });
    if (t.checks.length > 20) t.checks.shift();
    const base = { target: t.c.name, check: t.c.check, address: shownTarget(t.c) };
    this.o.logger.emit('monitor.check', { ...base, ok: r.ok, ms: r.ms, detail: r.detail });
    if (r.ok) {
      t.failures = 0;
      if (t.state !== 'up') {
        const was = t.state;
        const downFor = (this.now() - t.since) / 1000;
        this.change(t, 'up', r.detail);
        this.o.logger.emit('monitor.up', { ...base, was, down_s: was === 'down' ? downFor : undefined });
        if (was === 'down') this.alert({ kind: 'up', ...base, detail: r.detail, since: at, down_s: downFor });
      }
      return;
    }
    t.failures++;
    if (t.state !== 'down' && t.failures >= t.c.failures) {
      this.change(t, 'down', r.detail);
      this.o.logger.emit('monitor.down', { ...base, failures: t.failures, detail: r.detail });
      this.alert({ kind: 'down', ...base, detail: r.detail, since: at, failures: t.failures });
    }
  }

  private change(t: Target, to: TargetState, detail: string): void {
    t.history.push({ at: new Date(this.now()).toISOString(), from: t.state, to, detail });
    if (t.history.length > 50) t.history.shift();
    t.state = to;
    t.since = this.now();
  }

  private alert(e: AlertEvent): void {
    if (!this.o.alerter) return;
    // not awaited: the next check of this target (and every other) goes on while an alert is retried
    const p = this.o.alerter.send(e).finally(() => this.alerts.delete(p));
    this.alerts.add(p);
  }

  /** Every target's state and recent history (for `tegami status` and the admin dashboard). */
  snapshot(): TargetView[] {
    return this.targets.map((t) => ({
      name: t.c.name,
      check: t.c.check,
      address: shownTarget(t.c),
      state: t.state,
      since: new Date(t.since).toISOString(),
      failures_in_a_row: t.failures,
      last_check: t.checks.at(-1) ?? null,
      checks: [...t.checks],
      history: [...t.history],
    }));
  }

  /** Check all targets once now (tests; `tegami monitor check`). */
  async checkAll(): Promise<void> {
    await Promise.all(this.targets.map((t) => this.checkOnce(t)));
  }

  /** Alerts still being sent or retried. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.alerts]);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.targets) if (t.timer) clearTimeout(t.timer);
  }
}
