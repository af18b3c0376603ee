// Rules at delivery, in the worker (never on the main thread): per local mailbox the user's active Sieve script,
// then the domain's (IMail's order), after the spam verdict (Sieve sees its headers and, as spamtest, the verdict
// itself); then the copies are stored, redirects and forwards sent on (SRS when they leave), a reject answered
// at SMTP time or by a notice to an authenticated sender only, and the vacation and auto-replies sent through
// originate(). A script that fails keeps the message (implicit keep) and is logged: a broken rule never loses
// mail. process.ts calls it in three steps: forwards(), rejectWhileClientWaits(), deliver().
import crypto from 'node:crypto';
import path from 'node:path';
import type { LoadedConfig } from '../engine/config/load.js';
import type { Db } from '../engine/db/database.js';
import type { AccountDirectory } from '../engine/accounts/directory.js';
import type { Envelope, RecipientEntry } from '../engine/spool/envelope.js';
import { Spool } from '../engine/spool/spool.js';
import { originate, type Originated } from '../engine/queue/notices.js';
import { maildirRoot } from '../engine/store/maildir.js';
import { parseAddress } from '../engine/policy/address.js';
import { applyHeaderEdits, decideVacation, evaluate, joinResults, sieveMessage, type SieveMessage, type SieveResult, type VacationHistory, type VacationParams } from '../engine/sieve/index.js';
import { CachedRulesStore, readCacheFor } from './read-cache.js';
import { PgReplyHistory, sharedHandle } from '../engine/rules/pg-reply-history.js';
import { threadPool } from '../engine/db/pg/thread-pool.js';
import { AUTOREPLY_HANDLE, VACATION_HANDLE, type RulesStore } from '../engine/rules/store.js';
import { ScriptCache, sieveOptions } from '../engine/rules/scripts.js';
import { defaultFolder, folderExists, folderRoom, maildirFolderCount, planFrom, type Plan } from '../engine/rules/plan.js';
import { vacationActive, vacationParams } from '../engine/rules/vacation-settings.js';
import { deliveredTo, forwardCopy, forwardSender, replyMessage } from '../engine/rules/outgoing.js';
import { srsFor } from '../engine/srs/secret.js';
import { addressParts } from '../engine/sieve/evaluate-tests.js';
import { PgRedirectCounter, SqliteRedirectCounter, type RedirectCounter } from '../engine/sieve/redirect-count.js';
import type { Srs } from '../engine/srs/srs.js';
import { noNoticeReason } from './notice-sender.js';
import type { DeliveryResult, Mailbox, MailboxCopy, RulesInput, WorkerEvent, WriteOutcome } from './delivery-types.js';
export type { DeliveryResult, Mailbox, MailboxCopy, RulesInput, WorkerEvent, WriteOutcome } from './delivery-types.js';

interface ThreadState {
  store: RulesStore;
  cache: ScriptCache;
  spool: Spool;
  /** [storage] backend = "postgres": the reply history every node shares (the local store's stays unused). */
  shared?: PgReplyHistory;
  /** Redirects per account and day ([sieve] max_redirects_per_day), in PostgreSQL when the replies are. */
  redirects: RedirectCounter;
}
const threads = new WeakMap<Db, ThreadState>();

function threadState(config: LoadedConfig, db: Db): ThreadState {
  let t = threads.get(db);
  if (!t) {
    const store = new CachedRulesStore(db, readCacheFor(db)); // revalidated as each task starts (process.ts)
    const pgs = config.storage.backend === 'postgres';
    t = { store, cache: new ScriptCache(store, sieveOptions(config)), spool: new Spool(path.join(config.data_dir, 'spool')), redirects: pgs ? new PgRedirectCounter(threadPool(config.storage)) : new SqliteRedirectCounter(db) };
    if (pgs) t.shared = new PgReplyHistory(threadPool(config.storage));
    threads.set(db, t);
  }
  return t;
}

/** This thread's day counter of Sieve redirects, which also counts forward lists' copies (forward-cap.ts). */
export const dayCounter = (config: LoadedConfig, db: Db): RedirectCounter => threadState(config, db).redirects;

const DAY = 86_400_000;
const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1).toLowerCase();

