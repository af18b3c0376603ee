// A minimal DNS client for lookups that need more than node's resolver gives: a hard per-query timeout,
// TCP first when asked, and the answer's TTL (DNSBL caching). It asks one server; it never recurses.
// Outcomes are values: an answer (any rcode) or a transport error; it never throws for a dead server.
// Spoofing (RFC 5452): each query has a random id (crypto) and its own socket on a random source port; a reply
// counts only if it comes from the server's address and port and repeats our id and question. Anything else,
// unreadable packets included, is ignored while the real answer is awaited.
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import net from 'node:net';
import * as packet from 'dns-packet';
import { parseHostPort } from '../net/host-port.js';

export interface DnsServerAddr {
  host: string;
  port: number;
}

/** The record types this client asks (DNSBL: A; the resolver's cache, engine/dns/wire-lookup.ts: all of them). */
export type QueryType = 'A' | 'AAAA' | 'TXT' | 'MX' | 'PTR' | 'CNAME' | 'NS' | 'SRV';

export type DnsOutcome =
  | {
      ok: true;
      rcode: string;
      /** data: the record as text (TXT chunks joined); raw: as dns-packet decoded it (TXT: its chunks). */
      answers: { type: string; data: string; ttl: number; raw: unknown }[];
      /** For NXDOMAIN/NODATA: min(SOA TTL, SOA minimum) (RFC 2308 §5), 300 when the reply has no SOA. */
      negativeTtl: number;
      /** Whether the reply carried an SOA in its authority section (without one, RFC 2308 says not to cache a negative answer). */
      hasSoa: boolean;
    }
  | { ok: false; error: 'timeout' | 'network' | 'malformed' };

/** "127.0.0.1:5353", "[::1]:53", "::1", "10.0.0.1" → host and port (the one parser, engine/net/host-port.ts). */
export function parseServer(s: string): DnsServerAddr {
  return parseHostPort(s, 53) ?? { host: s, port: 53 };
}

interface Question {
  id: number;
  name: string;
  type: string;
  buf: Buffer;
}

function encodeQuery(name: string, type: string): Question {
  const id = crypto.randomInt(0, 0x10000);
  const buf = packet.encode({
    type: 'query',
    id,
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type: type as packet.RecordType, class: 'IN' }],
    // EDNS0 (RFC 6891) with the 1232-byte payload of DNS Flag Day 2020: fewer truncated answers, fewer TCP retries
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as packet.Answer],
  });
  return { id, name, type, buf };
}

const sameName = (a: string, b: string) => a.toLowerCase().replace(/\.$/, '') === b.toLowerCase().replace(/\.$/, '');

/**
 * The outcome a reply gives to question q, or null when it is not the answer to q (wrong id, not a response,
 * another question, unreadable): such a packet is ignored.
 */
export function answerTo(msg: Buffer, q: Question): DnsOutcome | 'truncated' | null {
  let res: packet.DecodedPacket;
  try {
    res = packet.decode(msg);
  } catch {
    return null;
  }
  if (res.id !== q.id || res.type !== 'response') return null;
  const qs = res.questions ?? [];
  if (qs.length !== 1 || !sameName(qs[0].name, q.name) || qs[0].type !== q.type || (qs[0].class ?? 'IN') !== 'IN') return null;
  if ((res.flags ?? 0) & packet.TRUNCATED_RESPONSE) return 'truncated';
  const answers = (res.answers ?? []).map((a) => {
    const d = (a as { data?: unknown }).data;
    const data = Array.isArray(d) ? d.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x))).join('') : Buffer.isBuffer(d) ? d.toString('utf8') : String(d);
    return { type: String(a.type), data, ttl: (a as { ttl?: number }).ttl ?? 0, raw: d };
  });
  const soa = (res.authorities ?? []).find((a) => a.type === 'SOA') as { ttl?: number; data?: { minimum?: number } } | undefined;
  const negativeTtl = soa ? Math.min(soa.ttl ?? 300, soa.data?.minimum ?? 300) : 300;
  return { ok: true, rcode: (res as { rcode?: string }).rcode ?? 'NOERROR', answers, negativeTtl, hasSoa: !!soa };
}

/** The server's address as an IP literal (a name is looked up once, with the system's resolver). */
async function serverIp(server: DnsServerAddr): Promise<string | null> {
  if (net.isIP(server.host)) return server.host;
  try {
    return (await dns.lookup(server.host)).address;
  } catch {
    return null;
  }
}

/** A server address as a one-address BlockList, made once per address (the servers are few; at most 16 kept). */
const serverLists = new Map<string, net.BlockList>();

