// A new index file gets the current schema in one step (engine/store/index-schema.ts createOrMigrate); it must be
// the schema an older index reaches through SCHEMA and migrate() — the same tables, columns (in order), defaults
// and indexes — so either kind of file is read the same way, and opening either again changes nothing.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createOrMigrate, migrate, SCHEMA } from '../../engine/store/index-schema.js';
import { IndexDb } from '../../engine/store/index-db.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function shape(db: Database.Database): unknown {
  const objects = db.prepare<[], { type: string; name: string; tbl_name: string }>("SELECT type, name, tbl_name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all();
  return {
    objects,
    columns: objects.filter((o) => o.type === 'table').map((o) => db.prepare(`PRAGMA table_info(${o.name})`).all()),
    indexes: objects.filter((o) => o.type === 'index').map((o) => db.prepare(`PRAGMA index_xinfo(${o.name})`).all()),
    version: db.pragma('user_version', { simple: true }),
  };
}

test('a new index gets the schema SCHEMA and migrate() give, and both open again unchanged', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-index-schema-'));
  dirs.push(dir);
  const old = new Database(path.join(dir, 'old.sqlite'));
  old.exec(SCHEMA);
  migrate(old);
  const made = new Database(path.join(dir, 'new.sqlite'));
  createOrMigrate(made);
  assert.deepEqual(shape(made), shape(old));
  const before = shape(made);
  createOrMigrate(made);
  createOrMigrate(old);
  assert.deepEqual(shape(made), before);
  assert.deepEqual(shape(old), before);
  old.close();
  made.close();
  // both open as indexes and keep what they were given
  for (const f of ['old.sqlite', 'new.sqlite']) {
    const ix = new IndexDb(path.join(dir, f));
    const v = ix.folder('INBOX').uidvalidity;
    ix.apply('INBOX', { add: [{ base: '1700000000.M1P1.日本', file: '1700000000.M1P1.日本:2,S', size: 3, idate: 1_700_000_000_000, letters: 'S' }] });
    ix.close();
    const again = new IndexDb(path.join(dir, f));
    assert.equal(again.folder('INBOX').uidvalidity, v);
    assert.deepEqual(again.messages('INBOX').map((m) => [m.uid, m.base, m.letters]), [[1, '1700000000.M1P1.日本', 'S']]);
    again.close();
  }
});
