// The configuration schema: every key tegami reads, its type and its safe default.
// Unknown keys are errors (strict objects), so a typo never silently falls back to a default.
// Sections of operations, of later features and of spam filtering are in schema-operations.ts, schema-features.ts
// and schema-spam.ts; this file
// assembles them, so configSchema is still the whole contract.
import net from 'node:net';
import os from 'node:os';
import { z } from 'zod';
import { domainName, duration, ipRange, listenAddr, parseDurationMs, size } from './schema-values.js';
import { alerts, health, log, monitorTarget } from './schema-operations.js';
import { limits, lists, managesieve, sieve, srs, storage } from './schema-features.js';
import { dnsbl, spam } from './schema-spam.js';
import { imap, pop3, web } from './schema-access.js';

export { duration, parseDurationMs };

const listen = z
  .object({
    smtp: listenAddr.optional(),
    submission: listenAddr.optional(),
    submissions: listenAddr.optional(),
    pop3: listenAddr.optional(),
    pop3s: listenAddr.optional(),
    imap: listenAddr.optional(),
    imaps: listenAddr.optional(),
    /** ManageSieve (RFC 5804, engine/managesieve): scripts uploaded by Thunderbird, Roundcube, sieve-connect. */
    managesieve: listenAddr.optional(),
    /** The webmail and JMAP (HTTPS, engine/web/webmail/); default 0.0.0.0:8383 without a config file. */
    webmail: listenAddr.optional(),
    /** The web administration (HTTPS, engine/web/admin/); default 127.0.0.1:8181 without a config file. */
    admin: listenAddr.optional(),
    /** Prometheus /metrics, /healthz and /readyz over plain HTTP (engine/metrics/http.ts); keep it on loopback or a private network. */
    metrics: listenAddr.optional(),
  })
  .strict();

const relay = z
  .object({
    mode: z.enum(['none', 'addresses', 'anyone']).default('none'),
    allow_ips: z.array(ipRange).default([]),
    i_understand_this_is_an_open_relay: z.boolean().default(false),
  })
  .strict();

/**
 * Does a relay.allow_ips entry cover a large part of the Internet (IPv4 shorter than /8, IPv6 shorter than /16, or
 * an IPv4-mapped range shorter than ::ffff:0:0/104)? Such a list makes an open relay as surely as mode "anyone".
 */
export function coversTheInternet(entry: string): boolean {
  const [addr, bits] = entry.split('/');
  if (bits === undefined) return false;
  const n = Number(bits);
  if (net.isIPv4(addr)) return n < 8;
  if (!net.isIPv6(addr)) return false;
  return n < 16 || (/^::ffff:/i.test(addr) && n < 104);
}

/** A local IP address (IPv4, or IPv6 in any spelling). */
const ipAddress = z.string().refine((v) => net.isIP(v) !== 0, { message: 'expected an IP address such as 192.0.2.10 or 2001:db8::10' });
const hostName = z.string().regex(/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, 'expected a host name such as mail.example.jp');

/** A domain's own certificate (A6): chosen by SNI (the domain, its subdomains, the names in the certificate) or by `ip`. */
const tlsDomain = z
  .object({
    domain: hostName,
    cert: z.string(),
    key: z.string(),
    /** The local address whose connections get this certificate when the client names no known host (SNI). */
    ip: ipAddress.optional(),
  })
  .strict();

const tls = z
  .object({
    cert: z.string().optional(),
    key: z.string().optional(),
    /** [[tls.domain]]: per-domain certificates (engine/tls/select.ts); the cert/key above stay the default. */
    domain: z.array(tlsDomain).default([]),
  })
  .strict();

/** A per-IP virtual host (A6, IMail's "AddHost"): its own name on its own address. */
const virtualHost = z
  .object({
    /** The local address clients connect to. */
    ip: ipAddress,
    /** Its host name: the SMTP greeting, the EHLO reply and Received: lines of mail that came in on `ip`. */
    hostname: hostName,
    /** Its domains; the first is where bare logins on `ip` belong (as [domains] by_ip). */
    domains: z.array(hostName).min(1),
    /** On `ip`, accept mail only for these domains (and their host aliases); other local domains get 550 5.7.1. */
    only_own_domains: z.boolean().default(false),
  })
  .strict();

