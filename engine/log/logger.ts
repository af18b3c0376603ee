// The event log: `emit(name, fields)` for events of the catalogue (events.ts), written as JSON lines to
// stdout, as readable lines to <data_dir>/logs/<service>-YYYYMMDD.log and optionally to syslog, and told
// to the metrics sink. File writes are gathered: on the main thread at the end of the turn and never
// synchronously (a file whose disk does not keep up loses lines past a bound, counted, instead of growing
// memory); in a worker thread (the delivery pool: a verdict line per message)
// appended synchronously at the end of the turn through a descriptor kept open (inline-files.ts), which costs no
// round trip through libuv's pool. close() writes everything still pending. Fields are written according to
// their kind: never a secret.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { canonicalName, eventDef, shortName, LEVELS, type AnyEventDef, type EventName, type FieldsOf, type Level, type Service } from './events.js';
import { threadSink, type EventSink } from '../metrics/thread-sink.js';
import { InlineFiles } from './inline-files.js';

export type { Level, Service };

export interface LogOptions {
  dir?: string;
  stdout?: boolean;
  files?: boolean;
  level?: Level;
  /** Who counts events (the server's Metrics); default: the worker bridge in a pool worker, else nobody. */
  sink?: EventSink | null;
  /** The clock that decides which day's file a line goes to (tests). */
  now?: () => Date;
  /** Bytes a file may have waiting for the disk before new lines for it are dropped (and counted). */
  maxPendingBytes?: number;
}

type Fields = Record<string, unknown>;
/** Subscribers see every event, written or not: (service, name without service, fields, level). */
export type LogListener = (service: Service, event: string, fields: Fields, level: Level) => void;
/** A copy of each written line (syslog): the level, service, short name and the formatted fields. */
export type LineTee = (level: Level, service: Service, event: string, text: string) => void;

const HMAC_KEY = crypto.randomBytes(32);
const SECRET_NAME = /pass(word)?$|secret|token|cookie|authorization|^auth_?password$/i;
const DROP_REPORT_MS = 10_000;
const UPPER: Record<Level, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };
/** The main thread writes its gathered lines this often (see `pending`), or sooner when this many bytes wait. */

export class Logger {
  private files = new Map<Service, { day: string; stream: fs.WriteStream }>();
  private listeners: LogListener[] = [];
  private tees: LineTee[] = [];
  private readonly min: number;
  private readonly sink: EventSink | null;
  private readonly now: () => Date;
  private readonly maxPending: number;
  private closed = false;
  private droppedLines = 0;
  private lastDropReport = 0;

  constructor(private readonly opts: LogOptions = {}) {
    this.min = LEVELS[opts.level ?? 'info'];
    this.sink = opts.sink === undefined ? threadSink() : opts.sink;
    this.now = opts.now ?? (() => new Date());
    this.maxPending = opts.maxPendingBytes ?? 16 * 1024 * 1024;
    // logs name users and addresses: private (0700 directory, 0600 files), whatever the umask
    if (opts.dir && opts.files !== false) fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  }

  /** Subscribe to every event (tests, the admin dashboard). */
  on(listener: LogListener): void {
    this.listeners.push(listener);
  }

  /** Copy every written line elsewhere (syslog); the function must not block. */
  tee(fn: LineTee): void {
    this.tees.push(fn);
  }

  /** Log an event of the catalogue; its level and the kinds of its fields come from there. */
  emit<E extends EventName>(name: E, fields: FieldsOf<E>): void {
    const def = eventDef(name);
    // (only a caller that went around the type check gets here without an entry: written, never thrown)
    if (!def) return this.write(null, null, 'system', fields as Fields, 'warn', String(name));
    this.write(name, def, def.service, fields as Fields, def.level);
  }

  /**
   * @deprecated Use `emit('<service>.<name>', fields)` (see the guide at the top of events.ts). An event the
   * catalogue knows is written, redacted and counted as if emitted (with the level given here); an unknown
   * one is written as given, with fields whose names suggest a secret redacted.
   */
  log(service: Service, event: string, fields: Fields = {}, level: Level = 'info'): void {
    const name = canonicalName(service, event);
    this.write(name, name ? eventDef(name)! : null, service, fields, level, name ? undefined : event);
  }

  /** @deprecated Use `emit()`. */
  info(service: Service, event: string, fields?: Fields): void {
    this.log(service, event, fields, 'info');
  }
  /** @deprecated Use `emit()`. */
  warn(service: Service, event: string, fields?: Fields): void {
    this.log(service, event, fields, 'warn');
  }
  /** @deprecated Use `emit()`. */
  error(service: Service, event: string, fields?: Fields): void {
    this.log(service, event, fields, 'error');
  }
  /** @deprecated Use `emit()`. */
  debug(service: Service, event: string, fields?: Fields): void {
    this.log(service, event, fields, 'debug');
  }

