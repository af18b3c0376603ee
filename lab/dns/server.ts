// Stand-in authoritative DNS server for the lab: answers from in-memory zone data over UDP and TCP on
// loopback (one port for both), so DNSBL, SPF, DKIM, DMARC, MX and PTR checks run without the Internet.
// It never recurses and never forwards a query anywhere; names outside its data get NXDOMAIN.
//
// API:
//   const dns = await startDnsServer({ zones: [ { name: 'example.test', type: 'MX', data: '10 mx.example.test' }, ... ] });
//   resolver.setServers([dns.address]);          // "127.0.0.1:PORT"
//   dns.add(records) / dns.remove(name, type?)   // change the data while running
//   dns.queries                                  // every question seen: { name, type, transport }
//   await dns.close();
// Record data: A/AAAA/CNAME/NS/PTR a string; MX "10 host" or { preference, exchange }; TXT a string or
// string[] (strings over 255 bytes are split into chunks); SOA is synthesised for each zone apex.
// See dnsbl.ts for DNSBL zones with the RFC 5782 test points.
import dgram from 'node:dgram';
import net from 'node:net';
import * as packet from 'dns-packet';

export type RecordTypeName = 'A' | 'AAAA' | 'MX' | 'TXT' | 'PTR' | 'CNAME' | 'NS' | 'SOA';

export interface DnsRecord {
  name: string;
  type: RecordTypeName;
  data: string | string[] | { preference: number; exchange: string };
  ttl?: number;
}

export type ZoneRecords = DnsRecord[];

export interface DnsServerOptions {
  port?: number;
  host?: string;
  zones: ZoneRecords;
  /** Zone apexes (for SOA in NXDOMAIN/NODATA answers); default: every NS/SOA owner, else each name's last two labels. */
  origins?: string[];
}

export interface DnsQueryLog {
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
}

export interface DnsServer {
  port: number;
  host: string;
  /** "127.0.0.1:PORT" (or "[::1]:PORT"), ready for Resolver.setServers and `[dns] servers`. */
  address: string;
  queries: DnsQueryLog[];
  add(records: ZoneRecords): void;
  remove(name: string, type?: RecordTypeName): void;
  close(): Promise<void>;
}

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const DEFAULT_TTL = 60;

