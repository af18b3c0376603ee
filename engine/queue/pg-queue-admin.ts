// `tegami queue` over the shared queue in PostgreSQL (migrations 20–21): list/show/retry/hold/release/delete on
// the rows every node claims from, so a change made on any node applies to all. Domain holds are rows too
// (queue_holds), honoured by every node's claim. It never delivers, and never edits a recipient another node is
// delivering right now except to fail it on `delete` (that node's outcome is then not written: it holds no row).
import type pg from 'pg';
import type { LoadedConfig } from '../config/load.js';
import { buildDsn, wantsNotice, type DsnRecipient } from '../outbound/dsn.js';
import { destinationFor, recipientDomain } from '../outbound/destination.js';
import { Spool } from '../spool/spool.js';
import { envelopeSchema, schemaReason, type Envelope } from '../spool/envelope.js';
import type { MessageStage, QueueEntry, RecipientView, Selector } from './control.js';
import { DB_NOW, PgQueueStore } from './pg-queue-store.js';
import { inTransaction, Rollback } from '../db/pg/transaction.js';
import path from 'node:path';

/** The recipient's domain as the claim compares it with queue_holds (the part after the last @, lower case). */
export const RCPT_DOMAIN = `lower(substring(r.address from '@([^@]*)$'))`;
const OPEN = `r.state IN ('pending', 'deferred')`;

interface Row {
  id: string;
  sender: string;
  size: number;
  created: string;
  msg_held: boolean;
  address: string;
  state: string;
  attempts: number;
  next_attempt: string;
  last_attempt: string | null;
  last_reply: string | null;
  owner: string | null;
  leased: boolean;
  domain_held: boolean;
}

const iso = (t: string | null) => (t === null ? null : new Date(Number(t)).toISOString());

export class PgQueueAdmin {
  constructor(
    private readonly pool: pg.Pool,
    private readonly config: LoadedConfig,
    private readonly isLocal: (address: string) => boolean,
  ) {}

  /** Rows of the selected messages (all recipients, or only the open ones), oldest message first. */
  private async rows(where: string, values: unknown[], all: boolean): Promise<Row[]> {
    const r = await this.pool.query<Row>(
      `SELECT e.id, e.sender, e.size, e.created, e.held AS msg_held, r.address, r.state, r.attempts, r.next_attempt, r.last_attempt,
              r.last_reply, r.owner, (r.owner IS NOT NULL AND r.lease_until > ${DB_NOW}) AS leased,
              EXISTS (SELECT 1 FROM queue_holds h WHERE h.domain = ${RCPT_DOMAIN}) AS domain_held
         FROM queue_envelopes e JOIN queue_recipients r ON r.message_id = e.id
        WHERE ${where} ${all ? '' : `AND ${OPEN}`}
        ORDER BY e.created, e.id, r.address`,
      values,
    );
    return r.rows;
  }

  private entries(rows: Row[]): QueueEntry[] {
    const by = new Map<string, Row[]>();
    for (const r of rows) by.set(r.id, [...(by.get(r.id) ?? []), r]);
    const out: QueueEntry[] = [];
    for (const [id, rs] of by) {
      const first = rs[0];
      const recipients: (RecipientView & { node: string | null })[] = rs.map((r) => ({
        address: r.address,
        kind: 'remote',
        status: r.state,
        attempts: r.attempts,
        next_attempt: r.state === 'pending' || r.state === 'deferred' ? iso(r.next_attempt) : null,
        last_attempt: iso(r.last_attempt),
        last_error: r.last_reply,
        held: first.msg_held || r.domain_held || destinationFor(recipientDomain(r.address), this.config).hold,
        // the node delivering it now (a live lease), else null
        node: r.leased ? r.owner : null,
      }));
      const open = rs.filter((r) => r.state === 'pending' || r.state === 'deferred');
      const openViews = recipients.filter((v) => v.status === 'pending' || v.status === 'deferred');
      let state: MessageStage;
      if (open.some((r) => r.leased)) state = 'active';
      else if (openViews.length && openViews.every((v) => v.held)) state = 'hold';
      else if (open.some((r) => r.attempts > 0)) state = 'deferred';
      else state = 'incoming';
      const created = Number(first.created);
      const lastErr = [...open].sort((a, b) => Number(b.last_attempt ?? 0) - Number(a.last_attempt ?? 0)).find((r) => r.last_reply)?.last_reply ?? null;
      out.push({
        id,
        arrival: new Date(created).toISOString(),
        age_seconds: Math.round((Date.now() - created) / 1000),
        sender: first.sender,
        size: first.size,
        state,
        next_attempt: openViews.filter((v) => !v.held && v.next_attempt).map((v) => v.next_attempt!).sort()[0] ?? null,
        last_error: lastErr,
        recipients,
      });
    }
    return out;
  }