  private write(name: string | null, def: AnyEventDef | null, service: Service, fields: Fields, level: Level, rawEvent?: string): void {
    const event = name ? shortName(name) : rawEvent!;
    if (this.sink) {
      try {
        this.sink.event(name, def, service, level, fields);
      } catch {
        // a metrics function that fails on odd legacy fields never stops the line
      }
    }
    for (const l of this.listeners) l(service, event, fields, level);
    if (LEVELS[level] < this.min) return;
    const toFile = !!this.opts.dir && this.opts.files !== false;
    if (!this.opts.stdout && !toFile && !this.tees.length) return;
    const now = this.now();
    this.stamp(now);
    if (this.opts.stdout) process.stdout.write(JSON.stringify({ time: this.iso, level, service, event, ...shownFields(def, fields) }) + '\n');
    const text = lineText(def, fields);
    if (toFile) this.append(service, this.day, `${this.iso} ${UPPER[level]} ${event}${text}\n`);
    for (const t of this.tees) t(level, service, event, text);
  }

  /**
   * Lines are gathered and written together at the end of the turn: in a worker thread synchronously (below), on
   * the main thread as one WriteStream write per file. A line is in its file as soon as the turn that logged it
   * ends, so a script that greps the log right after a reply finds it (a timer of 100 ms was tried in smtpperf9:
   * it saved a round trip through libuv's pool per turn, and made every reader of the log wait for it).
   * The log is never what a 250 promises: that is the fsynced Maildir copy or spool file. close() (every stop,
   * drain and fatal stop) writes everything pending first.
   */
  private pending = new Map<fs.WriteStream, string[]>();
  private flushScheduled = false;

  /** The time stamp and the local day of the lines of this millisecond (several lines a millisecond under load). */
  private stampMs = NaN;
  private iso = '';
  private day = '';
  private stamp(now: Date): void {
    const ms = now.getTime();
    if (ms === this.stampMs) return;
    this.stampMs = ms;
    this.iso = now.toISOString();
    this.day = localDay(now);
  }

  private append(service: Service, day: string, line: string): void {
    if (this.closed) {
      // after close() (a late event during shutdown): written at once so it is not lost
      try {
        fs.appendFileSync(path.join(this.opts.dir!, `${service}-${day}.log`), line, { mode: 0o600 });
      } catch {
        // nowhere to write it
      }
      return;
    }
    if (this.inline) {
      const file = path.join(this.opts.dir!, `${service}-${day}.log`);
      const lines = this.inlinePending.get(file);
      if (lines) lines.push(line);
      else this.inlinePending.set(file, [line]);
      return this.scheduleFlush();
    }
    const stream = this.fileFor(service, day);
    let lines = this.pending.get(stream);
    if (!lines) this.pending.set(stream, (lines = []));
    lines.push(line);
    this.scheduleFlush();
  }

  /** At the end of this turn (setImmediate). */
  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** A worker thread's lines by file, appended synchronously at the flush (see the top of the file). */
  private readonly inline = !isMainThread;
  private inlinePending = new Map<string, string[]>();
  /** The worker's open files, by file name (inline-files.ts): one write per file and turn, not open, write, close. */
  private readonly inlineFiles = new InlineFiles();

  private flush(): void {
    this.flushScheduled = false;
    for (const [file, lines] of this.inlinePending) {
      if (!this.inlineFiles.append(file, lines.join(''))) this.droppedLines += lines.length; // a full disk or a removed directory: counted as dropped
    }
    this.inlinePending.clear();
    for (const [stream, lines] of this.pending) {
      if (stream.closed || stream.writableEnded) continue;
      let keep = lines.length;
      if (!this.closed) {
        // past the bound, the lines that do not fit are dropped (counted), never buffered
        let room = this.maxPending - stream.writableLength;
        for (keep = 0; keep < lines.length && room >= lines[keep].length; keep++) room -= lines[keep].length;
        this.droppedLines += lines.length - keep;
      }
      if (keep) stream.write(keep === lines.length ? lines.join('') : lines.slice(0, keep).join(''));
    }
    this.pending.clear();
    const t = Date.now();
    if (this.droppedLines && !this.closed && t - this.lastDropReport >= DROP_REPORT_MS) {
      this.lastDropReport = t;
      const lines = this.droppedLines;
      this.droppedLines = 0;
      this.emit('system.log-dropped', { destination: 'file', lines });
    }
  }

