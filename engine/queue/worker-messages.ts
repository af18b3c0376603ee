// Checks of what crosses between the main thread and the worker pool: the "process" and "deliver-remote"
// tasks (checked by the worker before it acts) and their results (checked by the queue before it writes
// state or logs from them). A message that does not match is a bug or damage: it is refused with the path of
// what was wrong, never half-used. Hand-written (shape.ts) rather than zod: this runs twice per message, and
// test/queue/worker-messages-table.test.ts holds it to what the zod schemas it replaced accepted and refused.
// Unknown fields are kept, so a field added on one side is not silently stripped. Fields that only feed the
// log fall back to nothing when malformed: a delivery the remote side accepted must never be retried, and so
// sent twice, because of a bad log detail.
import type { Envelope, RecipientEntry } from '../spool/envelope.js';
import { QUEUE_ID } from '../spool/envelope.js';
import { TAGS, type Tag } from '../spam/tags.js';
import type { ConnectionResult } from '../spam/types.js';
import type { ProcessResult, ProcessTask } from '../../workers/process.js';
import type { DeliverResult, DeliverTask } from '../../workers/deliver-remote.js';
import { absent, at, bool, copy, int, items, loose, num, object, oneOf, orElse, plainObject, ShapeError, str, strings, type Fields } from './shape.js';

/** A check of one message: its value (normalised: null read as absent) or a ShapeError. */
export type Check<T> = (value: unknown) => T;

const known = new Set<string>(TAGS);

function queueId(o: Fields, key: string, path: string): string {
  const id = str(o, key, path);
  if (!QUEUE_ID.test(id)) throw new ShapeError(at(path, key), 'not a queue id');
  return id;
}

function optStr(o: Fields, key: string, path: string): void {
  if (!absent(o, key)) str(o, key, path);
}

function optBool(o: Fields, key: string, path: string): void {
  if (!absent(o, key)) bool(o, key, path);
}

function optStrings(o: Fields, key: string, path: string): void {
  if (!absent(o, key)) strings(o, key, path);
}

function optShared(o: Fields, key: string, path: string): void {
  if (!absent(o, key) && !(o[key] instanceof SharedArrayBuffer)) throw new ShapeError(at(path, key), 'expected a SharedArrayBuffer');
}

/** An SMTP reply; unknown fields stripped. */
function reply(v: unknown, path: string): { code: number; status: string; text: string } {
  const o = object(v, path);
  return { code: int(o, 'code', path), status: str(o, 'status', path), text: str(o, 'text', path) };
}

function optReply(o: Fields, key: string, path: string): { code: number; status: string; text: string } | undefined {
  return absent(o, key) ? undefined : reply(o[key], at(path, key));
}

function recipientEntry(v: unknown, path: string): RecipientEntry {
  const o = object(v, path);
  str(o, 'address', path);
  oneOf(o, 'kind', path, ['local', 'remote']);
  optStrings(o, 'notify', path);
  optStr(o, 'orcpt', path);
  return loose(o, 'notify', 'orcpt') as unknown as RecipientEntry;
}

function connectionResult(v: unknown, path: string): ConnectionResult {
  const o = object(v, path);
  // a tag this version no longer knows is dropped, not a reason to refuse the message
  const tags = strings(o, 'tags', path).filter((t): t is Tag => known.has(t));
  strings(o, 'headers', path);
  strings(o, 'authResults', path);
  const out = loose(o, 'reject', 'spf');
  out.tags = tags;
  if (!absent(o, 'reject')) out.reject = reply(o.reject, at(path, 'reject'));
  if (!absent(o, 'spf')) {
    const p = at(path, 'spf');
    const s = object(o.spf, p);
    out.spf = { result: str(s, 'result', p), domain: str(s, 'domain', p) };
  }
  return out as unknown as ConnectionResult;
}

