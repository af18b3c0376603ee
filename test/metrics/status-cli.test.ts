// `tegami status`: from the running server over the control socket, --json prints one JSON document alone
// on stdout (listeners, connections, queue by state, pool, monitor, last backup, disk, readiness, versions);
// the text form says the same for a person; an unknown option is a usage error (2); with no server
// running, a clear message and exit 1 (with --json, {"running": false}). The database line: whether tegami.db
// answers a query on a connection of its own and how fast; a file gone from under the running server (renamed
// away: the server's open handle still works) or not a database is NOT ANSWERING and exit 1, the server running
// or not.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { StatusDocument } from '../../engine/metrics/status.js';

describe('tegami status', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ listeners: ['smtp', 'pop3', 'metrics'], users: [{ address: 'hanako@example.test', password: 'pass-word-1' }] });
  });
  after(async () => {
    await srv?.stop();
  });

  it('--json is one JSON document with the server state', () => {
    const r = srv.cli(['status', '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 1, 'one line, one document');
    const d = JSON.parse(r.stdout) as StatusDocument;
    assert.equal(d.running, true);
    assert.equal(d.hostname, 'mx.example.test');
    assert.equal(d.pid, srv.proc.pid);
    assert.deepEqual(
      d.listeners.map((l) => [l.name, l.bound]).sort(),
      [
        ['metrics', true],
        ['pop3', true],
        ['smtp', true],
      ],
    );
    assert.ok(d.listeners.some((l) => l.address === `127.0.0.1:${srv.ports.smtp}`));
    assert.deepEqual(Object.keys(d.queue.by_state).sort(), ['active', 'deferred', 'hold', 'incoming']);
    assert.equal(d.queue.total, 0);
    assert.ok(d.pool && d.pool.threads >= 1);
    assert.deepEqual(d.monitor, []);
    assert.equal(d.last_backup, null);
    assert.ok(d.disk.free_bytes > 0 && d.disk.size_bytes >= d.disk.free_bytes);
    assert.equal(d.ready.ok, true);
    assert.equal(d.versions.node, process.version);
    assert.match(d.versions.tegami, /^\d+\.\d+\.\d+/);
    assert.match(d.versions.sqlite, /^3\./);
    assert.equal(d.logs.keep_days, 90);
    assert.deepEqual(d.storage, { backend: 'sqlite', location: path.join(srv.dataDir, 'tegami.db'), node: null });
    assert.equal(d.database?.backend, 'sqlite');
    assert.equal(d.database?.where, path.join(srv.dataDir, 'tegami.db'));
    assert.equal(d.database?.ok, true, d.database?.error);
    assert.ok(typeof d.database?.ms === 'number' && d.database.ms >= 0);
  });

  it('a database file gone from under the running server: NOT ANSWERING, exit 1; back again: answered, exit 0', () => {
    const db = path.join(srv.dataDir, 'tegami.db');
    fs.renameSync(db, `${db}.away`);
    try {
      const r = srv.cli(['status']);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^tegami on mx\.example\.test: running/, 'the rest of the status is still shown');
      assert.ok(r.stdout.includes(`\ndatabase:    sqlite ${db}: NOT ANSWERING (unable to open database file; gave up after `), r.stdout);
      const j = srv.cli(['status', '--json']);
      assert.equal(j.status, 1);
      const d = JSON.parse(j.stdout) as StatusDocument;
      assert.equal(d.database?.ok, false);
      assert.match(d.database?.error ?? '', /unable to open database file/);
    } finally {
      fs.renameSync(`${db}.away`, db);
    }
    const r = srv.cli(['status']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^database: +sqlite ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: answered in \\d+(\\.\\d)? ms$`, 'm'));
  });

  it('shows the last backup once one was made', () => {
    const file = path.join(srv.dir, 'b.tar.gz');
    const b = srv.cli(['backup', file, '--with-logs']);
    assert.equal(b.status, 0, b.stderr);
    const d = JSON.parse(srv.cli(['status', '--json']).stdout) as StatusDocument;
    assert.equal(d.last_backup?.file, file);
    assert.ok((d.last_backup?.bytes ?? 0) > 0);
    assert.ok(typeof d.last_backup?.includes.logs === 'number' && d.last_backup.includes.logs > 0);
    assert.match(srv.cli(['status']).stdout, /last backup: .*b\.tar\.gz, made \d{4}-/);
  });

  it('the text form says the same for a person', () => {
    const r = srv.cli(['status']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^tegami on mx\.example\.test: running, pid \d+/);
    assert.match(r.stdout, /^ready: +yes$/m);
    assert.match(r.stdout, new RegExp(`smtp +127\\.0\\.0\\.1:${srv.ports.smtp} +bound`));
    assert.match(r.stdout, /^queue: +0 message\(s\): incoming 0, active 0, deferred 0, hold 0/m);
    assert.ok(r.stdout.includes(`\nstorage:     sqlite ${path.join(srv.dataDir, 'tegami.db')} (one node)\n`), r.stdout);
  });

  it('an unknown option is a usage error', () => {
    const r = srv.cli(['status', '--jsn']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--jsn/);
    assert.equal(r.stdout, '');
  });

  it('without a running server: a clear message and exit 1; with --json, {"running": false}', async () => {
    await srv.stop();
    const r = srv.cli(['status']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /tegami is not running/);
    assert.equal(r.stdout, '');
    const j = srv.cli(['status', '--json']);
    assert.equal(j.status, 1);
    const d = JSON.parse(j.stdout) as { running: boolean; error: string };
    assert.equal(d.running, false);
    assert.match(d.error, /not running/);
    // the database line, as the command finds it itself
    const db = path.join(srv.dataDir, 'tegami.db');
    assert.ok(r.stderr.includes(`tegami status: database sqlite ${db}: answered in `), r.stderr);
    assert.equal((d as unknown as StatusDocument).database?.ok, true);
    fs.writeFileSync(db, 'this is not an SQLite database\n'.repeat(200));
    const bad = srv.cli(['status']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /tegami status: database sqlite \S+tegami\.db: NOT ANSWERING \(file is not a database; gave up after [\d.]+ ms\)/);
  });
});
