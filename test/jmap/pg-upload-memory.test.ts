// What the node's JMAP memory budget ([web] jmap_memory) is charged for an upload on PostgreSQL, on a private
// database: the budget counted the upload's bytes once, while storing it also holds their joined copy and the
// INSERT's message (4 × its size when the row is written), and reading it back holds the row's hex text twice
// beside the bytes (5 ×; an upload's part 1 × more, decoded). Checked with the budget's own count, read by the
// database connection at the moment the INSERT is sent, and with the charge the download route claims before it
// reads (blobSizeBound); and the bytes still come back whole, one part decoded (UTF-8 and ISO-2022-JP).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { migrate } from '../../engine/db/pg/migrations.js';
import { MemoryBudget } from '../../engine/jmap/memory-budget.js';
import { PgBlobStore, READ_COPIES, WRITE_COPIES } from '../../engine/jmap/pg-blobs.js';
import { blobSizeBound, readBlob, partOfBlob } from '../../engine/jmap/mail/blob-source.js';
import type { CallContext } from '../../engine/jmap/request.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();
const ALICE = 'alice@example.test';

describe('an upload on PostgreSQL is charged what storing and reading it hold', { skip: skip ?? false, timeout: 300_000 }, () => {
  let cluster: PgCluster;
  let pool: pg.Pool;
  before(async () => {
    cluster = await startPostgres('tegami_upload_memory');
    pool = new pg.Pool({ connectionString: cluster.url, max: 3 });
    pool.on('error', () => undefined);
    await migrate(pool);
  });
  after(async () => {
    await pool?.end();
    await cluster?.stop();
  });

  it('holds 4 × the upload while its row is written, 5 × (and the part) while it is read, its bytes after', async () => {
    const memory = new MemoryBudget(Infinity);
    // the budget as it stands when each statement goes to the database (the pool the store is given, unchanged otherwise)
    const atInsert: number[] = [];
    const watched = {
      query: pool.query.bind(pool) as pg.Pool['query'],
      connect: async () => {
        const c = await pool.connect();
        const query = c.query.bind(c);
        (c as { query: unknown }).query = (text: unknown, ...rest: unknown[]) => {
          if (typeof text === 'string' && text.startsWith('INSERT INTO jmap_uploads')) atInsert.push(memory.used);
          return (query as (...a: unknown[]) => unknown)(text, ...rest);
        };
        return c;
      },
    } as unknown as pg.Pool;
    const blobs = new PgBlobStore(watched, { maxSizeUpload: 64 * 1024 * 1024, uploadQuota: 256 * 1024 * 1024, uploadTtlMs: 3_600_000 }, () => Date.now(), memory);
    const body = Buffer.concat([
      Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n'),
      Buffer.from(Buffer.from('日本語のメール\r\n'.repeat(20_000)).toString('base64').replace(/.{76}/g, '$&\r\n')),
      Buffer.from('\r\n--b\r\nContent-Type: text/plain; charset=iso-2022-jp\r\n\r\n\x1b$BF|K\\8l\x1b(B\r\n--b--\r\n'),
    ]);
    const pieces = [body.subarray(0, 100_000), body.subarray(100_000, 300_000), body.subarray(300_000)];
    const up = await blobs.upload(ALICE, 'message/rfc822', pieces);
    assert.ok(up.ok, JSON.stringify(up));
    assert.deepEqual(atInsert, [WRITE_COPIES * body.length], 'the chunks, their joined copy and the INSERT message');
    assert.equal(memory.used, 0, 'all given back once stored');

    const ctx = { svc: { blobs }, address: ALICE } as unknown as CallContext;
    const id = up.blob.blobId;
    assert.equal(await blobSizeBound(ctx, id), READ_COPIES * body.length, 'the row as hex text twice and the bytes');
    const part = partOfBlob(id, '1')!;
    assert.equal(await blobSizeBound(ctx, part), (READ_COPIES + 1) * body.length, 'and the part decoded from it');
    assert.ok((await readBlob(ctx, id))!.equals(body));
    assert.equal((await readBlob(ctx, part))!.toString('utf8'), '日本語のメール\r\n'.repeat(20_000));
    assert.equal((await readBlob(ctx, partOfBlob(id, '2')!))!.toString('latin1'), '\x1b$BF|K\\8l\x1b(B');

    // a claim cut down to the bytes once they are read: what stays held until the client has them
    const held = memory.claim();
    assert.ok(held.grow(READ_COPIES * body.length));
    held.keep(body.length);
    assert.equal(memory.used, body.length);
    held.keep(2 * body.length); // never grows by keep
    assert.equal(memory.used, body.length);
    held.release();
    assert.equal(memory.used, 0);
  });
});
