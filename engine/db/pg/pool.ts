// The connection pool a node keeps to PostgreSQL ([storage] backend = "postgres"): TLS as configured,
// a statement timeout, this node's name as the application name. It never logs the URL (it holds the
// password) and never lets an idle connection's error crash the process.
import fs from 'node:fs';
import type pg from 'pg';
import { pgLib } from './lib.js';
import type { StorageConfig } from '../../config/schema.js';

export type PgPool = pg.Pool;

export interface PoolOptions {
  /** What to do with an error on a connection, idle or lent out (the database restarted); default: ignore, the pool
   * reconnects. */
  onIdleError?: (err: Error) => void;
}

/** The TLS options of a connection, from [storage] tls, tls_ca, tls_cert, tls_key. */
export function tlsOptions(s: StorageConfig): pg.ClientConfig['ssl'] {
  if (s.tls === 'disable') return false;
  const files = {
    ...(s.tls_ca ? { ca: fs.readFileSync(s.tls_ca, 'utf8') } : {}),
    ...(s.tls_cert ? { cert: fs.readFileSync(s.tls_cert, 'utf8') } : {}),
    ...(s.tls_key ? { key: fs.readFileSync(s.tls_key, 'utf8') } : {}),
  };
  // verify-full: Node's TLS checks the chain and the host name (pg sets servername from the URL's host)
  return { ...files, rejectUnauthorized: s.tls === 'verify-full' };
}

/**
 * Parameters of a connection URL that pg reads as TLS settings and that override the ssl object given beside the
 * URL: `?ssl=0` alone turned TLS off under the default verify-full, `?sslrootcert=` replaced tls_ca and the check.
 */
const URL_TLS_PARAMS = ['sslmode', 'ssl', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword', 'sslcrl', 'sslnegotiation', 'sslcompression', 'uselibpqcompat'];

/** The connection settings shared by the pool and the dedicated LISTEN connection. */
export function clientConfig(s: StorageConfig): pg.ClientConfig {
  if (!s.url) throw new Error('[storage] url is not set');
  const url = new URL(s.url);
  const tlsParam = URL_TLS_PARAMS.find((p) => url.searchParams.has(p));
  if (tlsParam) throw new Error(`[storage] url: set TLS with [storage] tls (and tls_ca, tls_cert, tls_key), not ${tlsParam} in the URL`);
  return {
    connectionString: s.url,
    ssl: tlsOptions(s),
    statement_timeout: s.statement_timeout,
    application_name: `tegami/${s.node_name}`.slice(0, 63),
    connectionTimeoutMillis: 10_000,
  };
}

export function openPool(s: StorageConfig, opts: PoolOptions = {}): PgPool {
  const pool = new (pgLib().Pool)({ ...clientConfig(s), max: s.pool_size });
  pool.on('error', (err) => opts.onIdleError?.(err));
  // pg-pool listens for errors only on the connections it holds idle: one lent out and cut meanwhile (the database
  // restarted, an administrator's pg_terminate_backend) emitted 'error' to no listener, an uncaught exception that
  // stopped the node. Its queries fail on their own and it is released with the error; here it is only reported.
  pool.on('connect', (client) => client.on('error', (err) => opts.onIdleError?.(err)));
  return pool;
}
