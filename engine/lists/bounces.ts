// Bounces to NAME-bounces+TOKEN@: the token (VERP: which member; or which destination domain) is checked
// first, so nobody can make a member bounce by writing to the list, and before the report is parsed, so a
// stranger's forgery costs no MIME parse (a domain token is matched against the list's member domains); then the report is read (mailparser finds the message/delivery-status part,
// dsn-reader.ts reads it; plain-text bounces by bounce-text.ts), logged list-bounce-read. A hard
// failure counts toward the member's score (at most one per [lists] bounce_interval); 5.7.x policy refusals,
// delays and auto-replies never count. At bounce_threshold within bounce_window the member is disabled and
// told; bounce_grace later the housekeeping removes them. With verp = "domain" a copy's bounce address is shared
// by the domain's members, so any of them could forge a report naming another: there a member at the threshold is
// not disabled but sent a probe with their own VERP sender, and only the probe's bounce disables them.
import { simpleParser } from 'mailparser';
import type { ListMember, MailingList } from '../accounts/list-directory.js';
import { classify, readPlainBounce, type BounceVerdict } from './bounce-text.js';
import { sendNotice } from './compose.js';
import { readDeliveryStatus } from './dsn-reader.js';
import { splitMessage, value } from './headers.js';
import { listAddresses } from './names.js';
import { emptyOutcome, merge, note, type ListOutcome, type ListRuntime } from './runtime.js';
import { macMatches, parseBounceToken, verpToken } from './tokens.js';

export interface Evidence {
  /** The failed address the report names, when it names one. */
  address?: string;
  status: string;
  kind: BounceVerdict['kind'];
}

/** Everything a bounce says: one entry per failed (or delayed) recipient, or one for a plain-text bounce. */
export async function readBounce(raw: Buffer): Promise<{ evidence: Evidence[]; dsn: boolean; autoReply: boolean }> {
  const { fields } = splitMessage(raw);
  const autoReply = /^auto-replied/i.test(value(fields, 'Auto-Submitted') ?? '');
  let parsed;
  try {
    parsed = await simpleParser(raw.subarray(0, 2 * 1024 * 1024), { keepDeliveryStatus: true, skipHtmlToText: false, skipImageLinks: true, skipTextLinks: true });
  } catch {
    return { evidence: [], dsn: false, autoReply };
  }
  const part = parsed.attachments.find((a) => /^message\/(global-)?delivery-status$/i.test(a.contentType));
  if (part) {
    const report = readDeliveryStatus(part.content.toString('utf8'));
    const evidence: Evidence[] = [];
    for (const r of report.recipients) {
      if (r.action !== 'failed' && r.action !== 'delayed') continue;
      const status = r.status ?? '';
      evidence.push({ address: r.finalRecipient ?? r.originalRecipient, status, kind: r.action === 'delayed' ? 'soft' : classify(status, r.diagnostic ?? '') });
    }
    return { evidence, dsn: true, autoReply };
  }
  const text = `${parsed.subject ?? ''}\n${parsed.text ?? ''}`;
  const v = readPlainBounce(text);
  const evidence: Evidence[] = v.addresses.length ? v.addresses.map((address) => ({ address, status: v.status, kind: v.kind })) : [{ status: v.status, kind: v.kind }];
  return { evidence, dsn: false, autoReply };
}

export async function handleBounce(rt: ListRuntime, list: MailingList, token: string | undefined, raw: Buffer): Promise<ListOutcome> {
  const out = emptyOutcome();
  const t = token ? parseBounceToken(token) : null;
  if (!t) {
    note(out, 'list-bounce-unmatched', { list: list.address, reason: token ? 'not a token of ours' : 'no token (a bounce of a notice)' });
    return out;
  }
  // the token's signature is checked before the report is read, so a stranger's forgery costs no MIME parse
  if (t.kind === 'member') {
    const m = rt.lists.memberById(t.id);
    if (!m || m.list !== list.address || !macMatches(rt.key, t.mac, 'verp', list.address, String(m.id), m.address)) {
      note(out, 'list-bounce-forged', { list: list.address, token: token ?? null, reason: m ? 'token signature does not match' : 'no such member (removed, or forged)' }, 'warn');
      return out;
    }
    const b = await readReport(out, list, raw);
    if (!b) return out;
    // VERP names the member whatever the report says; a report naming them (or only one address) is preferred
    const own = b.evidence.find((e) => e.address === m.address) ?? (b.evidence.length === 1 ? b.evidence[0] : worst(b.evidence));
    if (!own) {
      note(out, 'list-bounce-ignored', { list: list.address, member: m.address, reason: 'nothing failed in the report' });
      return out;
    }
    // with verp = "domain" the lists send per-member senders only in probes: such a bounce is a probe's
    return merge(out, await count(rt, list, m, own, rt.config.lists.verp === 'domain' ? 'probe' : 'member'));
  }
  // a copy shared by one domain's members: the token signs (list, domain), and the domain is not in it, so it is
  // found among the domains of the list's members (one HMAC per distinct domain) before the report is read: a
  // token that signs none of them is a forgery (or its members are all gone) and costs no MIME parse; then only
  // members of that domain the report names count
  const domain = signedDomain(rt, list, t.mac);
  if (!domain) {
    note(out, 'list-bounce-forged', { list: list.address, token: token ?? null, reason: 'the token signs no domain of the list\'s members' }, 'warn');
    return out;
  }
  const b = await readReport(out, list, raw);
  if (!b) return out;
  let matched = 0;
  for (const e of b.evidence) {
    if (!e.address || e.address.slice(e.address.lastIndexOf('@') + 1).toLowerCase() !== domain) continue;
    const m = rt.lists.member(list.address, e.address);
    if (!m) continue;
    matched++;
    merge(out, await count(rt, list, m, e, 'shared'));
  }
  if (!matched) note(out, 'list-bounce-unmatched', { list: list.address, reason: 'no member of the copy\'s domain named in the report' }, 'warn');
  return out;
}