  async list(filter: { domain?: string; state?: string } = {}): Promise<QueueEntry[]> {
    const domain = filter.domain?.toLowerCase();
    const where = domain ? `e.id IN (SELECT r.message_id FROM queue_recipients r WHERE ${OPEN} AND ${RCPT_DOMAIN} = $1)` : 'true';
    const list = this.entries(await this.rows(where, domain ? [domain] : [], false));
    return filter.state ? list.filter((e) => e.state === filter.state) : list;
  }

  async show(id: string): Promise<(QueueEntry & { envelope: Envelope; headers: string }) | null> {
    const [e] = this.entries(await this.rows('e.id = $1', [id], true));
    if (!e) return null;
    const r = await this.pool.query<{ envelope: unknown; head: Buffer }>(
      'SELECT e.envelope, substring(b.data from 1 for 16384) AS head FROM queue_envelopes e JOIN queue_bodies b ON b.sha256 = e.body_sha256 WHERE e.id = $1',
      [id],
    );
    if (!r.rows.length) return null;
    const env = envelopeSchema.safeParse(r.rows[0].envelope);
    if (!env.success) throw new Error(`queued message ${id}: bad envelope in PostgreSQL: ${schemaReason(env.error)}`);
    const text = r.rows[0].head.toString('utf8');
    const end = text.search(/\r?\n\r?\n/);
    return { ...e, envelope: env.data, headers: end >= 0 ? text.slice(0, end) : text };
  }

  /** The ids a selector names, with an open recipient (in the domain, for --domain). */
  private async select(sel: Selector): Promise<string[]> {
    let r: pg.QueryResult<{ id: string }>;
    if (sel.id) r = await this.pool.query(`SELECT DISTINCT r.message_id AS id FROM queue_recipients r WHERE r.message_id = $1 AND ${OPEN}`, [sel.id]);
    else if (sel.all) r = await this.pool.query(`SELECT DISTINCT r.message_id AS id FROM queue_recipients r WHERE ${OPEN}`);
    else if (sel.domain) r = await this.pool.query(`SELECT DISTINCT r.message_id AS id FROM queue_recipients r WHERE ${OPEN} AND ${RCPT_DOMAIN} = $1`, [sel.domain.toLowerCase()]);
    else return [];
    return r.rows.map((x) => x.id).sort();
  }

  /** Due now: every open recipient of the selection (of the domain, for --domain); every node is woken. */
  async retry(sel: Selector): Promise<{ messages: number }> {
    const ids = await this.select(sel);
    if (!ids.length) return { messages: 0 };
    const domain = sel.id || sel.all ? null : (sel.domain?.toLowerCase() ?? null);
    await this.pool.query(
      `UPDATE queue_recipients r SET next_attempt = ${DB_NOW} WHERE r.message_id = ANY($1::text[]) AND ${OPEN} AND ($2::text IS NULL OR ${RCPT_DOMAIN} = $2)`,
      [ids, domain],
    );
    await this.pool.query(`SELECT pg_notify('tegami_queue', 'retry')`);
    return { messages: ids.length };
  }

  /** A message: held until released. A domain: a queue_holds row, so no node claims its mail, now or later. */
  async hold(sel: Selector): Promise<{ messages: number; domain?: string }> {
    if (sel.domain && !sel.id) {
      const d = sel.domain.toLowerCase();
      await this.pool.query(`INSERT INTO queue_holds (domain, since, node) VALUES ($1, ${DB_NOW}, $2) ON CONFLICT (domain) DO NOTHING`, [d, this.config.storage.node_name]);
      return { messages: (await this.select(sel)).length, domain: d };
    }
    const ids = await this.select(sel);
    await this.pool.query('UPDATE queue_envelopes SET held = true WHERE id = ANY($1::text[])', [ids]);
    return { messages: ids.length };
  }

  /** The hold lifted; what it kept back is due now. */
  async release(sel: Selector): Promise<{ messages: number; domain?: string }> {
    if (sel.domain && !sel.id) {
      const d = sel.domain.toLowerCase();
      await this.pool.query('DELETE FROM queue_holds WHERE domain = $1', [d]);
      const { messages } = await this.retry({ domain: d });
      return { messages, domain: d };
    }
    const ids = await this.select(sel);
    await this.pool.query('UPDATE queue_envelopes SET held = false WHERE id = ANY($1::text[])', [ids]);
    if (ids.length) {
      await this.pool.query(`UPDATE queue_recipients r SET next_attempt = least(r.next_attempt, ${DB_NOW}) WHERE r.message_id = ANY($1::text[]) AND ${OPEN}`, [ids]);
      await this.pool.query(`SELECT pg_notify('tegami_queue', 'release')`);
    }
    return { messages: ids.length };
  }