function replySafeText(reason: string): string {
  const oneLine = reason.replace(/\s+/g, ' ').trim();
  if (!oneLine || /[^\x20-\x7e]/.test(oneLine)) return "Message refused by the recipient's filter";
  return oneLine.length > 300 ? oneLine.slice(0, 300) + '...' : oneLine;
}

export class RulesDelivery {
  private readonly t: ThreadState;
  private readonly srs: Srs | null;
  private readonly now = Date.now();
  private readonly plans: Plan[];
  private readonly edits: SieveResult['headerEdits'][];
  private readonly events: WorkerEvent[] = [];
  private readonly out: Originated[] = [];
  private whole: Buffer | null = null;
  private seen: Set<string> | null = null;
  private rejectedNow = false;
  private readonly spam: boolean;

  constructor(private readonly i: RulesInput) {
    this.t = threadState(i.config, i.db);
    this.srs = srsFor(i.config);
    const verdict = i.analysis?.action;
    this.spam = verdict === 'spam' || verdict === 'reject';
    const fallback = defaultFolder(verdict, i.config.spam.move_to_spam_folder);
    this.plans = [];
    this.edits = [];
    for (const m of i.mailboxes) {
      const root = maildirRoot(i.config.data_dir, m.owner);
      // a verdict of reject (too late to refuse) files the message as spam whatever the rules say
      const exists = this.existsFor(m.owner);
      const result = i.config.sieve.enabled && verdict !== 'reject' ? this.evaluate(m, root) : null;
      const plan = planFrom(result, root, fallback, exists, folderRoom(i.config.accounts.max_folders, () => (i.folders ? (i.folders.get(m.owner)?.size ?? 0) : maildirFolderCount(root))));
      this.checkRedirects(m, plan, root, fallback);
      for (const note of plan.notes) this.event('sieve-note', 'info', { owner: m.owner, note });
      this.plans.push(plan);
      this.edits.push(result?.headerEdits ?? []);
    }
  }

  private event(event: string, level: 'info' | 'warn', fields: Record<string, unknown>): void {
    this.events.push({ event, level, fields });
  }

  /** The message as Sieve and the copies see it: our verdict headers, then the message. */
  private raw(): Buffer {
    return (this.whole ??= Buffer.concat([this.i.verdictHeaders, ...this.i.message]));
  }

  /** The addresses the message was delivered to before (Delivered-To), read once for the redirect checks. */
  private deliveredBefore(): Set<string> {
    return (this.seen ??= deliveredTo(this.raw()));
  }

  private view(to: string): SieveMessage {
    const env = this.i.env;
    return sieveMessage(this.raw(), { from: env.mailFrom, to, auth: env.client.user });
  }

  /** On the shared store: does the owner have this folder (INBOX always)? Undefined on Maildir (the disk is asked). */
  private existsFor(owner: string): ((name: string) => boolean) | undefined {
    const names = this.i.folders?.get(owner);
    if (!this.i.folders) return undefined;
    return (name) => name.toUpperCase() === 'INBOX' || !!names?.has(name);
  }

  /** The user's active script, then the domain's; a script ending in stop ends the run (engine/sieve/scopes.ts). */
  private evaluate(m: Mailbox, root: string): SieveResult | null {
    const rs = this.t.cache.forRecipient(m.owner);
    for (const b of rs.broken) this.event('sieve-error', 'warn', { owner: b.owner, script: b.name, error: `no longer compiles: ${b.error}` });
    if (!rs.scripts.length) return null;
    const msg = this.view(m.rcpt);
    const { extensions, limits } = sieveOptions(this.i.config);
    const a = this.i.analysis;
    const results: SieveResult[] = [];
    for (const s of rs.scripts) {
      const r = evaluate(s.script, msg, {
        extensions,
        limits,
        now: () => new Date(this.now),
        mailboxExists: this.existsFor(m.owner) ?? ((name) => folderExists(root, name)),
        spam: a ? { score: a.score, threshold: this.i.config.spam.spam_threshold } : null,
        loadScript: rs.loader(s.owner),
      });
      for (const e of r.errors) this.event('sieve-error', 'warn', { owner: s.owner, script: s.name, line: e.line, column: e.column, error: e.message, fallback: 'implicit keep' });
      results.push(r);
      if (r.stopped) break;
    }
    const joined = joinResults(results);
    this.event('sieve', 'info', { owner: m.owner, rcpt: m.rcpt, actions: joined.actions.map((x) => x.type), implicitKeep: !!joined.implicitKeep, scripts: rs.scripts.map((s) => `${s.owner}/${s.name}`) });
    return joined;
  }