/** What a spool header must look like (the same shape as envelopeSchema in engine/spool/envelope.ts). */
export function checkEnvelope(v: unknown, path = ''): Envelope {
  const o = object(v, path);
  queueId(o, 'id', path);
  num(o, 'time', path);
  str(o, 'mailFrom', path);
  const rp = at(path, 'rcptTo');
  const rcptTo = items(o.rcptTo, rp, recipientEntry);
  optBool(o, 'smtputf8', path);
  optBool(o, 'body8bit', path);
  const out = loose(o, 'dsn', 'smtputf8', 'body8bit', 'connection');
  out.rcptTo = rcptTo;
  if (!absent(o, 'dsn')) {
    const p = at(path, 'dsn');
    const d = object(o.dsn, p);
    const dsn: Fields = {};
    if ('ret' in d) dsn.ret = absent(d, 'ret') ? undefined : oneOf(d, 'ret', p, ['FULL', 'HDRS']);
    if ('envid' in d) dsn.envid = absent(d, 'envid') ? undefined : str(d, 'envid', p);
    out.dsn = dsn;
  }
  const cp = at(path, 'client');
  const c = object(o.client, cp);
  str(c, 'ip', cp);
  optStr(c, 'ptr', cp);
  str(c, 'helo', cp);
  str(c, 'protocol', cp);
  optStr(c, 'tls', cp);
  optStr(c, 'user', cp);
  str(c, 'listener', cp);
  optStr(c, 'host', cp);
  out.client = loose(c, 'ptr', 'tls', 'user', 'host');
  if (!absent(o, 'connection')) out.connection = connectionResult(o.connection, at(path, 'connection'));
  return out as unknown as Envelope;
}

export const processTaskCheck: Check<ProcessTask> = (v) => {
  const o = object(v, '');
  queueId(o, 'id', '');
  optShared(o, 'shared', '');
  if (!absent(o, 'fd')) int(o, 'fd', '', 0);
  str(o, 'file', '');
  int(o, 'bodyOffset', '', 0);
  const envelope = checkEnvelope(o.envelope, 'envelope');
  bool(o, 'recovered', '');
  optShared(o, 'decision', '');
  optBool(o, 'skipAnalysis', '');
  const out = loose(o, 'shared', 'fd', 'decision', 'skipAnalysis');
  out.envelope = envelope;
  return out as unknown as ProcessTask;
};

function each<T>(o: Fields, key: string, path: string, item: (v: unknown, path: string) => T): T[] {
  const p = at(path, key);
  return items(o[key], p, item);
}

const addressReason = (v: unknown, p: string) => {
  const o = object(v, p);
  str(o, 'address', p);
  str(o, 'reason', p);
  return copy(o);
};

export const processResultCheck: Check<ProcessResult> = (v) => {
  const o = object(v, '');
  const delivered = each(o, 'delivered', '', (x, p) => {
    const d = object(x, p);
    str(d, 'owner', p);
    str(d, 'folder', p);
    str(d, 'rcpt', p);
    return copy(d);
  });
  const remote = each(o, 'remote', '', (x, p) => {
    const r = object(x, p);
    str(r, 'address', p);
    str(r, 'rcpt', p);
    return copy(r);
  });
  const failed = each(o, 'failed', '', addressReason);
  const tempFailed = each(o, 'tempFailed', '', addressReason);
  const rejected = optReply(o, 'rejected', '');
  const out = loose(o);
  Object.assign(out, { delivered, remote, failed, tempFailed });
  if ('rejected' in o) out.rejected = rejected;
  if ('analysis' in o)
    out.analysis = orElse(() => {
      if (absent(o, 'analysis')) return undefined;
      const a = object(o.analysis, 'analysis');
      num(a, 'score', 'analysis');
      strings(a, 'tags', 'analysis');
      str(a, 'action', 'analysis');
      return copy(a);
    }, undefined);
  out.skippedDuplicates = orElse(() => int(o, 'skippedDuplicates', '', 0), 0);
  // why the failures get no notice (the sender may be forged); anything but a string means "notify" as before
  if ('noNotice' in o) out.noNotice = orElse(() => (absent(o, 'noNotice') ? undefined : str(o, 'noNotice', '').slice(0, 200)), undefined);
  return out as unknown as ProcessResult;
};

