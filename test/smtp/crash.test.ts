// Durability: a bounded load over several connections while the server is killed with SIGKILL at a
// random moment; after a restart every message that got a 250 is found in the Maildir. Duplicates are
// counted (tolerated only in the window between a Maildir write and the spool removal).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startTestServer } from '../helpers/server.js';
import { deliveredIds, taggedLoad } from '../helpers/tagged-load.js';

for (const variant of [
  { name: 'deliver-before-reply path', toml: '[queue]\nworkers = 2\n' },
  { name: 'durable spool path (deadline 0)', toml: '[queue]\nanalysis_deadline = "0ms"\nworkers = 2\n' },
]) {
  describe(`crash safety: ${variant.name}`, () => {
    it('loses no acknowledged message across SIGKILL and restart', async () => {
      const srv = await startTestServer({ users: [{ address: 'alice@example.test', password: 'secret123' }], toml: variant.toml });
      const acked = new Set<string>();
      let killed = false;
      const killAfter = 100 + Math.floor(Math.random() * 900);
      const load = taggedLoad(srv.ports.smtp, { rcpt: 'alice@example.test', connections: 8, perConnection: 400, subject: 'crash', stop: () => killed }, { acked, refused: 0 });
      // let the load get going, then kill at a random moment
      for (const until = Date.now() + 60_000; acked.size < 21 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, killAfter));
      killed = true;
      await srv.stop('SIGKILL');
      await load;
      assert.ok(acked.size > 20, `the load got going before the kill (${acked.size} acked)`);
      await srv.restart();
      // everything acknowledged must show up, resumed at once (no retry delay)
      const deadline = Date.now() + 60_000;
      let seen = deliveredIds(srv.maildir('alice@example.test'));
      while ([...acked].some((id) => !seen.has(id)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        seen = deliveredIds(srv.maildir('alice@example.test'));
      }
      const missing = [...acked].filter((id) => !seen.has(id));
      const duplicates = [...seen.values()].filter((n) => n > 1).length;
      console.log(`# ${variant.name}: killed after ${killAfter} ms, acked ${acked.size}, delivered ${seen.size}, missing ${missing.length}, duplicates ${duplicates}`);
      assert.deepEqual(missing, [], 'every message that got a 250 is delivered');
      assert.equal(duplicates, 0, 'recovery skips mailboxes that already hold the message');
      let queued = fs.readdirSync(`${srv.dataDir}/spool/queue`);
      for (const until = Date.now() + 30_000; queued.length && Date.now() < until; ) {
        await new Promise((r) => setTimeout(r, 100));
        queued = fs.readdirSync(`${srv.dataDir}/spool/queue`);
      }
      assert.deepEqual(queued, [], 'the spool drains');
      assert.ok(!fs.existsSync(`${srv.dataDir}/spool/corrupt`), 'no spool file was unreadable');
      await srv.stop();
    });
  });
}
