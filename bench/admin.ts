// Administration benchmark (not a test): page times of the users page over 10,000 users and of the logs page
// over a 100 MB log file, through the admin app (inject() with a system admin's cookie session: the server's
// own time, without TLS or the network). Prints p50/p99 per page kind and writes reports/admin-bench-<time>.json.
// Run: npx tsc -p . && node dist/bench/admin.js [log_mb=100] [rounds=200]
import fs from 'node:fs';
import path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { ROOT } from '../test/helpers/server.js';
import { Browser, PASSWORD } from '../test/web/helpers.js';
import { adminFixture, ROLES } from '../test/admin/fixture.js';

const LOG_MB = Number(process.argv[2] ?? 100);
const ROUNDS = Number(process.argv[3] ?? 200);

async function main(): Promise<void> {
  const f = await adminFixture();
  try {
    const insert = f.db.prepare("INSERT INTO users (address, local, domain, password_hash, full_name, created) VALUES (?, ?, ?, 'x', ?, 0)");
    f.db.transaction(() => {
      for (let i = 0; i < 10_000; i++) {
        const local = `bulk${String(i).padStart(5, '0')}`;
        insert.run(`${local}@example.org`, local, 'example.org', `Bulk User ${i}`);
      }
    })();
    // a day of smtp log: connect/queued/disconnect sessions, ~100 bytes a line, one rare address near the end
    fs.mkdirSync(f.logsDir, { recursive: true });
    const file = path.join(f.logsDir, 'smtp-20261205.log');
    const fd = fs.openSync(file, 'w');
    let bytes = 0;
    let n = 0;
    while (bytes < LOG_MB * 1024 * 1024) {
      const chunk: string[] = [];
      for (let i = 0; i < 10_000; i++, n++) chunk.push(`2026-12-05T09:00:00.${String(n % 1000).padStart(3, '0')}Z INFO queued sid=s${n} id=Q${n.toString(36).toUpperCase()} from=u${n % 5000}@sender.test rcpts=1 ip=192.0.2.${n % 250}\n`);
      const buf = Buffer.from(chunk.join(''));
      fs.writeSync(fd, buf);
      bytes += buf.length;
    }
    fs.writeSync(fd, '2026-12-05T23:59:59.000Z INFO queued sid=last id=QLAST from=needle@rare.test rcpts=1 ip=198.51.100.9\n');
    fs.closeSync(fd);
    const lines = n + 1;

    const b = new Browser(f.admin, { 'accept-language': 'ja' });
    await b.login(ROLES.system, PASSWORD);
    const kinds: Record<string, { rounds: number; url: (i: number) => string }> = {
      'users: a page of example.org': { rounds: ROUNDS, url: (i) => `/users?domain=example.org&page=${1 + ((i * 37) % 200)}` },
      'users: search': { rounds: ROUNDS, url: (i) => `/users?domain=example.org&q=bulk0${String(i % 1000).padStart(3, '0')}` },
      'logs: first page': { rounds: ROUNDS, url: () => '/logs?service=smtp&day=20261205' },
      'logs: pages 1..50 in turn': { rounds: ROUNDS, url: (i) => `/logs?service=smtp&day=20261205&page=${1 + (i % 50)}` },
      'logs: search a common IP': { rounds: ROUNDS, url: (i) => `/logs?service=smtp&day=20261205&q=192.0.2.${i % 250}` },
      'logs: search a rare address (reads the whole file)': { rounds: Math.max(5, Math.floor(ROUNDS / 20)), url: () => '/logs?service=smtp&day=20261205&q=needle%40rare.test' },
    };
    const results: Record<string, { rounds: number; p50_ms: number; p99_ms: number; max_ms: number }> = {};
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    for (const [name, k] of Object.entries(kinds)) {
      const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
      for (let i = 0; i < k.rounds; i++) {
        const t0 = process.hrtime.bigint();
        const r = await b.get(k.url(i));
        const us = Number((process.hrtime.bigint() - t0) / 1000n);
        if (r.statusCode !== 200) throw new Error(`${k.url(i)}: ${r.statusCode}`);
        h.recordValue(us);
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }
      results[name] = { rounds: k.rounds, p50_ms: h.getValueAtPercentile(50) / 1000, p99_ms: h.getValueAtPercentile(99) / 1000, max_ms: h.maxValue / 1000 };
      console.log(`${name.padEnd(52)} p50 ${results[name].p50_ms.toFixed(1).padStart(8)} ms   p99 ${results[name].p99_ms.toFixed(1).padStart(8)} ms   (${k.rounds} pages)`);
    }
    const report = {
      when: new Date().toISOString(),
      node: process.version,
      users: 10_000,
      log: { bytes: fs.statSync(file).size, lines },
      heap_growth_mb: Math.round(((heapPeak - heapBefore) / 1024 / 1024) * 10) / 10,
      pages: results,
    };
    console.log(`log file ${(report.log.bytes / 1024 / 1024).toFixed(0)} MB, ${lines} lines; heap grew at most ${report.heap_growth_mb} MB`);
    const out = path.join(ROOT, 'reports', `admin-bench-${report.when.replace(/[:.]/g, '-')}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
    console.log(`written: ${path.relative(ROOT, out)}`);
  } finally {
    await f.close();
  }
}

await main();
