// What a scenario run carries while it runs: the scenario, the targets under test, checks and notes,
// output (quiet in CI, progress on a TTY) and a cleanup stack that always runs. No network I/O here.
import type { Scenario } from './schema.js';
import type { Check, TargetReport } from '../report/model.js';
import type { RunningTarget } from '../targets/common.js';

export interface RunOptions {
  /** --target host:port (repeatable): test these instead of starting the scenario's own targets. */
  targets?: string[];
  domain?: string;
  auth?: { user: string; password: string };
  reportDir: string;
  /** A smoke run: load steps and samples cut to about a tenth (each still bounded and meaningful). */
  quick?: boolean;
  /** Print progress lines (TTY, not CI). */
  progress?: boolean;
  /** Where lines go (stdout by default). */
  out?: (line: string) => void;
}

export interface LabTarget extends RunningTarget {
  /** Started by the lab (so the lab can read its Maildirs, its pid, its CLI). */
  local: boolean;
  /** For lab-started tegami: run its CLI with this config. */
  configPath?: string;
}

export class RunContext {
  readonly checks: Check[] = [];
  readonly notes: string[] = [];
  readonly reports = new Map<string, TargetReport>();
  targets: LabTarget[] = [];
  /** Extra TOML for the tegami the lab starts (routes to peers, DNS, spam settings). */
  tegamiToml: string[] = [];
  dnsServers?: string[];
  /** More listeners for the tegami the lab starts (name → loopback port, 0 = the system chooses), e.g. pop3 and imap for fuzz. */
  tegamiListen: Record<string, number> = {};
  /** More accounts for the tegami the lab starts. */
  tegamiUsers: Array<{ address: string; password: string }> = [];
  private cleanups: Array<() => Promise<void> | void> = [];

  constructor(
    readonly scenario: Scenario,
    readonly opts: RunOptions,
  ) {}

  get domain(): string {
    return (this.opts.domain ?? this.scenario.targets.domain).toLowerCase();
  }

  /** Credentials for a target: --auth, else the scenario's user on targets the lab started. */
  authFor(t: LabTarget): { user: string; password: string } | undefined {
    if (this.opts.auth) return this.opts.auth;
    if (t.local && t.name === 'tegami') return { user: this.scenario.targets.user, password: this.scenario.targets.password };
    return undefined;
  }

  say(line: string): void {
    (this.opts.out ?? ((l: string) => process.stdout.write(l + '\n')))(line);
  }

  progress(line: string): void {
    if (this.opts.progress) process.stderr.write(`\r\x1b[K${line}`);
  }

  progressDone(): void {
    if (this.opts.progress) process.stderr.write('\r\x1b[K');
  }

  check(name: string, ok: boolean, expected: string, actual: string): void {
    this.checks.push({ name, ok, expected, actual });
    this.say(`${ok ? 'PASS' : 'FAIL'} ${name}${ok ? '' : `\n     expected: ${expected}\n     got:      ${actual}`}`);
  }

  report(t: LabTarget): TargetReport {
    let r = this.reports.get(t.name);
    if (!r) {
      r = { name: t.name, address: `${t.host}:${t.port}`, describe: t.describe, msgs_per_s: 0, p50: 0, p99: 0, p999: 0, accepted: 0, errors: {}, steps: [] };
      this.reports.set(t.name, r);
    }
    return r;
  }

  onCleanup(fn: () => Promise<void> | void): void {
    this.cleanups.push(fn);
  }

  async cleanup(): Promise<void> {
    for (const fn of this.cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        this.notes.push(`cleanup: ${(e as Error).message}`);
      }
    }
    this.cleanups = [];
  }
}
