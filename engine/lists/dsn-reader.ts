// Our RFC 3464 reader: the fields of a message/delivery-status part (and RFC 6533's
// message/global-delivery-status) as per-message fields and one group per recipient: Final-Recipient,
// Original-Recipient, Action, Status, Diagnostic-Code, Remote-MTA. mailparser finds the part (bounces.ts);
// this reads its text. Bounded (64 KiB of text, 1000 recipients); anything it cannot read is left out.

export interface DsnRecipientReport {
  finalRecipient?: string;
  originalRecipient?: string;
  /** failed | delayed | delivered | relayed | expanded (lower case). */
  action?: string;
  /** The enhanced status code, e.g. "5.1.1". */
  status?: string;
  diagnostic?: string;
  remoteMta?: string;
}

export interface DsnReport {
  reportingMta?: string;
  recipients: DsnRecipientReport[];
}

const MAX_TEXT = 64 * 1024;
const MAX_RECIPIENTS = 1000;

/** Field groups separated by blank lines, folded lines joined; names lower-cased. */
function groups(text: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  let cur = new Map<string, string>();
  let last: string | null = null;
  for (const line of text.slice(0, MAX_TEXT).split(/\r?\n/)) {
    if (line.trim() === '') {
      if (cur.size) out.push(cur);
      cur = new Map();
      last = null;
      continue;
    }
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      cur.set(last, `${cur.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[a-z0-9-]{1,64}$/.test(name)) continue;
    // the first occurrence of a field counts
    if (!cur.has(name)) cur.set(name, line.slice(colon + 1).trim());
    last = name;
  }
  if (cur.size) out.push(cur);
  return out;
}

/** "rfc822; user@example.org" (or "utf-8; …", or a bare address) → the address, lower case. */
export function typedAddress(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const semi = v.indexOf(';');
  const a = (semi >= 0 ? v.slice(semi + 1) : v).trim().replace(/^<|>$/g, '');
  return /^[^@\s<>]{1,64}@[^@\s<>]{1,255}$/.test(a) ? a.toLowerCase() : undefined;
}

export function readDeliveryStatus(text: string): DsnReport {
  const gs = groups(text);
  const report: DsnReport = { recipients: [] };
  if (!gs.length) return report;
  // the first group is per-message unless it already names a recipient
  let i = 0;
  if (!gs[0].has('final-recipient') && !gs[0].has('original-recipient')) {
    report.reportingMta = gs[0].get('reporting-mta')?.replace(/^[^;]*;\s*/, '');
    i = 1;
  }
  for (; i < gs.length && report.recipients.length < MAX_RECIPIENTS; i++) {
    const g = gs[i];
    const status = /^\s*([245]\.\d{1,3}\.\d{1,3})\b/.exec(g.get('status') ?? '')?.[1];
    report.recipients.push({
      finalRecipient: typedAddress(g.get('final-recipient')),
      originalRecipient: typedAddress(g.get('original-recipient')),
      action: g.get('action')?.toLowerCase().split(/[\s(]/)[0],
      status,
      diagnostic: g.get('diagnostic-code')?.replace(/^[^;]*;\s*/, '').slice(0, 1000),
      remoteMta: g.get('remote-mta')?.replace(/^[^;]*;\s*/, ''),
    });
  }
  return report;
}