  /** Redirect targets are checked before anything is stored: when none is usable and nothing else keeps it, it is kept. */
  private checkRedirects(m: Mailbox, plan: Plan, root: string, fallback: string): void {
    const dir = this.i.directory;
    const before = plan.redirects.length;
    plan.redirects = plan.redirects.filter((r) => {
      const p = parseAddress(r.address);
      if (!p.ok || !p.value.domain || p.value.routing || p.value.ipLiteral) {
        this.event('sieve-error', 'warn', { owner: m.owner, error: `redirect to an unusable address ${r.address.slice(0, 100)}` });
        return false;
      }
      const local = dir.localDomain(p.value.domain);
      if (local && dir.resolve(`${p.value.local.toLowerCase()}@${local}`).kind === 'unknown') {
        this.event('sieve-error', 'warn', { owner: m.owner, error: `redirect to an unknown local address ${r.address.slice(0, 100)}` });
        return false;
      }
      return true;
    });
    if (plan.redirects.length < before && !plan.redirects.length && !plan.stores.length) plan.stores.push(...planFrom(null, root, fallback).stores);
  }

  /**
   * Forwards and alias expansions that leave for remote addresses (route.ts): with SRS on, they go as a copy of
   * their own whose envelope sender is rewritten; returns what stays with the message (everything when SRS is
   * off, the sender is null or one of ours).
   */
  async forwards(remote: { address: string; rcpt: string }[], result: DeliveryResult): Promise<{ address: string; rcpt: string }[]> {
    const env = this.i.env;
    const isLocal = (d: string) => this.i.directory.localDomain(d) !== null;
    if (!remote.length || !this.srs || !env.mailFrom || isLocal(domainOf(env.mailFrom))) return remote;
    const byRcpt = new Map<string, { address: string; rcpt: string }[]>();
    for (const r of remote) byRcpt.set(r.rcpt, [...(byRcpt.get(r.rcpt) ?? []), r]);
    const items: Originated[] = [];
    for (const [rcpt, targets] of byRcpt) {
      const srsDomain = this.i.config.srs.domain ?? domainOf(rcpt);
      const orig = env.rcptTo.find((x) => x.address.toLowerCase() === rcpt.toLowerCase());
      const rcptTo: RecipientEntry[] = targets.map((x) => ({ address: x.address, kind: 'remote', notify: this.copyNotify(orig?.notify) }));
      const mailFrom = forwardSender(env.mailFrom, this.srs, srsDomain, isLocal);
      items.push(forwardCopy({ env, hostname: this.i.config.hostname, mailFrom, rcptTo, forRcpt: rcpt, parts: this.i.message }));
      this.event('srs-forward', 'info', { rcpt, to: targets.map((x) => x.address), from: mailFrom });
    }
    await this.originate(items, result);
    this.flushEvents(result);
    return [];
  }

  /**
   * RFC 5429 at SMTP time: one recipient, one mailbox, and the rules refused it: claim the decision cell before the
   * main thread answers 250; the client then gets 550 5.7.1 with the reason. Null when that is not the case.
   */
  rejectWhileClientWaits(decision: SharedArrayBuffer | undefined, forwarded: number, result: DeliveryResult): { code: number; status: string; text: string } | null {
    const plan = this.plans[0];
    if (!decision || this.i.env.rcptTo.length !== 1 || this.plans.length !== 1 || forwarded || !plan.reject) return null;
    if (Atomics.compareExchange(new Int32Array(decision), 0, 0, 2) !== 0) return null;
    this.rejectedNow = true;
    this.event('sieve-reject', 'info', { rcpt: this.i.mailboxes[0].rcpt, when: 'smtp', reason: plan.reject.reason.slice(0, 200) });
    this.flushEvents(result);
    return { code: 550, status: '5.7.1', text: replySafeText(plan.reject.reason) };
  }

  /** Store, redirect, reject after the 250, vacation; then auto-replies; then everything originated in one batch. */
  async deliver(result: DeliveryResult, write: (m: Mailbox, copy: MailboxCopy) => Promise<WriteOutcome>): Promise<void> {
    await Promise.all(this.i.mailboxes.map((m, idx) => this.deliverOne(m, idx, result, write)));
    await this.autoReplies();
    await this.originate(this.out.splice(0), result);
    this.flushEvents(result);
  }

