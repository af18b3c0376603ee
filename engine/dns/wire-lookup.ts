// One question asked on the wire for the resolver's cache (engine/dns/cache.ts), through our DNS client
// (engine/spam/dns-query.ts: random ids and ports, TCP on truncation), so each answer comes with its TTL and each
// NXDOMAIN/NODATA with its SOA. Records come back in the shapes node's dns.promises.Resolver gives, errors as its codes.
// It never throws for a dead or lying server: every outcome is a FreshAnswer.
import { queryDns, parseServer, type DnsOutcome, type QueryType } from '../spam/dns-query.js';
import { FAILURE_TTL_S, type DnsAnswer, type FreshAnswer } from './cache.js';

export const CACHED_TYPES: ReadonlySet<string> = new Set<QueryType>(['A', 'AAAA', 'TXT', 'MX', 'PTR', 'CNAME', 'NS', 'SRV']);

/** dns-packet's decoded record data → node's record shape for that type. */
function nodeShape(type: string, raw: unknown): unknown {
  switch (type) {
    case 'MX': {
      const m = raw as { preference?: number; exchange?: string };
      return { exchange: String(m.exchange ?? ''), priority: Number(m.preference ?? 0) };
    }
    case 'TXT': {
      // node gives each TXT record as its character-strings, read as latin1 (one byte, one char)
      const parts = Array.isArray(raw) ? raw : [raw];
      return parts.map((b) => (Buffer.isBuffer(b) ? b.toString('latin1') : String(b)));
    }
    case 'SRV': {
      const s = raw as { priority?: number; weight?: number; port?: number; target?: string };
      return { name: String(s.target ?? ''), port: Number(s.port ?? 0), priority: Number(s.priority ?? 0), weight: Number(s.weight ?? 0) };
    }
    default:
      return String(raw);
  }
}

const RCODE_ERROR: Record<string, string> = { SERVFAIL: 'ESERVFAIL', REFUSED: 'EREFUSED', NOTIMP: 'ENOTIMP', FORMERR: 'EFORMERR' };
const TRANSPORT_ERROR: Record<string, string> = { timeout: 'ETIMEOUT', network: 'ECONNREFUSED', malformed: 'EBADRESP' };

/** What one reply means for (type): records with the smallest TTL of the chain, a negative answer, or a failure. */
export function freshAnswer(type: string, o: DnsOutcome): FreshAnswer {
  // a failure is reused a few seconds, so a dead server costs one timeout per name, not one per caller
  if (!o.ok) return { answer: { ok: false, code: TRANSPORT_ERROR[o.error] ?? 'EBADRESP' }, ttl: FAILURE_TTL_S, kind: 'failure' };
  const negative = (code: string): FreshAnswer => ({ answer: { ok: false, code }, ttl: o.hasSoa ? o.negativeTtl : 0, kind: 'negative' });
  if (o.rcode === 'NXDOMAIN') return negative('ENOTFOUND');
  if (o.rcode !== 'NOERROR') return { answer: { ok: false, code: RCODE_ERROR[o.rcode] ?? 'EBADRESP' }, ttl: FAILURE_TTL_S, kind: 'failure' };
  const records = o.answers.filter((a) => a.type === type);
  if (records.length === 0) return negative('ENODATA');
  // a CNAME chain lives as long as its shortest link
  const ttl = Math.min(...o.answers.map((a) => a.ttl));
  return { answer: { ok: true, value: records.map((a) => nodeShape(type, a.raw)) }, ttl, kind: 'answer' };
}

/**
 * Ask the servers in order (two rounds, like node's resolver with tries: 2) until one answers; SERVFAIL/REFUSED
 * and transport errors move on to the next server. The last outcome is the answer.
 */
export async function askServers(servers: string[], name: string, type: string, timeoutMs: number): Promise<FreshAnswer> {
  let last: FreshAnswer = { answer: { ok: false, code: 'ECONNREFUSED' }, ttl: FAILURE_TTL_S, kind: 'failure' };
  if (servers.length === 0) return last;
  for (let round = 0; round < 2; round++) {
    for (const s of servers) {
      last = freshAnswer(type, await queryDns(parseServer(s), name, type as QueryType, { timeoutMs }));
      if (last.kind !== 'failure') return last;
    }
  }
  return last;
}

/** The error node's resolver would throw for this code ("queryTxt ENOTFOUND example.test"). */
export function dnsError(type: string, name: string, code: string): Error {
  const syscall = `query${type.charAt(0)}${type.slice(1).toLowerCase()}`;
  // an answer, not a fault: no stack trace is gathered for it (NXDOMAIN from a DNSBL is the usual case, per message)
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return Object.assign(new Error(`${syscall} ${code} ${name}`), { code, syscall, hostname: name });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * The records of an answer for one caller: a copy, so no caller can change what another one reads. The records
 * are the shapes nodeShape makes — strings, arrays of strings (TXT), flat objects of strings and numbers (MX,
 * SRV) — so a copy one level down is a whole copy (structuredClone's serialising cost 25 times as much, on every
 * cached lookup: the connection checks' and DMARC's, per message); anything else is cloned as before.
 */
export function unwrap(type: string, name: string, a: DnsAnswer): unknown {
  if (!a.ok) throw dnsError(type, name, a.code);
  return copyRecords(a.value);
}

function copyRecords(value: unknown): unknown {
  if (!Array.isArray(value)) return structuredClone(value);
  const out: unknown[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const r: unknown = value[i];
    if (typeof r !== 'object' || r === null) out[i] = r;
    else if (Array.isArray(r) && r.every((x) => typeof x !== 'object' || x === null)) out[i] = r.slice();
    else if (!Array.isArray(r) && Object.getPrototypeOf(r) === Object.prototype && Object.values(r).every((x) => typeof x !== 'object' || x === null)) out[i] = { ...r };
    else out[i] = structuredClone(r);
  }
  return out;
}
