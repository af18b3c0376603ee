// Worker task "deliver-remote": a batch of recipients of one spooled message for one destination →
// MX/route hosts in order → SMTP (STARTTLS; AUTH only over verified TLS; DKIM-signed as the message's
// origin allows) → one outcome per recipient. Idle sessions are kept a few seconds per destination for
// the next message (connection reuse within this worker).
// It never writes queue state and never retries: the scheduler on the main thread does both.
import fsp from 'node:fs/promises';
import { workerData } from 'node:worker_threads';
import { loadConfig, type LoadedConfig } from '../engine/config/load.js';
import { dnsCacheOptions, makeResolver, type Resolver } from '../engine/dns/resolver.js';
import { Logger } from '../engine/log/logger.js';
import { checkedOrigin, type Envelope } from '../engine/spool/envelope.js';
import { receivedHeader } from '../engine/smtp/received.js';
import type { Destination } from '../engine/outbound/destination.js';
import { resolveDestination, type Target } from '../engine/outbound/mx.js';
import { boundListeners, exchangerScreen, type ExchangerScreen } from '../engine/outbound/exchanger-screen.js';
import { closeSession, openSession, sendTransaction, type RcptOutcome, type Session } from '../engine/outbound/smtp-client.js';
import { signingKey, signMessage, type KeySource } from '../engine/outbound/dkim.js';
import { sealedKeys } from '../engine/outbound/dkim-keys.js';
import { openDatabase } from '../engine/db/database.js';
import { stripVerdictHeaders } from '../engine/spam/strip-headers.js';
import { discoverPolicy, screenHosts, trustedCa, type StsEvent } from '../engine/outbound/mta-sts.js';
import { policyAllows } from '../engine/outbound/mta-sts-policy.js';
import { checked, deliverTaskCheck } from '../engine/queue/worker-messages.js';
import type { CachedPolicy } from '../engine/outbound/mta-sts-cache.js';

export interface DeliverRecipient {
  address: string;
  notify?: string[];
  orcpt?: string;
}

export interface DeliverTask {
  id: string;
  /** The spool file (header + raw message). */
  file: string;
  bodyOffset: number;
  envelope: Envelope;
  destination: Destination;
  recipients: DeliverRecipient[];
}

export interface AttemptLog {
  host: string;
  ip: string;
  port: number;
  tls?: string;
  reply: string;
  ms: number;
  stage: 'connect' | 'transaction';
  reused?: boolean;
  recipients?: number;
  pipelining?: boolean;
}

export interface RecipientResult {
  address: string;
  kind: 'sent' | 'temp' | 'perm';
  status: string;
  reply: string;
  /** "mx.example.org[192.0.2.1]" when a server answered. */
  remoteMta?: string;
  /** The next hop took our DSN parameters (it advertised DSN), so it notifies on success itself. */
  dsnPassed?: boolean;
}

export interface DeliverResult {
  recipients: RecipientResult[];
  attempts: AttemptLog[];
  /** No host of the destination could be reached (feeds the scheduler's slow start). */
  unreachable: boolean;
  /** Signed (domain, selector), a signing error, or not signed although the From: domain has a key (why). */
  dkim?: { domain: string; selector: string } | { error: string } | { skipped: string; domain: string };
  /** Events the scheduler logs: MTA-STS (policy fetched / cached / failed, enforced, violation) and
   *  `auth-withheld` (credentials not sent: no TLS, or a certificate that did not verify). */
  events?: StsEvent[];
}

interface Settings {
  configPath?: string;
  dataDir: string;
}
const settings = (workerData ?? {}) as Settings;

let state: { config: LoadedConfig; resolver: Resolver } | null = null;
let screen: { config: LoadedConfig; at: number; screen: ExchangerScreen } | null = null;
/**
 * MX addresses that are this server's own SMTP listeners or no exchanger at all are never tried (exchanger-screen.ts);
 * the listeners as bound (run/listeners.json, port 0 resolved), looked at again every 10 s.
 */