  private async deliverOne(m: Mailbox, idx: number, result: DeliveryResult, write: (m: Mailbox, copy: MailboxCopy) => Promise<WriteOutcome>): Promise<void> {
    const plan = this.plans[idx];
    const env = this.i.env;
    const edits = this.edits[idx];
    const parts = edits.length ? [applyHeaderEdits(this.raw(), edits)] : [this.i.verdictHeaders, ...this.i.message];
    if (plan.redirects.length && !(await this.redirectsAllowed(m, plan, result))) return;
    try {
      for (const [j, s] of plan.stores.entries()) {
        const dedupKey = j === 0 ? `${env.id}-${idx}` : `${env.id}-${idx}x${j}`;
        const w = await write(m, { folder: s.folder, dir: s.dir, dedupKey, parts, info: s.info });
        if (w === 'refused') return;
        if (w === 'duplicate') result.skippedDuplicates++;
        result.delivered.push({ owner: m.owner, folder: s.folder, rcpt: m.rcpt });
      }
    } catch (e) {
      // nothing else happens for this mailbox now: the retry (copies already stored are skipped) does it
      result.tempFailed.push({ address: m.rcpt, reason: `4.3.0 Local delivery failed: ${(e as Error).message}` });
      return;
    }
    if (plan.redirects.length) this.redirect(m, plan, parts, result);
    if (plan.reject && !this.rejectedNow) this.rejectLate(m, plan.reject.reason, result);
    await this.vacation(m, plan); // mail judged spam gets none: decideVacation says so (reason "spam")
  }

  /**
   * [sieve] max_redirects_per_day, counted before anything is stored (once per message and account): over it the message is not sent on but kept
   * (INBOX when nothing else keeps it) and logged; the count's database away is a temporary failure (retried).
   */
  private async redirectsAllowed(m: Mailbox, plan: Plan, result: DeliveryResult): Promise<boolean> {
    const seen = this.deliveredBefore();
    if (seen.has(m.owner.toLowerCase()) || seen.has(m.rcpt.toLowerCase())) return true; // a loop: redirect() refuses it
    const max = this.i.config.sieve.max_redirects_per_day;
    let c;
    try {
      // keyed by the queue id: a delivery retried after a failure (below) is not counted again
      c = await this.t.redirects.claim(m.owner, this.i.env.id, plan.redirects.length, this.now, max);
    } catch (e) {
      result.tempFailed.push({ address: m.rcpt, reason: `4.3.0 Redirect count unavailable: ${(e as Error).message}` });
      return false;
    }
    if (c.ok) return true;
    this.event('redirect-limit', 'warn', { owner: m.owner, max, used: c.used, to: plan.redirects.map((r) => r.address) });
    plan.redirects = [];
    if (!plan.stores.length) plan.stores.push(...planFrom(null, maildirRoot(this.i.config.data_dir, m.owner), defaultFolder(this.i.analysis?.action, this.i.config.spam.move_to_spam_folder)).stores);
    return true;
  }

  private redirect(m: Mailbox, plan: Plan, parts: Buffer[], result: DeliveryResult): void {
    const env = this.i.env;
    const seen = this.deliveredBefore();
    if (seen.has(m.owner.toLowerCase()) || seen.has(m.rcpt.toLowerCase())) {
      // this mailbox sent the message on before: a loop (a redirect to itself, or two that point at each other)
      this.event('redirect-loop', 'warn', { owner: m.owner, to: plan.redirects.map((r) => r.address) });
      if (!plan.stores.length) result.failed.push({ address: m.rcpt, reason: `5.4.6 Mail forwarding loop for <${m.owner}>` });
      return;
    }
    const dir = this.i.directory;
    const isLocal = (d: string) => dir.localDomain(d) !== null;
    const local: RecipientEntry[] = [];
    const remote: RecipientEntry[] = [];
    for (const r of plan.redirects) {
      const p = parseAddress(r.address);
      if (!p.ok) continue;
      const canonical = dir.localDomain(p.value.domain);
      if (canonical) local.push({ address: `${p.value.local.toLowerCase()}@${canonical}`, kind: 'local' });
      else remote.push({ address: `${p.value.local}@${p.value.domain}`, kind: 'remote', notify: this.copyNotify(undefined) });
    }
    const hostname = this.i.config.hostname;
    if (local.length) this.out.push(forwardCopy({ env, hostname, mailFrom: env.mailFrom, rcptTo: local, via: m.owner, forRcpt: m.rcpt, parts }));
    if (remote.length) {
      const mailFrom = forwardSender(env.mailFrom, this.srs, this.i.config.srs.domain ?? domainOf(m.owner), isLocal);
      this.out.push(forwardCopy({ env, hostname, mailFrom, rcptTo: remote, via: m.owner, forRcpt: m.rcpt, parts }));
    }
    this.event('redirect', 'info', { owner: m.owner, to: [...local, ...remote].map((r) => r.address) });
  }

