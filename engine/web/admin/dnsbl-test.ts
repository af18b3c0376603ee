// "Test this list": ask a DNSBL about its RFC 5782 §5 test points through the same DNS client and server
// the live checks use. An IP list must list 127.0.0.2 and must not list 127.0.0.1; a domain list must list
// "test" and must not list "invalid". A list that fails either is misconfigured or dead. Only DNS is asked.
import dns from 'node:dns';
import type { DnsblConfig } from '../../config/schema.js';
import { parseServer, queryDns } from '../../spam/dns-query.js';

export interface TestPoint {
  /** What was asked about (127.0.0.2, test…) and the name queried. */
  point: string;
  query: string;
  expect: 'listed' | 'not-listed';
  got: 'listed' | 'not-listed' | 'error';
  /** The A answers, or the error. */
  answer: string;
  ok: boolean;
}

export interface ListTest {
  list: string;
  ok: boolean;
  points: TestPoint[];
}

const trimDots = (s: string) => s.replace(/^\.+/, '').replace(/\.+$/, '');

export async function testDnsbl(list: Pick<DnsblConfig, 'name' | 'query_domain' | 'type' | 'server' | 'timeout' | 'tcp_first'>, dnsServers: string[]): Promise<ListTest> {
  const zone = trimDots(list.query_domain.toLowerCase());
  const ipList = list.type === 'DNS';
  const points: [string, string, 'listed' | 'not-listed'][] = ipList
    ? [
        ['127.0.0.2', `2.0.0.127.${zone}`, 'listed'],
        ['127.0.0.1', `1.0.0.127.${zone}`, 'not-listed'],
      ]
    : [
        ['test', `test.${zone}`, 'listed'],
        ['invalid', `invalid.${zone}`, 'not-listed'],
      ];
  const serverText = list.server === '*' ? (dnsServers[0] ?? dns.getServers()[0]) : list.server === 'system' ? dns.getServers()[0] : list.server;
  const results: TestPoint[] = [];
  for (const [point, query, expect] of points) {
    if (!serverText) {
      results.push({ point, query, expect, got: 'error', answer: 'no resolver', ok: false });
      continue;
    }
    const r = await queryDns(parseServer(serverText), query, 'A', { timeoutMs: Math.max(500, list.timeout), tcpFirst: list.tcp_first });
    if (!r.ok) {
      results.push({ point, query, expect, got: 'error', answer: r.error, ok: false });
      continue;
    }
    const a = r.answers.filter((x) => x.type === 'A').map((x) => x.data);
    const listed = r.rcode === 'NOERROR' && a.some((x) => /^127\./.test(x) && !/^127\.255\.255\./.test(x));
    const got = r.rcode === 'NOERROR' || r.rcode === 'NXDOMAIN' ? (listed ? 'listed' : 'not-listed') : 'error';
    results.push({ point, query, expect, got, answer: a.length ? a.join(', ') : r.rcode, ok: got === expect });
  }
  return { list: list.name, ok: results.every((p) => p.ok), points: results };
}