/** The member domain a group token's signature names, or undefined when it names none of the list's. */
function signedDomain(rt: ListRuntime, list: MailingList, given: string): string | undefined {
  const seen = new Set<string>();
  for (const m of rt.lists.members(list.address)) {
    const d = m.address.slice(m.address.lastIndexOf('@') + 1).toLowerCase();
    if (seen.has(d)) continue;
    seen.add(d);
    if (macMatches(rt.key, given, 'group', list.address, d)) return d;
  }
  return undefined;
}

/** The report of a bounce whose token is genuine (logged as read), or undefined for an auto-reply (logged as ignored). */
async function readReport(out: ListOutcome, list: MailingList, raw: Buffer): Promise<Awaited<ReturnType<typeof readBounce>> | undefined> {
  const b = await readBounce(raw);
  note(out, 'list-bounce-read', { list: list.address, octets: raw.length, dsn: b.dsn });
  if (!b.dsn && b.autoReply) {
    note(out, 'list-bounce-ignored', { list: list.address, reason: 'an auto-reply, not a bounce' });
    return undefined;
  }
  return b;
}

function worst(ev: Evidence[]): Evidence | undefined {
  return ev.find((e) => e.kind === 'hard') ?? ev.find((e) => e.kind === 'policy') ?? ev[0];
}

/**
 * Record one bounce of a member; disable (and tell) them at the threshold. `how` says what proved it came back for
 * them: their own VERP sender ("member"), a copy shared by their domain ("shared": at the threshold a probe goes
 * instead), or the bounce of such a probe ("probe": a hard failure disables them at once).
 */
async function count(rt: ListRuntime, list: MailingList, m: ListMember, e: Evidence, how: 'member' | 'shared' | 'probe'): Promise<ListOutcome> {
  const out = emptyOutcome();
  const c = rt.config.lists;
  const now = rt.now();
  const last = await rt.activity.lastCountedBounce(list.address, m.address);
  const counted = e.kind === 'hard' && (last === undefined || now - last >= c.bounce_interval);
  await rt.activity.recordBounce(list.address, m.address, now, e.status, e.kind, counted);
  const score = await rt.activity.bounceScore(list.address, m.address, now - c.bounce_window);
  note(out, 'list-bounce', { list: list.address, member: m.address, status: e.status || null, kind: e.kind, counted, score, threshold: c.bounce_threshold });
  const due = how === 'probe' ? e.kind === 'hard' && score >= c.bounce_threshold : counted && score >= c.bounce_threshold;
  if (!due || m.disabled) return out;
  if (how === 'shared') return merge(out, await probe(rt, list, m, score));
  rt.lists.setMember(list.address, m.address, { disabled: true, disabledReason: 'bounce', at: now });
  note(out, 'list-member-disabled', { list: list.address, member: m.address, score, remove_after: new Date(now + c.bounce_grace).toISOString() }, 'warn');
  const a = listAddresses(list);
  out.originated.push(
    ...(await sendNotice(rt, list, {
      from: { name: `${list.name} list`, address: a.request },
      to: [m.address],
      subject: `Your membership of ${list.address} is suspended`,
      text: [
        `Mail from ${list.address} to ${m.address} has bounced ${score} times recently (the last: ${e.status || 'no status code'}),`,
        'so the list has stopped sending to it.',
        '',
        `If the address works again, send "subscribe" to ${a.request} and confirm, and delivery resumes.`,
        `Otherwise the membership ends on ${new Date(now + c.bounce_grace).toISOString()}.`,
      ].join('\n'),
      auto: 'auto-generated',
    })),
  );
  return out;
}

/**
 * A message to a member whose shared copies bounced bounce_threshold times, sent with their own VERP sender: a
 * forged report by another member of their domain cannot name that address, so only a real failure disables them.
 */
async function probe(rt: ListRuntime, list: MailingList, m: ListMember, score: number): Promise<ListOutcome> {
  const out = emptyOutcome();
  const a = listAddresses(list);
  note(out, 'list-bounce-probe', { list: list.address, member: m.address, score, reason: 'bounces of a copy shared by the domain: the member is disabled only if this probe bounces' }, 'warn');
  out.originated.push(
    ...(await sendNotice(
      rt,
      list,
      {
        from: { name: `${list.name} list`, address: a.request },
        to: [m.address],
        subject: `Checking your address for ${list.address}`,
        text: [
          `Mail from ${list.address} to ${m.address} was reported as bouncing ${score} times recently.`,
          'This message checks the address. If you are reading it, nothing needs to be done: delivery goes on.',
        ].join('\n'),
        auto: 'auto-generated',
      },
      a.bouncesToken(verpToken(rt.key, list.address, m.id, m.address)),
    )),
  );
  return out;
}

/** Housekeeping: members disabled by bounces for longer than bounce_grace are removed. */
export async function sweepBounced(rt: ListRuntime, now: number): Promise<ListOutcome> {
  const out = emptyOutcome();
  for (const l of rt.lists.lists()) {
    for (const m of rt.lists.members(l.address)) {
      if (!m.disabled || m.disabledReason !== 'bounce' || (m.disabledAt ?? now) + rt.config.lists.bounce_grace > now) continue;
      rt.lists.removeMember(l.address, m.address);
      await rt.activity.clearBounces(l.address, m.address);
      note(out, 'list-member-removed', { list: l.address, member: m.address, reason: 'disabled by bounces past the grace period' });
    }
  }
  return out;
}
