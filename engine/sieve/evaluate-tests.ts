// Evaluates the tests of a validated script against a message: header and address tests on decoded Unicode,
// envelope, exists, size, body (raw, content types, text), date/currentdate, string, hasflag, mailboxexists
// and spamtest. Pure apart from the environment's callbacks; every comparison is charged to the match budget.
import { parseAddressList } from '../imap/mime/envelope.js';
import type { AddressPart, MatchSpec, Str, Test } from './ir.js';
import { matchAny, type MatchBudget } from './match.js';
import { CACHE_MAX_VALUE, decodedValue, type SieveHeader, type SieveMessage } from './message.js';
import { htmlToText } from '../mime/html-text.js';
import { expand, lookup, type VariableStore } from './variables.js';
import { parseZone } from '../mime/date-time.js';
import { datePart, fieldDateTime } from './date.js';
import type { SieveEnv } from './types.js';

export interface TestContext {
  msg: SieveMessage;
  headers: SieveHeader[];
  env: SieveEnv;
  budget: MatchBudget;
  vars: VariableStore;
  /** The internal flags variable of imap4flags. */
  flags: string[];
  now: Date;
  /** Local zone, minutes east of UTC. */
  zone: number;
}

export function ex(ctx: TestContext, s: Str): string {
  return s.vars ? expand(ctx.vars, s.value) : s.value;
}

const exAll = (ctx: TestContext, l: Str[]) => l.map((s) => ex(ctx, s));

function match(ctx: TestContext, values: string[], keys: Str[], m: MatchSpec): boolean {
  const r = matchAny(values, exAll(ctx, keys), m, ctx.budget);
  if (r.ok && r.captures) ctx.vars.match = r.captures.slice(0, 10);
  return r.ok;
}

export function headerValues(ctx: TestContext, names: string[]): string[] {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  return ctx.headers.filter((h) => wanted.has(h.name)).map((h) => decodedValue(h.value));
}

function toUtf8(s: string): string {
  return /[\x80-\xff]/.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s;
}

/** Address parts of each address in a header value list (groups and empty entries skipped). */
const addressCache = new Map<string, ReturnType<typeof parseAddressList>>();

function addressesOf(raw: string): ReturnType<typeof parseAddressList> {
  if (raw.length > CACHE_MAX_VALUE) return parseAddressList(raw);
  let list = addressCache.get(raw);
  if (!list) {
    list = parseAddressList(raw);
    if (addressCache.size > 2000) addressCache.clear();
    addressCache.set(raw, list);
  }
  return list;
}

export function addressParts(raws: string[], part: AddressPart): string[] {
  const out: string[] = [];
  for (const raw of raws) {
    for (const a of addressesOf(raw)) {
      if (a.host === null || a.mailbox === null) continue;
      const local = toUtf8(a.mailbox);
      const domain = a.host === 'MISSING_DOMAIN' ? '' : toUtf8(a.host);
      const v = partOf(local, domain, part);
      if (v !== null) out.push(v);
    }
  }
  return out;
}

function partOf(local: string, domain: string, part: AddressPart): string | null {
  switch (part) {
    case 'all':
      return domain ? `${local}@${domain}` : local;
    case 'localpart':
      return local;
    case 'domain':
      return domain;
    case 'user': {
      const i = local.indexOf('+');
      return i < 0 ? local : local.slice(0, i);
    }
    case 'detail': {
      const i = local.indexOf('+');
      return i < 0 ? null : local.slice(i + 1);
    }
  }
}

function envelopeParts(ctx: TestContext, which: string, part: AddressPart): string[] {
  const env = ctx.msg.envelope;
  const addr = which === 'from' ? env.from : which === 'to' ? env.to : which === 'auth' ? (env.auth ?? null) : null;
  if (addr === null) return [];
  if (addr === '') return part === 'all' ? [''] : [];
  const at = addr.lastIndexOf('@');
  const v = partOf(at < 0 ? addr : addr.slice(0, at), at < 0 ? '' : addr.slice(at + 1), part);
  return v === null ? [] : [v];
}

function splitFlags(list: string[]): string[] {
  return list.flatMap((f) => f.split(' ')).filter(Boolean);
}

