// One check of a monitor target: TCP connect (with implicit TLS when asked), an SMTP/POP3/IMAP greeting
// that says OK, an HTTP(S) status (through the global fetch with an undici dispatcher), a DNS answer.
// Every outcome is a value — up or down with a short printable reason — never an exception: a target
// that is unreachable, slow, or answers garbage is a state. Reads are bounded (4 KiB of greeting, 64 KiB of body).
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { promises as dnsp } from 'node:dns';
import type { Agent } from 'undici';
import type { MonitorConfig } from '../config/schema.js';
import { deadline } from '../util/abort-deadline.js';

export interface ProbeResult {
  ok: boolean;
  /** What was seen: the greeting, the status, the answer, or why it failed. Printable, at most 160 characters. */
  detail: string;
  ms: number;
}

const GREETING_MAX = 4096;
const BODY_MAX = 64 * 1024;

/** Printable ASCII of at most 160 characters: what a target said may be anything. */
export function printable(s: string): string {
  const t = s.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return t.length > 160 ? `${t.slice(0, 160)}…` : t;
}

function hostPort(v: string, defPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(v) ?? /^([^:]+)(?::(\d+))?$/.exec(v);
  if (!m) return { host: v, port: defPort };
  return { host: m[1], port: m[2] ? Number(m[2]) : defPort };
}

const DEFAULT_PORT: Record<string, number> = { tcp: 0, smtp: 25, pop3: 110, imap: 143 };
const TLS_PORT: Record<string, number> = { tcp: 0, smtp: 465, pop3: 995, imap: 993 };

/** What ends a greeting and whether it says OK; null while more is needed. */
function judgeGreeting(kind: 'smtp' | 'pop3' | 'imap', text: string): { ok: boolean; line: string } | null {
  const lines = text.split(/\r?\n/);
  lines.pop(); // an unfinished last line
  if (kind === 'smtp') {
    for (const l of lines) {
      const m = /^(\d{3})([ -])/.exec(l);
      if (!m) return { ok: false, line: l };
      if (m[2] === ' ') return { ok: m[1] === '220', line: l };
    }
    return null;
  }
  if (!lines.length) return null;
  const l = lines[0];
  return { ok: kind === 'pop3' ? /^\+OK\b/.test(l) : /^\* (OK|PREAUTH)\b/i.test(l), line: l };
}

const BYE: Record<string, string> = { smtp: 'QUIT\r\n', pop3: 'QUIT\r\n', imap: 'a1 LOGOUT\r\n' };

function socketCheck(t: MonitorConfig): Promise<ProbeResult> {
  const kind = t.check as 'tcp' | 'smtp' | 'pop3' | 'imap';
  const { host, port } = hostPort(t.target, t.tls ? TLS_PORT[kind] : DEFAULT_PORT[kind]);
  const started = Date.now();
  return new Promise<ProbeResult>((resolve) => {
    if (!port) return resolve({ ok: false, detail: `no port in "${printable(t.target)}"`, ms: 0 });
    let done = false;
    let buf = '';
    let sock: net.Socket;
    const finish = (ok: boolean, detail: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (ok && kind !== 'tcp') sock.end(BYE[kind]);
      else sock.destroy();
      resolve({ ok, detail: printable(detail), ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false, `no ${kind === 'tcp' ? 'connection' : 'greeting'} within ${t.timeout} ms`), t.timeout);
    try {
      sock = t.tls
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: t.verify_tls, ca: t.ca_file ? fs.readFileSync(t.ca_file) : undefined })
        : net.connect({ host, port });
    } catch (e) {
      clearTimeout(timer);
      return resolve({ ok: false, detail: printable((e as Error).message), ms: 0 });
    }
    sock.on(t.tls ? 'secureConnect' : 'connect', () => {
      if (kind === 'tcp') finish(true, t.tls ? `connected (${(sock as tls.TLSSocket).getProtocol()})` : 'connected');
    });
    sock.on('data', (d: Buffer) => {
      if (kind === 'tcp') return;
      buf += d.toString('latin1');
      const v = judgeGreeting(kind, buf);
      if (v) finish(v.ok, v.line);
      else if (buf.length > GREETING_MAX) finish(false, `no complete greeting in ${GREETING_MAX} bytes`);
    });
    sock.on('error', (e) => finish(false, e.message));
    sock.on('close', () => finish(false, buf ? `closed after "${buf}"` : 'closed before a greeting'));
  });
}

/** fetch() options with an undici 7 dispatcher (Node's global fetch takes it; the types are undici-types'). */
export function viaDispatcher(init: Omit<RequestInit, 'dispatcher'>, dispatcher: Agent): RequestInit {
  return { ...init, dispatcher: dispatcher as unknown as RequestInit['dispatcher'] } as RequestInit;
}

