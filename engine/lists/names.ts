// The addresses of a mailing list: NAME@DOMAIN (posts), NAME-request@ (commands, confirmations, approvals:
// NAME-request+TOKEN@), NAME-bounces@ (NAME-bounces+TOKEN@, the VERP senders) and NAME-owner@ (its
// moderators), the List-Id (RFC 2919) and which names a list may take. Pure functions: no I/O.

import type { ListRole } from '../accounts/list-directory.js';

export const ROLE_SUFFIXES: Record<string, ListRole> = { '-request': 'request', '-bounces': 'bounces', '-owner': 'owner' };

/** Names that end like a role address, or that RFC 2142 and mail systems reserve, are no list's name. */
const RESERVED_ENDINGS = ['-request', '-bounces', '-owner', '-confirm', '-admin', '-join', '-leave', '-subscribe', '-unsubscribe'];
const RESERVED = new Set(['postmaster', 'abuse', 'mailer-daemon', 'root', 'hostmaster', 'webmaster', 'noc', 'security']);

/** Longest list name: the role addresses with their tokens stay near RFC 5321's 64-octet local part. */
export const MAX_NAME = 32;

/** `code` and `values` name the refusal for a translated message (the admin pages); `reason` is the English one. */
export type NameCheck = { ok: true; name: string; domain: string } | { ok: false; reason: string; code: string; values: Record<string, string | number> };

/** Check a list address NAME@DOMAIN (the domain's locality is the directory's business). */
export function checkListAddress(address: string): NameCheck {
  const a = address.trim().toLowerCase();
  const m = /^([^@\s]+)@([^@\s]+)$/.exec(a);
  if (!m) return { ok: false, reason: `give the list's full address, NAME@DOMAIN: ${address}`, code: 'not-address', values: { value: address } };
  const [, name, domain] = m;
  if (name.length > MAX_NAME) return { ok: false, reason: `a list name has at most ${MAX_NAME} characters: ${name}`, code: 'list-name-long', values: { max: MAX_NAME } };
  if (!/^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/.test(name) || name.includes('..')) {
    return { ok: false, reason: `a list name may hold only a-z 0-9 . _ - (not at either end): ${name}`, code: 'list-name-chars', values: { name } };
  }
  if (RESERVED.has(name)) return { ok: false, reason: `${name} is reserved for the mail system`, code: 'list-name-reserved', values: { name } };
  const ending = RESERVED_ENDINGS.find((e) => name.endsWith(e));
  if (ending) return { ok: false, reason: `a list name may not end in ${ending} (its own ${ending.slice(1)} address would be ambiguous)`, code: 'list-name-ending', values: { ending } };
  return { ok: true, name, domain };
}

/** The list name and role a local part stands for, if it has the shape of one (the list may not exist). */
export function splitListLocal(local: string): { name: string; role: ListRole; token?: string } | null {
  const l = local.toLowerCase();
  const plus = l.indexOf('+');
  const base = plus < 0 ? l : l.slice(0, plus);
  const token = plus < 0 ? undefined : l.slice(plus + 1);
  for (const [suffix, role] of Object.entries(ROLE_SUFFIXES)) {
    if (base.endsWith(suffix) && base.length > suffix.length) {
      // only the request and bounce addresses carry a token
      if (token !== undefined && role === 'owner') return null;
      if (token !== undefined && !/^[a-z0-9-]{1,80}$/.test(token)) return null;
      return { name: base.slice(0, -suffix.length), role, token };
    }
  }
  if (token !== undefined) return null;
  return { name: base, role: 'post' };
}

export function listAddresses(list: { name: string; domain: string }) {
  const at = `@${list.domain}`;
  return {
    post: `${list.name}${at}`,
    request: `${list.name}-request${at}`,
    bounces: `${list.name}-bounces${at}`,
    owner: `${list.name}-owner${at}`,
    /** NAME-request+TOKEN@DOMAIN / NAME-bounces+TOKEN@DOMAIN */
    requestToken: (token: string) => `${list.name}-request+${token}${at}`,
    bouncesToken: (token: string) => `${list.name}-bounces+${token}${at}`,
  };
}

/** RFC 2919 list identifier: the list address with '@' turned into '.' (a dot-atom under the list's domain). */
export function listId(list: { name: string; domain: string }): string {
  return `${list.name}.${list.domain}`;
}
