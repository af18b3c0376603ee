// Per-client connection caps across nodes (engine/net/pg-conn-counts.ts): two listeners ("nodes" A and B, each
// its own ConnectionLimits with max_connections_per_ip = 3) on one private database. Over real sockets from one
// client: 2 open on A and 1 on B fill the cap, so the next connection to B is refused with the refusal line; one
// closed on A frees a slot on B; a node that stops publishing (died) stops counting after three periods.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../../engine/db/pg/migrations.js';
import { Logger } from '../../engine/log/logger.js';
import { ConnectionLimits } from '../../engine/net/conn-limits.js';
import { startListener, type Listener } from '../../engine/net/listener.js';
import { PgConnectionCounts } from '../../engine/net/pg-conn-counts.js';
import type { ServerTls } from '../../engine/net/tls.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();

/** Connect and read the first line the server says (a greeting or the refusal). */
function greet(port: number): Promise<{ socket: net.Socket; line: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve({ socket, line: buf.slice(0, nl).trim() });
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ socket, line: buf.trim() || '(closed)' }));
  });
}

describe('per-client connection caps shared by the nodes', { skip: skip ?? false }, () => {
  let cluster: PgCluster;
  let pool: pg.Pool;
  let dir: string;
  let logger: Logger;
  const nodes: { limits: ConnectionLimits; counts: PgConnectionCounts; listener: Listener }[] = [];
  const sockets: net.Socket[] = [];

  before(async () => {
    cluster = await startPostgres('tegami_conn_counts');
    pool = new pg.Pool({ connectionString: cluster.url, max: 4 });
    await migrate(pool);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-conn-counts-'));
    logger = new Logger({ dir, stdout: false, files: true, level: 'debug' });
    for (const node of ['node-a', 'node-b']) {
      const limits = new ConnectionLimits({ total: 100, perClient: 3, ipv6Prefix: 64 });
      // a long period: the test calls sync() itself, so what each node knows is decided by the test, not a timer
      const counts = new PgConnectionCounts(pool, { node, everyMs: 60_000 });
      counts.track('pop3', limits);
      const listener = await startListener({
        protocol: 'pop3',
        name: `pop3-${node}`,
        listen: '127.0.0.1:0',
        implicitTls: false,
        context: {} as ServerTls, // plaintext: never used
        limits,
        handshakeMs: 0,
        logger,
        refusal: () => '-ERR [SYS/TEMP] too many connections from your address',
        onConnection: (s) => s.write(`+OK ${node} ready\r\n`),
      });
      nodes.push({ limits, counts, listener });
    }
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    for (const n of nodes) {
      n.listener.destroyAll();
      await n.listener.close();
      await n.counts.stop();
    }
    await logger?.close();
    await pool?.end();
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const syncAll = async () => {
    for (const n of nodes) await n.counts.sync();
    for (const n of nodes) await n.counts.sync(); // each now has read the other's latest
  };
  const open = async (i: number) => {
    const g = await greet(nodes[i].listener.port);
    sockets.push(g.socket);
    return g;
  };

  it('2 connections on A and 1 on B fill the cap: B refuses the 4th; a close on A frees it; a dead node stops counting', async () => {
    const b = nodes[1];
    assert.match((await open(0)).line, /^\+OK node-a/);
    const onA = await open(0);
    assert.match(onA.line, /^\+OK node-a/);
    assert.match((await open(1)).line, /^\+OK node-b/);
    // before the nodes have talked, B alone sees 1 of 3: it would admit (what the shared counts prevent)
    await syncAll();
    const refused = await open(1);
    assert.match(refused.line, /^-ERR \[SYS\/TEMP\] too many connections/);
    // and A refuses too (3 open over both nodes)
    assert.match((await open(0)).line, /^-ERR/);

    onA.socket.destroy();
    // the close reaches A's listener in its own time (a busy machine): sync and look again until B admits, 30 s at most
    const deadline = Date.now() + 30_000;
    let line = '';
    for (;;) {
      await syncAll();
      line = (await open(1)).line;
      if (/^\+OK node-b/.test(line) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(line, /^\+OK node-b/, 'one closed on A: a slot on B');
    assert.match((await open(1)).line, /^-ERR/, 'full again');

    // node A dies without removing its rows: after three periods they stop counting on B
    await pool.query('UPDATE conn_counts SET at = at - 200000 WHERE node = $1', ['node-a']);
    await b.counts.sync();
    assert.match((await open(1)).line, /^\+OK node-b/, 'A\'s stale connection no longer counts');
  });
});