export const deliverTaskCheck: Check<DeliverTask> = (v) => {
  const o = object(v, '');
  queueId(o, 'id', '');
  str(o, 'file', '');
  int(o, 'bodyOffset', '', 0);
  const envelope = checkEnvelope(o.envelope, 'envelope');
  const dp = 'destination';
  const d = object(o.destination, dp);
  str(d, 'key', dp);
  oneOf(d, 'kind', dp, ['mx', 'relay']);
  str(d, 'domain', dp);
  strings(d, 'hosts', dp);
  bool(d, 'requireTls', dp);
  const destination = loose(d, 'auth');
  if (!absent(d, 'auth')) {
    const ap = at(dp, 'auth');
    const a = object(d.auth, ap);
    destination.auth = { user: str(a, 'user', ap), pass: str(a, 'pass', ap) };
  }
  bool(d, 'hold', dp);
  const recipients = each(o, 'recipients', '', (x, p) => {
    const r = object(x, p);
    str(r, 'address', p);
    optStrings(r, 'notify', p);
    optStr(r, 'orcpt', p);
    return loose(r, 'notify', 'orcpt');
  });
  return { ...copy(o), envelope, destination, recipients } as unknown as DeliverTask;
};

/** An optional log-only field: its value when well formed, undefined otherwise (absent stays absent). */
function logOnly(out: Fields, o: Fields, key: string, check: () => unknown): void {
  if (key in o) out[key] = orElse(() => (absent(o, key) ? undefined : check()), undefined);
}

const DKIM_SHAPES: readonly (readonly string[])[] = [['domain', 'selector'], ['error'], ['skipped', 'domain']];

export const deliverResultCheck: Check<DeliverResult> = (v) => {
  const o = object(v, '');
  const recipients = each(o, 'recipients', '', (x, p) => {
    const r = object(x, p);
    str(r, 'address', p);
    const out = copy(r);
    out.kind = oneOf(r, 'kind', p, ['sent', 'temp', 'perm']);
    out.status = orElse(() => str(r, 'status', p), '');
    out.reply = orElse(() => str(r, 'reply', p), '');
    logOnly(out, r, 'remoteMta', () => str(r, 'remoteMta', p));
    logOnly(out, r, 'dsnPassed', () => bool(r, 'dsnPassed', p));
    return out;
  });
  const attempts = orElse(
    () =>
      each(o, 'attempts', '', (x, p) => {
        const a = object(x, p);
        str(a, 'host', p);
        str(a, 'ip', p);
        num(a, 'port', p);
        optStr(a, 'tls', p);
        str(a, 'reply', p);
        num(a, 'ms', p);
        oneOf(a, 'stage', p, ['connect', 'transaction']);
        optBool(a, 'reused', p);
        if (!absent(a, 'recipients')) num(a, 'recipients', p);
        optBool(a, 'pipelining', p);
        return loose(a, 'tls', 'reused', 'recipients', 'pipelining');
      }),
    [],
  );
  const out: Fields = { ...copy(o), recipients, attempts, unreachable: orElse(() => bool(o, 'unreachable', ''), false) };
  logOnly(out, o, 'dkim', () => {
    const d = object(o.dkim, 'dkim');
    if (!DKIM_SHAPES.some((keys) => keys.every((k) => typeof d[k] === 'string'))) throw new ShapeError('dkim', 'expected a DKIM outcome');
    return copy(d);
  });
  logOnly(out, o, 'events', () =>
    each(o, 'events', '', (x, p) => {
      const e = object(x, p);
      str(e, 'event', p);
      oneOf(e, 'level', p, ['info', 'warn']);
      plainObject(e.fields, at(p, 'fields'));
      return copy(e);
    }),
  );
  return out as unknown as DeliverResult;
};

/** Check a message crossing threads; throws an Error naming what was wrong (`what` says which message). */
export function checked<T>(check: Check<T>, value: unknown, what: string): T {
  try {
    return check(value);
  } catch (e) {
    if (e instanceof ShapeError) throw new Error(`${what} does not match its schema: ${e.message}`);
    throw e;
  }
}
