// `tegami status` names the last backup `tegami backup` made (by hand or on a timer) and says when; a backup
// downloaded through the admin web afterwards (the server keeps no copy of it) is said apart and never
// replaces it. /metrics has the same backup's time and size (0 before any), for an alert on a stale backup. A real `tegami serve` with the admin listener: the backup from the CLI, the download with curl
// and an API token over HTTPS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { StatusDocument } from '../../engine/metrics/status.js';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { sample, scrape } from './helpers.js';

const BOSS = 'boss@example.test';

describe('tegami status: the last backup made, a download apart', { timeout: 180_000 }, () => {
  let srv: TestServer;
  let token = '';
  before(async () => {
    srv = await startTestServer({ listeners: ['admin', 'metrics'], users: [{ address: BOSS, password: 'boss password 1', admin: true }] });
    const t = srv.cli(['admin', 'token', 'create', BOSS]);
    assert.equal(t.status, 0, t.stderr);
    token = t.stdout.trim();
  });
  after(async () => {
    await srv?.stop();
  });

  const status = () => JSON.parse(srv.cli(['status', '--json']).stdout) as StatusDocument;
  const backupGauges = async () => {
    const { text } = await scrape(srv.ports.metrics);
    return { at: sample(text, 'tegami_backup_last_success_timestamp_seconds'), bytes: sample(text, 'tegami_backup_last_size_bytes') };
  };

  it('before any backup: none made', async () => {
    const d = status();
    assert.equal(d.last_backup, null);
    assert.equal(d.last_download, null);
    assert.match(srv.cli(['status']).stdout, /^last backup: none made by tegami backup$/m);
    assert.deepEqual(await backupGauges(), { at: 0, bytes: 0 });
  });

  it('a download after `tegami backup` leaves the backup as the last one, and is shown apart', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const file = path.join(srv.dir, 'nightly.tar.gz');
    const b = srv.cli(['backup', file]);
    assert.equal(b.status, 0, b.stderr);
    const made = status().last_backup;
    assert.equal(made?.file, file);
    const gauges = { at: Date.parse(made!.created) / 1000, bytes: fs.statSync(file).size };
    assert.deepEqual(await backupGauges(), gauges);

    const got = path.join(srv.dir, 'downloaded.tar.gz');
    const dl = await run('curl', ['-sk', '-X', 'POST', '-H', `Authorization: Bearer ${token}`, '-o', got, '-w', '%{http_code}', `https://127.0.0.1:${srv.ports.admin}/api/v1/backup`]);
    assert.equal(dl.stdout, '200');
    assert.ok(fs.statSync(got).size > 1000);

    const d = status();
    assert.deepEqual(d.last_backup, made, 'the download did not replace the last backup');
    assert.equal(d.last_download?.by, BOSS);
    assert.match(d.last_download?.file ?? '', /^tegami-mx\.example\.test-\d{8}T\d{6}Z\.tar\.gz$/);
    assert.ok(Date.parse(d.last_download!.created) >= Date.parse(made!.created));
    assert.deepEqual(await backupGauges(), gauges, 'the metrics still give the backup, not the download');

    const text = srv.cli(['status']).stdout;
    const line = text.split('\n').find((l) => l.startsWith('last backup:')) ?? '';
    assert.ok(line.includes(`${file}, made ${made!.created} (`), line);
    assert.match(line, /\(\d+(s|m \d+s) ago\), [\d.]+ [KM]?B, \d+ file\(s\)$/);
    assert.match(text, new RegExp(`^downloaded: +tegami-mx\\.example\\.test-\\S+ from the admin web by ${BOSS.replace('.', '\\.')}, made .* ago\\), .*; no copy kept here$`, 'm'));
  });
});