const domains = z
  .object({
    /** Local domains in addition to those added with `tegami domain add`. */
    local: z.array(domainName).default([]),
    /** Host aliases: name → the local domain whose mailboxes it shares (mura@mail.example.jp = mura@example.jp). */
    aliases: z.record(domainName, domainName).default({}),
    /** The domain a bare login or a bare recipient (postmaster) belongs to; defaults to the first local domain. */
    primary: domainName.optional(),
    /** Per-IP virtual hosts: listener IP → domain, so a bare login on that IP resolves in that domain (P4). */
    by_ip: z.record(z.string(), z.string()).default({}),
    /** [[domains.virtual_host]]: per-IP virtual hosts with their own host name (A6); each adds its ip → first domain to by_ip. */
    virtual_host: z.array(virtualHost).default([]),
  })
  .strict()
  .transform((d) => ({ ...d, by_ip: { ...Object.fromEntries(d.virtual_host.map((v) => [v.ip, v.domains[0]])), ...d.by_ip } }));

const auth = z
  .object({
    /** SMTP AUTH PLAIN/LOGIN without TLS from non-loopback clients (POP3 and IMAP have their own key). */
    allow_insecure_auth: z.boolean().default(false),
    /** SASL mechanisms offered on SMTP, POP3 and IMAP alike (PLAIN and LOGIN only where plaintext is allowed). */
    mechanisms: z.array(z.enum(['PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-256'])).default(['PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-256']),
    /** Keep a sealed copy of each password so APOP and CRAM-MD5 work; false keeps only the hash and the SCRAM keys. */
    recoverable_secrets: z.boolean().default(true),
    /** PBKDF2 iterations of the SCRAM-SHA-256 keys stored when a password is set (RFC 7677: at least 4096). */
    scram_iterations: z.number().int().min(4096).max(1_000_000).default(4096),
    throttle_after: z.number().int().nonnegative().default(5),
    window: duration.prefault(600),
    max_delay: duration.prefault(3),
    block_after: z.number().int().nonnegative().default(50),
    block_for: duration.prefault(900),
    /** Bits of an IPv6 address that count as one client for throttling and connection caps (IPv4: the address). */
    ipv6_prefix: z.number().int().min(1).max(128).default(64),
    /** Failures on one account within `window` after which attempts on it are spaced out (never blocked); 0 = off. */
    account_throttle_after: z.number().int().nonnegative().default(10),
    /** Then one attempt per account_delay from networks the owner never logged in from; one that would wait longer is told to retry later. */
    account_delay: duration.prefault('10s'),
    /** Password hashes (scrypt, 16 MB each) computed at once; more wait in a queue. */
    max_concurrent_hashes: z.number().int().positive().default(2),
    /** Logins waiting for a hash slot; beyond that a login is answered "try again later". */
    max_queued_hashes: z.number().int().nonnegative().default(64),
  })
  .strict();

const smtp = z
  .object({
    /** Text after "<hostname> ESMTP" in the 220 greeting (the session layer writes the ESMTP itself). */
    banner: z.string().default('tegami'),
    vrfy: z.boolean().default(false),
    expn: z.boolean().default(false),
    /** Simultaneous SMTP connections, all three listeners together. */
    max_connections: z.number().int().positive().default(1000),
    /** Simultaneous SMTP connections from one client (IPv4 address or IPv6 /ipv6_prefix). */
    max_connections_per_ip: z.number().int().positive().default(50),
    max_recipients: z.number().int().positive().default(100),
    /** Recipients a client may have refused in one connection (unknown, relay denied) before 421 and the close, counted
     *  anew after each accepted message: address harvesting at wire speed (security review 10); 0 = no bound. */
    max_rcpt_errors: z.number().int().nonnegative().default(20),
    /** Seconds to wait before the greeting; clients that talk earlier are refused (early-talker check). */
    greeting_delay: duration.prefault(0),
    socket_timeout: duration.prefault(300),
    /** A command line must arrive whole within this of its first byte, however slowly it trickles (slowloris); 0 = off. */
    command_timeout: duration.prefault('2m'),
    /** The message, from the 354 reply to the final dot, must arrive within this; else 421 4.4.2 and it is discarded; 0 = off. */
    data_timeout: duration.prefault('10m'),
    /** Authenticated senders may only use their own addresses and aliases in MAIL FROM. */
    restrict_sender: z.boolean().default(true),
    /** Authenticated senders may only use their own addresses and aliases in From: (every address) and Sender:;
     *  else 550 5.7.1 at the end of DATA. Off, such mail is still accepted but never DKIM-signed. */
    restrict_header_from: z.boolean().default(true),
    /** System admins may use any MAIL FROM (off: they are bound by restrict_sender like everyone). */
    admins_may_send_as_anyone: z.boolean().default(false),
  })
  .strict();

