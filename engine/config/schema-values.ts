// The value types every section of the config schema uses: listener addresses, durations, sizes. Parsing only;
// no defaults of any section live here.
import { z } from 'zod';
import { parseHostPort } from '../net/host-port.js';

/** "host:port" listener address (port 0–65535, read by the one host:port parser); empty string means off. */
export const listenAddr = z
  .string()
  .refine((v) => v === '' || (/^(\[[0-9a-fA-F:.]+\]|[^:\s]+|[0-9a-fA-F:]+):\d{1,5}$/.test(v) && parseHostPort(v) !== null), {
    message: 'expected "host:port" (use [::1]:port for IPv6), or "" for off',
  });

/** A duration: a number of seconds, or a string like "500ms", "30s", "10m", "4h", "5d". */
export const duration = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/)]).transform(parseDurationMs);

export function parseDurationMs(v: number | string): number {
  if (typeof v === 'number') return Math.round(v * 1000);
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(v);
  if (!m) throw new Error(`bad duration ${v}`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(n * unit);
}

export const size = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+\s*(B|K|KB|M|MB|G|GB)?$/i)]).transform((v) => {
  if (typeof v === 'number') return v;
  const m = /^(\d+)\s*([KMG]?)B?$/i.exec(v)!;
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(m[1]) * mult;
});
