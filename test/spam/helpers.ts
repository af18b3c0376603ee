// Test helpers for the spam tests: a config from TOML text, a temp data dir, the lab's stand-in DNS zone
// used by the connection and analysis tests. Test-only; never imported by the server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText, type LoadedConfig } from '../../engine/config/load.js';
import { startDnsServer, reverseName, type DnsServer, type ZoneRecords } from '../../lab/dns/server.js';
import { dnsblZone } from '../../lab/dns/dnsbl.js';

const made: string[] = [];

export function tempDir(prefix = 'tegami-spam-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Remove every temp dir this test file made (call from after()). */
export function removeTempDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** A config from TOML text; data_dir defaults to a fresh temp dir. */
export function configFrom(toml: string, dataDir = tempDir()): LoadedConfig {
  const file = path.join(dataDir, 'tegami.toml');
  const text = `data_dir = ${JSON.stringify(dataDir)}\nhostname = "mx.tegami.test"\n${toml}`;
  fs.writeFileSync(file, text);
  return parseConfigText(text, file);
}

/** The lab zone the spam tests share: a DNSBL, good/soft/fail SPF domains, PTRs for 127.0.0.3 only. */
export function spamZone(): ZoneRecords {
  return [
    ...dnsblZone('bl.test', { listed: ['127.0.0.9'] }),
    ...dnsblZone('trusted.test', { listed: ['127.0.0.9'] }),
    { name: 'good.test', type: 'NS', data: 'ns.good.test' },
    { name: 'good.test', type: 'MX', data: '10 mx.good.test' },
    { name: 'good.test', type: 'TXT', data: 'v=spf1 ip4:127.0.0.3 -all' },
    { name: 'mx.good.test', type: 'A', data: '127.0.0.3' },
    { name: reverseName('127.0.0.3'), type: 'PTR', data: 'mx.good.test' },
    { name: reverseName('127.0.0.4'), type: 'PTR', data: 'liar.good.test' },
    { name: 'liar.good.test', type: 'A', data: '192.0.2.1' },
    { name: 'soft.test', type: 'NS', data: 'ns.soft.test' },
    { name: 'soft.test', type: 'A', data: '192.0.2.7' },
    { name: 'soft.test', type: 'TXT', data: 'v=spf1 ip4:192.0.2.7 ~all' },
    { name: 'fail.test', type: 'NS', data: 'ns.fail.test' },
    { name: 'fail.test', type: 'MX', data: '10 mx.good.test' },
    { name: 'fail.test', type: 'TXT', data: 'v=spf1 ip4:192.0.2.8 -all' },
    { name: '_dmarc.fail.test', type: 'TXT', data: 'v=DMARC1; p=reject' },
    { name: 'nowhere.test', type: 'NS', data: 'ns.nowhere.test' },
  ];
}

export async function startSpamDns(): Promise<DnsServer> {
  return startDnsServer({ zones: spamZone() });
}
