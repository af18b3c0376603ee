// `tegami monitor test [--config FILE]`: send a test alert on every channel of [alerts] (mail through the
// smarthost, each webhook) and say how each went; exit 0 only when all arrived. `tegami monitor check
// [--json]`: check every [[monitor]] target once, from here, now. Neither needs the server running (the
// monitor must be testable when the server is what is down). Options are parsed strictly.
import { UsageError, type Args } from '../args.js';
import { loadConfig, resolveConfigPath } from '../../config/load.js';
import { Logger } from '../../log/logger.js';
import { Alerter } from '../../monitor/alerts.js';
import { closeProbes, probe } from '../../monitor/probes.js';
import { shownTarget } from '../../monitor/monitor.js';
import { tegamiVersion } from '../../ops/backup.js';
import { strictArgs, toArgv } from './status.js';

const USAGE = 'tegami monitor test [--config FILE] | tegami monitor check [--json] [--config FILE]';

export async function monitor(args: Args): Promise<number> {
  return monitorMain(toArgv(args));
}

export async function monitorMain(argv: string[]): Promise<number> {
  const { values, positionals } = strictArgs(argv, { json: { type: 'boolean' } }, USAGE);
  const [sub, ...rest] = positionals;
  if (rest.length || (sub !== 'test' && sub !== 'check')) throw new UsageError(`${sub ? `unknown subcommand ${sub}` : 'a subcommand is needed'}\nusage: ${USAGE}`);
  const file = resolveConfigPath(values.config);
  const config = loadConfig(file);
  // which config was read: a newcomer without tegami.toml is told so, not sent looking for "the config"
  const where = file ?? 'the embedded default config (no ./tegami.toml here, no --config FILE)';
  if (sub === 'check') {
    if (!config.monitor.length) {
      process.stderr.write(`tegami monitor: nothing to check: ${where} has no [[monitor]] table; add one per watched service (name, check, target; docs/operations.md, "The monitor and its alerts")\n`);
      return 1;
    }
    const results = await Promise.all(config.monitor.map(async (t) => ({ name: t.name, check: t.check, address: shownTarget(t), ...(await probe(t, config.dns.servers)) })));
    await closeProbes();
    if (values.json) process.stdout.write(JSON.stringify(results) + '\n');
    else for (const r of results) process.stdout.write(`${r.name.padEnd(12)} ${`${r.check} ${r.address}`.padEnd(36)} ${r.ok ? 'up  ' : 'DOWN'} ${r.ms} ms  ${r.detail}\n`);
    return results.every((r) => r.ok) ? 0 : 1;
  }
  if (values.json) throw new UsageError(`--json is for monitor check\nusage: ${USAGE}`);
  const alerter = new Alerter(config.alerts, { hostname: config.hostname, version: tegamiVersion(), logger: new Logger({ stdout: false, files: false, sink: null }) });
  if (!alerter.channels().length) {
    process.stderr.write(`tegami monitor: no alert channel: ${where} has no [alerts] mail_to with a smarthost, nor webhooks (docs/operations.md, "The monitor and its alerts")\n`);
    await alerter.close();
    return 1;
  }
  const results = await alerter.send({ kind: 'test', target: 'test', check: 'test', address: '-', detail: `a test alert sent by tegami monitor test on ${config.hostname}`, since: new Date().toISOString() });
  await alerter.close();
  for (const r of results) process.stdout.write(`${r.channel} ${r.to}: ${r.ok ? 'sent' : `FAILED after ${r.attempts} attempt(s): ${r.error}`}\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}