const accounts = z
  .object({
    min_user_length: z.number().int().positive().default(4),
    password_min: z.number().int().positive().default(4),
    password_max: z.number().int().positive().default(30),
    /** Where postmaster@ of every local domain goes; without it, to the first system admin, else kept in postmaster's own box. */
    postmaster: z.string().optional(),
    /** Folders one account may have, INBOX and parents included (IMAP CREATE/RENAME, JMAP Mailbox/set, the webmail). */
    max_folders: z.number().int().positive().default(1000),
    /** Copies one account's forward list (`tegami user set --forward`) sends to remote addresses per 24 hours at
     *  most (each target counts); beyond it the message is kept in the account's mailbox and the event logged
     *  (forward-limit). Sieve redirects have their own cap ([sieve] max_redirects_per_day). */
    max_forwards_per_day: z.number().int().positive().default(1000),
  })
  .strict();

const queue = z
  .object({
    /** Messages in the spool above which new transactions get 451 4.3.2. */
    max_messages: z.number().int().positive().default(50_000),
    /** Worker threads; 0 = one per core. */
    workers: z.number().int().nonnegative().default(0),
    /** How long SMTP DATA may wait for content analysis before answering 250 anyway. */
    analysis_deadline: duration.prefault('2s'),
    /** Retry schedule for deferred deliveries. */
    retry_schedule: z.array(duration).prefault(['5m', '15m', '30m', '1h', '2h', '4h']),
    max_queue_lifetime: duration.prefault('5d'),
    /** Held mail (queue hold, held domains, spooler routes) is bounced this long after arrival; 0 = kept until released. */
    hold_lifetime: duration.prefault('30d'),
    delay_warning: duration.prefault('4h'),
    /** Concurrent connections per destination domain. */
    per_destination: z.number().int().positive().default(10),
    /** [storage] backend = "postgres": rows of the shared queue's queue_events (leases taken back after a node
     *  died) are deleted this long after they were written, by one node of the cluster each hour. */
    events_retention: duration.prefault('30d'),
  })
  .strict();

const dns = z
  .object({
    servers: z.array(z.string()).optional(),
    timeout: duration.prefault('3s'),
    /** Answers kept by each resolver (the main thread's, each worker's): LRU, at most 8 MB; 0 = no cache. */
    cache_size: z.number().int().min(0).max(1_000_000).default(10_000),
    /** An answer is reused for its TTL, at most this long. */
    cache_max_ttl: duration.prefault('1h'),
    /** NXDOMAIN/NODATA are reused for their SOA's negative TTL (RFC 2308), at most this long. */
    cache_negative_max_ttl: duration.prefault('15m'),
  })
  .strict();

const route = z
  .object({
    domain: z.string(),
    to: z.string().optional(),
    hold: z.boolean().default(false),
    require_tls: z.boolean().default(false),
    auth_user: z.string().optional(),
    auth_password: z.string().optional(),
    /** PEM bundle the relay's certificate must verify against before auth_password is sent; default
     *  [outbound] ca_file, else the system's CAs. Credentials never go without TLS and a verified certificate. */
    ca_file: z.string().optional(),
  })
  .strict();

