// A whole tegami for the JMAP and webmail end-to-end tests: `tegami serve`'s own startServer (SMTP, submission,
// IMAP, the webmail HTTPS listener with JMAP, the queue and its workers) run in this process on a temporary data
// dir and loopback ports; the JMAP service is the one serve built.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../../engine/server.js';
import { loadOrCreateCertificate } from '../../engine/tls/certificate.js';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import type { JmapService } from '../../engine/jmap/index.js';
import { BIN, freePort, run } from '../helpers/server.js';

export interface Live {
  dir: string;
  dataDir: string;
  configPath: string;
  ports: { smtp: number; submission: number; imap: number; web: number };
  server: RunningServer;
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
      'webmail = "127.0.0.1:0"',
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
  const { config } = server;
  const tls = await loadOrCreateCertificate({ dataDir, hostname: config.hostname, cert: config.tls.cert, key: config.tls.key });
  const web = server.listeners.find((l) => l.name === 'webmail');
  if (!web || !server.jmap) throw new Error('tegami serve started no webmail listener');
  ports.web = web.port;
  const svc = server.jmap;
  const store = new MaildirStore(dataDir);
  const certFile = path.join(dir, 'web-cert.pem');
  fs.writeFileSync(certFile, tls.cert);
  return {
    dir, dataDir, configPath, ports, server, svc, store, cert: certFile, cli,
    async stop() {
      await server.stop();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** APPENDs every file of `dir` (sorted by name) to INBOX with Python's imaplib, as a real client would. */
export async function appendWithImaplib(live: Live, user: string, password: string, dir: string): Promise<{ code: number | null; stderr: string }> {
  const py = [
    'import imaplib, os, sys',
    'c = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=120)',
    'c.login(sys.argv[2], sys.argv[3])',
    'for n in sorted(os.listdir(sys.argv[4])):',
    '    typ, _ = c.append("INBOX", None, None, open(os.path.join(sys.argv[4], n), "rb").read())',
    '    assert typ == "OK", n',
    'c.logout()',
  ].join('\n');
  return run('python3', ['-c', py, String(live.ports.imap), user, password, dir], { timeoutMs: 300_000 });
}
