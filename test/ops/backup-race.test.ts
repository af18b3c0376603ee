// A backup taken while messages move: another process keeps moving Maildir messages from new/ to cur/ and
// renaming them in cur/ for flag changes (what IMAP and POP3 do) while `tegami backup --with-mail` walks the
// tree. Every message must be in the archive exactly once, none counted as vanished.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, requireCommand } from '../helpers/server.js';

const N = 1500;

describe('backup while Maildir messages move', () => {
  it('archives every message exactly once', async (t) => {
    if (!requireCommand(t, 'tar')) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-race-'));
    try {
      const config = path.join(dir, 'tegami.toml');
      fs.writeFileSync(config, `hostname = "mx.example.test"\ndata_dir = "data"\n[domains]\nlocal = ["example.test"]\n[log]\nstdout = false\n`);
      const add = spawnSync(process.execPath, [BIN, 'user', 'add', 'alice@example.test', '--password-stdin', '--config', config], { input: 'alice-pw-1\n', encoding: 'utf8' });
      assert.equal(add.status, 0, add.stderr);
      const md = path.join(dir, 'data', 'mail', 'example.test', 'alice', 'Maildir');
      for (const s of ['new', 'cur', 'tmp']) fs.mkdirSync(path.join(md, s), { recursive: true });
      const bases: string[] = [];
      for (let i = 0; i < N; i++) {
        const base = `17000${String(i).padStart(5, '0')}.M${i}P1.host`;
        bases.push(base);
        fs.writeFileSync(path.join(md, 'new', base), `Subject: ${i}\r\n\r\n${'x'.repeat(2000)}\r\n`);
      }
      const file = path.join(dir, 'b.tar.gz');
      const child = spawn(process.execPath, [BIN, 'backup', file, '--with-mail', '--json', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const done = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      let exited = false;
      // (done never rejects)
      done.then(() => (exited = true)).catch(() => {});
      // move and rename until the backup ends: new → cur, then flag changes in cur (bounded by a deadline)
      const where = new Map(bases.map((b) => [b, path.join(md, 'new', b)]));
      const flags = ['S', 'RS', 'FRS', 'FS'];
      let renames = 0;
      const deadline = Date.now() + 30_000;
      for (let round = 0; !exited && Date.now() < deadline; round++) {
        for (let k = 0; k < 25; k++) {
          const n = round * 25 + k;
          const b = bases[n % N];
          const to = path.join(md, 'cur', `${b}:2,${flags[Math.floor(n / N) % flags.length]}`);
          if (to === where.get(b)) continue;
          fs.renameSync(where.get(b)!, to);
          where.set(b, to);
          renames++;
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      assert.equal(await done, 0, err);
      const summary = JSON.parse(out) as { messages: number; vanished: number };
      t.diagnostic(`${renames} renames during the backup; ${summary.messages} messages archived`);
      assert.ok(renames > 0, 'the backup ran while messages moved');
      const list = spawnSync('tar', ['-tzf', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
      assert.equal(list.status, 0, list.stderr);
      const seen = new Map<string, number>();
      for (const line of list.stdout.split('\n')) {
        const m = /\/Maildir\/(?:new|cur)\/([^/]+)$/.exec(line);
        if (m) seen.set(m[1].split(':')[0], (seen.get(m[1].split(':')[0]) ?? 0) + 1);
      }
      const missing = bases.filter((b) => !seen.has(b));
      const twice = [...seen].filter(([, n]) => n > 1).map(([b]) => b);
      assert.deepEqual(missing, [], 'no message missing');
      assert.deepEqual(twice, [], 'no message twice');
      assert.equal(summary.messages, N);
      assert.equal(summary.vanished, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
