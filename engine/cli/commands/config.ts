// `tegami config check [--json] [--config FILE]`: read the config as `serve` would and check what `serve` reads at
// start (the [tls] pair and each [[tls.domain]] pair: readable, PEM, key and certificate together, not expired),
// without the server and without writing anything, so an operator checks a changed config or a renewed
// certificate before the restart that would otherwise find the mistake (tegami reads both only at start). With
// filtering on, the admin's [spam] rules_file is read and compiled with the shipped rules as `serve` does at start
// (a bad rule stops a start; an edited file is read by the workers only after a restart).
// Exit 0: nothing stops a start (warnings, such as a certificate expiring within 14 days, are printed); 1: what
// would stop it, named with the file; 2: bad usage.
import crypto from 'node:crypto';
import path from 'node:path';
import { UsageError, flag, type Args } from '../args.js';
import { out } from '../common.js';
import { loadConfig, resolveConfigPath } from '../../config/load.js';
import { readCertFiles } from '../../tls/certificate.js';
import { loadRuleSet } from '../../spam/rules/rules.js';

const SOON_DAYS = 14;
const DAY_MS = 86_400_000;

interface CertReport {
  what: string;
  cert: string;
  subject?: string;
  names?: string;
  expires?: string;
  days_left?: number;
  error?: string;
  warning?: string;
}

function checkPair(what: string, certFile: string, keyFile: string, now: number): CertReport {
  const r: CertReport = { what, cert: certFile };
  try {
    const { cert } = readCertFiles(what, certFile, keyFile);
    const x = new crypto.X509Certificate(cert);
    const end = Date.parse(x.validTo);
    r.subject = x.subject.replace(/\n/g, ', ');
    r.names = x.subjectAltName ?? '';
    r.expires = new Date(end).toISOString();
    r.days_left = Math.floor((end - now) / DAY_MS);
    if (end <= now) r.error = `${what} cert ${certFile}: expired on ${r.expires}; renew it (clients refuse it)`;
    else if (Date.parse(x.validFrom) > now) r.error = `${what} cert ${certFile}: not valid before ${new Date(Date.parse(x.validFrom)).toISOString()}`;
    else if (r.days_left < SOON_DAYS) r.warning = `${what} cert ${certFile}: expires in ${r.days_left} day(s), on ${r.expires}`;
  } catch (e) {
    r.error = (e as Error).message;
  }
  return r;
}

interface RulesReport {
  file: string;
  rules?: number;
  disabled?: number;
  error?: string;
}

/** The admin's rules file, compiled with the shipped rules as serve compiles it (undefined: none, or filtering off). */
function checkRules(c: ReturnType<typeof loadConfig>): RulesReport | undefined {
  if (!c.spam.enabled || !c.spam.rules_file) return undefined;
  const file = path.resolve(c.source ? path.dirname(c.source) : process.cwd(), c.spam.rules_file);
  try {
    const set = loadRuleSet(c.spam.rules_file, c.source);
    return { file, rules: set.rules.length, disabled: set.disabled.size };
  } catch (e) {
    return { file, error: `[spam] rules_file: ${(e as Error).message}` };
  }
}

export async function config(args: Args): Promise<number> {
  const [sub, ...rest] = args.positional;
  if (sub !== 'check' || rest.length) throw new UsageError(sub ? `unknown subcommand "${sub}": config check [--json]` : 'config check [--json]');
  const file = resolveConfigPath(flag(args, 'config'));
  // a config error (file, line and key) ends here, as it would end `serve` (exit 1 from main)
  const c = loadConfig(file);
  const now = Date.now();
  const certs: CertReport[] = [];
  if (c.tls.cert && c.tls.key) certs.push(checkPair('[tls]', c.tls.cert, c.tls.key, now));
  for (const d of c.tls.domain) certs.push(checkPair(`[[tls.domain]] ${d.domain}`, d.cert, d.key, now));
  const rules = checkRules(c);
  const errors = certs.flatMap((r) => (r.error ? [r.error] : []));
  if (rules?.error) errors.push(rules.error);
  const warnings = certs.flatMap((r) => (r.warning ? [r.warning] : []));
  const where = file ?? 'the embedded default config (no ./tegami.toml here, no --config FILE)';
  if (args.flags.has('json')) {
    out(JSON.stringify({ ok: errors.length === 0, config_file: file ?? null, hostname: c.hostname, data_dir: c.data_dir, storage: c.storage.backend, listeners: c.listeners, certificates: certs, spam_rules: rules ?? null, errors, warnings }));
  } else {
    for (const e of errors) process.stderr.write(`tegami config: ${e}\n`);
    for (const w of warnings) process.stderr.write(`tegami config: warning: ${w}\n`);
    const lines = [`${where}: ${errors.length ? 'would not start' : 'ok'} (hostname ${c.hostname}, data in ${c.data_dir}, storage ${c.storage.backend})`];
    for (const [name, addr] of Object.entries(c.listeners)) lines.push(`  ${name.padEnd(12)} ${addr}`);
    if (!c.tls.cert) lines.push('  tls          the self-signed certificate in data_dir/tls (made at the first start)');
    for (const r of certs) if (!r.error) lines.push(`  tls          ${r.what} ${r.cert}: ${r.subject}${r.names ? ` (${r.names})` : ''}, expires ${r.expires} (${r.days_left} day(s))`);
    if (rules && !rules.error) lines.push(`  spam rules   ${rules.file}: ${rules.rules} rule(s) with the shipped ones, ${rules.disabled} disabled`);
    out(lines.join('\n'));
  }
  return errors.length ? 1 : 0;
}
