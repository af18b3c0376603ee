// restoreBackup against crafted backup files: well-formed gzip and tar with a manifest whose checksums
// match, but an escaping path, an entry the manifest does not list, a listed entry that is missing, a
// future format version, or a symbolic link in the target data dir. Each is refused and writes nothing. And the
// real `tegami restore` of a Python-made archive whose pax size is not a number (it spun for ever before).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { endBlocks, headerBlocks, padding } from '../../engine/ops/tar.js';
import { FORMAT, FORMAT_VERSION, type ManifestEntry } from '../../engine/ops/manifest.js';
import { restoreBackup } from '../../engine/ops/restore.js';
import { BIN, hasCommand } from '../helpers/server.js';

interface Part {
  path: string;
  body: Buffer;
}

function archive(parts: Part[], opts: { listed?: Part[]; version?: number; includes?: object } = {}): Buffer {
  const entries: ManifestEntry[] = (opts.listed ?? parts).map((p) => ({ path: p.path, type: 'file', size: p.body.length, mode: '0600', sha256: crypto.createHash('sha256').update(p.body).digest('hex') }));
  const manifest = Buffer.from(JSON.stringify({ format: FORMAT, version: opts.version ?? FORMAT_VERSION, tegami: 'test', created: new Date().toISOString(), machine: 'test', hostname: 'mx.example.test', data_dir: '/x', config_file: null, includes: opts.includes ?? {}, counts: { files: 0, dirs: 0, messages: 0, bytes: 0 }, entries }));
  const blocks: Buffer[] = [];
  for (const p of [...parts, { path: 'manifest.json', body: manifest }]) blocks.push(headerBlocks({ path: p.path, type: 'file', size: p.body.length, mode: 0o600, mtime: 0 }), p.body, padding(p.body.length));
  blocks.push(endBlocks());
  return zlib.gzipSync(Buffer.concat(blocks));
}

function setup(buf: Buffer) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-restore-unit-'));
  const file = path.join(dir, 'b.tar.gz');
  fs.writeFileSync(file, buf);
  return { dir, file, dataDir: path.join(dir, 'data') };
}

const KEY: Part = { path: 'data/keys/secret.key', body: crypto.randomBytes(32) };

describe('restore refuses crafted backups', () => {
  it('accepts a well-formed one (the control case)', async () => {
    const s = setup(archive([KEY]));
    const r = await restoreBackup(s.dataDir, { file: s.file, force: false });
    assert.ok(r.ok, !r.ok ? r.reason : '');
    assert.ok(fs.readFileSync(path.join(s.dataDir, 'keys', 'secret.key')).equals(KEY.body));
    assert.equal(fs.statSync(path.join(s.dataDir, 'keys')).mode & 0o777, 0o700);
    fs.rmSync(s.dir, { recursive: true, force: true });
  });

  it('holds the pid file while it writes, as serve does, and lets it go after', async () => {
    const s = setup(archive([KEY]));
    const pidFile = path.join(s.dataDir, 'run', 'tegami.pid');
    let seen: string | null = null;
    // the staging of secret.key is the first write: by then a serve starting must find the pid file taken
    const origOpen = fs.openSync;
    const spy = (p: fs.PathLike, ...rest: unknown[]) => {
      if (String(p).includes('secret.key.restore-') && seen === null) seen = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8') : '';
      return (origOpen as (...a: unknown[]) => number)(p, ...rest);
    };
    (fs as { openSync: unknown }).openSync = spy;
    try {
      const r = await restoreBackup(s.dataDir, { file: s.file, force: false });
      assert.ok(r.ok, !r.ok ? r.reason : '');
    } finally {
      (fs as { openSync: unknown }).openSync = origOpen;
    }
    assert.equal(seen, String(process.pid), 'the pid file named the restoring process while files were written');
    assert.equal(fs.existsSync(pidFile), false, 'released when done');
    fs.rmSync(s.dir, { recursive: true, force: true });
  });

  const cases: [string, Buffer, RegExp][] = [
    ['a path escaping with ..', archive([KEY, { path: 'data/../escaped', body: Buffer.from('x') }]), /unsafe path/],
    ['an absolute path', archive([{ path: '/tmp/abs', body: Buffer.from('x') }]), /unsafe path/],
    ['an entry the manifest does not list', archive([KEY, { path: 'data/extra', body: Buffer.from('x') }], { listed: [KEY] }), /data\/extra is not in the manifest/],
    ['a listed entry that is missing', archive([KEY], { listed: [KEY, { path: 'data/keys/gone', body: Buffer.from('x') }] }), /data\/keys\/gone is missing/],
    ['a checksum that does not match', archive([KEY], { listed: [{ path: KEY.path, body: crypto.randomBytes(32) }] }), /checksum mismatch for data\/keys\/secret\.key/],
    ['a future format version', archive([KEY], { version: FORMAT_VERSION + 1 }), /format version 2 is not supported/],
    ['no manifest at all', zlib.gzipSync(Buffer.concat([headerBlocks({ path: KEY.path, type: 'file', size: 32, mode: 0o600, mtime: 0 }), KEY.body, padding(32), endBlocks()])), /no manifest\.json/],
  ];
  for (const [name, buf, reason] of cases) {
    it(`refuses ${name}, writing nothing`, async () => {
      const s = setup(buf);
      const r = await restoreBackup(s.dataDir, { file: s.file, force: false });
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.match(r.reason, /^damaged backup file: /);
        assert.match(r.reason, reason);
        assert.match(r.reason, /nothing was written$/);
      }
      assert.deepEqual(fs.readdirSync(s.dir).sort(), ['b.tar.gz'], 'nothing written next to the data dir or in it');
      fs.rmSync(s.dir, { recursive: true, force: true });
    });
  }

  it('refuses to write through a symbolic link inside the data dir', async () => {
    const mailFile: Part = { path: 'data/mail/example.test/a/Maildir/new/1.x', body: Buffer.from('mail') };
    const s = setup(archive([KEY, mailFile]));
    const outside = path.join(s.dir, 'outside');
    fs.mkdirSync(outside);
    fs.mkdirSync(s.dataDir);
    fs.symlinkSync(outside, path.join(s.dataDir, 'mail'));
    const r = await restoreBackup(s.dataDir, { file: s.file, force: false });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.reason, /leads outside the data dir/);
    assert.deepEqual(fs.readdirSync(outside, { recursive: true }), [], 'nothing written through the link');
    assert.equal(fs.existsSync(path.join(s.dataDir, 'keys', 'secret.key')), false, 'the staged key was not put in place');
    assert.deepEqual(fs.readdirSync(path.join(s.dataDir, 'keys')), [], 'no staging file left behind');
    fs.rmSync(s.dir, { recursive: true, force: true });
  });
});

