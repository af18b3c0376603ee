// The account's VacationResponse (RFC 8621 §8): the user's one vacation in the rules store (engine/rules), the
// same record `tegami vacation` and the webmail edit and delivery answers from, and its JMAP state counter. It
// never sends anything itself.
import type { Db } from '../db/database.js';
import { utcDate } from './args.js';
import type { JmapObjects } from './object-store.js';
import { SqliteRulesStore } from '../rules/sqlite-store.js';
import { htmlToReadableText } from '../mime/html-text.js';
import type { VacationResponse } from '../rules/vacation-settings.js';

export type { VacationResponse };

export const VACATION_OFF: VacationResponse = { id: 'singleton', isEnabled: false, fromDate: null, toDate: null, subject: null, textBody: null, htmlBody: null };

export class VacationStore {
  private readonly rules: SqliteRulesStore;

  constructor(
    db: Db,
    private readonly objects: JmapObjects,
    private readonly now: () => number,
  ) {
    this.rules = new SqliteRulesStore(db);
  }

  get(address: string): VacationResponse {
    const r = this.rules.getVacation(address.toLowerCase());
    if (!r) return { ...VACATION_OFF };
    return {
      id: 'singleton',
      isEnabled: r.enabled,
      fromDate: r.from === null ? null : utcDate(r.from),
      toDate: r.until === null ? null : utcDate(r.until),
      subject: r.subject,
      textBody: r.text === '' && r.html !== null ? null : r.text,
      htmlBody: r.html,
    };
  }

  /** Written into the vacation delivery reads (engine/rules); what JMAP does not name (days, addresses, sender) is kept. */
  async set(address: string, v: VacationResponse): Promise<void> {
    const a = address.toLowerCase();
    const old = this.rules.getVacation(a);
    const text = v.textBody ?? (v.htmlBody !== null ? htmlToReadableText(v.htmlBody) : '');
    await this.objects.bump(a, 'VacationResponse');
    this.rules.setVacation(a, {
      enabled: v.isEnabled,
      subject: v.subject,
      text,
      html: v.htmlBody,
      from: v.fromDate ? Date.parse(v.fromDate) : null,
      until: v.toDate ? Date.parse(v.toDate) : null,
      days: old?.days ?? null,
      addresses: old?.addresses ?? [],
      sender: old?.sender ?? null,
    });
  }

  async state(address: string): Promise<number> {
    return await this.objects.state(address.toLowerCase(), 'VacationResponse');
  }
}
