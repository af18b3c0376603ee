// `tegami lab list | run SCENARIO | report FILE.json`: the lab's command line (FEATURES L6).
// Exit 0 when every expectation held, 1 when one failed (each printed with expected and got), 2 on a bad
// scenario file (file, line and key named) or bad usage. It only drives servers through ports and the CLI.
import fs from 'node:fs';
import path from 'node:path';
import { flag, UsageError, type Args } from '../engine/cli/args.js';
import { listScenarios, loadScenario, ScenarioError } from './scenario/schema.js';
import { runScenario } from './scenario/run.js';
import { rerender } from './report/write.js';
import { REPO_ROOT } from './targets/tegami.js';

const USAGE = 'usage: tegami lab list | lab run SCENARIO [--target host:port ...] [--domain D] [--auth user:password] [--report-dir DIR] [--quick] | lab report FILE.json';

function scenariosDir(): string {
  const local = path.resolve('scenarios');
  return fs.existsSync(local) ? local : path.join(REPO_ROOT, 'scenarios');
}

/** A path, or a bare scenario name looked up under scenarios/. */
function resolveScenario(arg: string): string {
  if (fs.existsSync(arg)) return arg;
  const named = path.join(scenariosDir(), arg.endsWith('.toml') ? arg : `${arg}.toml`);
  return fs.existsSync(named) ? named : arg;
}

export async function lab(args: Args): Promise<number> {
  const sub = args.positional.shift();
  const out = (s: string) => process.stdout.write(s + '\n');
  const err = (s: string) => process.stderr.write(s + '\n');
  switch (sub) {
    case 'list': {
      const dir = scenariosDir();
      const items = listScenarios(dir);
      if (!items.length) {
        out(`no scenarios under ${dir}`);
        return 0;
      }
      for (const i of items) {
        const rel = path.relative(process.cwd(), i.file) || i.file;
        if (i.error) out(`${rel.padEnd(34)} (bad file: ${i.error})`);
        else out(`${rel.padEnd(34)} ${String(i.kind).padEnd(12)} ${i.description}`);
      }
      return items.some((i) => i.error) ? 2 : 0;
    }
    case 'run': {
      const file = args.positional.shift();
      if (!file) throw new UsageError(USAGE);
      let scenario;
      try {
        scenario = loadScenario(resolveScenario(file));
      } catch (e) {
        if (e instanceof ScenarioError) {
          err(`tegami lab: bad scenario: ${e.message}`);
          return 2;
        }
        throw e;
      }
      const authArg = flag(args, 'auth');
      let auth: { user: string; password: string } | undefined;
      if (authArg) {
        const i = authArg.indexOf(':');
        if (i <= 0) throw new UsageError('--auth expects user:password');
        auth = { user: authArg.slice(0, i), password: authArg.slice(i + 1) };
      }
      const reportDir = path.resolve(flag(args, 'report-dir') ?? 'reports');
      out(`scenario ${scenario.name} (${scenario.kind}) from ${scenario.file}`);
      const { report, files } = await runScenario(scenario, {
        targets: args.multi.get('target'),
        domain: flag(args, 'domain'),
        auth,
        reportDir,
        quick: args.flags.has('quick'),
        progress: process.stderr.isTTY === true && !process.env.CI,
      });
      const failed = report.checks.filter((c) => !c.ok);
      for (const n of report.notes) out(`note: ${n}`);
      out(`report: ${files.json}`);
      out(`        ${files.html}`);
      out(report.ok ? `OK: all ${report.checks.length} expectations held` : `FAILED: ${failed.length} of ${report.checks.length} expectations`);
      for (const c of failed) out(`  - ${c.name}\n      expected: ${c.expected}\n      got:      ${c.actual}`);
      return report.ok ? 0 : 1;
    }
    case 'report': {
      const file = args.positional.shift();
      if (!file) throw new UsageError(USAGE);
      const r = rerender(file);
      if (!r.ok) {
        err(`tegami lab report: ${r.reason}`);
        return 1;
      }
      out(r.html);
      return 0;
    }
    default:
      throw new UsageError(USAGE);
  }
}