  /**
   * Fail the selection's open recipients (of the domain, for --domain) and drop a message left with none. With
   * --bounce, the sender's notice is queued in the same transaction: in the shared queue for a remote sender, in
   * this node's spool for a local one (delivered by this node's queue).
   */
  async delete(sel: Selector, bounce: boolean): Promise<{ messages: number; recipients: number; bounced: number }> {
    const ids = await this.select(sel);
    const domain = sel.id || sel.all ? null : (sel.domain?.toLowerCase() ?? null);
    const store = new PgQueueStore(this.pool, { owner: this.config.storage.node_name, leaseMs: this.config.storage.lease_time, cap: () => 1 });
    let recipients = 0;
    let bounced = 0;
    for (const id of ids) {
      const r = await inTransaction(this.pool, (c) => this.deleteOne(c, id, domain, bounce, store));
      if (!r) continue;
      recipients += r.recipients;
      if (r.bounced) bounced++;
      if (r.dropped) {
        await this.pool.query('DELETE FROM queue_bodies b WHERE sha256 = $1 AND NOT EXISTS (SELECT 1 FROM queue_envelopes e WHERE e.body_sha256 = $1)', [r.dropped]).catch(() => undefined);
      }
    }
    return { messages: ids.length, recipients, bounced };
  }

  /**
   * One message of `delete`, inside its transaction: nothing (null, rolled back) when it is gone already; else the recipients failed,
   * whether a notice was queued, and the body's hash when the envelope was dropped (the body row goes after COMMIT).
   */
  private async deleteOne(c: pg.PoolClient, id: string, domain: string | null, bounce: boolean, store: PgQueueStore): Promise<{ recipients: number; bounced: boolean; dropped: Buffer | null } | Rollback<null>> {
    const m = await c.query<{ envelope: unknown; data: Buffer; body_sha256: Buffer }>(
      'SELECT e.envelope, b.data, e.body_sha256 FROM queue_envelopes e JOIN queue_bodies b ON b.sha256 = e.body_sha256 WHERE e.id = $1 FOR UPDATE OF e',
      [id],
    );
    if (!m.rows.length) return new Rollback(null);
    const hit = await c.query<{ address: string; notify: string[] | null; orcpt: string | null }>(
      `UPDATE queue_recipients r SET state = 'failed', last_reply = '5.0.0 deleted from the queue by the operator', last_attempt = ${DB_NOW}, owner = NULL, lease_until = NULL
        WHERE r.message_id = $1 AND ${OPEN} AND ($2::text IS NULL OR ${RCPT_DOMAIN} = $2) RETURNING r.address, r.notify, r.orcpt`,
      [id, domain],
    );
    let bounced = false;
    if (bounce) {
      const env = envelopeSchema.safeParse(m.rows[0].envelope);
      if (!env.success) throw new Error(`queued message ${id}: bad envelope in PostgreSQL: ${schemaReason(env.error)}`);
      const notices: DsnRecipient[] = hit.rows
        .filter((r) => wantsNotice(r.notify ?? undefined, 'failed'))
        .map((r) => ({ address: r.address, orcpt: r.orcpt ?? undefined, action: 'failed', status: '5.0.0', diagnostic: 'The message was deleted from the queue by the postmaster.', lastAttempt: Date.now() }));
      const dsn = notices.length ? buildDsn({ action: 'failed', hostname: this.config.hostname, envelope: env.data, recipients: notices, original: m.rows[0].data }) : null;
      if (dsn) {
        const to = env.data.mailFrom;
        if (this.isLocal(to)) {
          dsn.envelope.rcptTo = [{ address: to, kind: 'local' }];
          const spool = new Spool(path.join(this.config.data_dir, 'spool'));
          const w = await spool.create(dsn.envelope);
          w.write(dsn.raw);
          await spool.commit(w);
          await w.release();
        } else {
          dsn.envelope.rcptTo = [{ address: to, kind: 'remote' }];
          await store.enqueue(dsn.envelope, dsn.raw, [{ address: to, rcpt: to, dest: destinationFor(recipientDomain(to), this.config).key }], c);
        }
        bounced = true;
      }
    }
    const open = await c.query(`SELECT 1 FROM queue_recipients r WHERE r.message_id = $1 AND ${OPEN} LIMIT 1`, [id]);
    if (open.rows.length) return { recipients: hit.rowCount ?? 0, bounced, dropped: null };
    await c.query('DELETE FROM queue_envelopes WHERE id = $1', [id]);
    return { recipients: hit.rowCount ?? 0, bounced, dropped: m.rows[0].body_sha256 };
  }
}
