// Worker task "process": one spooled message → analysed → routed → rules (Sieve, vacation: sieve-delivery.ts)
// → delivered to local Maildirs, or to the shared store on PostgreSQL (shared-store.ts).
// Runs in the piscina pool; gets the spool file by descriptor/path (never a copy through the main thread).
// Remote recipients are returned to the queue; a message past the hop limit goes to no recipient at all
// (each RCPT fails with 5.4.6, so the sender gets one notice, if it cannot be forged: notice-sender.ts). It never
// answers the client itself.
import { srsFor } from '../engine/srs/secret.js';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { workerData } from 'node:worker_threads';
import type { LoadedConfig } from '../engine/config/load.js';
import { workerConfig } from '../engine/settings/worker-config.js';
import { openDatabase, type Db } from '../engine/db/database.js';
import { directoryFor } from '../engine/context.js';
import type { SqliteDirectory } from '../engine/accounts/sqlite-directory.js';
import type { Envelope } from '../engine/spool/envelope.js';
import { hasDedupKey, maildirRoot, writeMaildirMessage } from '../engine/store/maildir.js';
import { receivedHeader, returnPathHeader } from '../engine/smtp/received.js';
import { stripVerdictHeaders } from '../engine/spam/strip-headers.js';
import { route } from './route.js';
import analyse, { type AnalyseResult, type ConfigInForce } from './analyse.js';
import { checked, processTaskCheck } from '../engine/queue/worker-messages.js';
import { checkedOrigin } from '../engine/spool/envelope.js';
import { handleListMail } from '../engine/lists/handle.js';
import { listRuntime } from '../engine/lists/runtime.js';
import { mailboxRoom } from '../engine/store/maildirsize.js';
import { quotaReason } from '../engine/accounts/quota.js';
import { RulesDelivery, dayCounter, type WorkerEvent } from './sieve-delivery.js';
import { capForwards } from './forward-cap.js';
import { appendCopy, foldersOf, sharedStore } from './shared-store.js';
import { cachedDirectory, readCacheFor } from './read-cache.js';
import { noNoticeReason } from './notice-sender.js';
import { HeaderLineCount, MAX_HOPS } from '../engine/mime/header-lines.js';

export interface ProcessTask {
  id: string;
  /** The message body, received into memory and shared with this thread (no copy). */
  shared?: SharedArrayBuffer;
  /** Else an open descriptor of the spool file in this process, else read by path. */
  fd?: number;
  file: string;
  bodyOffset: number;
  envelope: Envelope;
  /** Resumed after a restart: skip mailboxes that already hold this message. */
  recovered: boolean;
  /**
   * Int32 decision cell shared with the SMTP session: 0 undecided; the main thread sets 1 when it
   * acknowledged (250) the message, the worker sets 2 when analysis rejects it first. Whoever sets it wins.
   */
  decision?: SharedArrayBuffer;
  /** Skip content analysis (mail from trusted sources, or spam filtering off). */
  skipAnalysis?: boolean;
}

export interface ProcessResult {
  delivered: { owner: string; folder: string; rcpt: string }[];
  remote: { address: string; rcpt: string }[];
  failed: { address: string; reason: string }[];
  tempFailed: { address: string; reason: string }[];
  rejected?: { code: number; status: string; text: string };
  analysis?: { score: number; tags: string[]; action: string };
  skippedDuplicates: number;
  /** Messages this run wrote durably into spool/queue/ (list copies, notices): the queue adopts them. */
  originated?: string[];
  /** What list handling and the rules did (lists, Sieve, vacation, redirects, SRS forwards), for the queue to log. */
  events?: WorkerEvent[];
  /** Set when `failed`, `tempFailed` and `remote` get no notice (now, or when they expire, are late, fail or are
   *  relayed at the next hop), and why: the sender may be forged (notice-sender.ts). */
  noNotice?: string;
}

interface WorkerSettings {
  configPath?: string;
  dataDir: string;
}

const settings = (workerData ?? {}) as WorkerSettings;
let state: { db: Db; directory: SqliteDirectory; current: ConfigInForce } | null = null;

/**
 * The config in force (settings changed in the admin pages included: reloaded when their version moves). The
 * settings version lives in tegami.db, so it is read again only when the read cache's check (one statement per
 * task) says tegami.db changed since the last task: a commit by any other connection, or a write of this one.
 */
function init(): { config: LoadedConfig; current: ConfigInForce; db: Db; directory: SqliteDirectory } {
  if (!state) {
    const current = workerConfig(settings.configPath, settings.dataDir);
    const db = openDatabase(current.config.data_dir);
    // the account rows every delivery reads come from the thread's cache while tegami.db is unchanged (read-cache.ts)
    state = { db, directory: cachedDirectory(directoryFor(current.config, db), readCacheFor(db)), current };
  }
  if (readCacheFor(state.db).revalidate()) state.current = workerConfig(settings.configPath, settings.dataDir);
  return { config: state.current.config, ...state };
}

