// The sending counts and limit overrides in the accounts database (SQLite; its migrations make send_log and
// send_limits): one send_log row per message an account sent (its queue id, recipients, when; pending until its
// session settles it), pruned past 24 hours. Claims run in an IMMEDIATE transaction, so sessions on any thread
// of the process see each other's rows. PostgreSQL's twin is pg-send-ledger.ts. It never sends mail.
import type { Db } from '../db/database.js';
import { DAY_MS, HOUR_MS, ledgerKey, NO_OVERRIDE, overLimit, PENDING_MS, type LimitOverride, type SendClaim, type SendLedger, type SendLimits, type SendUsage } from './send-limit.js';

interface LimitRow {
  messages_hour: number | null;
  messages_day: number | null;
  recipients_hour: number | null;
  recipients_day: number | null;
}
interface UsageRow {
  mh: number | null;
  md: number | null;
  rh: number | null;
  rd: number | null;
}

/** The usage query (both backends): rows of the last 24 hours, settled ones and those still being answered. */
export const USAGE_SQL = (p: (i: number) => string) => `SELECT
    SUM(CASE WHEN at > ${p(2)} THEN 1 ELSE 0 END) AS mh, COUNT(*) AS md,
    SUM(CASE WHEN at > ${p(2)} THEN rcpts ELSE 0 END) AS rh, SUM(rcpts) AS rd
  FROM send_log WHERE address = ${p(1)} AND at > ${p(3)} AND (settled = 1 OR at > ${p(4)})`;

export const usageArgs = (address: string, now: number): [string, number, number, number] => [address, now - HOUR_MS, now - DAY_MS, now - PENDING_MS];

export function usageFromRow(r: UsageRow | undefined): SendUsage {
  return { messagesHour: Number(r?.mh ?? 0), messagesDay: Number(r?.md ?? 0), recipientsHour: Number(r?.rh ?? 0), recipientsDay: Number(r?.rd ?? 0) };
}

export function overrideFromRow(r: LimitRow | undefined): LimitOverride {
  if (!r) return { ...NO_OVERRIDE };
  const n = (v: number | null) => (v === null ? null : Number(v));
  return { messagesPerHour: n(r.messages_hour), messagesPerDay: n(r.messages_day), recipientsPerHour: n(r.recipients_hour), recipientsPerDay: n(r.recipients_day) };
}

export const isEmptyOverride = (o: LimitOverride): boolean => Object.values(o).every((v) => v === null);

export class SqliteSendLedger implements SendLedger {
  constructor(private readonly db: Db) {}

  async override(key: string): Promise<LimitOverride> {
    return overrideFromRow(this.db.prepare<[string], LimitRow>('SELECT * FROM send_limits WHERE key = ?').get(ledgerKey(key)));
  }

  async setOverride(key: string, o: LimitOverride): Promise<void> {
    const k = ledgerKey(key);
    if (isEmptyOverride(o)) {
      this.db.prepare('DELETE FROM send_limits WHERE key = ?').run(k);
      return;
    }
    this.db
      .prepare(
        `INSERT INTO send_limits (key, messages_hour, messages_day, recipients_hour, recipients_day) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET messages_hour = excluded.messages_hour, messages_day = excluded.messages_day,
           recipients_hour = excluded.recipients_hour, recipients_day = excluded.recipients_day`,
      )
      .run(k, o.messagesPerHour, o.messagesPerDay, o.recipientsPerHour, o.recipientsPerDay);
  }

  private usageNow(a: string, now: number): SendUsage {
    const [address, h, d, p] = usageArgs(a, now);
    return usageFromRow(this.db.prepare<[Record<string, string | number>], UsageRow>(USAGE_SQL((i) => ['', '@a', '@h', '@d', '@p'][i])).get({ a: address, h, d, p }));
  }

  async usage(address: string, now: number): Promise<SendUsage> {
    return this.usageNow(ledgerKey(address), now);
  }

  async claim(address: string, msg: string, rcpts: number, now: number, limits: SendLimits): Promise<SendClaim> {
    const a = ledgerKey(address);
    // IMMEDIATE: two sessions (or worker threads) claiming for the same account at once see each other's rows
    return this.db
      .transaction((): SendClaim => {
        this.db.prepare('DELETE FROM send_log WHERE address = ? AND at <= ?').run(a, now - DAY_MS);
        if (this.db.prepare('SELECT 1 FROM send_log WHERE address = ? AND msg = ?').get(a, msg)) return { ok: true };
        const over = overLimit(this.usageNow(a, now), limits, 1, rcpts);
        if (over) return { ok: false, over };
        this.db.prepare('INSERT INTO send_log (address, msg, at, rcpts, settled) VALUES (?, ?, ?, ?, 0)').run(a, msg, now, rcpts);
        return { ok: true };
      })
      .immediate();
  }

  async settle(address: string, msg: string, accepted: boolean): Promise<void> {
    const a = ledgerKey(address);
    if (accepted) this.db.prepare('UPDATE send_log SET settled = 1 WHERE address = ? AND msg = ?').run(a, msg);
    else this.db.prepare('DELETE FROM send_log WHERE address = ? AND msg = ? AND settled = 0').run(a, msg);
  }
}
