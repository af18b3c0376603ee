// Typed event log: one catalogue of events (events.ts) written as JSON lines to stdout and as
// readable lines to <data_dir>/logs/<service>-YYYYMMDD.log. Never pass a secret to a log call.
import fs from 'node:fs';
import path from 'node:path';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Services with a daily file of their own (the seed's SYSMMDD.txt, with the year). */
export type Service = 'smtp' | 'delivery' | 'pop3' | 'imap' | 'spam' | 'system' | 'web' | 'queue' | 'admin';

export interface LogOptions {
  dir?: string;
  stdout?: boolean;
  files?: boolean;
  level?: Level;
}

type Fields = Record<string, unknown>;
export type LogListener = (service: Service, event: string, fields: Fields, level: Level) => void;

export class Logger {
  private files = new Map<Service, { day: string; stream: fs.WriteStream }>();
  private listeners: LogListener[] = [];
  private readonly min: number;

  constructor(private readonly opts: LogOptions = {}) {
    this.min = LEVELS[opts.level ?? 'info'];
    if (opts.dir && opts.files !== false) fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  }

  /** Subscribe to every event (metrics, tests). */
  on(listener: LogListener): void {
    this.listeners.push(listener);
  }

  log(service: Service, event: string, fields: Fields = {}, level: Level = 'info'): void {
    for (const l of this.listeners) l(service, event, fields, level);
    if (LEVELS[level] < this.min) return;
    const now = new Date();
    if (this.opts.stdout) {
      process.stdout.write(JSON.stringify({ time: now.toISOString(), level, service, event, ...fields }) + '\n');
    }
    if (this.opts.dir && this.opts.files !== false) {
      const line = `${now.toISOString()} ${level.toUpperCase()} ${event}${formatFields(fields)}\n`;
      this.append(this.fileFor(service, now), line);
    }
  }

  /** Lines are gathered and written once per turn of the event loop: one write for many lines under load. */
  private pending = new Map<fs.WriteStream, string[]>();
  private flushScheduled = false;

  private append(stream: fs.WriteStream, line: string): void {
    let lines = this.pending.get(stream);
    if (!lines) this.pending.set(stream, (lines = []));
    lines.push(line);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const [stream, lines] of this.pending) if (!stream.closed && !stream.writableEnded) stream.write(lines.join(''));
    this.pending.clear();
  }

  info(service: Service, event: string, fields?: Fields): void {
    this.log(service, event, fields, 'info');
  }
  warn(service: Service, event: string, fields?: Fields): void {
    this.log(service, event, fields, 'warn');
  }
  error(service: Service, event: string, fields?: Fields): void {
    this.log(service, event, fields, 'error');
  }
  debug(service: Service, event: string, fields?: Fields): void {
    if (LEVELS.debug >= this.min || this.listeners.length) this.log(service, event, fields, 'debug');
  }

  private fileFor(service: Service, now: Date): fs.WriteStream {
    const day = localDay(now);
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

  async close(): Promise<void> {
    this.flush();
    await Promise.all(
      [...this.files.values()].map((f) => new Promise<void>((resolve) => f.stream.end(() => resolve()))),
    );
    this.files.clear();
  }
}

export function localDay(d: Date): string {
  return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
}

function formatFields(fields: Fields): string {
  let s = '';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const val = typeof v === 'string' ? (/[\s"=]/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v);
    s += ` ${k}=${val}`;
  }
  return s;
}

/** A logger that discards everything (CLI commands, unit tests). */
export const nullLogger = new Logger({ stdout: false, files: false });
