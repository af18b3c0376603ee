// The Bayes counts in PostgreSQL (migration 8) for [storage] backend = "postgres": every node reads and learns the
// same server and per-user counts, so a message learnt on one node moves the verdict on all. A lookup is one round
// trip per message; learning is one transaction under a per-owner lock. No cache (any node may learn at any time).
import type pg from 'pg';
import { learntKey, tokensOf, type BayesBackend, type BayesLookup, type LearnItem, type Tokens } from './bayes.js';

/** The advisory lock class of Bayes learning (two-int form; the owner's hash is the second key). */
const BAYES_LOCK_CLASS = 0x42617973; // "Bays"

/**
 * Totals of the owners summed, then (only when both reach $3: an untrained filter reads no tokens, the InitPlan is a
 * one-time filter) the counts of the message's tokens summed over the owners, by the (owner, token) primary key.
 */
const LOOKUP = `
  WITH t AS (SELECT coalesce(sum(spam), 0) AS spam, coalesce(sum(ham), 0) AS ham FROM bayes_totals WHERE owner = ANY($1::text[]))
  SELECT NULL::text AS token, spam, ham FROM t
  UNION ALL
  SELECT k.token, sum(k.spam), sum(k.ham) FROM bayes_tokens k
   WHERE (SELECT spam >= $3 AND ham >= $3 FROM t) AND k.owner = ANY($1::text[]) AND k.token = ANY($2::text[])
   GROUP BY k.token`;

/** The learnt keys, the token deltas and the totals' delta of one owner, in one statement (deltas summed first). */
const WRITE = `
  WITH l AS (
    INSERT INTO bayes_learnt (owner, key, kind) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS u(k, v)
    ON CONFLICT (owner, key) DO UPDATE SET kind = excluded.kind
  ), k AS (
    INSERT INTO bayes_tokens (owner, token, spam, ham) SELECT $1, t, s, h FROM unnest($4::text[], $5::bigint[], $6::bigint[]) AS u(t, s, h)
    ON CONFLICT (owner, token) DO UPDATE SET spam = greatest(0, bayes_tokens.spam + excluded.spam), ham = greatest(0, bayes_tokens.ham + excluded.ham)
  )
  INSERT INTO bayes_totals (owner, spam, ham) VALUES ($1, $7, $8)
  ON CONFLICT (owner) DO UPDATE SET spam = greatest(0, bayes_totals.spam + excluded.spam), ham = greatest(0, bayes_totals.ham + excluded.ham)`;

export interface PgBayesOptions {
  /** Close the pool with the store (a worker thread's own pool). */
  ownsPool?: boolean;
}

export class PgBayesStore implements BayesBackend {
  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: PgBayesOptions = {},
  ) {}

  /** One round trip for totals and counts together, so the tokens are made up front (even when too little was learnt). */
  async lookup(owners: string[], tokens: Tokens, minMessages: number): Promise<BayesLookup> {
    const distinct = [...new Set(tokensOf(tokens))];
    const r = await this.pool.query<{ token: string | null; spam: string; ham: string }>({
      name: 'tegami-bayes-lookup',
      text: LOOKUP,
      values: [owners, distinct, Math.max(1, minMessages)],
    });
    let spam = 0;
    let ham = 0;
    const counts = new Map<string, [number, number]>();
    for (const row of r.rows) {
      const s = Number(row.spam);
      const h = Number(row.ham);
      if (!Number.isSafeInteger(s) || !Number.isSafeInteger(h) || s < 0 || h < 0) throw new Error('bayes: a count out of range in PostgreSQL');
      if (row.token === null) {
        spam = s;
        ham = h;
      } else counts.set(row.token, [s, h]);
    }
    return { spam, ham, counts };
  }

  async learn(owner: string, tokens: string[], kind: 'spam' | 'ham', messageId = ''): Promise<boolean> {
    return (await this.learnMany(owner, [{ tokens, kind, messageId }])) > 0;
  }

  /**
   * The same rules as BayesStore.learnMany: a message learnt again as the same kind counts once, relearnt as the
   * other kind moves its counts. Learners of one owner queue on its lock, so the learnt row and the counts agree.
   */
  async learnMany(owner: string, items: LearnItem[]): Promise<number> {
    if (items.length === 0) return 0;
    const keyed = items.map((it) => ({ ...it, key: learntKey(it.messageId ?? '', it.tokens) }));
    const c = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [BAYES_LOCK_CLASS, owner]);
      const known = await c.query<{ key: string; kind: string }>('SELECT key, kind FROM bayes_learnt WHERE owner = $1 AND key = ANY($2::text[])', [owner, [...new Set(keyed.map((k) => k.key))]]);
      const kinds = new Map<string, 'spam' | 'ham'>();
      for (const r of known.rows) if (r.kind === 'spam' || r.kind === 'ham') kinds.set(r.key, r.kind);
      const delta = new Map<string, [number, number]>();
      const totals: [number, number] = [0, 0];
      const changedKeys = new Map<string, 'spam' | 'ham'>();
      const bump = (tokens: string[], kind: 'spam' | 'ham', d: number) => {
        const i = kind === 'spam' ? 0 : 1;
        totals[i] += d;
        for (const t of tokens) {
          const x = delta.get(t);
          if (x) x[i] += d;
          else delta.set(t, i === 0 ? [d, 0] : [0, d]);
        }
      };
      let changed = 0;
      for (const it of keyed) {
        const prev = kinds.get(it.key);
        if (prev === it.kind) continue;
        if (prev) bump(it.tokens, prev, -1);
        bump(it.tokens, it.kind, 1);
        kinds.set(it.key, it.kind);
        changedKeys.set(it.key, it.kind);
        changed++;
      }
      if (changed) {
        const rows = [...delta].filter(([, [s, h]]) => s !== 0 || h !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        await c.query(WRITE, [
          owner,
          [...changedKeys.keys()],
          [...changedKeys.values()],
          rows.map(([t]) => t),
          rows.map(([, [s]]) => s),
          rows.map(([, [, h]]) => h),
          totals[0],
          totals[1],
        ]);
      }
      await c.query('COMMIT');
      return changed;
    } catch (e) {
      await c.query('ROLLBACK').catch((x: Error) => (broken = x));
      throw e;
    } finally {
      c.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.opts.ownsPool) await this.pool.end().catch(() => undefined);
  }
}
