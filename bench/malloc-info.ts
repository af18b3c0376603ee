// What bench:sessions reads of a server's memory besides its PSS: /proc/PID/smaps_rollup, and glibc's own
// account of its arenas (malloc_info(3), asked of the running process through gdb when gdb is installed and
// allowed to attach). The arenas show where a PSS delta comes from: a login's scrypt takes one 16 MB block on a
// libuv pool thread, and with glibc's default (dynamic) mmap threshold that block stays in the thread's arena,
// free but resident (docs/benchmarks.md, "Sixteenth round"). Never run by `npm test` (the parsers are tested).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Rollup {
  rss_kb: number;
  pss_kb: number;
  anonymous_kb: number;
}

/** The totals of /proc/PID/smaps_rollup (kB); a missing line reads as 0. */
export function parseRollup(text: string): Rollup {
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rss_kb: kb('Rss'), pss_kb: kb('Pss'), anonymous_kb: kb('Anonymous') };
}

export interface Arenas {
  /** Arenas glibc has made (the main one and one per set of threads, at most 8 per core by default). */
  count: number;
  /** Memory the arenas hold from the system, KB (their heaps, free parts included). */
  system_kb: number;
  /** Of that, free chunks (fast bins and the rest, the top chunk included), KB. */
  free_kb: number;
  /** Arenas holding at least 15 MB of free chunks: each can be a scrypt block kept after a login. */
  with_free_16mb: number;
  /** Chunks glibc serves by mmap (above its mmap threshold): count, and KB. */
  mmapped: number;
  mmapped_kb: number;
}

/** malloc_info(3)'s XML, summed over arenas. */
export function parseMallocInfo(xml: string): Arenas {
  const heaps = [...xml.matchAll(/<heap nr="\d+">([\s\S]*?)<\/heap>/g)].map(([, body]) => {
    const total = (type: string) => Number(new RegExp(`<total type="${type}" count="\\d+" size="(\\d+)"/>`).exec(body)?.[1] ?? 0);
    const system = Number(/<system type="current" size="(\d+)"\/>/.exec(body)?.[1] ?? 0);
    return { system, free: total('fast') + total('rest') };
  });
  // the process-wide totals follow the last </heap>
  const tail = xml.slice(xml.lastIndexOf('</heap>'));
  const mmap = /<total type="mmap" count="(\d+)" size="(\d+)"\/>/.exec(tail);
  return {
    count: heaps.length,
    system_kb: Math.round(heaps.reduce((a, h) => a + h.system, 0) / 1024),
    free_kb: Math.round(heaps.reduce((a, h) => a + h.free, 0) / 1024),
    with_free_16mb: heaps.filter((h) => h.free >= 15 * 2 ** 20).length,
    mmapped: Number(mmap?.[1] ?? 0),
    mmapped_kb: Math.round(Number(mmap?.[2] ?? 0) / 1024),
  };
}

let gdbMissing = false;

/**
 * glibc's arenas of a running process, through gdb (it stops the process for about a second); undefined when
 * gdb is missing or cannot attach. Call it after reading the PSS: gdb's own calls allocate a little.
 */
export function mallocInfo(pid: number): Arenas | undefined {
  if (gdbMissing) return undefined;
  const file = path.join(os.tmpdir(), `tegami-malloc-info-${pid}-${Date.now()}.xml`);
  try {
    execFileSync('gdb', ['-p', String(pid), '-batch', '-nx', '-ex', `set $f = (void *) fopen("${file}", "w")`, '-ex', 'call (int) malloc_info(0, $f)', '-ex', 'call (int) fclose($f)'], {
      stdio: 'ignore',
      timeout: 60_000,
    });
    return parseMallocInfo(fs.readFileSync(file, 'utf8'));
  } catch {
    gdbMissing = true;
    return undefined;
  } finally {
    fs.rmSync(file, { force: true });
  }
}
