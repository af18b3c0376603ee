// What createBackup puts in the archive for a data dir laid out by hand: users whose names are "new" and
// "cur" (directories that are not Maildir subdirectories), an empty subfolder, tmp/ content, SQLite side
// files, the spool and logs (never included), and a TLS key inside the data dir named by [tls].
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createReadStream } from 'node:fs';
import zlib from 'node:zlib';
import { openDatabase } from '../../engine/db/database.js';
import { parseConfigText } from '../../engine/config/load.js';
import { createBackup } from '../../engine/ops/backup.js';
import { readTar, type TarHeader } from '../../engine/ops/tar.js';

async function listing(file: string): Promise<TarHeader[]> {
  const out: TarHeader[] = [];
  await readTar(createReadStream(file).pipe(zlib.createGunzip()), (h) => {
    out.push(h);
    return null;
  });
  return out;
}

describe('backup layout', () => {
  it('includes what it should and nothing else', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-layout-'));
    try {
      const dataDir = path.join(dir, 'data');
      openDatabase(dataDir).close();
      const put = (rel: string, body = 'x') => {
        fs.mkdirSync(path.dirname(path.join(dataDir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dataDir, rel), body);
      };
      put('keys/secret.key', 'k'.repeat(32));
      put('certs/server.key', 'KEY');
      put('certs/server.crt', 'CRT');
      for (const user of ['new', 'cur', 'alice']) {
        put(`mail/example.test/${user}/Maildir/new/1.M1P1.host`, `mail for ${user}`);
        put(`mail/example.test/${user}/Maildir/cur/2.M2P1.host:2,S`, `seen mail for ${user}`);
        put(`mail/example.test/${user}/Maildir/tmp/3.M3P1.host`, 'half delivered');
      }
      fs.mkdirSync(path.join(dataDir, 'mail/example.test/alice/Maildir/.Empty/cur'), { recursive: true });
      put('mail/example.test/alice/Maildir/subscriptions', 'Empty\n');
      put('tegami.db-journal', 'stale');
      put('spool/incoming/ABC', 'queued');
      put('logs/smtp-20261128.log', 'log');
      put('run/tegami.pid', '1');
      const configFile = path.join(dir, 'tegami.toml');
      const text = `hostname = "mx.example.test"\ndata_dir = "data"\n[tls]\ncert = "data/certs/server.crt"\nkey = "data/certs/server.key"\n`;
      fs.writeFileSync(configFile, text);
      const config = parseConfigText(text, configFile);
      const file = path.join(dir, 'b.tar.gz');
      const r = await createBackup(config, { file, withMail: true, withBayes: true, force: false });
      assert.ok(r.ok, !r.ok ? r.reason : '');
      if (!r.ok) return;
      const names = (await listing(file)).map((h) => (h.type === 'dir' ? h.path + '/' : h.path));
      const files = names.filter((n) => !n.endsWith('/'));
      assert.deepEqual(files.filter((n) => !n.startsWith('data/mail/')).sort(), ['config/tegami.toml', 'data/certs/server.crt', 'data/certs/server.key', 'data/keys/secret.key', 'data/tegami.db', 'manifest.json']);
      for (const user of ['new', 'cur', 'alice']) {
        assert.ok(files.includes(`data/mail/example.test/${user}/Maildir/new/1.M1P1.host`), `${user}: new/`);
        assert.ok(files.includes(`data/mail/example.test/${user}/Maildir/cur/2.M2P1.host:2,S`), `${user}: cur/`);
        assert.ok(names.includes(`data/mail/example.test/${user}/Maildir/tmp/`), `${user}: tmp/ kept as a directory`);
      }
      assert.ok(!files.some((n) => n.includes('/tmp/')), 'tmp/ content never');
      assert.ok(names.includes('data/mail/example.test/alice/Maildir/.Empty/cur/'), 'an empty folder survives');
      assert.ok(files.includes('data/mail/example.test/alice/Maildir/subscriptions'));
      assert.equal(r.manifest.counts.messages, 6);
      assert.equal(r.manifest.includes.bayes, false, 'no bayes.db, none included');
      assert.deepEqual(r.manifest.includes.tls, ['data/certs/server.crt', 'data/certs/server.key']);
      assert.equal(r.manifest.entries.find((e) => e.path === 'data/certs/server.key')?.mode, '0600');
      assert.equal(r.manifest.entries.find((e) => e.path === 'data/certs/server.crt')?.mode, '0644');
      assert.deepEqual(r.notes, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
