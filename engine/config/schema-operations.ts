// Config sections for operating tegami (docs/operations.md): logs and their retention, health thresholds,
// [[monitor]] targets and where alerts go. Part of the schema (schema.ts assembles it).
import { z } from 'zod';
import { duration, size } from './schema-values.js';

export const log = z
  .object({
    level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** Structured JSON lines on stdout. */
    stdout: z.boolean().default(true),
    /** Daily text files <data_dir>/logs/<service>-YYYYMMDD.log */
    files: z.boolean().default(true),
    /** Days of daily files kept, today included; the daily pass removes older ones. 0 = keep them all. */
    keep_days: z.number().int().nonnegative().default(90),
    /** The daily pass gzips the files of past days (<service>-YYYYMMDD.log.gz). */
    compress: z.boolean().default(true),
    /** A copy of every written line to syslog (RFC 5424): "unix:/dev/log" (the local socket), "tcp:HOST:PORT" or
     *  "tls:HOST:PORT" (octet-counted frames, RFC 6587), so an intruder on this machine cannot rewrite history. "" = off. */
    syslog: z
      .string()
      .default('')
      .refine((v) => v === '' || /^unix:\/.+$/.test(v) || /^(tcp|tls):(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(v), {
        message: 'expected "unix:/PATH", "tcp:HOST:PORT", "tls:HOST:PORT" or ""',
      }),
    syslog_facility: z.enum(['mail', 'daemon', 'user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7']).default('mail'),
    /** CAs the "tls:" syslog server's certificate must verify against; default the system's. */
    syslog_ca_file: z.string().optional(),
    /** Lines kept while the syslog server is away or slow; past it new lines are dropped (and counted). */
    syslog_buffer: z.number().int().positive().default(10_000),
  })
  .strict();

/** What /readyz requires besides working listeners, database, spool and pool (engine/metrics/readiness.ts). */
export const health = z
  .object({
    /** Free space on the data dir below which the server is not ready: a size ("200MB") or a percentage ("1%"). */
    min_free: z
      .string()
      .regex(/^(\d+(\.\d+)?%|\d+\s*(B|K|KB|M|MB|G|GB)?)$/i, 'expected a size like "200MB" or a percentage like "1%"')
      .default('200MB'),
    /** How long each /readyz check (database write, spool fsync, worker-pool task, free space) may take before it counts as failed. */
    check_timeout: duration.prefault('5s'),
  })
  .strict();

/** A service the monitor watches ([[monitor]], engine/monitor/): tegami's own or another host's. */
export const monitorTarget = z
  .object({
    /** Shown in alerts, `tegami status` and the tegami_monitor_* metrics' target label. */
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "_", "." and "-" (at most 64)'),
    /** tcp: connect; smtp/pop3/imap: a greeting that says OK; http: a status in expect_status (https URLs too); dns: an answer. */
    check: z.enum(['tcp', 'smtp', 'pop3', 'imap', 'http', 'dns']),
    /** "host:port" (tcp, smtp, pop3, imap), a URL (http), or a DNS name (dns). */
    target: z.string().min(1),
    /** Implicit TLS for smtp/pop3/imap/tcp (ports 465, 995, 993). */
    tls: z.boolean().default(false),
    /** Check the server's certificate (TLS and https); off for self-signed lab peers. */
    verify_tls: z.boolean().default(true),
    ca_file: z.string().optional(),
    interval: duration.prefault('60s'),
    timeout: duration.prefault('10s'),
    /** Consecutive failed checks before the target is "down" and alerted. */
    failures: z.number().int().positive().default(3),
    /** http: statuses that count as up; default 200-399. */
    expect_status: z.array(z.number().int().min(100).max(599)).optional(),
    /** dns: the record type asked. */
    record: z.enum(['A', 'AAAA', 'MX', 'TXT', 'NS', 'CNAME', 'PTR', 'SRV']).default('A'),
    /** dns: "host:port" of the server to ask; default [dns] servers, else the system's. */
    dns_server: z.string().optional(),
    /** dns: a text one answer must contain; http: a text the body must contain. */
    expect: z.string().optional(),
  })
  .strict();

/** Where the monitor's alerts go: mail through a smarthost (not the local SMTP, which may be what is down) and webhooks. */
export const alerts = z
  .object({
    mail_to: z.array(z.string()).default([]),
    /** Default "tegami@<hostname>". */
    mail_from: z.string().optional(),
    /** "host:port" of the SMTP server alert mail goes through. */
    smarthost: z.string().optional(),
    smarthost_tls: z.enum(['starttls', 'implicit', 'none']).default('starttls'),
    smarthost_user: z.string().optional(),
    smarthost_password: z.string().optional(),
    smarthost_ca_file: z.string().optional(),
    /** URLs that get a JSON POST per alert, signed: X-Tegami-Signature: sha256=HMAC-SHA256(webhook_secret, body). */
    webhooks: z.array(z.string().url()).default([]),
    webhook_secret: z.string().optional(),
    webhook_timeout: duration.prefault('10s'),
    /** Retries after the first attempt (on a network error, a timeout, 429 or 5xx), waiting webhook_backoff, doubling. */
    webhook_retries: z.number().int().nonnegative().default(5),
    webhook_backoff: duration.prefault('2s'),
  })
  .strict();