function norm(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** The reverse-lookup name of an IPv4 or IPv6 address (for PTR records and DNSBL queries). */
export function reverseName(ip: string, suffix: 'in-addr.arpa' | 'ip6.arpa' | string = ''): string {
  let labels: string[];
  let tail: string;
  if (net.isIPv4(ip)) {
    labels = ip.split('.').reverse();
    tail = 'in-addr.arpa';
  } else if (net.isIPv6(ip)) {
    labels = expandIPv6(ip).replace(/:/g, '').split('').reverse();
    tail = 'ip6.arpa';
  } else throw new Error(`not an IP address: ${ip}`);
  return `${labels.join('.')}.${suffix || tail}`;
}

/** "::ffff:7f00:2" → "0000:0000:0000:0000:0000:ffff:7f00:0002". */
export function expandIPv6(ip: string): string {
  let s = ip.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = v4[1].split('.').map(Number);
    s = s.slice(0, -v4[1].length) + ((p[0] << 8) | p[1]).toString(16) + ':' + ((p[2] << 8) | p[3]).toString(16);
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join(':');
}

class Zone {
  private byName = new Map<string, DnsRecord[]>();
  private origins: string[];
  private explicitOrigins: boolean;

  constructor(records: ZoneRecords, origins?: string[]) {
    this.explicitOrigins = !!origins?.length;
    this.origins = (origins ?? []).map(norm);
    this.add(records);
  }

  add(records: ZoneRecords): void {
    for (const r of records) {
      validate(r);
      const key = norm(r.name);
      const list = this.byName.get(key) ?? [];
      list.push({ ...r, name: key });
      this.byName.set(key, list);
      if (!this.explicitOrigins && (r.type === 'NS' || r.type === 'SOA') && !this.origins.includes(key)) this.origins.push(key);
    }
  }

  remove(name: string, type?: RecordTypeName): void {
    const key = norm(name);
    if (!type) this.byName.delete(key);
    else {
      const left = (this.byName.get(key) ?? []).filter((r) => r.type !== type);
      if (left.length) this.byName.set(key, left);
      else this.byName.delete(key);
    }
  }

  /** Records at the name, or at a covering wildcard; undefined when the name does not exist at all. */
  lookup(name: string): DnsRecord[] | undefined {
    const key = norm(name);
    const exact = this.byName.get(key);
    if (exact) return exact;
    // an empty non-terminal exists (NODATA, not NXDOMAIN)
    for (const k of this.byName.keys()) if (k.endsWith('.' + key)) return [];
    const labels = key.split('.');
    for (let i = 1; i < labels.length; i++) {
      const wild = this.byName.get('*.' + labels.slice(i).join('.'));
      if (wild) return wild;
    }
    return undefined;
  }

  apexFor(name: string): string {
    const key = norm(name);
    let best = '';
    for (const o of this.origins) if ((key === o || key.endsWith('.' + o)) && o.length > best.length) best = o;
    if (best) return best;
    return key.split('.').slice(-2).join('.');
  }
}

function validate(r: DnsRecord): void {
  if (!r || typeof r.name !== 'string' || !r.name) throw new Error('DNS record without a name');
  const ok: RecordTypeName[] = ['A', 'AAAA', 'MX', 'TXT', 'PTR', 'CNAME', 'NS', 'SOA'];
  if (!ok.includes(r.type)) throw new Error(`DNS record ${r.name}: unsupported type ${String(r.type)}`);
  if (r.type === 'A' && !net.isIPv4(String(r.data))) throw new Error(`DNS record ${r.name} A: not an IPv4 address: ${String(r.data)}`);
  if (r.type === 'AAAA' && !net.isIPv6(String(r.data))) throw new Error(`DNS record ${r.name} AAAA: not an IPv6 address: ${String(r.data)}`);
  if (r.type === 'MX' && typeof r.data === 'string' && !/^\d+\s+\S+$/.test(r.data)) {
    throw new Error(`DNS record ${r.name} MX: expected "PREFERENCE HOST", got ${r.data}`);
  }
}

function soaFor(apex: string): packet.Answer {
  return {
    name: apex,
    type: 'SOA',
    ttl: DEFAULT_TTL,
    data: {
      mname: `ns.${apex}`,
      rname: `hostmaster.${apex}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: DEFAULT_TTL,
    },
  } as packet.Answer;
}

function txtChunks(data: DnsRecord['data']): Buffer[] {
  const parts = Array.isArray(data) ? data : [String(data)];
  const out: Buffer[] = [];
  for (const p of parts) {
    const b = Buffer.from(p, 'utf8');
    if (b.length === 0) out.push(b);
    for (let i = 0; i < b.length; i += 255) out.push(b.subarray(i, i + 255));
  }
  return out;
}

function toAnswer(r: DnsRecord, ownerName: string, zone: Zone): packet.Answer {
  const ttl = r.ttl ?? DEFAULT_TTL;
  switch (r.type) {
    case 'MX': {
      const d = r.data;
      const mx =
        typeof d === 'string'
          ? { preference: Number(d.split(/\s+/)[0]), exchange: d.split(/\s+/)[1] }
          : (d as { preference: number; exchange: string });
      return { name: ownerName, type: 'MX', ttl, data: { preference: mx.preference, exchange: norm(mx.exchange) } };
    }
    case 'TXT':
      return { name: ownerName, type: 'TXT', ttl, data: txtChunks(r.data) };
    case 'SOA':
      return { ...(soaFor(zone.apexFor(ownerName)) as packet.SoaAnswer), name: ownerName, ttl };
    case 'A':
    case 'AAAA':
      return { name: ownerName, type: r.type, ttl, data: String(r.data) };
    default:
      return { name: ownerName, type: r.type, ttl, data: norm(String(r.data)) };
  }
}

/** Build the response for one query packet: authoritative, never recursive. */
function answerQuery(query: packet.DecodedPacket, zone: Zone, maxUdp: number | undefined): Buffer {
  const q = query.questions?.[0];
  const res: packet.Packet = {
    type: 'response',
    id: query.id,
    flags: packet.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & packet.RECURSION_DESIRED),
    questions: query.questions,
    answers: [],
    authorities: [],
  };
  let rcode: number = RCODE.NOERROR;
  if (!q || (query.questions?.length ?? 0) !== 1) rcode = RCODE.NOTIMP;
  else if (q.class !== 'IN' && q.class !== 'ANY') rcode = RCODE.REFUSED;
  else {
    let name = q.name;
    const qtype = q.type as string;
    // chase CNAMEs inside our own data, bounded
    for (let hop = 0; hop < 8; hop++) {
      const recs = zone.lookup(name);
      if (recs === undefined) {
        rcode = RCODE.NXDOMAIN; // RFC 6604: the code speaks for the last name of a CNAME chain
        res.authorities!.push(soaFor(zone.apexFor(name)));
        break;
      }
      const cname = recs.find((r) => r.type === 'CNAME');
      if (cname && qtype !== 'CNAME' && qtype !== 'ANY') {
        res.answers!.push(toAnswer(cname, name, zone));
        name = norm(String(cname.data));
        continue;
      }
      const match = recs.filter((r) => qtype === 'ANY' || r.type === qtype);
      if (qtype === 'SOA' && match.length === 0 && zone.apexFor(name) === norm(name)) {
        res.answers!.push(soaFor(norm(name)));
        break;
      }
      if (match.length === 0) res.authorities!.push(soaFor(zone.apexFor(name)));
      for (const r of match) res.answers!.push(toAnswer(r, name, zone));
      break;
    }
  }
  res.flags = (res.flags ?? 0) | rcode;
  let buf = packet.encode(res);
  if (maxUdp !== undefined && buf.length > maxUdp) {
    buf = packet.encode({ ...res, flags: (res.flags ?? 0) | packet.TRUNCATED_RESPONSE, answers: [], authorities: [] });
  }
  return buf;
}

function udpLimit(query: packet.DecodedPacket): number {
  const opt = (query.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  return Math.max(512, Math.min(opt?.udpPayloadSize ?? 512, 4096));
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const host = opts.host ?? '127.0.0.1';
  const zone = new Zone(opts.zones, opts.origins);
  const queries: DnsQueryLog[] = [];
  const family = net.isIPv6(host) ? 'udp6' : 'udp4';

  const handle = (msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined => {
    let query: packet.DecodedPacket;
    try {
      query = packet.decode(msg);
    } catch {
      return undefined; // not DNS: drop, as a real server would
    }
    if (query.type !== 'query') return undefined;
    const q = query.questions?.[0];
    if (q) queries.push({ name: q.name, type: String(q.type), transport });
    return answerQuery(query, zone, transport === 'udp' ? udpLimit(query) : undefined);
  };

  const tcpSockets = new Set<net.Socket>();
  const makeTcp = () =>
    net.createServer((sock) => {
      tcpSockets.add(sock);
      sock.on('close', () => tcpSockets.delete(sock));
      sock.on('error', () => sock.destroy());
      sock.setTimeout(10_000, () => sock.destroy());
      let buf = Buffer.alloc(0);
      sock.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2) {
          const len = buf.readUInt16BE(0);
          if (buf.length < 2 + len) break;
          const msg = buf.subarray(2, 2 + len);
          buf = buf.subarray(2 + len);
          const out = handle(msg, 'tcp');
          if (!out) {
            sock.destroy();
            return;
          }
          const lenBuf = Buffer.alloc(2);
          lenBuf.writeUInt16BE(out.length);
          sock.write(Buffer.concat([lenBuf, out]));
        }
      });
    });

  // One port for UDP and TCP: bind UDP (maybe on port 0), then TCP on the same number; retry on a clash.
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = dgram.createSocket({ type: family });
    const port = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(opts.port ?? 0, host, () => resolve(udp.address().port));
    });
    const tcp = makeTcp();
    const tcpOk = await new Promise<boolean>((resolve, reject) => {
      tcp.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' && !opts.port ? resolve(false) : reject(e)));
      tcp.listen(port, host, () => resolve(true));
    }).catch((e) => {
      udp.close();
      throw e;
    });
    if (!tcpOk) {
      udp.close();
      continue;
    }
    udp.on('error', () => undefined);
    udp.on('message', (msg, rinfo) => {
      const out = handle(msg, 'udp');
      if (out) udp.send(out, rinfo.port, rinfo.address);
    });
    const address = family === 'udp6' ? `[${host}]:${port}` : `${host}:${port}`;
    return {
      port,
      host,
      address,
      queries,
      add: (records) => zone.add(records),
      remove: (name, type) => zone.remove(name, type),
      close: async () => {
        for (const s of tcpSockets) s.destroy();
        await Promise.all([
          new Promise<void>((r) => udp.close(() => r())),
          new Promise<void>((r) => tcp.close(() => r())),
        ]);
      },
    };
  }
  throw new Error('stand-in DNS: could not bind UDP and TCP on one port after 20 attempts');
}
