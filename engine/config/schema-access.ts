// Config sections of how users reach their mail: the web servers ([web]), POP3 and IMAP. Part of the schema
// (schema.ts assembles it).
import { z } from 'zod';
import { duration, size } from './schema-values.js';

/** The web servers (engine/web/): sessions and request sizes. */
export const web = z
  .object({
    /** A session unused this long ends (sign in again). */
    session_idle: duration.prefault('30m'),
    /** A session ends this long after sign-in, however busy. */
    session_lifetime: duration.prefault('12h'),
    /** Sessions one account may hold per server; the oldest end first. */
    sessions_per_account: z.number().int().positive().max(1000).default(20),
    /** Largest request body on ordinary forms and API calls. */
    body_limit: size.prefault('64K'),
    /** Largest upload (the admin's CSV import of users). */
    upload_limit: size.prefault('4M'),
    /** JMAP uploads and downloads one webmail server holds in memory at once, over every account (uploads on
     *  PostgreSQL, downloads of stored mail and of uploads on PostgreSQL); past it they get 503 and Retry-After.
     *  One of any size always goes through when nothing else is held. */
    jmap_memory: size.prefault('256M'),
    /** Simultaneous connections to each web server (webmail, admin, and the metrics listener), counted before TLS; more are closed at once. */
    max_connections: z.number().int().positive().default(2000),
    /** Simultaneous connections to each web server from one client (IPv4 address or IPv6 /ipv6_prefix). */
    max_connections_per_ip: z.number().int().positive().default(200),
  })
  .strict()
  .refine((w) => w.session_idle > 0 && w.session_lifetime >= w.session_idle, { message: 'session_idle must be above 0 and not above session_lifetime' })
  .refine((w) => w.body_limit >= 4096 && w.upload_limit >= w.body_limit, { message: 'body_limit must be at least 4K and not above upload_limit' });

export const pop3 = z
  .object({
    allow_insecure_auth: z.boolean().default(false),
    apop: z.boolean().default(true),
    idle_timeout: duration.prefault('10m'),
    /** A command line must arrive whole within this of its first byte (slowloris); 0 = off. */
    command_timeout: duration.prefault('2m'),
    /** Simultaneous POP3 connections, all listeners together. */
    max_connections: z.number().int().positive().default(1000),
    /** Simultaneous POP3 connections from one client (IPv4 address or IPv6 /ipv6_prefix). */
    max_connections_per_ip: z.number().int().positive().default(50),
  })
  .strict();

export const imap = z
  .object({
    allow_insecure_auth: z.boolean().default(false),
    idle_timeout: duration.prefault('30m'),
    /** A command line must arrive whole within this of its first byte (slowloris; also while in IDLE); 0 = off. */
    command_timeout: duration.prefault('2m'),
    /** A literal must arrive whole within this of the moment the server waits for it; 0 = off. */
    literal_timeout: duration.prefault('10m'),
    /** Largest literal after login (an APPEND above 256 KiB is streamed to a file in the Maildir's tmp/, not memory). */
    max_literal: size.prefault(64 * 1024 * 1024),
    /** Largest literal before login (LOGIN and AUTHENTICATE arguments); bigger ones are refused, never buffered. */
    max_literal_preauth: size.prefault(8 * 1024),
    /** Simultaneous IMAP connections, all listeners together. */
    max_connections: z.number().int().positive().default(1000),
    /** Simultaneous IMAP connections from one client (IPv4 address or IPv6 /ipv6_prefix), all listeners together. */
    max_connections_per_ip: z.number().int().positive().default(50),
  })
  .strict();
