// A copy of the log to syslog ([log] syslog): RFC 5424 messages to a remote host over TCP or TLS with
// octet-counting frames (RFC 6587), or to the local socket (a stream socket directly; a datagram socket
// such as /dev/log through util-linux `logger`, since Node cannot write unix datagrams). Lines wait in a
// bounded queue while the server is away or slow; past the bound they are dropped and counted. It never
// blocks the caller and never throws: a syslog server that goes away costs at most the bound's memory.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Level, Service } from './event-types.js';

export interface SyslogOptions {
  /** "unix:/dev/log", "tcp:host:514" or "tls:host:6514". */
  target: string;
  facility: string;
  hostname: string;
  caFile?: string;
  /** Lines kept while disconnected or slow. */
  buffer: number;
  /** Told when the connection comes or goes, and (at most every 10 s) how many lines were dropped. */
  onState?: (s: { kind: 'connected' } | { kind: 'lost'; error: string } | { kind: 'dropped'; lines: number }) => void;
  /** The `logger` binary for datagram sockets (tests may point elsewhere). */
  loggerPath?: string;
}

const FACILITY: Record<string, number> = { user: 1, mail: 2, daemon: 3, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23 };
const SEVERITY: Record<Level, number> = { error: 3, warn: 4, info: 6, debug: 7 };
const MAX_BACKOFF = 30_000;

/** Printable US-ASCII, no spaces, at most `max` characters (RFC 5424 header fields); "-" when empty. */
function headerField(s: string, max: number): string {
  const v = s.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return v || '-';
}

export function syslogMessage(facility: string, level: Level, hostname: string, service: Service, event: string, text: string, now = new Date()): string {
  const pri = (FACILITY[facility] ?? 2) * 8 + SEVERITY[level];
  const msgid = headerField(`${service}.${event}`, 32);
  return `<${pri}>1 ${now.toISOString()} ${headerField(hostname, 255)} tegami ${process.pid} ${msgid} - ${service}.${event}${text}`.replace(/[\r\n]+/g, ' ');
}

export class SyslogSink {
  private queue: Buffer[] = [];
  private socket: net.Socket | null = null;
  private child: ChildProcess | null = null;
  private connected = false;
  private writing = false;
  private closed = false;
  private backoff = 500;
  private retryTimer: NodeJS.Timeout | null = null;
  private dropped = 0;
  private dropTimer: NodeJS.Timeout | null = null;
  /** Lines dropped since start (the metric counts them through the log-dropped event). */
  droppedTotal = 0;
  private readonly kind: 'tcp' | 'tls' | 'unix';
  private readonly address: string;
  private datagram = false;

  constructor(private readonly o: SyslogOptions) {
    const i = o.target.indexOf(':');
    this.kind = o.target.slice(0, i) as 'tcp' | 'tls' | 'unix';
    this.address = o.target.slice(i + 1);
    this.connect();
  }

  /** A written line (a Logger tee). */
  line(level: Level, service: Service, event: string, text: string): void {
    if (this.closed) return;
    if (this.queue.length >= this.o.buffer) {
      this.dropped++;
      this.droppedTotal++;
      this.dropTimer ??= setTimeout(() => this.reportDrops(), 10_000).unref();
      return;
    }
    const msg = syslogMessage(this.o.facility, level, this.o.hostname, service, event, text);
    // over TCP/TLS each message is octet-counted (RFC 6587 3.4.1); a local stream socket or `logger` reads lines
    const body = Buffer.from(msg, 'utf8');
    this.queue.push(this.kind === 'unix' ? Buffer.concat([body, Buffer.from('\n')]) : Buffer.concat([Buffer.from(`${body.length} `), body]));
    this.pump();
  }

  private reportDrops(): void {
    this.dropTimer = null;
    if (!this.dropped) return;
    const lines = this.dropped;
    this.dropped = 0;
    this.o.onState?.({ kind: 'dropped', lines });
  }

  private connect(): void {
    if (this.closed) return;
    if (this.kind === 'unix' && this.datagram) return this.spawnLogger();
    let s: net.Socket;
    if (this.kind === 'unix') s = net.connect(this.address);
    else {
      const m = /^\[?(.+?)\]?:(\d+)$/.exec(this.address)!;
      const [host, port] = [m[1], Number(m[2])];
      s =
        this.kind === 'tls'
          ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ca: this.o.caFile ? fs.readFileSync(this.o.caFile) : undefined })
          : net.connect({ host, port });
    }
    s.setTimeout(10_000, () => s.destroy(new Error('connect timeout')));
    s.on(this.kind === 'tls' ? 'secureConnect' : 'connect', () => {
      s.setTimeout(0);
      this.connected = true;
      this.backoff = 500;
      this.o.onState?.({ kind: 'connected' });
      this.pump();
    });
    s.on('data', () => {}); // a server that talks back is ignored
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (this.kind === 'unix' && e.code === 'EPROTOTYPE') this.datagram = true;
      else if (this.connected) this.o.onState?.({ kind: 'lost', error: e.message });
    });
    s.on('close', () => {
      const was = this.connected;
      this.connected = false;
      this.writing = false;
      this.socket = null;
      if (was && !this.closed) this.o.onState?.({ kind: 'lost', error: 'connection closed' });
      this.retry();
    });
    this.socket = s;
  }

  /** A datagram socket (/dev/log under systemd): util-linux `logger` reads our lines and sends each as a datagram. */
  private spawnLogger(): void {
    const args = ['-u', this.address, '-d', '--rfc5424=notq', '--prio-prefix', '-t', 'tegami', '--socket-errors=on'];
    const c = spawn(this.o.loggerPath ?? 'logger', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    c.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-500)));
    c.stdin!.on('error', () => {});
    c.on('error', (e) => (err = e.message));
    c.on('spawn', () => {
      this.connected = true;
      this.o.onState?.({ kind: 'connected' });
      this.pump();
    });
    c.on('close', () => {
      const was = this.connected;
      this.connected = false;
      this.writing = false;
      this.child = null;
      if (!this.closed) {
        if (was) this.o.onState?.({ kind: 'lost', error: err.trim() || 'logger exited' });
        this.retry();
      }
    });
    this.child = c;
  }

  private retry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, this.backoff).unref();
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF);
  }

  /** Write queued frames while the transport takes them; wait for 'drain' when it does not. */
  private pump(): void {
    if (!this.connected || this.writing) return;
    const out = this.child ? this.child.stdin! : this.socket;
    if (!out) return;
    while (this.queue.length) {
      let frame = this.queue.shift()!;
      // `logger --prio-prefix` wants "<PRI>" then the message; it builds the RFC 5424 header itself
      if (this.child) frame = Buffer.from(frame.toString('utf8').replace(/^<(\d+)>1 \S+ \S+ \S+ \S+ \S+ - /, '<$1>'));
      if (!out.write(frame)) {
        this.writing = true;
        out.once('drain', () => {
          this.writing = false;
          this.pump();
        });
        return;
      }
    }
  }

  /** Send what is queued (waiting at most `ms`), then close. */
  async close(ms = 2000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.queue.length && this.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.dropTimer) clearTimeout(this.dropTimer);
    this.reportDrops();
    const s = this.socket;
    const c = this.child;
    if (s) await new Promise<void>((resolve) => s.end(() => resolve()));
    if (c) {
      c.stdin!.end();
      await new Promise<void>((resolve) => {
        if (c.exitCode !== null) return resolve();
        const t = setTimeout(() => (c.kill(), resolve()), Math.max(100, deadline - Date.now()));
        c.once('close', () => (clearTimeout(t), resolve()));
      });
    }
  }
}
