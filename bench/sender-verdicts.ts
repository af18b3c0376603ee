// The connection checks' result (tags, headers, Authentication-Results parts, SPF, reject) and the DKIM/DMARC
// step's for a table of clients, HELO names and senders, as JSON lines (never run by `npm test`): run it with two
// builds and compare the files (`cmp`), like spam-verdicts for the content. SPF pass, fail, softfail, neutral,
// none and permerror; DMARC pass, fail, none and the organisational domain's record; a listed client, PTRs that do
// and do not confirm, HELO names with only an address, only an IPv6 address, only an MX, nothing; then the same
// behind a DNS server that refuses (a closed port: temperror) and one that never answers (timeouts, each row's
// time checked against its bound).
//
//   npx tsc -p . && node dist/bench/sender-verdicts.js OUT.jsonl
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../engine/config/load.js';
import { dnsCacheOptions, makeResolver } from '../engine/dns/resolver.js';
import { nullLogger } from '../engine/log/logger.js';
import { verifyDkimDmarc } from '../engine/spam/auth.js';
import { ConnectionChecker, type ClientMemo } from '../engine/spam/connection.js';
import { DmarcMemo } from '../engine/spam/dmarc-memo.js';
import { dnsblZone } from '../lab/dns/dnsbl.js';
import { reverseName, startDnsServer, type DnsRecord } from '../lab/dns/server.js';

const out = process.argv[2];
if (!out) throw new Error('usage: sender-verdicts OUT.jsonl');

const zone: DnsRecord[] = [
  ...dnsblZone('bl.test', { listed: ['127.0.0.9'] }),
  { name: 'good.test', type: 'MX', data: '10 mx.good.test' },
  { name: 'good.test', type: 'TXT', data: 'v=spf1 ip4:127.0.0.0/8 -all' },
  { name: 'mx.good.test', type: 'A', data: '127.0.0.3' },
  { name: 'soft.test', type: 'A', data: '192.0.2.7' },
  { name: 'soft.test', type: 'TXT', data: 'v=spf1 ip4:192.0.2.7 ~all' },
  { name: '_dmarc.soft.test', type: 'TXT', data: 'v=DMARC1; p=quarantine' },
  { name: 'fail.test', type: 'MX', data: '10 mx.good.test' },
  { name: 'fail.test', type: 'TXT', data: 'v=spf1 ip4:192.0.2.8 -all' },
  { name: '_dmarc.fail.test', type: 'TXT', data: 'v=DMARC1; p=reject' },
  { name: 'neutral.test', type: 'AAAA', data: '2001:db8::7' },
  { name: 'neutral.test', type: 'TXT', data: 'v=spf1 ?all' },
  { name: 'none.test', type: 'MX', data: '10 mx.good.test' },
  { name: '_dmarc.none.test', type: 'TXT', data: 'v=DMARC1; p=none' },
  { name: 'nowhere.test', type: 'NS', data: 'ns.nowhere.test' },
  { name: 'perm.test', type: 'MX', data: '10 mx.good.test' },
  { name: 'perm.test', type: 'TXT', data: 'v=spf1 ip4:127.0.0.0/8 -all' },
  { name: 'perm.test', type: 'TXT', data: 'v=spf1 -all' },
  { name: 'sub.org.test', type: 'MX', data: '10 mx.good.test' },
  { name: 'sub.org.test', type: 'TXT', data: 'v=spf1 ip4:127.0.0.0/8 -all' },
  { name: '_dmarc.org.test', type: 'TXT', data: 'v=DMARC1; p=reject; sp=none' },
  { name: 'aligned.test', type: 'MX', data: '10 mx.good.test' },
  { name: 'aligned.test', type: 'TXT', data: 'v=spf1 ip4:127.0.0.0/8 -all' },
  { name: '_dmarc.aligned.test', type: 'TXT', data: 'v=DMARC1; p=reject' },
  { name: 'six.test', type: 'AAAA', data: '2001:db8::6' },
  { name: reverseName('127.0.0.3'), type: 'PTR', data: 'mx.good.test' },
  { name: reverseName('127.0.0.4'), type: 'PTR', data: 'liar.good.test' },
  { name: 'liar.good.test', type: 'A', data: '192.0.2.1' },
  { name: reverseName('127.0.0.9'), type: 'PTR', data: 'mx.good.test' },
];

