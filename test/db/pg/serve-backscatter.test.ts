// The PostgreSQL twin of test/workers/backscatter-remote-e2e: a `tegami serve` on [storage] backend = "postgres"
// hands the forwarded recipient over to the shared queue (engine/queue/pg-remote.ts) with the worker's no-notice
// decision (queue_envelopes.no_notice, migration 24); the shared queue's delay warning and expiry notice follow it,
// so the sender that may be forged gets no notice (backscatter-remote-scenario.ts), and the column holds the reason.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { postgresUnavailable } from '../../helpers/postgres.js';
import type { RulesLab } from '../../sieve/e2e-helpers.js';
import { startBackscatterLab, twoWaysNoNotice } from '../../workers/backscatter-remote-scenario.js';
import { pgNodes } from './pg-node.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();

describe('tegami serve on PostgreSQL: the shared queue keeps the no-notice decision', { skip: skip ?? false }, () => {
  const fx = pgNodes('tegami_serve_backscatter');
  let lab: RulesLab;
  before(async () => {
    lab = await startBackscatterLab((opts) => fx.node({ ...opts, name: 'node-a' }));
  });
  after(async () => {
    await lab?.close();
  });

  it('a remote attempt in PostgreSQL sends no notice to a sender the worker found may be forged', async () => {
    const db = await fx.client();
    // the forwarded recipient is in the shared queue with the reason, while it waits
    let seen = '';
    const watch = setInterval(() => {
      db.query<{ no_notice: string | null }>("SELECT e.no_notice FROM queue_envelopes e JOIN queue_recipients r ON r.message_id = e.id WHERE r.address = 'slow@remote.test'")
        .then((r) => (seen ||= r.rows.find((x) => x.no_notice)?.no_notice ?? ''))
        .catch(() => undefined);
    }, 200);
    try {
      await twoWaysNoNotice(lab);
    } finally {
      clearInterval(watch);
    }
    assert.match(seen, /sender may be forged/);
  });
});
