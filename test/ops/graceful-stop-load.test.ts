// SIGTERM under load: eight SMTP connections send messages back to back when `tegami serve` gets SIGTERM at
// a random moment. It must exit 0 within the bound; every message that got a 250 is delivered (before the
// stop, or from the spool at the next start) exactly once; after the restart the spool drains.
// Both reply paths: deliver-then-250, and 250-after-spooling with the work finished in the background.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startTestServer } from '../helpers/server.js';
import { deliveredIds, taggedLoad, type TaggedLoad } from '../helpers/tagged-load.js';

const OWNER = 'erin@example.test';

for (const variant of [
  { name: 'deliver-then-250', toml: '[queue]\nworkers = 2\n' },
  { name: '250 after spooling (analysis deadline 0)', toml: '[queue]\nanalysis_deadline = "0ms"\nworkers = 2\n' },
]) {
  describe(`SIGTERM under load: ${variant.name}`, () => {
    it('exits 0 in time and loses or duplicates no acknowledged message', async (t) => {
      const srv = await startTestServer({ users: [{ address: OWNER, password: 'erin-pass-1' }], toml: variant.toml });
      try {
        const out: TaggedLoad = { acked: new Set(), refused: 0 };
        const { acked } = out;
        const running = taggedLoad(srv.ports.smtp, { rcpt: OWNER, connections: 8, perConnection: 400, subject: 'stop' }, out);
        for (const until = Date.now() + 60_000; acked.size < 21 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 25));
        await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 500)));
        const exited = new Promise<number | null>((resolve) => srv.proc.once('exit', (code) => resolve(code)));
        const at = Date.now();
        srv.proc.kill('SIGTERM');
        await running;
        const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 60_000).unref())]);
        const took = Date.now() - at;
        assert.equal(code, 0, `exit after SIGTERM: ${String(code)}`);
        assert.ok(acked.size > 20, `the load got going (${acked.size} acknowledged)`);
        const beforeRestart = deliveredIds(srv.maildir(OWNER)).size;
        await srv.restart();
        const deadline = Date.now() + 60_000;
        let seen = deliveredIds(srv.maildir(OWNER));
        while ([...acked].some((id) => !seen.has(id)) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          seen = deliveredIds(srv.maildir(OWNER));
        }
        const missing = [...acked].filter((id) => !seen.has(id));
        const duplicates = [...seen.values()].filter((n) => n > 1).length;
        t.diagnostic(`stopped in ${took} ms; acked ${acked.size}, ${out.refused} refused (421) at the stop, delivered before restart ${beforeRestart}, after ${seen.size}, duplicates ${duplicates}`);
        assert.deepEqual(missing, [], 'every acknowledged message is delivered');
        assert.equal(duplicates, 0, 'none twice');
        let queued = fs.readdirSync(`${srv.dataDir}/spool/queue`);
        for (const until = Date.now() + 30_000; queued.length && Date.now() < until; ) {
          await new Promise((r) => setTimeout(r, 100));
          queued = fs.readdirSync(`${srv.dataDir}/spool/queue`);
        }
        assert.deepEqual(queued, [], 'the spool drains after the restart');
      } finally {
        await srv.stop();
        fs.rmSync(srv.dir, { recursive: true, force: true });
      }
    });
  });
}
