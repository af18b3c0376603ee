// Per-domain defaults (FEATURES A8): the settings a new account of the domain starts with (copied at creation
// by the users_domain_defaults trigger, so every way of adding a user gets them) and the domain's mailbox quota
// (read live: it applies to every account without an override of its own). It never changes existing accounts.
import type { Db } from '../db/database.js';

export interface DomainDefaultSettings {
  /** null = no default (the built-in one: empty reply-to and forward, keep a copy, may change password, enabled, web access). */
  replyTo: string | null;
  forward: string[] | null;
  keepCopy: boolean | null;
  cannotChangePassword: boolean | null;
  disabled: boolean | null;
  webAccess: boolean | null;
  /** The domain's mailbox quota; 0 = unlimited. */
  quotaBytes: number;
  quotaMessages: number;
}

export const NO_DEFAULTS: DomainDefaultSettings = {
  replyTo: null,
  forward: null,
  keepCopy: null,
  cannotChangePassword: null,
  disabled: null,
  webAccess: null,
  quotaBytes: 0,
  quotaMessages: 0,
};

interface Row {
  domain: string;
  reply_to: string | null;
  forward: string | null;
  keep_copy: number | null;
  cannot_change_password: number | null;
  disabled: number | null;
  web_access: number | null;
  quota_bytes: number;
  quota_messages: number;
}

const bool = (v: number | null): boolean | null => (v === null ? null : !!v);
const flag = (v: boolean | null | undefined): number | null => (v === null || v === undefined ? null : v ? 1 : 0);

function fromRow(r: Row): DomainDefaultSettings {
  return {
    replyTo: r.reply_to,
    forward: r.forward === null ? null : r.forward.split(',').filter(Boolean),
    keepCopy: bool(r.keep_copy),
    cannotChangePassword: bool(r.cannot_change_password),
    disabled: bool(r.disabled),
    webAccess: bool(r.web_access),
    quotaBytes: r.quota_bytes,
    quotaMessages: r.quota_messages,
  };
}

export class DomainDefaults {
  constructor(private readonly db: Db) {}

  get(domain: string): DomainDefaultSettings {
    const r = this.db.prepare<[string], Row>('SELECT * FROM domain_defaults WHERE domain = ?').get(domain.toLowerCase());
    return r ? fromRow(r) : { ...NO_DEFAULTS };
  }

  /** Every domain that has defaults set. */
  all(): Record<string, DomainDefaultSettings> {
    const rows = this.db.prepare<[], Row>('SELECT * FROM domain_defaults ORDER BY domain').all();
    return Object.fromEntries(rows.map((r) => [r.domain, fromRow(r)]));
  }

  /** Change some defaults of a (canonical, already checked) domain; fields left out keep their value. */
  set(domain: string, patch: Partial<DomainDefaultSettings>): DomainDefaultSettings {
    const d = domain.toLowerCase();
    const next = { ...this.get(d), ...patch };
    this.db
      .prepare(
        `INSERT INTO domain_defaults (domain, reply_to, forward, keep_copy, cannot_change_password, disabled, web_access, quota_bytes, quota_messages)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(domain) DO UPDATE SET reply_to = excluded.reply_to, forward = excluded.forward, keep_copy = excluded.keep_copy,
           cannot_change_password = excluded.cannot_change_password, disabled = excluded.disabled, web_access = excluded.web_access,
           quota_bytes = excluded.quota_bytes, quota_messages = excluded.quota_messages`,
      )
      .run(
        d, next.replyTo === '' ? null : next.replyTo, next.forward === null || !next.forward.length ? null : next.forward.join(','),
        flag(next.keepCopy), flag(next.cannotChangePassword), flag(next.disabled), flag(next.webAccess), next.quotaBytes, next.quotaMessages,
      );
    return this.get(d);
  }
}
