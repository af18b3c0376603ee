// The audit trail of the web servers: one line per admin action, login, logout and refusal (who, what,
// from where, result) in <data_dir>/logs/admin-YYYYMMDD.log (webmail: web-YYYYMMDD.log), through the
// project Logger's batched, non-blocking file writer. Never pass a password, session id or token here.
import { Logger } from '../log/logger.js';

export type AuditResult = 'ok' | 'denied' | 'failed' | 'error';

export interface AuditEntry {
  /** The account acting, or "-" before login. */
  who: string;
  /** What was asked: "login", "logout", "csrf", or "METHOD /route". */
  action: string;
  ip: string;
  result: AuditResult;
  status?: number;
  detail?: Record<string, string | number | boolean | undefined>;
}

export interface Audit {
  write(e: AuditEntry): void;
  close(): Promise<void>;
}

/** Control characters and overlong values are made harmless before they reach a log line. */
function clean(v: string): string {
  const s = v.length > 200 ? `${v.slice(0, 200)}…` : v;
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export class AuditLog implements Audit {
  private constructor(
    private readonly logger: Logger,
    private readonly service: 'admin' | 'web',
    private readonly owned: boolean,
  ) {}

  /** The admin trail, <logsDir>/admin-YYYYMMDD.log, through its own Logger at the lowest level, so it is
   *  written whatever [log] level the server runs at. */
  static admin(logsDir: string): AuditLog {
    return new AuditLog(new Logger({ dir: logsDir, stdout: false, level: 'debug' }), 'admin', true);
  }

  /** The webmail's refusals, logins and logouts, as "web" events of the server's own logger. */
  static web(logger: Logger): AuditLog {
    return new AuditLog(logger, 'web', false);
  }

  write(e: AuditEntry): void {
    const fields: Record<string, string | number | boolean | undefined> = {
      who: clean(e.who || '-'),
      action: clean(e.action),
      ip: clean(e.ip),
      result: e.result,
      status: e.status,
    };
    for (const [k, v] of Object.entries(e.detail ?? {})) if (!(k in fields)) fields[k] = typeof v === 'string' ? clean(v) : v;
    this.logger.log(this.service, `${this.service}.${e.result === 'ok' ? 'action' : e.result}`, fields, e.result === 'ok' ? 'info' : 'warn');
  }

  close(): Promise<void> {
    return this.owned ? this.logger.close() : Promise.resolve();
  }
}
