// Runs one scenario end to end: stand-in DNS, the kind's peers, the targets (started by the lab or given
// with --target), the kind's probes/load, then the report (JSON + HTML). Everything it started is stopped
// in a finally block, whatever happens. Returns the report; the CLI turns `ok` into the exit code.
import { performance } from 'node:perf_hooks';
import type { Scenario } from './schema.js';
import { RunContext, type LabTarget, type RunOptions } from './context.js';
import { startDnsServer } from '../dns/server.js';
import { dnsblZone } from '../dns/dnsbl.js';
import { parseHostPort } from '../targets/common.js';
import { startTegami } from '../targets/tegami.js';
import { startSmtpSink, smtpSinkAvailable } from '../targets/smtp-sink.js';
import { startPostfix, postfixAvailable } from '../targets/postfix.js';
import { startPostfixRspamd, postfixRspamdAvailable } from '../targets/postfix-rspamd.js';
import { machineInfo, type Report } from '../report/model.js';
import { writeReport } from '../report/write.js';
import { KIND_RUNNERS } from './kinds/index.js';

export interface RunOutcome {
  report: Report;
  files: { json: string; html: string };
}

async function startTargets(ctx: RunContext): Promise<void> {
  const s = ctx.scenario;
  if (ctx.opts.targets?.length) {
    for (const spec of ctx.opts.targets) {
      const hp = parseHostPort(spec);
      if (!hp) throw new Error(`--target ${spec}: expected host:port`);
      ctx.targets.push({ name: spec, host: hp.host, port: hp.port, local: false, describe: `external target ${spec}`, stop: async () => undefined });
    }
    return;
  }
  for (const name of s.targets.start) {
    const optional = s.targets.optional.includes(name);
    const skip = (reason: string) => {
      if (!optional) throw new Error(`cannot start ${name}: ${reason}`);
      ctx.notes.push(`${name} skipped: ${reason}`);
      ctx.say(`note: ${name} skipped: ${reason}`);
    };
    let t: LabTarget | undefined;
    try {
      if (name === 'tegami') {
        const tg = await startTegami({
          domain: s.targets.domain,
          users: [{ address: s.targets.user, password: s.targets.password }, ...ctx.tegamiUsers],
          listen: ctx.tegamiListen,
          dnsServers: ctx.dnsServers,
          toml: [...ctx.tegamiToml, s.targets.tegami_toml].join('\n'),
        });
        t = { ...tg, local: true, configPath: tg.configPath };
      } else if (name === 'smtp-sink') {
        if (!smtpSinkAvailable()) {
          skip('smtp-sink is not installed (apt-get install postfix)');
          continue;
        }
        t = { ...(await startSmtpSink()), local: true };
      } else if (name === 'postfix+rspamd') {
        const a = postfixRspamdAvailable();
        if (!a.ok) {
          skip(a.reason);
          continue;
        }
        // rspamd's network checks go to the scenario's stand-in DNS, like tegami's; without one they would have nowhere to go
        if (!ctx.dnsServers?.length) {
          skip('postfix+rspamd needs the scenario to start a stand-in DNS ([dns])');
          continue;
        }
        t = { ...(await startPostfixRspamd({ domain: s.targets.domain, users: [s.targets.user], dns: ctx.dnsServers[0] })), local: true };
      } else {
        const a = postfixAvailable();
        if (!a.ok) {
          skip(a.reason);
          continue;
        }
        t = { ...(await startPostfix({ domain: s.targets.domain, users: [s.targets.user] })), local: true };
      }
    } catch (e) {
      skip((e as Error).message);
      continue;
    }
    const started = t;
    ctx.targets.push(started);
    ctx.onCleanup(() => started.stop());
    ctx.say(`started ${started.name} on ${started.host}:${started.port}`);
  }
  if (!ctx.targets.length) throw new Error('no target could be started');
}

export async function runScenario(scenario: Scenario, opts: RunOptions): Promise<RunOutcome> {
  const ctx = new RunContext(scenario, opts);
  const t0 = performance.now();
  const generatedAt = new Date();
  try {
    if (scenario.dns) {
      const dns = await startDnsServer({
        zones: [
          ...scenario.dns.records.map((r) => ({ ...r, data: r.data })),
          ...scenario.dns.dnsbl.flatMap((b) => dnsblZone(b.zone, { listed: b.listed })),
        ],
      });
      ctx.onCleanup(async () => {
        const names = [...new Set(dns.queries.map((q) => `${q.name}/${q.type}`))];
        ctx.notes.push(`stand-in DNS answered ${dns.queries.length} queries${names.length ? `: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''}` : ''}`);
        await dns.close();
      });
      ctx.dnsServers = [dns.address];
      ctx.say(`stand-in DNS on ${dns.address} (UDP and TCP)`);
    }
    const runner = KIND_RUNNERS[scenario.kind];
    const run = await runner(ctx);
    await startTargets(ctx);
    await run();
  } catch (e) {
    ctx.check('the scenario ran to the end', false, 'no error', (e as Error).message);
  } finally {
    ctx.progressDone();
    await ctx.cleanup();
  }
  const report: Report = {
    kind: 'tegami-lab-report',
    version: 1,
    scenario: { name: scenario.name, file: scenario.file, description: scenario.description },
    generated_at: generatedAt.toISOString(),
    duration_s: Math.round((performance.now() - t0) / 100) / 10,
    machine: machineInfo(),
    ok: ctx.checks.length > 0 && ctx.checks.every((c) => c.ok),
    checks: ctx.checks,
    targets: Object.fromEntries(ctx.reports),
    notes: ctx.notes,
  };
  const files = writeReport(report, opts.reportDir);
  return { report, files };
}
