// Config sections of the features built on the mail path: mailing lists, Sieve rules and ManageSieve, SRS
// forwarding, and the storage backend (SQLite by default, PostgreSQL for scale-out). Part of the schema
// (schema.ts assembles it).
import os from 'node:os';
import { z } from 'zod';
import { duration, listenAddr, size } from './schema-values.js';

/** Mailing lists (engine/lists, docs/lists.md); each list's own settings are set with `tegami list set`. */
export const lists = z
  .object({
    /** VERP: "member" gives each member's copy its own envelope sender NAME-bounces+<token>@ (one copy per
     *  member); "domain" sends one copy per destination domain (bounces matched by their DSN's recipient). */
    verp: z.enum(['member', 'domain']).default('member'),
    /** How often the list housekeeping runs (CLI approvals, expiry, bounce grace, digests). */
    check_interval: duration.prefault('5s'),
    /** Held posts are dropped this long after they arrived, unless a moderator decided first. */
    held_lifetime: duration.prefault('14d'),
    /** Posts one list holds for its moderators at most; a post that would be held beyond it (or beyond
     *  max_held_bytes) is not kept: its sender gets a bounce saying the moderation queue is full. */
    max_held: z.number().int().positive().default(200),
    /** Bytes of held posts one list keeps at most (see max_held). */
    max_held_bytes: size.prefault('100M'),
    /** A subscription or unsubscription must be confirmed (or approved) within this. */
    confirm_lifetime: duration.prefault('3d'),
    /** Counted bounces within bounce_window at which a member is disabled (and told). */
    bounce_threshold: z.number().int().positive().default(5),
    bounce_window: duration.prefault('7d'),
    /** At most one bounce of a member counts per this interval (one outage is one bounce); 0 = each counts. */
    bounce_interval: duration.prefault('1d'),
    /** A member disabled by bounces is removed this long afterwards. */
    bounce_grace: duration.prefault('14d'),
    /** Digests go out this often to the members who asked for them. */
    digest_interval: duration.prefault('1d'),
    /** Distributed posts are remembered (a repeat of the same Message-ID is not sent again) this long. */
    dedup_window: duration.prefault('7d'),
    /** Automatic replies (help, confirmations) to one address per list and day; more are logged, not sent. */
    max_replies_per_day: z.number().int().positive().default(10),
    /** List-Archive: URL; "{list}" becomes the list address. Absent: no List-Archive field. */
    archive_url: z.string().regex(/^(https?|imap|imaps):\/\/[\x21-\x7e]+$/).optional(),
    /** The webmail's public HTTPS address (e.g. "https://mail.example.jp:8383"). When set (and verp = "member"),
     *  each member's copy carries a one-click unsubscribe link to it (RFC 8058: List-Unsubscribe-Post). */
    one_click_url: z.string().regex(/^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[\x21-\x7e]*)?$/, 'must be an https:// URL of the webmail').optional(),
  })
  .strict();

/** Sieve rules at delivery (workers/sieve-delivery.ts), vacation and auto-replies (docs/rules.md). */
export const sieve = z
  .object({
    /** Run users' and domains' scripts, vacation and auto-replies at delivery (off: every message is kept as before). */
    enabled: z.boolean().default(true),
    /** Largest script (ManageSieve PUTSCRIPT, the CLI, the rule form); bigger ones are refused at upload. */
    max_script_size: size.prefault('256K'),
    /** Scripts one user or one domain may keep (ManageSieve answers NO (QUOTA/MAXSCRIPTS) beyond it). */
    max_scripts: z.number().int().positive().default(16),
    /** Actions one delivery may take (keep, fileinto, redirect, vacation, header edits…); more is an error → implicit keep. */
    max_actions: z.number().int().positive().max(1024).default(64),
    /** Redirects per message and recipient (Pigeonhole's default too); more is an error → implicit keep. */
    max_redirects: z.number().int().nonnegative().max(64).default(4),
    /** Redirects one account sends per 24 hours at most (each target counts); beyond it the message is kept in
     *  the mailbox instead and the event logged (redirect-limit). */
    max_redirects_per_day: z.number().int().positive().default(200),
    /** Vacation replies and auto-replies one address sends per day at most, whatever the senders. */
    max_replies_per_day: z.number().int().nonnegative().default(100),
    /** Vacation periods (:days/:seconds, `tegami vacation --days`) are raised to at least this (RFC 5230: 1 day). */
    vacation_min_period: duration.prefault('1d'),
    /** The period when a vacation names none (RFC 5230: 7 days). */
    vacation_default_period: duration.prefault('7d'),
    /** Envelope sender of vacation replies when the user's settings name none: "null" (<>, RFC 3834) or "user". */
    vacation_sender: z.enum(['null', 'user']).default('null'),
    /** Offer the `regex` extension (draft-ietf-sieve-regex; our engine is linear-time, but it is off unless asked). */
    regex: z.boolean().default(false),
  })
  .strict();