/** Whether a datagram came from the server we asked: same address (IPv6 compared in canonical form) and port. */
function fromServer(rinfo: dgram.RemoteInfo, ip: string, port: number): boolean {
  if (rinfo.port !== port) return false;
  const family = net.isIPv6(ip) ? 'ipv6' : 'ipv4';
  let list = serverLists.get(ip);
  if (!list) {
    list = new net.BlockList();
    list.addAddress(ip, family);
    if (serverLists.size >= 16) serverLists.clear();
    serverLists.set(ip, list);
  }
  return net.isIP(rinfo.address) === (family === 'ipv6' ? 6 : 4) && list.check(rinfo.address, family);
}

/** Bind to a random unprivileged port chosen here (not left to the OS); a few tries, then any free port. */
async function bindRandom(sock: dgram.Socket): Promise<void> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const port = crypto.randomInt(1024, 65536);
    const ok = await new Promise<boolean>((resolve) => {
      const onError = () => resolve(false);
      sock.once('error', onError);
      sock.bind(port, () => {
        sock.off('error', onError);
        resolve(true);
      });
    });
    if (ok) return;
  }
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, () => {
      sock.off('error', reject);
      resolve();
    });
  });
}

function queryUdp(server: DnsServerAddr, ip: string, name: string, type: string, timeoutMs: number): Promise<DnsOutcome | 'truncated'> {
  return new Promise((resolve) => {
    let q: Question;
    try {
      q = encodeQuery(name, type);
    } catch {
      return resolve({ ok: false, error: 'malformed' }); // a name DNS cannot carry (a label over 63 bytes)
    }
    let done = false;
    let sock: dgram.Socket | null = null;
    const finish = (o: DnsOutcome | 'truncated') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        sock?.close();
      } catch {
        /* never bound */
      }
      resolve(o);
    };
    const timer = setTimeout(() => finish({ ok: false, error: 'timeout' }), timeoutMs);
    // a socket of its own for each query, so its random port answers for this question only
    sock = dgram.createSocket(net.isIPv6(ip) ? 'udp6' : 'udp4');
    sock.on('message', (msg, rinfo) => {
      if (!fromServer(rinfo, ip, server.port)) return;
      const o = answerTo(msg, q);
      if (o) finish(o);
    });
    bindRandom(sock)
      .then(() => {
        if (done) return;
        sock!.on('error', () => finish({ ok: false, error: 'network' }));
        // connected to the server: the kernel drops datagrams from anyone else, and a closed port (ICMP port
        // unreachable) is an error at once instead of a wait for the timeout
        sock!.connect(server.port, ip, () => {
          if (done) return;
          sock!.send(q.buf, (err) => {
            if (err) finish({ ok: false, error: 'network' });
          });
        });
      })
      .catch(() => finish({ ok: false, error: 'network' }));
  });
}

function queryTcp(server: DnsServerAddr, ip: string, name: string, type: string, timeoutMs: number): Promise<DnsOutcome> {
  return new Promise((resolve) => {
    let q: Question;
    try {
      q = encodeQuery(name, type);
    } catch {
      return resolve({ ok: false, error: 'malformed' });
    }
    const len = Buffer.alloc(2);
    len.writeUInt16BE(q.buf.length);
    let done = false;
    let acc = Buffer.alloc(0);
    const sock = net.connect({ host: ip, port: server.port });
    const finish = (o: DnsOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ ok: false, error: 'timeout' }), timeoutMs);
    sock.on('connect', () => sock.write(Buffer.concat([len, q.buf])));
    sock.on('error', () => finish({ ok: false, error: 'network' }));
    sock.on('close', () => finish({ ok: false, error: 'network' }));
    sock.on('data', (chunk) => {
      acc = Buffer.concat([acc, chunk]);
      // each message is length-prefixed; one that is not our answer is skipped, the next one read
      while (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
        const n = acc.readUInt16BE(0);
        const o = answerTo(acc.subarray(2, 2 + n), q);
        acc = acc.subarray(2 + n);
        if (o) return finish(o === 'truncated' ? { ok: false, error: 'malformed' } : o);
      }
      if (acc.length > 65537) finish({ ok: false, error: 'malformed' });
    });
  });
}

/** One question to one server, within timeoutMs overall; UDP with TCP fallback on truncation, or TCP first. */
export async function queryDns(server: DnsServerAddr, name: string, type: QueryType, opts: { timeoutMs: number; tcpFirst?: boolean }): Promise<DnsOutcome> {
  const started = Date.now();
  const ip = await serverIp(server);
  if (!ip) return { ok: false, error: 'network' };
  const left = () => opts.timeoutMs - (Date.now() - started);
  if (opts.tcpFirst) return queryTcp(server, ip, name, type, Math.max(1, left()));
  const udp = await queryUdp(server, ip, name, type, Math.max(1, left()));
  if (udp !== 'truncated') return udp;
  return left() > 0 ? queryTcp(server, ip, name, type, left()) : { ok: false, error: 'timeout' };
}
