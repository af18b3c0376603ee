// Backpressure: when the spool holds `[queue] max_messages`, new transactions get 451 4.3.2 instead of
// memory growing; mail already queued is kept (and listed by the queue CLI).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startTestServer } from '../helpers/server.js';
import { ehlo } from '../helpers/smtp-client.js';

describe('queue bound', () => {
  it('answers 451 4.3.2 once the spool is full, and accepts again when it drains', async () => {
    // remote mail cannot be delivered here (the resolver is a dead port), so it stays queued
    const srv = await startTestServer({
      users: [{ address: 'alice@example.test', password: 'secret123' }],
      toml: '[queue]\nmax_messages = 2\nretry_schedule = ["1h"]\n',
    });
    try {
      const { c } = await ehlo(srv.ports.submission);
      assert.equal((await c.cmd(`AUTH PLAIN ${Buffer.from('\0alice@example.test\0secret123').toString('base64')}`)).code, 235);
      for (let i = 0; i < 2; i++) {
        assert.equal((await c.cmd('MAIL FROM:<alice@example.test>')).code, 250);
        assert.equal((await c.cmd(`RCPT TO:<friend${i}@remote.test>`)).code, 250);
        assert.equal((await c.cmd('DATA')).code, 354);
        assert.equal((await c.cmd(`Subject: queued ${i}\r\n\r\nhello\r\n.`)).code, 250);
      }
      const full = await c.cmd('MAIL FROM:<alice@example.test>');
      assert.equal(full.code, 451, full.text);
      assert.match(full.text, /^451 4\.3\.2 /);
      c.close();
      const queued = fs.readdirSync(`${srv.dataDir}/spool/queue`).filter((f) => !f.includes('.'));
      assert.equal(queued.length, 2);
      // the operator deletes one: room again
      const del = srv.cli(['queue', 'delete', queued[0]]);
      assert.equal(del.status, 0, del.stderr);
      const again = await ehlo(srv.ports.submission);
      await again.c.cmd(`AUTH PLAIN ${Buffer.from('\0alice@example.test\0secret123').toString('base64')}`);
      let ok = 0;
      for (const deadline = Date.now() + 30_000; ok !== 250 && Date.now() < deadline; ) {
        ok = (await again.c.cmd('MAIL FROM:<alice@example.test>')).code;
        if (ok !== 250) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(ok, 250);
      again.c.close();
    } finally {
      await srv.stop();
    }
  });
});