  /**
   * The NOTIFY of a copy sent on to an outside address (forward, alias, redirect): its notices go through the SRS
   * address back to this message's sender, so one who may be forged gets none, NEVER (security review 9).
   */
  private copyNotify(notify: string[] | undefined): string[] | undefined {
    return this.senderMayBeTold() ? notify : ['NEVER'];
  }

  /** Whether this message's sender may be told anything after the 250 (notice-sender.ts's rule, decided once). */
  private senderMayBeTold(): boolean {
    this.noNotice ??= noNoticeReason(this.i.config, this.i.env, this.i.analysis?.tags ?? [], this.raw()) ?? '';
    return this.noNotice === '';
  }
  private noNotice?: string;

  /** RFC 5429 after the 250: a notice to the sender only when it cannot be forged (notice-sender.ts); otherwise nothing at all. */
  private rejectLate(m: Mailbox, reason: string, result: DeliveryResult): void {
    if (this.senderMayBeTold()) {
      result.failed.push({ address: m.rcpt, reason: `5.7.1 ${reason.replace(/[\r\n]+/g, ' ').slice(0, 900)}` });
      this.event('sieve-reject', 'info', { rcpt: m.rcpt, when: 'notice', reason: reason.slice(0, 200) });
    } else {
      this.event('sieve-reject', 'warn', { rcpt: m.rcpt, when: 'dropped', reason: reason.slice(0, 200), why: 'sender not authenticated: no notice to a sender that may be forged' });
    }
  }

  private history(owner: string): VacationHistory {
    const store = this.t.store;
    return {
      lastReply: (sender, handle) => store.lastReply(owner, sender, handle),
      record: (sender, handle, at) => store.recordReply(owner, sender, handle, at),
    };
  }

  /** Under the per-day cap? ([sieve] max_replies_per_day, vacation and auto-replies of one address together.) */
  private async underCap(address: string): Promise<boolean> {
    const max = this.i.config.sieve.max_replies_per_day;
    const shared = this.t.shared;
    let n: number;
    if (!shared) n = this.t.store.repliesSince(address, this.now - DAY);
    else {
      try {
        n = await shared.repliesSince(address, this.now - DAY);
      } catch (e) {
        // PostgreSQL away after the copy was stored: no automatic reply rather than the message retried for it
        this.event('reply-limit', 'warn', { address, max, error: (e as Error).message });
        return false;
      }
    }
    if (n < max) return true;
    this.event('reply-limit', 'warn', { address, max });
    return false;
  }

  /**
   * One vacation or auto-reply. On PostgreSQL the history is asked last, in one statement that also records the
   * reply (PgReplyHistory.claim), so two nodes answering the same sender at once send one reply; `content` (the
   * settings' text) names the period for a vacation or auto-reply kept as settings.
   */
  private async reply(address: string, params: VacationParams, kind: 'vacation' | 'auto-reply', envelopeFrom: 'null' | 'user', content?: unknown[]): Promise<void> {
    const shared = this.t.shared;
    let claim: { sender: string; at: number } | null = null;
    const d = decideVacation(params, {
      message: this.view(address),
      recipient: address,
      now: new Date(this.now),
      history: shared ? { lastReply: () => null, record: (sender, _h, at) => void (claim = { sender, at }) } : this.history(address),
      spam: this.spam,
      envelopeFrom,
      hostname: this.i.config.hostname,
      requireAddressed: kind === 'vacation',
      kind,
    });
    if (d.send && shared && claim) {
      const c: { sender: string; at: number } = claim;
      const v = await shared.decide(address, c.sender, content ? sharedHandle(params.handle, content) : params.handle, c.at, params.seconds * 1000);
      if (v.skip) {
        this.event(`${kind}-skipped`, v.skip === 'already-replied' ? 'info' : 'warn', { address, reason: v.skip, ...(v.error ? { error: v.error } : {}) });
        return;
      }
    }
    if (!d.send) {
      this.event(`${kind}-skipped`, 'info', { address, reason: d.reason });
      return;
    }
    const to = d.reply.to;
    this.out.push(replyMessage(d.reply, { source: kind, domain: domainOf(address), hostname: this.i.config.hostname, recipientIsLocal: this.i.directory.localDomain(domainOf(to)) !== null }));
    this.event(`${kind}-sent`, 'info', { address, to });
  }

