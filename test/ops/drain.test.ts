// SIGTERM finishes the worker tasks of messages already acknowledged (Queue.drain): with an analysis
// deadline of 1 ms every message is answered 250 (durable in the spool) while its worker still analyses
// and delivers it; a SIGTERM right after the last 250 must let those tasks end, so after the exit every
// message is in the Maildir and the spool holds nothing for the next start. (Before drain, the pool was
// destroyed under them and the messages waited in spool/queue for a restart.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { requireCommand, run, startTestServer } from '../helpers/server.js';

const USER = 'midori@example.test';
const COUNT = 4;

const SEND = `
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=120)
line = ('日本語の本文、ドレインの試験です。' * 20 + '\\r\\n').encode('utf-8')
for i in range(${COUNT}):
    body = b'Subject: drain %d\\r\\nContent-Type: text/plain; charset=UTF-8\\r\\n\\r\\n' % i + line * 12000
    s.sendmail('sender@remote.example', ['${USER}'], body)
s.quit()
print('sent')
`;

describe('graceful stop drains the pool', () => {
  it('messages answered 250 before SIGTERM are delivered before the exit; nothing is left in the spool', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const srv = await startTestServer({ listeners: ['smtp'], users: [{ address: USER, password: 'pass-word-3' }], toml: '[queue]\nanalysis_deadline = "1ms"\nworkers = 1\n' });
    let code: number | null = null;
    try {
      const r = await run('python3', ['-c', SEND, String(srv.ports.smtp)], { timeoutMs: 180_000 });
      assert.equal(r.code, 0, r.stderr);
      code = await srv.stop('SIGTERM');
    } finally {
      if (code === null) await srv.stop('SIGKILL');
    }
    assert.equal(code, 0);
    const queued = fs.readdirSync(path.join(srv.dataDir, 'spool', 'queue')).filter((n) => !n.startsWith('.'));
    assert.deepEqual(queued, [], 'left in the spool for the next start');
    assert.equal(srv.maildir(USER).length, COUNT);
    const system = fs
      .readdirSync(path.join(srv.dataDir, 'logs'))
      .filter((f) => f.startsWith('system-'))
      .map((f) => fs.readFileSync(path.join(srv.dataDir, 'logs', f), 'utf8'))
      .join('');
    const m = /INFO drained tasks=(\d+) left=(\d+)/.exec(system);
    assert.ok(m, system);
    assert.equal(m[2], '0');
    t.diagnostic(`tasks still running at SIGTERM: ${m[1]}`);
  });
});
