// The value types every section of the config schema uses: listener addresses, durations, sizes. Parsing only;
// no defaults of any section live here.
import { z } from 'zod';
import { parseHostPort } from '../net/host-port.js';
import { IpList } from '../policy/cidr.js';

/** "host:port" listener address (port 0–65535, read by the one host:port parser); empty string means off. */
export const listenAddr = z
  .string()
  .refine((v) => v === '' || (/^(\[[0-9a-fA-F:.]+\]|[^:\s]+|[0-9a-fA-F:]+):\d{1,5}$/.test(v) && parseHostPort(v) !== null), {
    message: 'expected "host:port" (use [::1]:port for IPv6), or "" for off',
  });

/** A duration: a number of seconds, or a string like "500ms", "30s", "10m", "4h", "5d". */
const DURATION = 'expected a duration: a number of seconds, or a string such as "500ms", "30s", "10m", "4h", "5d"';
export const duration = z
  .union([z.number().nonnegative(DURATION), z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/, DURATION)], { error: DURATION })
  .transform(parseDurationMs);

export function parseDurationMs(v: number | string): number {
  if (typeof v === 'number') return Math.round(v * 1000);
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(v);
  if (!m) throw new Error(`bad duration ${v}`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(n * unit);
}

const SIZE = 'expected a size: a number of bytes, or a string such as "512K", "25M", "2G", "1T"';
export const size = z.union([z.number().int(SIZE).nonnegative(SIZE), z.string().regex(/^\d+\s*(B|K|KB|M|MB|G|GB|T|TB)?$/i, SIZE)], { error: SIZE }).transform((v) => {
  if (typeof v === 'number') return v;
  const m = /^(\d+)\s*([KMGT]?)B?$/i.exec(v)!;
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Number(m[1]) * mult;
});

/** An IP address or a CIDR range (192.0.2.0/24, 2001:db8::/32), as engine/policy/cidr.ts reads it at start. */
export const ipRange = z.string().superRefine((v, ctx) => {
  try {
    new IpList([v]);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `${(e as Error).message} (expected an address or a range such as 192.0.2.0/24 or 2001:db8::/32)` });
  }
});

/** A domain name in its ASCII form, as `tegami domain add` takes it (an internationalised name as xn--…). */
export const domainName = z
  .string()
  .regex(/^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$/, 'expected a domain name such as example.jp (an internationalised one in its ASCII form, xn--…)');