function screenFor(config: LoadedConfig): ExchangerScreen {
  if (screen?.config !== config || Date.now() - screen.at > 10_000) screen = { config, at: Date.now(), screen: exchangerScreen(boundListeners(config.data_dir, config.listeners)) };
  return screen.screen;
}
function init(): { config: LoadedConfig; resolver: Resolver } {
  if (!state) {
    const config = loadConfig(settings.configPath);
    config.data_dir = settings.dataDir ?? config.data_dir;
    // lookups are counted in the server's metrics (tegami_dns_lookup_*) through this thread's event sink
    const events = new Logger({ stdout: false, files: false });
    state = { config, resolver: makeResolver(config.dns.servers, config.dns.timeout, (l) => events.emit('system.dns-lookup', l), dnsCacheOptions(config.dns)) };
  }
  return state;
}

/** The signing keys: the data dir's files, or on PostgreSQL the sealed rows of this node's copy (tegami.db). */
let keys: KeySource | null = null;
function signingKeys(config: LoadedConfig): KeySource {
  keys ??= config.storage.backend === 'postgres' ? sealedKeys(openDatabase(config.data_dir, { readonly: true }), config.data_dir) : config.data_dir;
  return keys;
}

// ---- idle sessions, per destination key ----
interface Idle {
  session: Session;
  timer: NodeJS.Timeout;
}
const idle = new Map<string, Idle[]>();
const MAX_IDLE_PER_KEY = 4;

function takeIdle(key: string): Session | null {
  const list = idle.get(key);
  while (list && list.length) {
    const it = list.pop()!;
    clearTimeout(it.timer);
    if (!it.session.broken) return it.session;
    closeSession(it.session);
  }
  return null;
}

function putIdle(key: string, s: Session, ms: number): void {
  const list = idle.get(key) ?? [];
  if (s.broken || ms <= 0 || list.length >= MAX_IDLE_PER_KEY) return closeSession(s);
  const it: Idle = {
    session: s,
    timer: setTimeout(() => {
      const l = idle.get(key);
      if (l) idle.set(key, l.filter((x) => x !== it));
      closeSession(s);
    }, ms),
  };
  it.timer.unref();
  list.push(it);
  idle.set(key, list);
}

// ---- the message as it leaves ----
async function outgoingMessage(task: DeliverTask, config: LoadedConfig): Promise<{ raw: Buffer; dkim?: DeliverResult['dkim'] }> {
  const all = await fsp.readFile(task.file);
  // nothing we did not write leaves claiming our verdict or our authserv-id (engine/spam/strip-headers.ts)
  const body = Buffer.concat(stripVerdictHeaders(all.subarray(task.bodyOffset), config.hostname).parts);
  const single = task.recipients.length === 1 ? task.recipients[0].address : undefined;
  const received = Buffer.from(receivedHeader(task.envelope, config.hostname, single), 'utf8');
  let raw = Buffer.concat([received, body]);
  // signed only as the origin recorded with the message allows: never mail that merely passes through
  const choice = signingKey(signingKeys(config), checkedOrigin(task.envelope.origin), body);
  if (!choice.sign) return { raw, dkim: choice.reason ? { skipped: choice.reason, domain: choice.domain ?? '' } : undefined };
  const key = choice.key;
  const signed = await signMessage(raw, key);
  if (!signed.ok) return { raw, dkim: { error: signed.reason } };
  raw = Buffer.concat([Buffer.from(signed.header, 'utf8'), raw]);
  return { raw, dkim: { domain: key.domain, selector: key.selector } };
}