  /** The user's vacation (settings, when they answer now; else a script's vacation action). */
  private async vacation(m: Mailbox, plan: Plan): Promise<void> {
    const settings = this.t.store.getVacation(m.owner);
    const active = vacationActive(settings, this.now);
    // mail the rules threw away or refused gets no reply from the settings (a script's own vacation still answers)
    if (active && !plan.stores.length && !plan.redirects.length) return;
    const s = this.i.config.sieve;
    let params = active ? vacationParams(settings, { minMs: s.vacation_min_period, defaultMs: s.vacation_default_period }) : plan.vacation;
    if (!params || !(await this.underCap(m.owner))) return;
    if (m.rcpt.toLowerCase() !== m.owner.toLowerCase()) params = { ...params, addresses: [...params.addresses, m.rcpt] };
    params = this.ownFrom(m, params);
    const content = active && params.handle === VACATION_HANDLE ? [settings.text, settings.subject, settings.html, settings.from, settings.until] : undefined;
    await this.reply(m.owner, params, 'vacation', (active ? settings.sender : null) ?? s.vacation_sender, content);
  }

  /**
   * RFC 5230 §4.4: a :from the user may not send as (another user, another domain) is dropped and the reply goes
   * From: the user, as restrict_sender would have it; tegami signs these replies with the domain's key, so a
   * script must never make it speak for someone else (security review 2). The user's own addresses and aliases stay.
   */
  private ownFrom(m: Mailbox, params: VacationParams): VacationParams {
    if (params.from === null || params.from === undefined) return params;
    const dir = this.i.directory;
    const canonical = (a: string): string => {
      const at = a.lastIndexOf('@');
      const domain = dir.localDomain(a.slice(at + 1));
      return domain ? `${a.slice(0, at).toLowerCase()}@${domain}` : a.toLowerCase();
    };
    const user = dir.user(m.owner);
    const own = new Set([m.owner, m.rcpt].map(canonical));
    if (user) for (const a of dir.senderAddresses(user)) own.add(a.toLowerCase());
    const named = addressParts([params.from], 'all');
    if (named.length === 1 && own.has(canonical(named[0]))) return params;
    this.event('vacation-from-refused', 'warn', { owner: m.owner, from: params.from.replace(/[\r\n]+/g, ' ').slice(0, 200) });
    return { ...params, from: null };
  }

  /** Auto-responders (R3): every local recipient address that has one answers, once per sender per interval. */
  private async autoReplies(): Promise<void> {
    const seen = new Set<string>();
    for (const r of this.i.env.rcptTo) {
      const a = r.address.toLowerCase();
      if (r.kind !== 'local' || seen.has(a)) continue;
      seen.add(a);
      const ar = this.t.store.getAutoReply(a);
      if (!ar?.enabled || !(await this.underCap(a))) continue;
      const params: VacationParams = { reason: ar.text, subject: ar.subject, from: null, addresses: [], mime: false, handle: AUTOREPLY_HANDLE, seconds: Math.max(1, Math.round(ar.intervalMs / 1000)) };
      await this.reply(a, params, 'auto-reply', this.i.config.sieve.vacation_sender, [ar.text, ar.subject]);
    }
  }

  private async originate(items: Originated[], result: DeliveryResult): Promise<void> {
    if (!items.length) return;
    const batch = `${this.i.env.id}_${crypto.randomBytes(6).toString('hex')}`;
    const ids = await originate(this.t.spool, batch, items);
    (result.originated ??= []).push(...ids);
  }

  private flushEvents(result: DeliveryResult): void {
    if (this.events.length) (result.events ??= []).push(...this.events.splice(0));
  }
}

