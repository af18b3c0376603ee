// Connections refused over the caps, in the log without a line each: a flood of clients over max_connections
// (thousands a second) would otherwise write thousands of lines. The first refusal of a listener and reason is
// written at once, with its client, as before; those after it within the interval are only counted, and when the
// interval ends one summary line (`connections-refused count=… clients=… seconds=…`) says how many there were,
// as `log-dropped` does for lines a disk could not take. The metric counts every refusal (the summary by its count).
// It never refuses or closes a connection itself.
import type { FieldsOf } from '../log/events.js';
import type { Logger } from '../log/logger.js';

/** How long refusals after the first of a listener and reason are gathered into one summary line. */
export const REFUSAL_SUMMARY_MS = 10_000;

export type RefusingService = 'smtp' | 'pop3' | 'imap' | 'managesieve' | 'web';
export type RefusalReason = 'total' | 'per-client';

export interface Refusal {
  listener: string;
  ip: string;
  reason: RefusalReason;
  /** Connections open when it was refused (the whole listener's, or the client's). */
  open: number;
}

const LINE = {
  smtp: 'smtp.connection-refused',
  pop3: 'pop3.connection-refused',
  imap: 'imap.connection-refused',
  managesieve: 'managesieve.connection-refused',
  web: 'web.connection-refused',
} as const;
const SUMMARY = {
  smtp: 'smtp.connections-refused',
  pop3: 'pop3.connections-refused',
  imap: 'imap.connections-refused',
  managesieve: 'managesieve.connections-refused',
  web: 'web.connections-refused',
} as const;

/** The reason as the log has always written it. */
const REASON_TEXT: Record<RefusalReason, string> = { total: 'too many connections', 'per-client': 'too many connections from this client' };

/** Distinct clients remembered per interval (beyond it the summary says "at least"): a flood must not grow memory. */
const MAX_CLIENTS = 10_000;

interface Window {
  service: RefusingService;
  listener: string;
  reason: RefusalReason;
  count: number;
  clients: Set<string>;
}

export class RefusalLog {
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = REFUSAL_SUMMARY_MS,
  ) {}

  // every name of LINE takes the fields of web.connection-refused, every one of SUMMARY those of
  // web.connections-refused (the catalogue declares them alike): typed as those, checked by the compiler
  private line(service: RefusingService, fields: FieldsOf<'web.connection-refused'>): void {
    this.logger.emit(LINE[service] as 'web.connection-refused', fields);
  }

  private summary(service: RefusingService, fields: FieldsOf<'web.connections-refused'>): void {
    this.logger.emit(SUMMARY[service] as 'web.connections-refused', fields);
  }

  refused(service: RefusingService, r: Refusal): void {
    const key = `${service}\0${r.listener}\0${r.reason}`;
    const w = this.windows.get(key);
    if (w) {
      w.count++;
      if (w.clients.size < MAX_CLIENTS) w.clients.add(r.ip);
      return;
    }
    this.line(service, { listener: r.listener, ip: r.ip, reason: REASON_TEXT[r.reason], open: r.open });
    this.windows.set(key, { service, listener: r.listener, reason: r.reason, count: 0, clients: new Set() });
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs).unref();
  }

  /** Write the summaries of the interval (those with refusals after the first) and start afresh; also at close. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const seconds = Math.round(this.intervalMs / 1000);
    for (const w of this.windows.values()) {
      if (w.count) this.summary(w.service, { listener: w.listener, reason: REASON_TEXT[w.reason], count: w.count, clients: w.clients.size, seconds });
    }
    this.windows.clear();
  }
}

const perLogger = new WeakMap<Logger, RefusalLog>();

/** The one refusal log of a logger, shared by its listeners (one timer however many listeners refuse). */
export function refusalLog(logger: Logger): RefusalLog {
  let r = perLogger.get(logger);
  if (!r) perLogger.set(logger, (r = new RefusalLog(logger)));
  return r;
}
