// The pg driver, loaded on first use: a node on SQLite never opens a PostgreSQL connection, and loading the
// driver costs about 30 ms of CPU at every command and every start. Types come from `import type pg from 'pg'`.
import { createRequire } from 'node:module';
import type pg from 'pg';

const require = createRequire(import.meta.url);
let lib: typeof pg | undefined;

export function pgLib(): typeof pg {
  return (lib ??= require('pg') as typeof pg);
}