describe('tegami restore of a file made elsewhere (security review 3)', () => {
  // Python's tarfile writes the member with a pax "size" record of its own choosing: "0.5" made the reader ask for
  // half a byte, get none and ask again for ever (100% CPU, restore never ending); "-1" and "1e2" are no sizes either
  it('a pax size that is not decimal digits is a damaged file: exit 1 at once, nothing written', { skip: !hasCommand('python3') && 'python3 not installed' }, () => {
    for (const size of ['0.5', '-1', '1e2']) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-restore-pax-'));
      const file = path.join(dir, 'b.tar.gz');
      const py = spawnSync('python3', ['-c', [
        'import gzip, io, sys, tarfile',
        'buf = io.BytesIO()',
        'with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:',
        '    ti = tarfile.TarInfo("data/keys/secret.key"); ti.size = 5; ti.pax_headers = {"size": sys.argv[2]}',
        '    t.addfile(ti, io.BytesIO(b"hello"))',
        'open(sys.argv[1], "wb").write(gzip.compress(buf.getvalue()))',
      ].join('\n'), file, size], { encoding: 'utf8' });
      assert.equal(py.status, 0, py.stderr);
      const config = path.join(dir, 't.toml');
      fs.writeFileSync(config, `hostname = "mx.example.test"\ndata_dir = ${JSON.stringify(path.join(dir, 'data'))}\n`);
      const r = spawnSync(process.execPath, [BIN, 'restore', file, '--config', config], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 1, `size ${size}: ${r.signal ? `still running after 120 s (${r.signal})` : r.stderr}`);
      assert.match(r.stderr, /damaged backup file: bad pax size/);
      assert.equal(fs.existsSync(path.join(dir, 'data', 'keys')), false, 'nothing written');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tegami restore takes only what tegami backup writes (security review 3, follow-up)', () => {
  /** Run the real CLI on a backup file; the data dir must hold nothing afterwards when it refused. */
  function cli(buf: Buffer) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-restore-allow-'));
    const file = path.join(dir, 'b.tar.gz');
    fs.writeFileSync(file, buf);
    const config = path.join(dir, 't.toml');
    fs.writeFileSync(config, `hostname = "mx.example.test"\ndata_dir = ${JSON.stringify(path.join(dir, 'data'))}\n`);
    const r = spawnSync(process.execPath, [BIN, 'restore', file, '--config', config], { encoding: 'utf8', timeout: 60_000 });
    const written = fs.existsSync(path.join(dir, 'data')) ? fs.readdirSync(path.join(dir, 'data'), { recursive: true }) : [];
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: r.status, stderr: r.stderr, written };
  }
  const one = (p: string) => ({ path: p, body: Buffer.from('12345\n') });

  const foreign: [string, Buffer, string][] = [
    ['the pid file', archive([KEY, one('data/run/tegami.pid')]), 'data/run/tegami.pid'],
    ['a queued message', archive([KEY, one('data/spool/q/1.eml')]), 'data/spool/q/1.eml'],
    ['a database\'s write-ahead log', archive([KEY, one('data/tegami.db-wal')]), 'data/tegami.db-wal'],
    ['a file the server never writes', archive([KEY, one('data/.ssh/authorized_keys')]), 'data/.ssh/authorized_keys'],
    ['the pid file claimed as a TLS file', archive([KEY, one('data/run/tegami.pid')], { includes: { tls: ['data/run/tegami.pid'] } }), 'data/run/tegami.pid'],
  ];
  for (const [name, buf, member] of foreign) {
    it(`refuses ${name}: exit 1, the member named, nothing written`, () => {
      const r = cli(buf);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`damaged backup file: ${member.replace(/[.]/g, '\\.')} is not something tegami backup writes.*nothing was written`));
      assert.deepEqual(r.written, []);
    });
  }

  it('still restores the config\'s TLS files kept inside the data dir (named in includes.tls)', () => {
    const r = cli(archive([KEY, one('data/certs/mx.pem')], { includes: { tls: ['data/certs/mx.pem'] } }));
    assert.equal(r.status, 0, r.stderr);
  });

  it('refuses a member written twice and a member longer than the manifest says', () => {
    const dup = Buffer.concat([headerBlocks({ path: KEY.path, type: 'file', size: 32, mode: 0o600, mtime: 0 }), KEY.body, padding(32)]);
    const gz = zlib.gunzipSync(archive([KEY]));
    const r = cli(zlib.gzipSync(Buffer.concat([dup, gz])));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /damaged backup file: data\/keys\/secret\.key appears twice; nothing was written/);
    assert.deepEqual(r.written, []);
    const long = cli(archive([{ path: KEY.path, body: Buffer.concat([KEY.body, KEY.body]) }], { listed: [KEY] }));
    assert.equal(long.status, 1, long.stderr);
    assert.match(long.stderr, /checksum mismatch for data\/keys\/secret\.key/);
    assert.deepEqual(long.written, []);
  });

  it('refuses a backup that unpacks to more than the data dir\'s file system has free (a gzip bomb), writing nothing', (t) => {
    if (spawnSync('unshare', ['-m', 'mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', os.tmpdir()]).status !== 0) return t.skip('needs unshare -m and mount (root)');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-restore-full-'));
    const mnt = path.join(dir, 'mnt');
    fs.mkdirSync(mnt);
    const file = path.join(dir, 'b.tar.gz');
    // 4 MB of zeros: a 4 KB file, a file system of 2 MB
    fs.writeFileSync(file, archive([KEY, { path: 'data/keys/zeros', body: Buffer.alloc(4 * 1024 * 1024) }]));
    const config = path.join(dir, 't.toml');
    fs.writeFileSync(config, `hostname = "mx.example.test"\ndata_dir = ${JSON.stringify(path.join(mnt, 'data'))}\n`);
    const script = 'mount -t tmpfs -o size=2m tmpfs "$1" && { "$2" "$3" restore "$4" --config "$5"; rc=$?; echo "left:$(ls -A "$1" | tr "\\n" " ")" >&2; exit $rc; }';
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script, 'sh', mnt, process.execPath, BIN, file, config], { encoding: 'utf8', timeout: 60_000 });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /tegami restore: the backup holds 4194336 bytes and .*'s file system has \d+ free .*; nothing was written/);
    assert.match(r.stderr, /^left: *$/m, 'nothing made in the data dir\'s file system');
  });

  it('refuses symbolic and hard link members, absolute paths and ".." made by Python\'s tarfile', { skip: !hasCommand('python3') && 'python3 not installed' }, () => {
    for (const [kind, want] of [['sym', /unsupported tar entry type "2"/], ['hard', /unsupported tar entry type "1"/], ['abs', /unsafe path in archive: "\/etc\/x"/], ['dotdot', /unsafe path in archive: "data\/\.\.\/x"/]] as const) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-restore-py-'));
      const file = path.join(dir, 'b.tar.gz');
      const py = spawnSync('python3', ['-c', [
        'import gzip, io, sys, tarfile',
        'buf = io.BytesIO(); kind = sys.argv[2]',
        'with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:',
        '    ti = tarfile.TarInfo("data/keys/secret.key"); ti.size = 5; t.addfile(ti, io.BytesIO(b"hello"))',
        '    if kind in ("sym", "hard"):',
        '        ln = tarfile.TarInfo("data/keys/link"); ln.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE',
        '        ln.linkname = "/etc/passwd" if kind == "sym" else "data/keys/secret.key"; t.addfile(ln)',
        '    else:',
        '        ti = tarfile.TarInfo("/etc/x" if kind == "abs" else "data/../x"); ti.size = 1; t.addfile(ti, io.BytesIO(b"x"))',
        'open(sys.argv[1], "wb").write(gzip.compress(buf.getvalue()))',
      ].join('\n'), file, kind], { encoding: 'utf8' });
      assert.equal(py.status, 0, py.stderr);
      const r = cli(fs.readFileSync(file));
      fs.rmSync(dir, { recursive: true, force: true });
      assert.equal(r.status, 1, `${kind}: ${r.stderr}`);
      assert.match(r.stderr, want);
      assert.match(r.stderr, /nothing was written/);
      assert.deepEqual(r.written, [], kind);
    }
  });
});
