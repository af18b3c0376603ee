// The spam-filtering sections of the configuration: [[dnsbl]] lists and [spam] (checks, scores, actions, the
// Bayes filter, the analysed-bytes cap). schema.ts assembles them into the whole contract.
import { z } from 'zod';
import { TAGS } from '../spam/tags.js';
import { PART_SCAN_DEFAULT } from '../spam/limits.js';
import { duration, ipRange, size } from './schema-values.js';

export const dnsbl = z
  .object({
    name: z.string(),
    query_domain: z.string(),
    type: z.enum(['DNS', 'ADDR', 'HELO', 'RHS']).default('DNS'),
    enabled: z.boolean().default(true),
    server: z.string().default('*'),
    tcp_first: z.boolean().default(false),
    trusted: z.boolean().default(false),
    hash: z.enum(['none', 'md5', 'sha1']).default('none'),
    timeout: duration.prefault('2s'),
    /** reply address → tag suffix; empty = any 127.0.0.x answer is a hit */
    replies: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const spam = z
  .object({
    enabled: z.boolean().default(true),
    phrases: z.array(z.string()).default([]),
    phrase_regexes: z.array(z.string()).default([]),
    url_blacklist: z.array(z.string()).default([]),
    sender_whitelist: z.array(z.string()).default([]),
    /** Skip every check, content filters too (a relay in front that has judged the mail already). */
    trusted_ips: z.array(ipRange).default([]),
    /**
     * This machine and internal networks: the connection checks (DNSBL, rDNS, HELO, SPF, sender domain, callout)
     * never judge them, content filters still run (rspamd's local_addrs). Not all of 127/8: the lab and the
     * tests use 127.0.0.2 as the RFC 5782 DNSBL-listed client.
     */
    local_networks: z.array(ipRange).default(['127.0.0.1/32', '::1/128']),
    filter_authenticated: z.boolean().default(false),
    move_to_spam_folder: z.boolean().default(true),
    spam_threshold: z.number().default(5),
    reject_threshold: z.number().optional(),
    /** Delete a message on which this many of the seed's checks hit (distinct X-IMAIL-SPAM-* headers), whatever its score. */
    delete_after_matches: z.number().int().positive().optional(),
    /** A hit on a DNSBL marked `trusted`: "delete" (the seed: accept and drop) or "refuse" (550 at MAIL FROM). */
    trusted_dnsbl_action: z.enum(['delete', 'refuse']).default('delete'),
    /** The connection-shape tags (VALFROM, VALREVDNS, VALHELO, weak SPF results) add at most this much together. */
    connection_score_cap: z.number().min(0).default(2),
    /** Your content rules: add LOCAL_* rules, replace or disable default ones, re-weigh tags (relative to this file). */
    rules_file: z.string().optional(),
    verbose_log: z.boolean().default(false),
    /** tag → score, overriding the defaults of engine/spam/tags.ts; an unknown tag name is an error. */
    scores: z.partialRecord(z.enum(TAGS), z.number()).default({}),
    /** Connection-time tags that refuse the transaction at once (5xx naming the check), e.g. ["SPF_FAIL"]. */
    connection_reject: z.array(z.enum(TAGS)).default([]),
    check_sender_domain: z.boolean().default(true),
    check_rdns: z.boolean().default(true),
    check_helo: z.boolean().default(true),
    spf: z.boolean().default(true),
    dkim_dmarc: z.boolean().default(true),
    bayes: z.boolean().default(true),
    /** Spam and ham messages each that the Bayes database must have learnt before it votes. */
    bayes_min_messages: z.number().int().nonnegative().default(10),
    /** Token counts divided by the learnt mail of the message's writing (Japanese/Latin), not all learnt mail (docs/spam.md). */
    bayes_per_writing: z.boolean().default(false),
    bayes_spam_probability: z.number().min(0).max(1).default(0.7),
    bayes_ham_probability: z.number().min(0).max(1).default(0.1),
    html_max_links: z.number().int().positive().default(30),
    /**
     * Bytes of each text part (after transfer decoding) that the content checks and the Bayes tokens read; the rest
     * of a longer part is not decoded (SpamAssassin's body_part_scan_size). Attachments are never decoded.
     */
    part_scan_size: size.prefault(PART_SCAN_DEFAULT).pipe(z.number().int().min(1024)),
    /** Sender address verification by callout to the MAIL FROM domain's MX (off: some admins call callouts abuse). */
    sender_callout: z.boolean().default(false),
    /** TCP port of the callout (25 on the Internet; tests point it at a lab sink). */
    callout_port: z.number().int().min(1).max(65535).default(25),
    /** The whole callout, MX lookup and dialogue; past it the result is "unknown" (no tag). */
    callout_timeout: duration.prefault('10s'),
    /** How long an accepted address is remembered. */
    callout_cache_ttl: duration.prefault('1d'),
    /** How long a refused address is remembered. */
    callout_negative_ttl: duration.prefault('1h'),
    /** Callouts to one sender domain per minute; more give "unknown". */
    callout_per_domain_per_minute: z.number().int().positive().default(10),
    /** Callouts in progress at once across all domains; more give "unknown". */
    callout_max_concurrent: z.number().int().positive().default(20),
  })
  .strict();