async function readBody(task: ProcessTask): Promise<Buffer> {
  if (task.shared) return Buffer.from(task.shared);
  if (task.fd !== undefined) {
    const { size } = fs.fstatSync(task.fd);
    const len = size - task.bodyOffset;
    const buf = Buffer.allocUnsafe(len);
    let off = 0;
    while (off < len) {
      const n = fs.readSync(task.fd, buf, off, len - off, task.bodyOffset + off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  }
  const all = await fsp.readFile(task.file);
  return all.subarray(task.bodyOffset);
}

/** Count Received headers in the header block (loop detection, RFC 5321 §6.3), exactly as the SMTP session counts
 *  them at DATA: the header ends at its first blank line, CRLF or bare LF (a body line is never a hop). */
function hopCount(body: Buffer): number {
  const count = new HeaderLineCount(Infinity, Infinity);
  count.feed(body);
  return count.received;
}

export default async function processMessage(task: ProcessTask): Promise<ProcessResult> {
  task = checked(processTaskCheck, task, 'the process task'); // bytes from another thread are checked first
  const body = await readBody(task);
  const result = await processBody(task, body);
  // failures found after the 250 (and deferrals, whose notices come later from the queue state) are told only to a
  // sender that cannot be forged (notice-sender.ts); so are those of a recipient an alias or forward sends on within
  // this message (no SRS: its relay notice on NOTIFY=SUCCESS, delay warning, failure at the next hop; security
  // review 9). A copy sent as a message of its own was judged when it was made (sieve-delivery.ts copyNotify: NEVER
  // for a sender that may be forged), so its own direct remote recipients are not judged again here: its envelope
  // sender is our SRS address, which nothing vouches for, and a vouched sender would lose his notices.
  if (result.failed.length || result.tempFailed.length || result.remote.some((r) => r.address !== r.rcpt)) {
    const why = noNoticeReason(init().config, task.envelope, result.analysis?.tags ?? [], body);
    if (why) result.noNotice = why;
  }
  return result;
}

async function processBody(task: ProcessTask, body: Buffer): Promise<ProcessResult> {
  const { config, current, db, directory } = init();
  const env = task.envelope;
  const result: ProcessResult = { delivered: [], remote: [], failed: [], tempFailed: [], skippedDuplicates: 0 };

  // 1. analyse
  let analysis: AnalyseResult | null = null;
  // what tegami wrote itself (list copies, notices, DSNs) was analysed as the post that caused it, if at all
  const own = checkedOrigin(env.origin)?.kind === 'tegami';
  if (!task.skipAnalysis && !own && config.spam.enabled) {
    analysis = await analyse({
      spoolPath: task.file,
      bodyOffset: task.bodyOffset,
      raw: body,
      configPath: settings.configPath,
      envelope: {
        mailFrom: env.mailFrom,
        rcptTo: env.rcptTo.map((r) => r.address),
        ip: env.client.ip,
        helo: env.client.helo,
        authenticatedUser: env.client.user,
      },
      connection: env.connection,
    }, current); // the settings version this task already read (one read per task)
    result.analysis = { score: analysis.score, tags: analysis.tags, action: analysis.action };
    if (analysis.action === 'reject') {
      const cell = task.decision ? new Int32Array(task.decision) : null;
      // Reject only while the client still waits for its reply; once acknowledged, file as spam instead.
      if (cell && Atomics.compareExchange(cell, 0, 0, 2) === 0) {
        result.rejected = { code: 550, status: '5.7.1', text: analysis.rejectText ?? 'Message refused as spam' };
        return result;
      }
      analysis.action = 'spam';
    }
  }

  // 2. a message that has been around too often (RFC 5321 §6.3) goes nowhere: not to a mailbox, not on
  // through a forward, an alias or a relay. Every RCPT fails once, so the sender gets one notice (when it may have one).
  const hops = hopCount(body);
  if (hops >= MAX_HOPS) {
    for (const r of env.rcptTo) result.failed.push({ address: r.address, reason: `5.4.6 Too many hops (${hops} Received: fields): mail forwarding loop` });
    return result;
  }

  // 3. route
  // a loop into an array literal, not .filter/.map (an array made by an inlined builtin has another map: eleventh round)
  const locals: string[] = [];
  for (const r of env.rcptTo) if (r.kind === 'local') locals.push(r.address);
  const routed = route(directory, locals, directory.lists, srsFor(config));
  result.failed.push(...routed.failed);
  for (const r of env.rcptTo) if (r.kind === 'remote') result.remote.push({ address: r.address, rcpt: r.address });

  // 4. list addresses: posts are checked, held or distributed; requests and bounces answered (engine/lists)
  if (analysis?.action !== 'delete' && routed.lists.length) {
    const rt = listRuntime(config, db, directory);
    for (const d of routed.lists) {
      const o = await handleListMail(rt, d, { raw: body, mailFrom: env.mailFrom, spam: analysis?.action === 'spam', origin: checkedOrigin(env.origin) });
      (result.originated ??= []).push(...o.originated);
      (result.events ??= []).push(...o.events);
      result.failed.push(...o.failed);
      result.tempFailed.push(...o.tempFailed);
    }
  }

  // 5. what accounts' forward lists send on is counted against [accounts] max_forwards_per_day: over it the
  // message is kept in the account's mailbox instead (forward-cap.ts)
  const capped = await capForwards(dayCounter(config, db), routed, env.id, Date.now(), config.accounts.max_forwards_per_day);
  result.tempFailed.push(...capped.tempFailed);
  if (capped.events.length) (result.events ??= []).push(...capped.events);
  const remote = routed.remote.map((r) => ({ address: r.address, rcpt: r.rcpt }));

  // 6. rules (workers/sieve-delivery.ts): per mailbox the user's Sieve script, then the domain's, after the verdict;
  // forwards that leave get an SRS sender; a reject is answered while the client still waits when it can be
  const returnPath = Buffer.from(returnPathHeader(env.mailFrom), 'utf8');
  const verdictHeaders = Buffer.from(analysis?.headers ?? '', 'utf8');
  // Verdict fields we did not write (X-IMAIL-SPAM*, X-Tegami-Spam-Status, A-R in our name) never reach a
  // mailbox, whether or not this message was analysed (authenticated, trusted or unfiltered senders too).
  const message = stripVerdictHeaders(body, config.hostname).parts;
  const deleted = analysis?.action === 'delete';
  let mailboxes = deleted ? [] : routed.mailboxes;
  // [storage] backend = "postgres": mail goes to the shared store; its folders are read before the rules run
  const shared = config.storage.backend === 'postgres' ? sharedStore(config) : null;
  let folders: Map<string, Set<string>> | undefined;
  if (shared && mailboxes.length) {
    try {
      folders = await foldersOf(shared, mailboxes.map((m) => m.owner));
    } catch (e) {
      // the store is away: nothing is decided for these mailboxes now (the queue retries them from the spool);
      // forwards of other recipients go on as usual
      for (const m of mailboxes) result.tempFailed.push({ address: m.rcpt, reason: `4.3.0 Local delivery failed: ${(e as Error).message}` });
      mailboxes = [];
    }
  }
  const rules = new RulesDelivery({ config, db, directory, env, mailboxes, verdictHeaders, message, analysis: result.analysis, folders });
  result.remote.push(...(await rules.forwards(remote, result)));
  const refused = rules.rejectWhileClientWaits(task.decision, remote.length, result);
  if (refused) {
    result.rejected = refused;
    return result;
  }
  if (task.decision) Atomics.compareExchange(new Int32Array(task.decision), 0, 0, 1);

  // 7. deliver locally: each copy the rules asked for, fsynced (a resumed run skips the copies already there)
  if (deleted) return result;
  await rules.deliver(result, async (m, copy) => {
    if (shared) {
      const received = Buffer.from(receivedHeader(env, config.hostname, m.rcpt), 'utf8');
      const parts = [returnPath, received, ...copy.parts];
      const refused = await appendCopy(shared, { owner: m.owner, folder: copy.folder, parts, info: copy.info, dedupKey: copy.dedupKey, quota: directory.quotaOf(m.owner) });
      if (!refused) return 'written';
      result[refused.refused].push({ address: m.rcpt, reason: refused.reason });
      return 'refused';
    }
    if (task.recovered && (await hasDedupKey(copy.dir, copy.dedupKey))) return 'duplicate';
    const received = Buffer.from(receivedHeader(env, config.hostname, m.rcpt), 'utf8');
    const parts = [returnPath, received, ...copy.parts];
    // over quota: deferred (4.2.2, a DSN when it stays full past the queue lifetime), or bounced when it can never fit
    const room = await mailboxRoom(maildirRoot(config.data_dir, m.owner), directory.quotaOf(m.owner), parts.reduce((n, x) => n + x.length, 0));
    if (room.kind !== 'ok') {
      (room.kind === 'full' ? result.tempFailed : result.failed).push({ address: m.rcpt, reason: quotaReason(room) });
      return 'refused';
    }
    await writeMaildirMessage(copy.dir, parts, { dedupKey: copy.dedupKey, info: copy.info });
    return 'written';
  });
  return result;
}
