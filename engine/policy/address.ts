// Envelope address parsing for policy: split local part and domain, normalise case and
// spot the routing tricks (percent hack, bang path, quoted "@", IP literal) that relay abusers use.
// The SMTP session layer (engine/smtp/protocol/address.ts) has already stripped source routes (RFC 5321 §4.1.1.3) and refused gross syntax errors.

export interface ParsedAddress {
  /** As given (after source-route stripping). */
  raw: string;
  local: string;
  /** Lower-cased domain, without a trailing dot; '' for the bare "postmaster". */
  domain: string;
  /** local@domain with the domain lower-cased and the local part lower-cased (our mailboxes are case-insensitive). */
  normalized: string;
  /** The local part asks for further routing: %, !, or a quoted @. */
  routing: boolean;
  /** The domain is an address literal such as [192.0.2.1]. */
  ipLiteral: boolean;
}

export type AddressResult = { ok: true; value: ParsedAddress } | { ok: false; reason: string };

export function parseAddress(input: string): AddressResult {
  let raw = input.trim();
  if (raw.startsWith('<') && raw.endsWith('>')) raw = raw.slice(1, -1);
  // a source route that reached us anyway: "@a,@b:user@c" → judge "user@c"
  raw = raw.replace(/^@[^:,@\s]+(?:,@[^:,@\s]+)*:/, '');
  if (raw === '') return { ok: false, reason: 'empty address' };
  if (/[\x00-\x20\x7f]/.test(raw.replace(/"[^"]*"/g, '""'))) return { ok: false, reason: 'control character or space' };
  if (raw.toLowerCase() === 'postmaster') {
    return { ok: true, value: { raw, local: 'postmaster', domain: '', normalized: 'postmaster', routing: false, ipLiteral: false } };
  }
  const at = raw.lastIndexOf('@');
  if (at <= 0 || at === raw.length - 1) return { ok: false, reason: 'missing local part or domain' };
  const local = raw.slice(0, at);
  let domain = raw.slice(at + 1).toLowerCase();
  if (domain.endsWith('.')) domain = domain.slice(0, -1);
  const ipLiteral = domain.startsWith('[') && domain.endsWith(']');
  if (!ipLiteral && !/^[a-z0-9\u0080-\uffff]([a-z0-9\u0080-\uffff-]*[a-z0-9\u0080-\uffff])?(\.[a-z0-9\u0080-\uffff]([a-z0-9\u0080-\uffff-]*[a-z0-9\u0080-\uffff])?)*$/.test(domain)) {
    return { ok: false, reason: 'bad domain' };
  }
  const unquoted = local.startsWith('"') && local.endsWith('"') ? local.slice(1, -1) : local;
  const routing = /[%!@]/.test(unquoted) || local.includes('"');
  return {
    ok: true,
    value: { raw, local, domain, normalized: `${unquoted.toLowerCase()}@${domain}`, routing, ipLiteral },
  };
}
