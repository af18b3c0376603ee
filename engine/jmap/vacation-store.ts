// The account's VacationResponse (RFC 8621 §8) in the main database's vacation_responses table, one row per
// address, and its state counter. The Sieve integration reads the same row (vacationSieve turns it into the
// user's vacation script). It never sends anything itself.
import type { Db } from '../db/database.js';
import { utcDate } from './args.js';
import type { ObjectStore } from './object-store.js';

export interface VacationResponse {
  id: 'singleton';
  isEnabled: boolean;
  fromDate: string | null;
  toDate: string | null;
  subject: string | null;
  textBody: string | null;
  htmlBody: string | null;
}

interface Row {
  enabled: number;
  from_date: number | null;
  to_date: number | null;
  subject: string | null;
  text_body: string | null;
  html_body: string | null;
}

export const VACATION_OFF: VacationResponse = { id: 'singleton', isEnabled: false, fromDate: null, toDate: null, subject: null, textBody: null, htmlBody: null };

export class VacationStore {
  private q;

  constructor(
    private readonly db: Db,
    private readonly objects: ObjectStore,
    private readonly now: () => number,
  ) {
    this.q = {
      get: db.prepare<[string], Row>('SELECT enabled, from_date, to_date, subject, text_body, html_body FROM vacation_responses WHERE address = ?'),
      put: db.prepare(
        `INSERT INTO vacation_responses (address, enabled, from_date, to_date, subject, text_body, html_body, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (address) DO UPDATE SET enabled = excluded.enabled, from_date = excluded.from_date, to_date = excluded.to_date,
           subject = excluded.subject, text_body = excluded.text_body, html_body = excluded.html_body, updated = excluded.updated`,
      ),
    };
  }

  get(address: string): VacationResponse {
    const r = this.q.get.get(address.toLowerCase());
    if (!r) return { ...VACATION_OFF };
    return {
      id: 'singleton',
      isEnabled: r.enabled === 1,
      fromDate: r.from_date === null ? null : utcDate(r.from_date),
      toDate: r.to_date === null ? null : utcDate(r.to_date),
      subject: r.subject,
      textBody: r.text_body,
      htmlBody: r.html_body,
    };
  }

  set(address: string, v: VacationResponse): void {
    const a = address.toLowerCase();
    this.db.transaction(() => {
      this.q.put.run(a, v.isEnabled ? 1 : 0, v.fromDate ? Date.parse(v.fromDate) : null, v.toDate ? Date.parse(v.toDate) : null, v.subject, v.textBody, v.htmlBody, this.now());
      this.objects.bump(a, 'VacationResponse');
    })();
  }

  state(address: string): number {
    return this.objects.state(address.toLowerCase(), 'VacationResponse');
  }
}