const smarthost = z
  .object({
    to: z.string(),
    auth_user: z.string().optional(),
    auth_password: z.string().optional(),
    require_tls: z.boolean().default(false),
    /** As for a route: the CAs the smarthost's certificate must verify against before AUTH. */
    ca_file: z.string().optional(),
  })
  .strict();

/** Outbound SMTP delivery (engine/outbound, workers/deliver-remote.ts, engine/queue/outbound.ts). */
const outbound = z
  .object({
    /** TCP port for deliveries found by MX (25 on the Internet; tests point it at a lab sink). */
    port: z.number().int().min(1).max(65535).default(25),
    /** Name given in EHLO; defaults to `hostname`. */
    helo_name: hostName.optional(),
    connect_timeout: duration.prefault('30s'),
    /** Inactivity limit for one SMTP command or the data transfer. */
    command_timeout: duration.prefault('5m'),
    /** The longest one delivery attempt to a destination takes, every MX host and address, TLS and the
     *  transactions together (plus 1 ms per 10 bytes of the message); past it the recipients are deferred
     *  (4.4.2 attempt deadline) and the destination loses connections (slow start), so a server that drips its
     *  replies holds a slot of the active set for this long at most. */
    attempt_timeout: duration.prefault('10m'),
    /** How long a worker keeps an idle connection open for the next message to the same destination. */
    idle_reuse: duration.prefault('5s'),
    /** Deliveries (batches) in flight at once across all destinations: the active set. They share the
     *  worker pool (16 tasks per thread) with local delivery, so keep it below that total. */
    max_active: z.number().int().positive().default(24),
    /** Slow start: connections a destination gets at first; it grows by one per success up to [queue] per_destination. */
    initial_concurrency: z.number().int().positive().default(2),
    /** Recipients per SMTP transaction. */
    max_recipients: z.number().int().positive().default(100),
    /** Mail exchangers tried per delivery, in preference order. */
    max_mx: z.number().int().positive().default(5),
    /** MTA-STS (RFC 8461) for MX deliveries: a domain with an `enforce` policy gets its mail only over
     *  verified TLS to the MX hosts its policy names; `testing` policies are logged, never enforced. */
    mta_sts: z.boolean().default(true),
    /** HTTPS port of the policy hosts (mta-sts.<domain>); 443 on the Internet, tests use a lab server. */
    mta_sts_https_port: z.number().int().min(1).max(65535).default(443),
    /** Limit for one policy fetch (connect, TLS, and the whole body). */
    mta_sts_fetch_timeout: duration.prefault('20s'),
    /** PEM bundle of trusted CAs for MTA-STS (policy hosts and MX certificates) and for routes and the
     *  smarthost that log in without a ca_file of their own; default the system's bundle
     *  (/etc/ssl/certs/ca-certificates.crt), else Node's built-in roots. */
    ca_file: z.string().optional(),
  })
  .strict();

