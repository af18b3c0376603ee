// A minimal DNS client for lookups that need more than node's resolver gives: a hard per-query timeout,
// TCP first when asked, and the answer's TTL (DNSBL caching). It asks one server; it never recurses.
// Outcomes are values: an answer (any rcode) or a transport error; it never throws for a dead server.
import dgram from 'node:dgram';
import net from 'node:net';
import * as packet from 'dns-packet';
import { parseHostPort } from '../net/host-port.js';

export interface DnsServerAddr {
  host: string;
  port: number;
}

export type DnsOutcome =
  | { ok: true; rcode: string; answers: { type: string; data: string; ttl: number }[]; negativeTtl: number }
  | { ok: false; error: 'timeout' | 'network' | 'malformed' };

/** "127.0.0.1:5353", "[::1]:53", "::1", "10.0.0.1" → host and port (the one parser, engine/net/host-port.ts). */
export function parseServer(s: string): DnsServerAddr {
  return parseHostPort(s, 53) ?? { host: s, port: 53 };
}

let nextId = Math.floor(Math.random() * 65536);

function encodeQuery(name: string, type: string): { id: number; buf: Buffer } {
  nextId = (nextId + 1) & 0xffff;
  const buf = packet.encode({
    type: 'query',
    id: nextId,
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type: type as packet.RecordType, class: 'IN' }],
  });
  return { id: nextId, buf };
}

function toOutcome(msg: Buffer, id: number): DnsOutcome | 'truncated' | null {
  let res: packet.DecodedPacket;
  try {
    res = packet.decode(msg);
  } catch {
    return { ok: false, error: 'malformed' };
  }
  if (res.id !== id || res.type !== 'response') return null;
  if ((res.flags ?? 0) & packet.TRUNCATED_RESPONSE) return 'truncated';
  const answers = (res.answers ?? []).map((a) => {
    const d = (a as { data?: unknown }).data;
    const data = Array.isArray(d) ? d.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x))).join('') : Buffer.isBuffer(d) ? d.toString('utf8') : String(d);
    return { type: String(a.type), data, ttl: (a as { ttl?: number }).ttl ?? 0 };
  });
  const soa = (res.authorities ?? []).find((a) => a.type === 'SOA') as { ttl?: number; data?: { minimum?: number } } | undefined;
  const negativeTtl = soa ? Math.min(soa.ttl ?? 300, soa.data?.minimum ?? 300) : 300;
  return { ok: true, rcode: (res as { rcode?: string }).rcode ?? 'NOERROR', answers, negativeTtl };
}

function queryUdp(server: DnsServerAddr, name: string, type: string, timeoutMs: number): Promise<DnsOutcome | 'truncated'> {
  return new Promise((resolve) => {
    const { id, buf } = encodeQuery(name, type);
    const sock = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
    let done = false;
    const finish = (o: DnsOutcome | 'truncated') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ ok: false, error: 'timeout' }), timeoutMs);
    sock.on('error', () => finish({ ok: false, error: 'network' }));
    sock.on('message', (msg) => {
      const o = toOutcome(msg, id);
      if (o) finish(o);
    });
    sock.send(buf, server.port, server.host, (err) => {
      if (err) finish({ ok: false, error: 'network' });
    });
  });
}

function queryTcp(server: DnsServerAddr, name: string, type: string, timeoutMs: number): Promise<DnsOutcome> {
  return new Promise((resolve) => {
    const { id, buf } = encodeQuery(name, type);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(buf.length);
    let done = false;
    let acc = Buffer.alloc(0);
    const sock = net.connect({ host: server.host, port: server.port });
    const finish = (o: DnsOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ ok: false, error: 'timeout' }), timeoutMs);
    sock.on('connect', () => sock.write(Buffer.concat([len, buf])));
    sock.on('error', () => finish({ ok: false, error: 'network' }));
    sock.on('close', () => finish({ ok: false, error: 'network' }));
    sock.on('data', (chunk) => {
      acc = Buffer.concat([acc, chunk]);
      if (acc.length > 65537) return finish({ ok: false, error: 'malformed' });
      if (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
        const o = toOutcome(acc.subarray(2, 2 + acc.readUInt16BE(0)), id);
        finish(o === 'truncated' || o === null ? { ok: false, error: 'malformed' } : o);
      }
    });
  });
}

/** One question to one server, within timeoutMs overall; UDP with TCP fallback on truncation, or TCP first. */
export async function queryDns(server: DnsServerAddr, name: string, type: 'A' | 'TXT' | 'AAAA', opts: { timeoutMs: number; tcpFirst?: boolean }): Promise<DnsOutcome> {
  const started = Date.now();
  if (opts.tcpFirst) return queryTcp(server, name, type, opts.timeoutMs);
  const udp = await queryUdp(server, name, type, opts.timeoutMs);
  if (udp !== 'truncated') return udp;
  const left = opts.timeoutMs - (Date.now() - started);
  return left > 0 ? queryTcp(server, name, type, left) : { ok: false, error: 'timeout' };
}
