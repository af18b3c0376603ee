// `tegami backup --with-logs`: the daily log files (plain and gzipped) are in the archive under data/logs/,
// counted in the manifest (includes.logs), and come back with a restore; without the flag there are none.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { requireCommand, run, startTestServer } from '../helpers/server.js';

describe('backup --with-logs', () => {
  it('carries the log files, and a restore brings them back', async (t) => {
    if (!requireCommand(t, 'tar')) return;
    const srv = await startTestServer({ users: [{ address: 'kenji@example.test', password: 'pass-word-2' }] });
    await srv.stop();
    const logs = path.join(srv.dataDir, 'logs');
    fs.writeFileSync(path.join(logs, 'smtp-20260101.log.gz'), zlib.gzipSync('2026-01-01T00:00:00.000Z INFO connect sid=x\n'));
    fs.writeFileSync(path.join(logs, 'delivery-20260102.log'), '2026-01-02T00:00:00.000Z INFO delivered id=q1\n');
    const without = path.join(srv.dir, 'plain.tar.gz');
    assert.equal(srv.cli(['backup', without]).status, 0);
    assert.ok(!(await run('tar', ['-tzf', without])).stdout.includes('data/logs/'));

    const file = path.join(srv.dir, 'with-logs.tar.gz');
    const r = srv.cli(['backup', file, '--with-logs', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { includes: { logs?: number } };
    const names = (await run('tar', ['-tzf', file])).stdout.split('\n');
    const inArchive = names.filter((n) => n.startsWith('data/logs/'));
    assert.ok(inArchive.includes('data/logs/smtp-20260101.log.gz'));
    assert.ok(inArchive.includes('data/logs/delivery-20260102.log'));
    assert.equal(out.includes.logs, inArchive.length);
    const manifest = JSON.parse((await run('tar', ['-xzOf', file, 'manifest.json'])).stdout) as { includes: { logs: number } };
    assert.equal(manifest.includes.logs, inArchive.length);

    const target = await startTestServer({ listeners: ['smtp'] });
    await target.stop();
    fs.rmSync(path.join(target.dataDir, 'tegami.db'), { force: true });
    const restored = target.cli(['restore', file, '--force']);
    assert.equal(restored.status, 0, restored.stderr);
    assert.equal(zlib.gunzipSync(fs.readFileSync(path.join(target.dataDir, 'logs', 'smtp-20260101.log.gz'))).toString(), '2026-01-01T00:00:00.000Z INFO connect sid=x\n');
    assert.equal(fs.readFileSync(path.join(target.dataDir, 'logs', 'delivery-20260102.log'), 'utf8'), '2026-01-02T00:00:00.000Z INFO delivered id=q1\n');
  });
});