/** RFC 5235 spamtest from our own summary header: score=S threshold=T; T×2 (or 10) is "certainly spam". */
export function spamValue(headers: SieveHeader[], percent: boolean, given?: { score: number; threshold: number } | null): string {
  let score: number;
  let threshold: number | null = null;
  if (given !== undefined) {
    if (given === null) return '0';
    score = given.score;
    threshold = given.threshold;
  } else {
    const h = headers.find((x) => x.name === 'x-imail-spam' || x.name === 'x-tegami-spam-status');
    const m = h && /(?:^|\s)score=(-?\d+(?:\.\d+)?)/.exec(h.value);
    if (!m) return '0';
    score = Number(m[1]);
    const t = /(?:^|\s)threshold=(\d+(?:\.\d+)?)/.exec(h!.value);
    threshold = t ? Number(t[1]) : null;
  }
  const max = threshold && threshold > 0 ? threshold * 2 : 10;
  if (percent) return String(score <= 0 ? 0 : score >= max ? 100 : Math.floor((score / max) * 100 + 1e-9));
  return String(score <= 0 ? 1 : score >= max ? 10 : 1 + Math.floor((score / max) * 9 + 1e-9));
}

export function evalTest(ctx: TestContext, t: Test): boolean {
  switch (t.t) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'not':
      return !evalTest(ctx, t.test);
    case 'allof':
      return t.tests.every((x) => evalTest(ctx, x));
    case 'anyof':
      return t.tests.some((x) => evalTest(ctx, x));
    case 'header':
      return match(ctx, headerValues(ctx, exAll(ctx, t.headers)), t.keys, t.m);
    case 'address': {
      const wanted = new Set(exAll(ctx, t.headers).map((n) => n.toLowerCase()));
      const raws = ctx.headers.filter((h) => wanted.has(h.name)).map((h) => h.value);
      return match(ctx, addressParts(raws, t.part), t.keys, t.m);
    }
    case 'envelope':
      return match(ctx, exAll(ctx, t.parts).flatMap((p) => envelopeParts(ctx, p.toLowerCase(), t.part)), t.keys, t.m);
    case 'exists': {
      const names = exAll(ctx, t.headers).map((n) => n.toLowerCase());
      return names.every((n) => ctx.headers.some((h) => h.name === n));
    }
    case 'size':
      return t.over ? ctx.msg.size > t.limit : ctx.msg.size < t.limit;
    case 'body': {
      let values: string[];
      if (t.transform.kind === 'raw') values = [ctx.msg.rawBody()];
      else {
        const parts = ctx.msg.bodyParts();
        if (t.transform.kind === 'text') values = parts.filter((p) => p.type.startsWith('text/')).map((p) => (p.type === 'text/html' ? htmlToText(p.text()) : p.text()));
        else {
          const types = exAll(ctx, t.transform.types).map((x) => x.toLowerCase());
          values = parts.filter((p) => types.some((ty) => ty === '' || ty === p.type || (!ty.includes('/') && p.type.startsWith(ty + '/')))).map((p) => p.text());
        }
      }
      return match(ctx, values, t.keys, t.m);
    }
    case 'date':
    case 'currentdate': {
      let when;
      if (t.t === 'date') {
        const v = headerValues(ctx, [ex(ctx, t.header)])[0];
        when = v === undefined ? null : fieldDateTime(v);
        if (!when) return false;
      } else when = { ms: ctx.now.getTime(), zone: ctx.zone };
      let zone = ctx.zone;
      if (t.zone.kind === 'original') zone = when.zone;
      else if (t.zone.kind === 'zone') {
        const z = parseZone(ex(ctx, t.zone.zone));
        if (z === null) return false;
        zone = z;
      }
      const v = datePart(when, zone, ex(ctx, t.part));
      return v !== null && match(ctx, [v], t.keys, t.m);
    }
    case 'string': {
      const values = exAll(ctx, t.sources);
      return match(ctx, t.m.match.kind === 'count' ? values.filter((v) => v !== '') : values, t.keys, t.m);
    }
    case 'hasflag': {
      const values = t.variables ? splitFlags(exAll(ctx, t.variables).map((n) => lookup(ctx.vars, n))) : ctx.flags;
      const keys = splitFlags(exAll(ctx, t.keys)).map((k) => ({ value: k, vars: false }));
      return match(ctx, values, keys, t.m);
    }
    case 'mailboxexists': {
      const exists = ctx.env.mailboxExists ?? ((n: string) => n.toUpperCase() === 'INBOX');
      return exAll(ctx, t.names).every((n) => exists(n));
    }
    case 'spamtest':
      return match(ctx, [spamValue(ctx.headers, t.percent, ctx.env.spam)], t.keys, t.m);
  }
}
