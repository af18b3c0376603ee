// Test fixture for the administration: the web foundation's fixture (real SQLite database and accounts: a
// system admin, a host admin of example.org, a list admin, plain users, an XSS full name) plus the admin
// services over the same temporary data dir — a config from TOML text, the settings layer, the queue
// operations on spool files, a resolver pointed at a closed port (or a lab DNS server), real backups — and
// API tokens for each role. Helpers queue a message and write log files.
import { Metrics } from '../../engine/metrics/metrics.js';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildConfig, type RawConfig } from '../../engine/config/load.js';
import { makeResolver } from '../../engine/dns/resolver.js';
import { createBackup } from '../../engine/ops/backup.js';
import { QueueAdmin } from '../../engine/queue/control.js';
import { writeState } from '../../engine/queue/state.js';
import { LiveSettings } from '../../engine/settings/live.js';
import { effectiveConfig } from '../../engine/settings/effective.js';
import { SettingsStore } from '../../engine/settings/store.js';
import { newQueueId, type Envelope } from '../../engine/spool/envelope.js';
import { Spool } from '../../engine/spool/spool.js';
import { buildWebApp } from '../../engine/web/app.js';
import type { AdminServices, RuleScripts } from '../../engine/web/admin/services.js';
import { parse as parseToml } from 'smol-toml';
import { webFixture, type Fixture } from '../web/helpers.js';

export const ROLES = {
  system: 'admin@example.com',
  host: 'host@example.org',
  list: 'lists@example.com',
} as const;
export type Role = keyof typeof ROLES | 'anonymous';

export interface AdminFixture extends Fixture {
  svc: AdminServices;
  admin: FastifyInstance;
  tokens: Record<Exclude<Role, 'anonymous'>, string>;
  /** inject() with the role's bearer token (anonymous: no credentials). */
  api(role: Role, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** A message in the queue (a remote recipient by default), with these headers; returns its id. */
  queueMessage(o?: { from?: string; to?: string[]; subject?: string; headers?: string; held?: boolean }): Promise<string>;
  /** Append lines to <logs>/<service>-<day>.log. */
  writeLog(service: string, day: string, lines: string[]): void;
}

export async function adminFixture(o: { toml?: string; dnsServer?: string; rules?: RuleScripts } = {}): Promise<AdminFixture> {
  const f = await webFixture();
  const text = [`hostname = "mx.example.com"`, `data_dir = ${JSON.stringify(f.dir)}`, '[domains]', 'local = ["example.com", "example.org"]', '[domains.aliases]', '"mail.example.org" = "example.org"', '[accounts]', 'password_min = 8', 'password_max = 128', 'min_user_length = 1', '[dns]', `servers = ["${o.dnsServer ?? '127.0.0.1:9'}"]`, 'timeout = "500ms"', o.toml ?? ''].join('\n');
  const file = path.join(f.dir, 'tegami.toml');
  fs.writeFileSync(file, text + '\n');
  const raw: RawConfig = { raw: parseToml(text) as Record<string, unknown>, text, file };
  buildConfig(raw);
  const { config } = effectiveConfig(raw, new SettingsStore(f.db).values());
  const settings = new LiveSettings(config, raw, f.db);
  const isLocal = (a: string) => f.directory.localDomain(a.slice(a.lastIndexOf('@') + 1)) !== null;
  const queue = new QueueAdmin(config, isLocal, null);
  const metrics = new Metrics({ processMetrics: false });
  const svc: AdminServices = {
    config,
    dataDir: f.dir,
    db: f.db,
    accounts: f.directory,
    settings,
    queue,
    resolver: makeResolver(config.dns.servers, 1000),
    status: { listeners: () => [{ name: 'smtp', address: '127.0.0.1:25', up: true }, { name: 'admin', address: '127.0.0.1:8181', up: true }] },
    backup: (out, b) => createBackup(config, { file: out, withMail: b.withMail, withBayes: b.withBayes, force: false, record: false }),
    logsDir: f.logsDir,
    rules: o.rules,
    metrics: () => metrics.text(),
  };
  f.deps.admin = svc;
  f.deps.uploadLimit = 1024 * 1024;
  const admin = await buildWebApp({ kind: 'admin', deps: f.deps });
  const tokens = {
    system: f.deps.tokens.create(ROLES.system, 'test').token,
    host: f.deps.tokens.create(ROLES.host, 'test').token,
    list: f.deps.tokens.create(ROLES.list, 'test').token,
  };
  const spool = new Spool(path.join(f.dir, 'spool'));
  const close = f.close;
  return {
    ...f,
    svc,
    admin,
    tokens,
    api: (role, method, url, body, headers = {}) =>
      admin.inject({
        method: method as 'GET',
        url,
        headers: { ...(role === 'anonymous' ? {} : { authorization: `Bearer ${tokens[role]}` }), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      }),
    async queueMessage(q = {}) {
      const id = newQueueId();
      const to = q.to ?? ['someone@remote.test'];
      const env: Envelope = {
        id,
        time: Date.now() - 120_000,
        mailFrom: q.from ?? 'user@example.com',
        rcptTo: to.map((address) => ({ address, kind: isLocal(address) ? 'local' : 'remote' })) as Envelope['rcptTo'],
        client: { ip: '192.0.2.7', helo: 'client.test', protocol: 'ESMTPA', listener: 'submission', user: 'user@example.com' },
      };
      const w = await spool.create(env);
      w.write(Buffer.from(`${q.headers ?? ''}From: ${env.mailFrom}\r\nTo: ${to.join(', ')}\r\nSubject: ${q.subject ?? 'queued'}\r\n\r\nbody\r\n`));
      await spool.commit(w);
      await writeState(spool.queueDir, {
        id,
        created: env.time,
        held: !!q.held,
        recipients: env.rcptTo.map((r) => ({ address: r.address, rcpt: r.address, kind: r.kind, status: 'deferred', attempts: 1, nextAttempt: Date.now() + 3_600_000, lastAttempt: Date.now() - 60_000, lastError: '451 4.4.1 try later' })),
      });
      return id;
    },
    writeLog(service, day, lines) {
      fs.mkdirSync(f.logsDir, { recursive: true });
      fs.appendFileSync(path.join(f.logsDir, `${service}-${day}.log`), lines.map((l) => `${l}\n`).join(''));
    },
    async close() {
      await admin.close();
      metrics.close();
      await close();
    },
  };
}

/** The JSON of a response (fails the test with the body when it is not JSON). */
export function json<T = Record<string, unknown>>(r: LightMyRequestResponse): T {
  try {
    return JSON.parse(r.body) as T;
  } catch {
    throw new Error(`not JSON (${r.statusCode}): ${r.body.slice(0, 300)}`);
  }
}

/**
 * Every route of the admin server as "METHOD /path" (HEAD left out), read from Fastify's printRoutes tree: each
 * line adds its segment to its parent's path, four columns per level.
 */
export function adminRoutes(admin: FastifyInstance): { method: string; path: string }[] {
  const routes: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of admin.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│├└─\s]*)(\S+) \(([A-Z, ]+)\)/.exec(line);
    if (!m) continue;
    const depth = Math.round(m[1].length / 4);
    stack[depth] = m[2];
    stack.length = depth + 1;
    const full = stack.join('');
    for (const method of m[3].split(', ')) if (method !== 'HEAD') routes.push({ method, path: full });
  }
  return routes;
}