/**
 * Per-account sending limits (engine/submission/send-limit.ts, docs/security.md): rolling caps on what one
 * logged-in account sends (SMTP AUTH on any port, JMAP EmailSubmission, the webmail), counted once per accepted
 * message. Over a cap: 451 4.7.1 at MAIL/RCPT/DATA. A domain default and a per-account override
 * (`tegami user limit`, the admin pages, the JSON API) replace these; 0 = no limit.
 */
export const limits = z
  .object({
    /** Messages one account sends per rolling hour. */
    send_messages_per_hour: z.number().int().nonnegative().default(200),
    /** Messages one account sends per rolling 24 hours. */
    send_messages_per_day: z.number().int().nonnegative().default(1000),
    /** Recipients (envelope RCPT TO, each counted) one account sends to per rolling hour. */
    send_recipients_per_hour: z.number().int().nonnegative().default(500),
    /** Recipients one account sends to per rolling 24 hours. */
    send_recipients_per_day: z.number().int().nonnegative().default(2000),
  })
  .strict();

/** Sender Rewriting Scheme for mail forwarded to remote addresses (engine/srs). */
export const srs = z
  .object({
    /** Rewrite the envelope sender of forwards, redirects and alias expansions to remote addresses. */
    enabled: z.boolean().default(true),
    /** The HMAC key (made on first use, mode 0600); default <data_dir>/keys/srs.secret. */
    secret_file: z.string().optional(),
    /** How long a rewritten address stays valid for bounces (whole days count). */
    max_age: duration.prefault('21d'),
    /**
     * Bounces a stranger may send back through one SRS address of the older form (made before stop 31: one per
     * original sender and day) per original sender and rolling day (per node); 0: no bound.
     */
    max_bounces_per_day: z.number().int().nonnegative().default(20),
    /** Bounces a stranger may send back through the SRS address of one forwarded copy per rolling day (per node); 0: no bound. */
    max_bounces_per_copy: z.number().int().nonnegative().default(5),
    /** The domain SRS addresses are made in; default the forwarding address's own domain. */
    domain: z.string().optional(),
  })
  .strict();

/** The ManageSieve listener (RFC 5804; engine/managesieve). */
export const managesieve = z
  .object({
    /** AUTHENTICATE PLAIN/LOGIN without TLS from non-loopback clients. */
    allow_insecure_auth: z.boolean().default(false),
    idle_timeout: duration.prefault('10m'),
    /** A command line must arrive whole within this of its first byte (slowloris); 0 = off. */
    command_timeout: duration.prefault('2m'),
    /** A literal (a script) must arrive whole within this of its announcement; 0 = off. */
    literal_timeout: duration.prefault('5m'),
    /** Largest literal before login (AUTHENTICATE data); bigger ones end the connection, never buffered. */
    max_literal_preauth: size.prefault(8 * 1024),
    max_connections: z.number().int().positive().default(200),
    max_connections_per_ip: z.number().int().positive().default(20),
  })
  .strict();

export const storage = z
  .object({
    /** "sqlite" (the embedded default: SQLite + Maildir in data_dir) or "postgres" (shared by several nodes, docs/scale-out.md). */
    backend: z.enum(['sqlite', 'postgres']).default('sqlite'),
    /** postgres://user:password@host:port/database (backend "postgres" only). */
    url: z.string().regex(/^postgres(ql)?:\/\/[\x21-\x7e]+$/).optional(),
    /** Connections this node keeps open to PostgreSQL (plus one for LISTEN). */
    pool_size: z.number().int().min(1).max(500).default(10),
    /** PostgreSQL cancels any one statement running longer than this (statement_timeout). */
    statement_timeout: duration.prefault('30s'),
    /** This node's name: the owner of its queue leases (unique per node, stable across restarts). */
    node_name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/).default(() => (os.hostname() || 'localhost').slice(0, 128)),
    /** A lease not renewed for this long is taken over by another node. */
    lease_time: duration.prefault('60s'),
    /** TLS to the database: verify-full (default: encrypted, certificate and host name checked), require (encrypted, unchecked), disable. */
    tls: z.enum(['verify-full', 'require', 'disable']).default('verify-full'),
    /** PEM file of the CA that signed the database's certificate (default: the system's CAs). */
    tls_ca: z.string().optional(),
    /** PEM client certificate and key, when the database asks for one. */
    tls_cert: z.string().optional(),
    tls_key: z.string().optional(),
  })
  .strict();
