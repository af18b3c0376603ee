// A whole tegami for the JMAP end-to-end tests: `tegami serve`'s own startServer (SMTP, submission, IMAP, the
// queue and its workers) run in this process on a temporary data dir and loopback ports, and the webmail HTTPS
// listener with the JMAP routes started beside it on the same data dir, database and queue — the way the
// wiring round will put them together (the web server is not in `tegami serve` yet).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../../engine/server.js';
import { startWebServer, type RunningWebServer } from '../../engine/web/server.js';
import { webDeps } from '../../engine/web/deps.js';
import { LoginFlow } from '../../engine/net/login.js';
import { RelayPolicy } from '../../engine/policy/relay.js';
import { loadOrCreateCertificate } from '../../engine/tls/certificate.js';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { submitter } from '../../engine/submission/submit.js';
import { createJmap, jmapAuth, jmapRoutes, type JmapService } from '../../engine/jmap/index.js';
import { BIN, freePort } from '../helpers/server.js';

export interface Live {
  dir: string;
  dataDir: string;
  configPath: string;
  ports: { smtp: number; submission: number; imap: number; web: number };
  server: RunningServer;
  web: RunningWebServer;
  svc: JmapService;
  store: MaildirStore;
  cert: string;
  cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string };
  stop(): Promise<void>;
}

export async function startLive(o: { users: { address: string; password: string }[]; domains: string[]; toml?: string }): Promise<Live> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-jmap-live-'));
  const dataDir = path.join(dir, 'data');
  const ports = { smtp: await freePort(), submission: await freePort(), imap: await freePort(), web: 0 };
  const configPath = path.join(dir, 'tegami.toml');
  fs.writeFileSync(
    configPath,
    [
      'hostname = "mx.example.test"',
      `data_dir = ${JSON.stringify(dataDir)}`,
      '[listen]',
      `smtp = "127.0.0.1:${ports.smtp}"`,
      `submission = "127.0.0.1:${ports.submission}"`,
      `imap = "127.0.0.1:${ports.imap}"`,
      '[domains]',
      `local = ${JSON.stringify(o.domains)}`,
      '[log]',
      'stdout = false',
      /^\[dns\]/m.test(o.toml ?? '') ? '' : '[dns]\nservers = ["127.0.0.1:9"]\ntimeout = "500ms"',
      o.toml ?? '',
    ].join('\n') + '\n',
  );
  const cli = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, [BIN, ...args, '--config', configPath], { input, encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  for (const u of o.users) {
    const r = cli(['user', 'add', u.address, '--password-stdin'], u.password + '\n');
    if (r.status !== 0) throw new Error(`user add: ${r.stderr}`);
  }
  const server = await startServer({ configPath, quiet: true });
  const { config, ctx, logger, queue } = server;
  const tls = await loadOrCreateCertificate({ dataDir, hostname: config.hostname, cert: config.tls.cert, key: config.tls.key });
  const store = new MaildirStore(dataDir);
  const svc = createJmap({
    store,
    db: ctx.db,
    directory: ctx.directory,
    dataDir,
    maxMessageSize: config.max_message_size,
    maxRecipients: config.smtp.max_recipients,
    submit: submitter({ config, directory: ctx.directory, logger, queue, relay: new RelayPolicy(config.relay.mode, config.relay.allow_ips) }),
    logger,
  });
  const deps = webDeps({ kind: 'webmail', db: ctx.db, directory: ctx.directory, login: LoginFlow.fromConfig(config, ctx.directory, logger), dataDir, logger });
  deps.apiAuth = jmapAuth(svc, { authenticate: deps.authenticate, roles: deps.roles });
  const web = await startWebServer({ listen: '127.0.0.1:0', tls, kind: 'webmail', deps, routes: jmapRoutes(svc) });
  ports.web = web.port;
  const certFile = path.join(dir, 'web-cert.pem');
  fs.writeFileSync(certFile, tls.cert);
  return {
    dir, dataDir, configPath, ports, server, web, svc, store, cert: certFile, cli,
    async stop() {
      await web.close();
      await server.stop();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