const agents = new Map<string, Agent>();
/** undici, loaded at the first HTTP check or webhook (most servers have neither); a failed load is tried again at
 *  the next. The probes' and the alerts' one loader. */
let undici: Promise<typeof import('undici')> | undefined;
export function loadUndici(): Promise<typeof import('undici')> {
  return (undici ??= import('undici').catch((err: unknown) => {
    undici = undefined;
    throw err;
  }));
}
/** Bumped by closeProbes: a check that was loading undici meanwhile makes no agent nobody would close. */
let generation = 0;

/** A dispatcher per TLS setting. */
async function agentFor(t: MonitorConfig): Promise<Agent> {
  const key = `${t.verify_tls}|${t.ca_file ?? ''}|${t.timeout}`;
  let a = agents.get(key);
  if (!a) {
    const gen = generation;
    const { Agent } = await loadUndici();
    if (gen !== generation) throw new Error('the monitor stopped');
    a = agents.get(key);
    if (a) return a;
    a = new Agent({ connect: { timeout: t.timeout, rejectUnauthorized: t.verify_tls, ca: t.ca_file ? fs.readFileSync(t.ca_file) : undefined }, keepAliveTimeout: 1000 });
    agents.set(key, a);
  }
  return a;
}

async function httpCheck(t: MonitorConfig): Promise<ProbeResult> {
  let agent: Agent;
  try {
    agent = await agentFor(t); // before the clock starts: loading undici is not the target's time
  } catch (e) {
    return { ok: false, detail: printable((e as Error).message), ms: 0 }; // e.g. an unreadable ca_file, as before
  }
  const started = Date.now();
  const ms = () => Date.now() - started;
  const limit = deadline(t.timeout);
  try {
    const res = await fetch(t.target, viaDispatcher({ redirect: 'manual', signal: limit.signal }, agent));
    const good = t.expect_status ? t.expect_status.includes(res.status) : res.status >= 200 && res.status < 400;
    let detail = `HTTP ${res.status}`;
    if (good && t.expect && res.body) {
      const body = await readBounded(res.body, BODY_MAX);
      if (!body.includes(t.expect)) return { ok: false, detail: `${detail}, body without "${printable(t.expect)}"`, ms: ms() };
      detail += ', body as expected';
    } else res.body?.cancel().catch(() => {}); // not awaited: only the status matters
    return { ok: good, detail, ms: ms() };
  } catch (e) {
    const err = e as Error & { cause?: Error };
    return { ok: false, detail: printable(err.name === 'TimeoutError' ? `no answer within ${t.timeout} ms` : (err.cause?.message ?? err.message)), ms: ms() };
  } finally {
    limit.clear();
  }
}

async function readBounded(body: ReadableStream<Uint8Array>, max: number): Promise<string> {
  const reader = body.getReader();
  const chunks: Buffer[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
    n += value.length;
    if (n >= max) {
      reader.cancel().catch(() => {});
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, max);
}

async function dnsCheck(t: MonitorConfig, servers?: string[]): Promise<ProbeResult> {
  const started = Date.now();
  const r = new dnsp.Resolver({ timeout: Math.max(100, Math.floor(t.timeout / 2)), tries: 1 });
  const use = t.dns_server ? [t.dns_server] : servers;
  try {
    if (use?.length) r.setServers(use);
    const answers = await Promise.race([
      r.resolve(t.target, t.record),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${t.timeout} ms`)), t.timeout).unref()),
    ]);
    const texts = (answers as unknown[]).map((a) => (typeof a === 'string' ? a : Array.isArray(a) ? a.join('') : JSON.stringify(a)));
    if (!texts.length) return { ok: false, detail: 'empty answer', ms: Date.now() - started };
    if (t.expect && !texts.some((x) => x.includes(t.expect!))) return { ok: false, detail: `no answer with "${printable(t.expect)}": ${printable(texts.join(', '))}`, ms: Date.now() - started };
    return { ok: true, detail: printable(texts.join(', ')), ms: Date.now() - started };
  } catch (e) {
    r.cancel();
    const err = e as NodeJS.ErrnoException;
    return { ok: false, detail: printable(err.code ? `${err.code} ${t.target}` : err.message), ms: Date.now() - started };
  }
}

/** One check; never rejects. */
export async function probe(t: MonitorConfig, dnsServers?: string[]): Promise<ProbeResult> {
  try {
    if (t.check === 'http') return await httpCheck(t);
    if (t.check === 'dns') return await dnsCheck(t, dnsServers);
    return await socketCheck(t);
  } catch (e) {
    return { ok: false, detail: printable(`check failed: ${(e as Error).message}`), ms: 0 };
  }
}

export async function closeProbes(): Promise<void> {
  generation++;
  await Promise.all([...agents.values()].map((a) => a.close().catch(() => {})));
  agents.clear();
}
