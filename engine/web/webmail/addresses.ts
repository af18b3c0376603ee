// Address fields as users type them in the compose form ("山田 <a@example.jp>, b@example.jp") turned into JMAP
// EmailAddress objects, or the first item that is not an address. Linear: each item is bounded and matched by
// anchored patterns without nested repetition.
import type { Address } from './mail-api.js';

export const MAX_RECIPIENTS_FIELD = 100;
const ADDR = /^[^\s<>@",;()\\]{1,64}@[A-Za-z0-9.-]{1,253}$/;
const NAMED = /^(?:"([^"]{0,200})"|([^"<>]{0,200}))\s*<([^<>\s]{3,320})>$/;

/** Split on commas (and semicolons) outside double quotes. */
function split(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const c of s) {
    if (c === '"') quoted = !quoted;
    if (!quoted && (c === ',' || c === ';')) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter(Boolean);
}

export function parseAddresses(text: string): { ok: true; list: Address[] } | { ok: false; bad: string } {
  if (text.length > 20_000) return { ok: false, bad: text.slice(0, 40) };
  const items = split(text);
  if (items.length > MAX_RECIPIENTS_FIELD) return { ok: false, bad: items[MAX_RECIPIENTS_FIELD] };
  const list: Address[] = [];
  for (const item of items) {
    if (item.length > 600) return { ok: false, bad: item.slice(0, 40) };
    if (ADDR.test(item)) {
      list.push({ name: null, email: item });
      continue;
    }
    const m = NAMED.exec(item);
    if (!m || !ADDR.test(m[3])) return { ok: false, bad: item };
    list.push({ name: (m[1] ?? m[2] ?? '').trim() || null, email: m[3] });
  }
  return { ok: true, list };
}
