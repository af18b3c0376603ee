// MAIL FROM / RCPT TO: the path and its ESMTP parameters (RFC 5321 §4.1.2, 1870 SIZE, 6152 BODY, 6531 SMTPUTF8,
// 3461 DSN), parsed and checked as clients have always had them checked here; the policy reads the result.
import net from 'node:net';
import { domainToUnicode } from 'node:url';

/** A parsed MAIL FROM or RCPT TO: the address (the null sender is ''), the parameters (false: none). */
export interface SmtpAddress {
  address: string;
  args: Record<string, string | true> | false;
  /** RCPT's DSN parameters (RFC 3461). */
  dsn?: { notify?: string[]; orcpt?: string };
}

 
const CONTROL = /[\x00-\x1F\x7F-\x9F]/;
 
const UNSAFE = /[\x00-\x1F\x7F-\x9F\u200B\u2060\uFEFF]/;
const XTEXT = /\+([0-9A-F]{2})/g;
const DOMAIN_CHARS = /^[a-zA-Z0-9\u0080-\uFFFF.-]+$/;

export type Parsed = { ok: true; value: SmtpAddress; duplicate?: string } | { ok: false };

/** `MAIL FROM:<a@b> SIZE=10` after the verb is checked to be `name` ('MAIL FROM' or 'RCPT TO'). */
export function parseAddressCommand(name: 'MAIL FROM' | 'RCPT TO', line: string): Parsed {
  const colon = line.indexOf(':');
  if (colon < 0 || line.slice(0, colon).trim().toUpperCase() !== name) return { ok: false };
  const parts = line.slice(colon + 1).trim().split(/\s+/);
  let address = parts.shift() ?? '';
  let invalid = false;
  let duplicate: string | undefined;
  if (!/^<[^<>]*>$/.test(address)) invalid = true;
  else address = address.slice(1, -1).replace(/^@[^\s,:@]+(?:,@[^\s,:@]+)*:/, ''); // a source route is ignored
  let args: Record<string, string | true> | false = false;
  for (const param of parts) {
    const eq = param.indexOf('=');
    const key = (eq < 0 ? param : param.slice(0, eq)).toUpperCase();
    if (!key.trim()) continue;
    let value: string | true = eq < 0 ? true : param.slice(eq + 1) || true;
    if (typeof value === 'string') {
      value = value.replace(XTEXT, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      if (CONTROL.test(value)) {
        invalid = true;
        continue;
      }
    }
    args ||= {};
    if (key in args) duplicate = key;
    args[key] = value;
  }
  if (address && UNSAFE.test(address)) invalid = true;
  else if (address && !(name === 'RCPT TO' && address.toLowerCase() === 'postmaster')) {
    const checked = checkMailbox(address);
    if (checked === null) invalid = true;
    else address = checked;
  }
  if (invalid) return { ok: false };
  return { ok: true, value: { address, args }, duplicate };
}

/** local@domain checked (dots, length, domain or address literal), the domain as Unicode; null if malformed. */
function checkMailbox(address: string): string | null {
  const at = address.split('@');
  if (at.length !== 2 || !at[0] || !at[1]) return null;
  const [local] = at;
  let domain = at[1];
  if (local.length + 1 + domain.length > 253) return null;
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return null;
  if (domain.startsWith('[') && domain.endsWith(']')) {
    const inner = domain.slice(1, -1);
    if (/^ipv6:/i.test(inner)) {
      const v6 = inner.slice(5);
      if (!net.isIPv6(v6)) return null;
      domain = `[IPv6:${normalizeV6(v6)}]`;
    } else if (!net.isIPv4(inner)) return null;
    return `${local}@${domain}`;
  }
  if (domain.startsWith('.') || domain.endsWith('.') || domain.includes('..') || domain.includes('.-') || domain.includes('-.') || !DOMAIN_CHARS.test(domain)) return null;
  if (/(^|\.)xn--/i.test(domain)) {
    const u = domainToUnicode(domain);
    if (!u) return null;
    domain = u;
  }
  return `${local}@${domain}`;
}

function normalizeV6(a: string): string {
  try {
    return new URL(`http://[${a}]/`).hostname.slice(1, -1);
  } catch {
    return a;
  }
}

/** Parameters that take a value (RFC 1870, 6152, 3461). */
const MAIL_VALUE = ['BODY', 'SIZE', 'RET', 'ENVID'];
const RCPT_VALUE = ['NOTIFY', 'ORCPT'];

export interface ParamError {
  code: number;
  text: string;
  enhanced?: string;
}

/** A duplicate parameter, or one that needs a value and has none (checked before the command's state). */
export function paramSyntaxError(p: Extract<Parsed, { ok: true }>, verb: 'MAIL' | 'RCPT'): ParamError | null {
  const keys = verb === 'MAIL' ? MAIL_VALUE : RCPT_VALUE;
  if (p.duplicate) return { code: 501, text: `Error: duplicate ${p.duplicate} parameter` };
  const args = p.value.args;
  const valueless = args && keys.find((k) => args[k] !== undefined && (typeof args[k] !== 'string' || !args[k]));
  return valueless ? { code: 501, text: `Error: ${valueless} parameter requires a value` } : null;
}

/** MAIL's parameters checked against the size limit and the extensions offered. */
export function mailParamsError(p: Extract<Parsed, { ok: true }>, sizeLimit: number): ParamError | null {
  const args = p.value.args || {};
  const size = args.SIZE as string | undefined;
  if (size) {
    if (!/^\d{1,20}$/.test(size)) return { code: 501, text: 'Error: Bad message size syntax' };
    if (sizeLimit && Number(size) > sizeLimit) return { code: 552, text: `Error: message exceeds fixed maximum message size ${sizeLimit}`, enhanced: '5.3.4' };
  }
  const body = args.BODY as string | undefined;
  if (body && body.toLowerCase() !== '7bit' && body.toLowerCase() !== '8bitmime') return { code: 501, text: 'Invalid BODY parameter value. Must be 7BIT or 8BITMIME' };
  if (args.SMTPUTF8 !== undefined && args.SMTPUTF8 !== true) return { code: 501, text: 'Invalid SMTPUTF8 parameter. This flag does not accept a value' };
  const ret = args.RET as string | undefined;
  if (ret && ret.toUpperCase() !== 'FULL' && ret.toUpperCase() !== 'HDRS') return { code: 501, text: 'Invalid RET parameter value. Must be FULL or HDRS' };
  return null;
}

/** RCPT's parameters checked, its DSN request (NOTIFY, ORCPT) set on the address. */
export function rcptParamsError(p: Extract<Parsed, { ok: true }>): ParamError | null {
  const args = p.value.args || {};
  const notify = args.NOTIFY as string | undefined;
  if (notify) {
    const values = notify.toUpperCase().split(',');
    if (values.some((v) => v !== 'NEVER' && v !== 'SUCCESS' && v !== 'FAILURE' && v !== 'DELAY')) return { code: 501, text: 'Error: NOTIFY parameter must be NEVER, SUCCESS, FAILURE, or DELAY' };
    if (values.includes('NEVER') && values.length > 1) return { code: 501, text: 'Error: NOTIFY=NEVER cannot be combined with other values' };
    (p.value.dsn ??= {}).notify = values;
  }
  const orcpt = args.ORCPT as string | undefined;
  if (orcpt) {
    if (!/^[a-z0-9!#$%&'*+/=?^_`{|}~-]+;./i.test(orcpt)) return { code: 501, text: 'Error: Bad ORCPT parameter syntax' };
    (p.value.dsn ??= {}).orcpt = orcpt;
  }
  return null;
}