const CLIENTS = ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.9'];
const HELOS = ['mx.good.test', 'good.test', 'six.test', 'nowhere.test', '[127.0.0.3]', 'mx.tegami.test', 'localhost'];
const SENDERS = ['a@good.test', 'a@soft.test', 'a@fail.test', 'a@neutral.test', 'a@none.test', 'a@nowhere.test', 'a@missing.test', 'a@perm.test', 'a@sub.org.test', 'a@aligned.test', ''];

function message(from: string): Buffer {
  return Buffer.from(`From: Sender <${from || 'postmaster@good.test'}>\r\nTo: <alice@example.test>\r\nSubject: table\r\nMessage-ID: <t@x>\r\n\r\nbody\r\n`, 'latin1');
}

async function table(servers: string[], timeoutMs: number, label: string, clients: string[], helos: string[], lines: string[]): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-sender-verdicts-'));
  try {
    const toml = `data_dir = ${JSON.stringify(dir)}\nhostname = "mx.tegami.test"\n[dns]\nservers = ${JSON.stringify(servers)}\ntimeout = "${timeoutMs}ms"\n[spam]\nlocal_networks = []\n[[dnsbl]]\nname = "testbl"\nquery_domain = "bl.test"\n`;
    const config = parseConfigText(toml, path.join(dir, 'tegami.toml'));
    const resolver = makeResolver(config.dns.servers, config.dns.timeout, undefined, dnsCacheOptions(config.dns));
    const checker = new ConnectionChecker(config, resolver, nullLogger);
    const memo = new DmarcMemo();
    for (const ip of clients) {
      for (const helo of helos) {
        // one connection per client and HELO: its memo carries over between the senders, as a session's does
        const conn: { memo?: ClientMemo } = {};
        for (const mailFrom of SENDERS) {
          // each sender three times: the later ones from the result cache (kept from the second on) or the memos
          for (const pass of [1, 2, 3]) {
            const started = Date.now();
            const r = await checker.check({ ip, helo, mailFrom, authenticated: false, hostname: config.hostname }, conn);
            const ms = Date.now() - started;
            const a = await verifyDkimDmarc(message(mailFrom), resolver, { mailFrom, spf: r.spf }, Math.min(config.dns.timeout, 1500), memo);
            // bounded: the checks' questions run side by side, SPF's and the sender domain's one after another
            const bounded = ms < 12 * timeoutMs + 2000;
            // behind a silent server, which limit fires first (the step's or a lookup's) decides between two
            // temperror texts from run to run: only that it is a temperror is compared there
            const auth = label === 'silent' ? { dmarcTemperror: a.authResults.some((x) => x.startsWith('dmarc=temperror')), tags: a.tags } : a;
            lines.push(JSON.stringify({ dns: label, ip, helo, mailFrom, pass, connection: r, auth, bounded }));
          }
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const dns = await startDnsServer({ zones: zone, origins: ['test'] });
// a server that never answers: every question times out
const silent = dgram.createSocket('udp4');
await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', () => resolve()));
const lines: string[] = [];
await table([dns.address], 2000, 'lab', CLIENTS, HELOS, lines);
await table(['127.0.0.1:1'], 300, 'refused', ['127.0.0.3', '127.0.0.9'], ['mx.good.test', 'nowhere.test'], lines);
await table([`127.0.0.1:${silent.address().port}`], 200, 'silent', ['127.0.0.3'], ['mx.good.test'], lines);
fs.writeFileSync(out, lines.join('\n') + '\n');
const unbounded = lines.filter((l) => !(JSON.parse(l) as { bounded: boolean }).bounded).length;
console.log(`${lines.length} rows written to ${out}; ${unbounded} past their time bound; the stand-in DNS answered ${dns.queries.length} questions`);
silent.close();
await dns.close();
process.exit(unbounded ? 1 : 0);
