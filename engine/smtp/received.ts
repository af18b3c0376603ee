// The trace headers a receiving MTA adds (RFC 5321 §4.4): Return-Path at delivery, Received at each hop.
import type { Envelope } from '../spool/envelope.js';
import type { SmtpSession } from './protocol/types.js';

export function rfc5322Date(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const hh = String(Math.floor(Math.abs(off) / 60)).padStart(2, '0');
  const mm = String(Math.abs(off) % 60).padStart(2, '0');
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getDay()]}, ${d.getDate()} ${months[d.getMonth()]} ${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${sign}${hh}${mm}`;
}

/** Strip anything that could break a header line (CR, LF, other controls) from client-supplied text. */
function clean(s: string): string {
  return s.replace(/[\x00-\x1f\x7f()]/g, '').slice(0, 255);
}

export function receivedHeader(env: Envelope, hostname: string, forRcpt?: string): string {
  const c = env.client;
  const ip = c.ip.includes(':') && !c.ip.startsWith('::ffff:') ? `IPv6:${c.ip}` : c.ip.replace(/^::ffff:/, '');
  const from = `from ${clean(c.helo) || 'unknown'} (${c.ptr ? clean(c.ptr) + ' ' : ''}[${ip}])`;
  const tls = c.tls ? `\r\n\t(using ${clean(c.tls)})` : '';
  const auth = c.user ? `\r\n\t(authenticated as ${clean(c.user)})` : '';
  const rcpt = forRcpt ? `\r\n\tfor <${clean(forRcpt)}>` : '';
  // a message that came in on a per-IP virtual host is received "by" that host's name
  return `Received: ${from}\r\n\tby ${c.host ? clean(c.host) : hostname} (tegami) with ${c.protocol} id ${env.id}${tls}${auth}${rcpt};\r\n\t${rfc5322Date(new Date(env.time))}\r\n`;
}

export function returnPathHeader(mailFrom: string): string {
  return `Return-Path: <${clean(mailFrom)}>\r\n`;
}

/** The Received: line's "with" word (RFC 3848): SMTP after HELO, else ESMTP, S for TLS, A for a login. */
export function protocolName(session: SmtpSession, authed: boolean): string {
  const esmtp = session.openingCommand !== 'HELO';
  if (!esmtp) return 'SMTP';
  return `ESMTP${session.secure ? 'S' : ''}${authed ? 'A' : ''}`;
}

/** The Received: line's "(using …)" text: the TLS version and cipher of the session. */
export function tlsDescription(session: SmtpSession): string {
  const t = session.tlsOptions;
  return t ? `${t.version ?? 'TLS'} with cipher ${t.standardName ?? t.name ?? 'unknown'}` : 'TLS';
}