  private fileFor(service: Service, day: string): fs.WriteStream {
    let f = this.files.get(service);
    if (!f || f.day !== day) {
      if (f) {
        this.flush();
        f.stream.end();
      }
      // logs name users and addresses: private (0600), whatever the umask
      const stream = fs.createWriteStream(path.join(this.opts.dir!, `${service}-${day}.log`), { flags: 'a', mode: 0o600 });
      stream.on('error', () => {});
      f = { day, stream };
      this.files.set(service, f);
    }
    return f.stream;
  }

  /** End the streams of files of days before `today` (they get no more lines), so they can be compressed. */
  async closePastDays(today: string): Promise<void> {
    const ending: Promise<void>[] = [];
    for (const [service, f] of this.files) {
      if (f.day >= today) continue;
      this.flush();
      this.files.delete(service);
      ending.push(new Promise<void>((resolve) => f.stream.end(() => resolve())));
    }
    await Promise.all(ending);
  }

  /** The files this logger has open now (never compressed or removed under it). */
  openFiles(): string[] {
    return [...this.files.values()].map((f) => f.stream.path.toString());
  }

  /** Write everything pending and close the files; later lines are appended synchronously. */
  async close(): Promise<void> {
    this.flush();
    if (this.pending.size) this.flush(); // what the flush itself logged (the dropped-lines report)
    this.closed = true;
    this.inlineFiles.closeAll();
    await Promise.all([...this.files.values()].map((f) => new Promise<void>((resolve) => f.stream.end(() => resolve()))));
    this.files.clear();
  }
}

export function localDay(d: Date): string {
  return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
}

/** A login as written: unchanged when it has the shape of a mail address, else a keyed fingerprint. */
export function shownLogin(v: unknown): string {
  const s = typeof v === 'string' ? v : String(v ?? '');
  if (s.length <= 256 && /^[^\s@"\\]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(s)) return s;
  return `#${crypto.createHmac('sha256', HMAC_KEY).update(s).digest('hex').slice(0, 12)}`;
}

function bounded(v: unknown, max: number): unknown {
  if (typeof v !== 'string') return v;
  return v.length > max ? `${v.slice(0, max)}…` : v;
}

/** Each event's field kinds without the "?" of optional ones, worked out once per event (written per line). */
const baseKinds = new WeakMap<AnyEventDef, Map<string, string>>();
function kindsOf(def: AnyEventDef): Map<string, string> {
  let m = baseKinds.get(def);
  if (!m) baseKinds.set(def, (m = new Map(Object.entries(def.fields).map(([k, kind]) => [k, kind.replace('?', '')]))));
  return m;
}

/** The fields as they may be written: by kind when the event declares them, by name otherwise. */
export function shownFields(def: AnyEventDef | null, fields: Fields): Fields {
  const out: Fields = {};
  const kinds = def ? kindsOf(def) : null;
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    out[k] = shownValue(kinds, k, v);
  }
  return out;
}

/** One field's value as it may be written (see shownFields). */
function shownValue(kinds: Map<string, string> | null, k: string, v: unknown): unknown {
  const kind = kinds?.get(k) ?? (SECRET_NAME.test(k) ? 'secret' : k === 'login' ? 'login' : 'text');
  if (kind === 'secret') return '[redacted]';
  if (kind === 'login') return shownLogin(v);
  if (kind === 'text') return bounded(v, 2000);
  if (kind === 'word' || kind === 'id' || kind === 'ip' || kind === 'address') return bounded(v, 512);
  return v;
}

/** A string written bare unless it holds white space, a quote, "=" or a control character (then as JSON). */
const NEEDS_QUOTES = /[\s"=\x00-\x1f\x7f]/;

export function formatFields(fields: Fields): string {
  let s = '';
  for (const k in fields) s += ` ${k}=${formatValue(fields[k])}`;
  return s;
}

function formatValue(v: unknown): string {
  return typeof v === 'string' ? (NEEDS_QUOTES.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v);
}

/**
 * A line's fields as written: `formatFields(shownFields(def, fields))` in one pass, without the object in
 * between (five lines a message on the main thread).
 */
export function lineText(def: AnyEventDef | null, fields: Fields): string {
  const kinds = def ? kindsOf(def) : null;
  let s = '';
  for (const k in fields) {
    if (!Object.prototype.hasOwnProperty.call(fields, k)) continue;
    const v = fields[k];
    if (v !== undefined) s += ` ${k}=${formatValue(shownValue(kinds, k, v))}`;
  }
  return s;
}

/** A logger that discards everything (CLI commands, unit tests). */
export const nullLogger = new Logger({ stdout: false, files: false, sink: null });
