// The backup's tar format against tools we did not write: GNU tar and Python's tarfile read what we write
// (long and non-ASCII names through pax headers, modes, empty directories), we read what GNU tar writes
// (ustar, pax and GNU long names), and damage is caught: a bad header checksum, a cut archive, a symlink.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { endBlocks, headerBlocks, padding, readTar, TarError, type TarHeader } from '../../engine/ops/tar.js';
import { requireCommand } from '../helpers/server.js';

interface Item {
  path: string;
  type: 'file' | 'dir';
  mode: number;
  body?: Buffer;
}

function write(items: Item[]): Buffer {
  const parts: Buffer[] = [];
  for (const it of items) {
    const body = it.body ?? Buffer.alloc(0);
    parts.push(headerBlocks({ path: it.path, type: it.type, size: body.length, mode: it.mode, mtime: 1_700_000_000 }), body, padding(body.length));
  }
  parts.push(endBlocks());
  return Buffer.concat(parts);
}

async function read(buf: Buffer, chunk = 700): Promise<{ h: TarHeader; body: Buffer }[]> {
  const out: { h: TarHeader; body: Buffer }[] = [];
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) chunks.push(buf.subarray(i, i + chunk));
  await readTar(Readable.from(chunks), (h) => {
    const parts: Buffer[] = [];
    return { write: (c) => void parts.push(c), end: () => void out.push({ h, body: Buffer.concat(parts) }) };
  });
  return out;
}

const LONG = `data/mail/example.test/${'a'.repeat(40)}/Maildir/.${'Folder'.repeat(20)}/cur/1700000000.M123456P789Q1.host.example.test,S=1234,W=1260:2,S`;
const ITEMS: Item[] = [
  { path: 'data/keys/secret.key', type: 'file', mode: 0o600, body: crypto.randomBytes(32) },
  { path: 'data/mail', type: 'dir', mode: 0o755 },
  { path: 'data/mail/empty', type: 'dir', mode: 0o700 },
  { path: LONG, type: 'file', mode: 0o640, body: Buffer.from('Subject: long name\r\n\r\nbody\r\n') },
  { path: 'data/mail/日本語/メール', type: 'file', mode: 0o600, body: Buffer.from('non-ASCII name') },
  { path: 'data/big', type: 'file', mode: 0o600, body: crypto.randomBytes(300_001) },
  { path: 'data/empty-file', type: 'file', mode: 0o600, body: Buffer.alloc(0) },
];

describe('tar format', () => {
  it('reads back what it writes, in any chunking', async () => {
    const buf = write(ITEMS);
    for (const chunk of [1, 511, 512, 700, 1 << 20]) {
      const got = await read(buf, chunk);
      assert.deepEqual(got.map((g) => g.h.path), ITEMS.map((i) => i.path));
      for (const [i, g] of got.entries()) {
        assert.equal(g.h.type, ITEMS[i].type);
        assert.equal(g.h.mode, ITEMS[i].mode);
        assert.ok(g.body.equals(ITEMS[i].body ?? Buffer.alloc(0)), ITEMS[i].path);
      }
    }
  });

  it('GNU tar and Python tarfile read it: names, modes, contents', (t) => {
    if (!requireCommand(t, 'tar') || !requireCommand(t, 'python3')) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-tar-'));
    try {
      const file = path.join(dir, 'a.tar');
      fs.writeFileSync(file, write(ITEMS));
      const list = spawnSync('tar', ['-tf', file], { encoding: 'utf8' });
      assert.equal(list.status, 0, list.stderr);
      assert.deepEqual(list.stdout.trim().split('\n').map((l) => l.replace(/\/$/, '')), ITEMS.map((i) => i.path));
      const x = path.join(dir, 'x');
      fs.mkdirSync(x);
      const ex = spawnSync('tar', ['-xpf', file, '-C', x], { encoding: 'utf8' });
      assert.equal(ex.status, 0, ex.stderr);
      for (const it of ITEMS) {
        const st = fs.statSync(path.join(x, it.path));
        assert.equal(st.mode & 0o777, it.mode, `${it.path} mode`);
        if (it.type === 'file') assert.ok(fs.readFileSync(path.join(x, it.path)).equals(it.body!), `${it.path} content`);
      }
      const py = spawnSync('python3', ['-c', `
import tarfile, sys, hashlib, json
with tarfile.open(sys.argv[1]) as t:
    print(json.dumps([[m.name, m.isdir(), m.mode, hashlib.sha256(t.extractfile(m).read()).hexdigest() if m.isfile() else ''] for m in t.getmembers()]))
`, file], { encoding: 'utf8' });
      assert.equal(py.status, 0, py.stderr);
      const members = JSON.parse(py.stdout) as [string, boolean, number, string][];
      assert.deepEqual(members.map((m) => m[0]), ITEMS.map((i) => i.path));
      for (const [i, m] of members.entries()) {
        assert.equal(m[1], ITEMS[i].type === 'dir');
        assert.equal(m[2], ITEMS[i].mode);
        if (!m[1]) assert.equal(m[3], crypto.createHash('sha256').update(ITEMS[i].body!).digest('hex'));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads what GNU tar writes (ustar, pax and gnu formats, long names)', async (t) => {
    if (!requireCommand(t, 'tar')) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-tar-'));
    try {
      const src = path.join(dir, 'src');
      const deep = path.join(src, 'd'.repeat(90), 'e'.repeat(90));
      fs.mkdirSync(deep, { recursive: true });
      fs.writeFileSync(path.join(deep, 'f'.repeat(120)), 'long');
      fs.writeFileSync(path.join(src, 'short'), 'short');
      for (const format of ['pax', 'gnu', 'ustar']) {
        const file = path.join(dir, `${format}.tar`);
        const r = spawnSync('tar', ['-cf', file, `--format=${format}`, '-C', src, '.'], { encoding: 'utf8' });
        if (format === 'ustar') {
          // ustar cannot hold a 120-character file name: GNU tar says so; keep only the short file
          spawnSync('tar', ['-cf', file, '--format=ustar', '-C', src, 'short']);
        } else assert.equal(r.status, 0, r.stderr);
        const got = await read(fs.readFileSync(file));
        const files = new Map(got.filter((g) => g.h.type === 'file').map((g) => [g.h.path.replace(/^\.\//, ''), g.body.toString()]));
        assert.equal(files.get('short'), 'short', format);
        if (format !== 'ustar') assert.equal(files.get(`${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(120)}`), 'long', format);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad header checksum, a cut archive and a symbolic link', async (t) => {
    const buf = write(ITEMS);
    const flipped = Buffer.from(buf);
    flipped[5] ^= 1; // in the first header's name
    await assert.rejects(read(flipped), (e) => e instanceof TarError && /checksum/.test(e.message));
    await assert.rejects(read(buf.subarray(0, buf.length - 1024)), (e) => e instanceof TarError && /truncated/.test(e.message));
    await assert.rejects(read(buf.subarray(0, 2000)), (e) => e instanceof TarError && /truncated/.test(e.message));
    if (!requireCommand(t, 'tar')) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-tar-'));
    try {
      fs.symlinkSync('/etc/passwd', path.join(dir, 'link'));
      const file = path.join(dir, 'l.tar');
      assert.equal(spawnSync('tar', ['-cf', file, '-C', dir, 'link']).status, 0);
      await assert.rejects(read(fs.readFileSync(file)), (e) => e instanceof TarError && /unsupported tar entry type "2"/.test(e.message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