export const configSchema = z
  .object({
    hostname: hostName.default(() => os.hostname() || 'localhost'),
    data_dir: z.string().default('./data'),
    max_message_size: size.prefault(25 * 1024 * 1024),
    listen: listen.optional(),
    relay: relay.prefault({}),
    tls: tls.prefault({}),
    domains: domains.prefault({}),
    auth: auth.prefault({}),
    smtp: smtp.prefault({}),
    accounts: accounts.prefault({}),
    queue: queue.prefault({}),
    dns: dns.prefault({}),
    route: z.array(route).default([]),
    smarthost: smarthost.optional(),
    outbound: outbound.prefault({}),
    log: log.prefault({}),
    health: health.prefault({}),
    monitor: z.array(monitorTarget).default([]),
    alerts: alerts.prefault({}),
    web: web.prefault({}),
    dnsbl: z.array(dnsbl).default([]),
    spam: spam.prefault({}),
    pop3: pop3.prefault({}),
    imap: imap.prefault({}),
    lists: lists.prefault({}),
    sieve: sieve.prefault({}),
    limits: limits.prefault({}),
    srs: srs.prefault({}),
    managesieve: managesieve.prefault({}),
    storage: storage.prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.relay.mode === 'anyone' && !c.relay.i_understand_this_is_an_open_relay) {
      ctx.addIssue({
        code: 'custom',
        path: ['relay', 'mode'],
        message: 'mode "anyone" makes an open relay; it also needs i_understand_this_is_an_open_relay = true',
      });
    }
    const wide = c.relay.mode === 'addresses' ? c.relay.allow_ips.filter(coversTheInternet) : [];
    if (wide.length && !c.relay.i_understand_this_is_an_open_relay) {
      ctx.addIssue({
        code: 'custom',
        path: ['relay', 'allow_ips'],
        message: `${wide.join(', ')} lets a large part of the Internet relay (an open relay); narrow it, or also set i_understand_this_is_an_open_relay = true`,
      });
    }
    const names = new Set<string>();
    c.monitor.forEach((m, i) => {
      if (names.has(m.name)) ctx.addIssue({ code: 'custom', path: ['monitor', i, 'name'], message: `monitor name "${m.name}" is used twice` });
      names.add(m.name);
    });
    if (c.alerts.mail_to.length && !c.alerts.smarthost) {
      ctx.addIssue({ code: 'custom', path: ['alerts', 'smarthost'], message: 'mail_to needs a smarthost ("host:port") to send through' });
    }
    if (c.alerts.webhooks.length && !c.alerts.webhook_secret) {
      ctx.addIssue({ code: 'custom', path: ['alerts', 'webhook_secret'], message: 'webhooks need a webhook_secret to sign them with' });
    }
    if (c.accounts.password_min > c.accounts.password_max) {
      ctx.addIssue({ code: 'custom', path: ['accounts', 'password_min'], message: 'password_min is above password_max' });
    }
    checkVirtualHosts(c.domains, c.tls, ctx);
    if (c.storage.backend === 'postgres' && !c.storage.url) {
      ctx.addIssue({ code: 'custom', path: ['storage', 'url'], message: 'backend "postgres" needs url = "postgres://user:password@host/database"' });
    }
  });

/** One virtual host per address; by_ip may not send that address elsewhere; a certificate's ip is named once. */
function checkVirtualHosts(d: z.output<typeof domains>, t: z.output<typeof tls>, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  d.virtual_host.forEach((v, i) => {
    const ip = canonicalIp(v.ip);
    if (seen.has(ip)) ctx.addIssue({ code: 'custom', path: ['domains', 'virtual_host', i, 'ip'], message: `${v.ip} has two virtual hosts` });
    seen.add(ip);
    const bound = d.by_ip[v.ip];
    if (bound !== undefined && bound.toLowerCase() !== v.domains[0].toLowerCase()) {
      ctx.addIssue({ code: 'custom', path: ['domains', 'by_ip', v.ip], message: `by_ip sends ${v.ip} to ${bound}, its virtual host to ${v.domains[0]}` });
    }
  });
  const certIps = new Set<string>();
  t.domain.forEach((e, i) => {
    if (!e.ip) return;
    const ip = canonicalIp(e.ip);
    if (certIps.has(ip)) ctx.addIssue({ code: 'custom', path: ['tls', 'domain', i, 'ip'], message: `two [[tls.domain]] certificates for ${e.ip}` });
    certIps.add(ip);
  });
}

/** One spelling per address: IPv4-mapped IPv6 as IPv4, IPv6 compressed and lower case. */
export function canonicalIp(ip: string): string {
  const v = ip.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/.test(v)) return v.slice(7);
  if (net.isIP(v) === 6) {
    try {
      return new URL(`http://[${v}]/`).hostname.slice(1, -1);
    } catch {
      return v;
    }
  }
  return v;
}

export type Config = z.output<typeof configSchema>;
export type ListenerName = keyof z.output<typeof listen>;
export type RouteConfig = z.output<typeof route>;
export type DnsblConfig = z.output<typeof dnsbl>;
export type MonitorConfig = z.output<typeof monitorTarget>;
export type AlertsConfig = z.output<typeof alerts>;
export type StorageConfig = z.output<typeof storage>;
