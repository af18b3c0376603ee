// Shared pieces of the account tests: a directory on a fresh temporary database (as the CLI and server open
// it), Python client snippets run as child processes, and a mail reader.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../../engine/db/database.js';
import { SqliteDirectory, type DirectoryOptions } from '../../engine/accounts/sqlite-directory.js';
import { spawn, spawnSync } from 'node:child_process';
import { BIN, run } from '../helpers/server.js';
import { canConnect } from '../../lab/targets/common.js';
import assert from 'node:assert/strict';

export interface TempDirectory {
  dir: string;
  db: Db;
  directory: SqliteDirectory;
  close(): void;
}

export function tempDirectory(o: Partial<DirectoryOptions> = {}): TempDirectory {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-accounts-'));
  const db = openDatabase(dir);
  const directory = new SqliteDirectory(db, {
    hostname: 'mx.example.test',
    configDomains: ['example.test', 'other.test'],
    hostAliases: { 'mail.example.test': 'example.test' },
    serverKey: crypto.randomBytes(32),
    decoyKey: crypto.randomBytes(32),
    recoverableSecrets: true,
    minUserLength: 4,
    passwordMin: 4,
    passwordMax: 30,
    ...o,
  });
  return {
    dir,
    db,
    directory,
    close() {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Run a Python snippet; its last stdout line is JSON. */
export async function python(code: string, env: Record<string, string> = {}): Promise<unknown> {
  const r = await run('python3', ['-c', code], { timeoutMs: 60_000, env });
  assert.equal(r.code, 0, `python failed: ${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** imaplib login on a plain port (loopback): 'OK' or the error text. */
export async function imapLogin(port: number, user: string, pass: string): Promise<string> {
  return (await python(
    [
      'import imaplib, json, sys',
      `m = imaplib.IMAP4('127.0.0.1', ${port}, timeout=30)`,
      'try:',
      `    m.login(${JSON.stringify(user)}, ${JSON.stringify(pass)}); r = 'OK'; m.logout()`,
      'except imaplib.IMAP4.error as e:',
      '    r = str(e)',
      'print(json.dumps(r))',
    ].join('\n'),
  )) as string;
}

/** poplib USER/PASS on a plain port (loopback): 'OK' or the error text. */
export async function popLogin(port: number, user: string, pass: string): Promise<string> {
  return (await python(
    [
      'import poplib, json',
      `p = poplib.POP3('127.0.0.1', ${port}, timeout=30)`,
      'try:',
      `    p.user(${JSON.stringify(user)}); p.pass_(${JSON.stringify(pass)}); r = 'OK'; p.quit()`,
      'except poplib.error_proto as e:',
      "    r = e.args[0].decode('utf-8', 'replace')",
      'print(json.dumps(r))',
    ].join('\n'),
  )) as string;
}

export function readAll(files: string[]): string[] {
  return files.map((f) => fs.readFileSync(f, 'utf8'));
}

/** Poll until `fn` gives a value (not undefined/false), or fail after `ms`. */
export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface RawServer {
  dir: string;
  dataDir: string;
  configPath: string;
  cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string };
  stop(): Promise<void>;
}

/**
 * `bin/tegami serve` on a config written whole by the test (listeners on any loopback address, e.g. 127.0.0.2,
 * which startTestServer does not offer); ready when every `wait` host:port answers.
 */
export async function startRawServer(toml: (dataDir: string) => string, wait: { host: string; port: number }[]): Promise<RawServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-raw-'));
  const dataDir = path.join(dir, 'data');
  const configPath = path.join(dir, 'tegami.toml');
  fs.writeFileSync(configPath, toml(dataDir) + '\n');
  const cli = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, [BIN, ...args, '--config', configPath], { input, encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const { stop } = await launch();
  return { dir, dataDir, configPath, cli, stop };

  async function launch(): Promise<{ stop(): Promise<void> }> {
    let out = '';
    const proc = spawn(process.execPath, [BIN, 'serve', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const deadline = Date.now() + 20_000;
    for (const w of wait) {
      while (!(await canConnect(w.port, w.host))) {
        if (proc.exitCode !== null) throw new Error(`server exited: ${out}`);
        if (Date.now() > deadline) throw new Error(`server did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return {
      stop: () =>
        new Promise<void>((resolve) => {
          if (proc.exitCode !== null || proc.signalCode) return resolve();
          proc.once('exit', () => resolve());
          proc.kill('SIGTERM');
        }),
    };
  }
}