/** Recipients that can share one transaction: same DSN parameters, at most `max` of them. */
function transactions(rcpts: DeliverRecipient[], max: number): DeliverRecipient[][] {
  const groups = new Map<string, DeliverRecipient[]>();
  for (const r of rcpts) {
    const k = `${(r.notify ?? []).join(',')}|${r.orcpt ?? ''}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: DeliverRecipient[][] = [];
  for (const g of groups.values()) for (let i = 0; i < g.length; i += max) out.push(g.slice(i, i + max));
  return out;
}

function mtaName(s: Session): string {
  return `${s.hostName}[${s.ip}]`;
}

/** Run every transaction of the task on one session; returns outcomes, or null if the (reused) session died before any reply. */
async function deliverOn(s: Session, task: DeliverTask, raw: Buffer, config: LoadedConfig, attempts: AttemptLog[], reused: boolean, deadlineAt: number): Promise<RecipientResult[] | null> {
  const results: RecipientResult[] = [];
  const groups = transactions(task.recipients, config.outbound.max_recipients);
  for (const [gi, g] of groups.entries()) {
    if (s.broken) {
      for (const r of g) results.push({ address: r.address, kind: 'temp', status: '4.4.2', reply: 'connection lost before this transaction', remoteMta: mtaName(s) });
      continue;
    }
    const dsnPassed = s.extensions.includes('DSN');
    const res = await sendTransaction(
      s,
      {
        from: task.envelope.mailFrom,
        to: g.map((r) => r.address),
        size: raw.length,
        body8bit: !!task.envelope.body8bit || /[^\x00-\x7f]/.test(raw.toString('latin1')),
        dsn: { ret: task.envelope.dsn?.ret, envid: task.envelope.dsn?.envid, notify: g[0].notify, orcpt: g[0].orcpt },
      },
      raw,
      deadlineAt,
    );
    attempts.push({ host: s.hostName, ip: s.ip, port: s.port, tls: s.tls, reply: res.reply, ms: res.ms, stage: 'transaction', reused: reused || s.transactions > 1, recipients: g.length, pipelining: s.extensions.includes('PIPELINING') });
    const silentDeath = res.broken && res.recipients.every((x: RcptOutcome) => x.kind === 'temp' && x.status === '4.4.2');
    if (reused && gi === 0 && silentDeath) return null; // the server dropped the idle connection: use a fresh one
    for (const o of res.recipients) {
      const base = { address: o.address, reply: o.reply, remoteMta: mtaName(s) };
      if (o.kind === 'sent') results.push({ ...base, kind: 'sent', status: '2.0.0', dsnPassed });
      else results.push({ ...base, kind: o.kind, status: o.status });
    }
  }
  return results;
}

export default async function deliverRemote(task: DeliverTask): Promise<DeliverResult> {
  task = checked(deliverTaskCheck, task, 'the delivery task'); // bytes from another thread are checked first
  const { config, resolver } = init();
  const attempts: AttemptLog[] = [];
  const dest = task.destination;
  const all = (kind: 'temp' | 'perm', status: string, reply: string, unreachable = false): DeliverResult => ({
    recipients: task.recipients.map((r) => ({ address: r.address, kind, status, reply })),
    attempts,
    unreachable,
  });

  let msg: { raw: Buffer; dkim?: DeliverResult['dkim'] };
  try {
    msg = await outgoingMessage(task, config);
  } catch (e) {
    return all('temp', '4.3.0', `cannot read the spooled message: ${(e as Error).message}`);
  }
  // 0. MTA-STS (RFC 8461): MX deliveries only; routes and the smarthost are the operator's own choice
  const events: StsEvent[] = [];
  let sts: CachedPolicy | null = null;
  if (config.outbound.mta_sts && dest.kind === 'mx') {
    const found = await discoverPolicy(dest.domain, { resolver, dataDir: config.data_dir, httpsPort: config.outbound.mta_sts_https_port, timeoutMs: config.outbound.mta_sts_fetch_timeout, caFile: config.outbound.ca_file });
    events.push(...found.events);
    sts = found.policy;
  }
  const enforce = sts?.policy.mode === 'enforce';
  const stsFields = sts ? { domain: sts.domain, policy_id: sts.id, mode: sts.policy.mode } : {};
  // the whole attempt ends by this ([outbound] attempt_timeout): a server that drips its replies holds a slot
  // of the active set no longer; one that made it run out counts as unreachable (slow start cuts it back)
  const deadlineAt = Date.now() + config.outbound.attempt_timeout + Math.ceil(msg.raw.length / 10);
  const late = () => attempts.some((a) => / \((attempt|transaction|session) deadline\)$/.test(a.reply));
  const finish = (recipients: RecipientResult[], unreachable = false): DeliverResult => ({ recipients, attempts, unreachable: unreachable || late(), dkim: msg.dkim, events });

  // 1. an idle session to this destination from an earlier message (under enforce: only a verified one)
  let reusedSession = takeIdle(dest.key);
  if (reusedSession && enforce && (!reusedSession.peer?.verified || !policyAllows(sts!.policy, reusedSession.hostName))) {
    closeSession(reusedSession);
    reusedSession = null;
  }
  if (reusedSession) {
    const r = await deliverOn(reusedSession, task, msg.raw, config, attempts, true, deadlineAt);
    if (r) {
      putIdle(dest.key, reusedSession, config.outbound.idle_reuse);
      return finish(r);
    }
    closeSession(reusedSession);
  }

  // 2. the destination's hosts, in order
  const where = await resolveDestination(dest, resolver, { port: config.outbound.port, maxMx: config.outbound.max_mx, screen: screenFor(config) });
  if (where.kind !== 'ok') return { ...all(where.kind, where.status, where.reason), dkim: msg.dkim, events };
  let targets = where.targets as Target[];
  if (sts) {
    // RFC 8461 §4.1: only MX hosts named by the policy; under testing the others are tried but reported
    const { allowed, refused } = screenHosts(sts, targets);
    for (const t of refused) events.push({ event: 'mta-sts-violation', level: 'warn', fields: { ...stsFields, host: t.name, problem: `MX host not in the policy (mx: ${sts.policy.mx.join(', ')})`, action: enforce ? 'not tried' : 'may be tried (testing)' } });
    if (enforce) targets = allowed;
    if (!targets.length) return finish(task.recipients.map((x) => ({ address: x.address, kind: 'temp', status: '4.7.5', reply: `MTA-STS policy of ${sts!.domain} (enforce): no MX host matches the policy (mx: ${sts!.policy.mx.join(', ')})` })), true);
  }
  let verifyTls: { ca?: string; reject: boolean } | undefined;
  if (sts) {
    const ca = trustedCa(config.outbound.ca_file);
    if (!ca.ok) {
      events.push({ event: 'mta-sts-violation', level: 'warn', fields: { ...stsFields, problem: ca.reason, action: enforce ? 'deferred' : 'delivered anyway' } });
      if (enforce) return finish(task.recipients.map((x) => ({ address: x.address, kind: 'temp', status: '4.7.5', reply: `MTA-STS policy of ${sts!.domain} (enforce): certificates cannot be checked: ${ca.reason}` })));
    } else verifyTls = { ca: ca.pem, reject: enforce };
  }
  // credentials go only to a host whose certificate verifies against the route's (or [outbound]) CAs
  let authCa: string | undefined;
  if (dest.auth) {
    const ca = trustedCa(dest.caFile ?? config.outbound.ca_file);
    if (!ca.ok) {
      events.push({ event: 'auth-withheld', level: 'warn', fields: { problem: ca.reason } });
      return finish(task.recipients.map((x) => ({ address: x.address, kind: 'temp', status: '4.7.5', reply: `credentials for ${dest.key} not sent: its certificate cannot be checked (${ca.reason})` })));
    }
    authCa = ca.pem;
  }
  const helo = config.outbound.helo_name ?? config.hostname;
  let last = { status: '4.4.1', reply: 'no host could be reached' };
  let anyPermTls = false;
  hosts: for (const t of targets) {
    for (const ip of t.addresses) {
      if (Date.now() >= deadlineAt) {
        last = { status: '4.4.2', reply: `${last.reply}; no time left for ${t.name}[${ip}] and the hosts after it (attempt deadline)` };
        break hosts;
      }
      const base = { ip, port: t.port, hostName: t.name, helo, requireTls: dest.requireTls || enforce || !!dest.auth, auth: dest.auth, authCa, connectTimeoutMs: config.outbound.connect_timeout, commandTimeoutMs: config.outbound.command_timeout, verifyTls, deadlineAt };
      let opened = await openSession(base);
      attempts.push({ host: t.name, ip, port: t.port, reply: opened.ok ? `connected${opened.session.tls ? ' (' + opened.session.tls + ')' : ''}` : opened.reply, ms: opened.ms, stage: 'connect', tls: opened.ok ? opened.session.tls : undefined });
      if (sts && !opened.ok && opened.tlsFailed) {
        events.push({ event: 'mta-sts-violation', level: 'warn', fields: { ...stsFields, host: t.name, ip, problem: opened.reply, action: enforce ? 'host skipped' : 'retried without certificate check' } });
      }
      if (!opened.ok && opened.tlsFailed && !base.requireTls) {
        // opportunistic TLS failed in the handshake: this host gets a plaintext session instead
        opened = await openSession({ ...base, noTls: true });
        attempts.push({ host: t.name, ip, port: t.port, reply: opened.ok ? 'connected without TLS after a failed handshake' : opened.reply, ms: opened.ms, stage: 'connect' });
      }
      if (!opened.ok && dest.auth && opened.tlsFailed) events.push({ event: 'auth-withheld', level: 'warn', fields: { host: t.name, ip, port: t.port, problem: opened.reply } });
      if (!opened.ok) {
        last = { status: opened.status, reply: `${t.name}[${ip}]: ${opened.reply}` };
        if (base.requireTls && opened.tlsFailed) anyPermTls = true;
        continue;
      }
      if (sts) {
        const s = opened.session;
        const problem = !s.tls ? 'no TLS (STARTTLS not offered or failed)' : !s.peer?.verified ? `certificate not valid for ${t.name}: ${s.peer?.error ?? 'unchecked'}` : null;
        if (problem && enforce) {
          // the handshake should have refused it already; never send under enforce without a verified peer
          closeSession(s);
          events.push({ event: 'mta-sts-violation', level: 'warn', fields: { ...stsFields, host: t.name, ip, problem, action: 'host skipped' } });
          last = { status: '4.7.5', reply: `${t.name}[${ip}]: ${problem}` };
          anyPermTls = true;
          continue;
        }
        if (problem) events.push({ event: 'mta-sts-violation', level: 'warn', fields: { ...stsFields, host: t.name, ip, problem, action: 'delivered anyway' } });
        else if (enforce) events.push({ event: 'mta-sts-enforced', level: 'info', fields: { ...stsFields, host: t.name, ip, tls: s.tls } });
      }
      const r = await deliverOn(opened.session, task, msg.raw, config, attempts, false, deadlineAt);
      putIdle(dest.key, opened.session, config.outbound.idle_reuse);
      return finish(r ?? task.recipients.map((x) => ({ address: x.address, kind: 'temp', status: '4.4.2', reply: 'connection lost' })));
    }
  }
  if (anyPermTls && enforce) last = { status: '4.7.5', reply: `MTA-STS policy of ${dest.domain} (enforce): no MX host offered TLS with a valid certificate (${last.reply})` };
  else if (anyPermTls && dest.auth) last = { status: /^4\.7\./.test(last.status) ? last.status : '4.7.0', reply: `credentials for ${dest.key} are sent only over TLS with a verified certificate; no host offered it (${last.reply})` };
  else if (anyPermTls) last = { status: '4.7.0', reply: `TLS is required for ${dest.domain} but could not be established (${last.reply})` };
  return finish(task.recipients.map((x) => ({ address: x.address, kind: 'temp', status: last.status.startsWith('5') ? '4.4.1' : last.status, reply: last.reply })), true);
}
