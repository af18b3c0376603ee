// Sink MTA for the lab: an smtp-server on loopback that records every envelope and raw message it accepts,
// and can be told to misbehave like real remote MTAs do (temp/perm failures, slowness, greylisting,
// STARTTLS/AUTH requirements). It never relays or delivers anything anywhere: it only keeps what it got.
//
// API:
//   const sink = await startSink({ tempFail: ['busy@remote.test'], greylist: true, tls: 'offer' });
//   sink.port, sink.host, sink.address ("127.0.0.1:PORT")
//   sink.messages: ReceivedMessage[]           // in arrival order
//   sink.events: SinkEvent[]                   // every reply decision (for asserting attempts/refusals)
//   await sink.waitFor(n, timeoutMs)           // resolves with messages once n arrived, rejects on timeout
//   sink.clear(); await sink.close();
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession, type SMTPServerAddress } from 'smtp-server';
import { performance } from 'node:perf_hooks';
import { labCertificate } from './tls.js';

export interface ReceivedMessage {
  /** 1-based arrival number. */
  seq: number;
  from: string;
  to: string[];
  raw: Buffer;
  helo: string;
  remoteAddress: string;
  secure: boolean;
  user?: string;
  /** Date.now() and performance.now() when the final 250 was decided (for accept→delivered latency). */
  receivedAt: number;
  receivedPerf: number;
  sessionId: string;
}

export interface SinkEvent {
  stage: 'connect' | 'mail' | 'rcpt' | 'data' | 'auth';
  code: number;
  arg?: string;
  remoteAddress: string;
}

/** Which recipients a rule hits: all of them, a list of addresses (case-insensitive), a pattern, or a predicate. */
export type RecipientMatch = 'all' | string[] | RegExp | ((address: string) => boolean);

export interface StageDelays {
  /** Before the 220 greeting. */
  greeting?: number;
  mail?: number;
  rcpt?: number;
  /** After the final dot, before the reply. */
  data?: number;
}

export interface SinkOptions {
  port?: number;
  host?: string;
  /** The name in the greeting and EHLO reply. */
  hostname?: string;
  /** 451 4.3.0 at RCPT for these recipients. */
  tempFail?: RecipientMatch;
  /** 550 5.1.1 at RCPT for these recipients. */
  permFail?: RecipientMatch;
  /** Fail the whole message after DATA: 'temp' → 451 4.3.0, 'perm' → 554 5.6.0. */
  failData?: 'temp' | 'perm';
  /** Per-stage delays in ms (a slow MTA). */
  delays?: StageDelays;
  /** Hold the reply to the final dot until this resolves (a test decides when the remote side answers). */
  holdData?: () => Promise<void>;
  /** Greylisting: the first attempt of each (client IP, sender, recipient) gets 451 4.7.1; later ones pass once `greylistMs` has gone by. */
  greylist?: boolean;
  greylistMs?: number;
  /** STARTTLS: 'none' hides it, 'offer' (default) offers it, 'require' refuses MAIL before it with 530 5.7.0. */
  tls?: 'none' | 'offer' | 'require';
  /** Accept AUTH PLAIN/LOGIN for these user → password pairs; `required` refuses MAIL without it (530). */
  auth?: { users: Record<string, string>; required?: boolean };
  /** SIZE limit in bytes (enforced by smtp-server while streaming). */
  size?: number;
  /** Extra smtp-server options (advanced). */
  server?: Partial<SMTPServerOptions>;
}

export interface Sink {
  port: number;
  host: string;
  address: string;
  messages: ReceivedMessage[];
  events: SinkEvent[];
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  clear(): void;
  close(): Promise<void>;
}

function matches(rule: RecipientMatch | undefined, address: string): boolean {
  if (!rule) return false;
  if (rule === 'all') return true;
  if (Array.isArray(rule)) return rule.some((a) => a.toLowerCase() === address.toLowerCase());
  if (rule instanceof RegExp) return rule.test(address);
  return rule(address);
}

function reply(code: number, text: string): Error {
  const e = new Error(text) as Error & { responseCode: number };
  e.responseCode = code;
  return e;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSink(opts: SinkOptions = {}): Promise<Sink> {
  const host = opts.host ?? '127.0.0.1';
  const hostname = opts.hostname ?? 'sink.lab.example.test';
  const messages: ReceivedMessage[] = [];
  const events: SinkEvent[] = [];
  const waiters = new Set<() => void>();
  const greySeen = new Map<string, number>();
  const tlsMode = opts.tls ?? 'offer';
  const cert = tlsMode === 'none' ? undefined : await labCertificate(hostname);
  const delays = opts.delays ?? {};
  const ip = (s: SMTPServerSession) => s.remoteAddress;
  const note = (stage: SinkEvent['stage'], code: number, s: SMTPServerSession, arg?: string) =>
    events.push({ stage, code, arg, remoteAddress: ip(s) });

  const options: SMTPServerOptions & { greetingDelay?: number } = {
    name: hostname,
    banner: 'tegami lab sink',
    disableReverseLookup: true,
    greetingDelay: delays.greeting ?? 0,
    logger: false,
    size: opts.size,
    key: cert?.key,
    cert: cert?.cert,
    hideSTARTTLS: tlsMode === 'none',
    authOptional: !opts.auth?.required,
    allowInsecureAuth: tlsMode !== 'require',
    authMethods: ['PLAIN', 'LOGIN'],
    disabledCommands: opts.auth ? [] : ['AUTH'],
    socketTimeout: 30_000,
    closeTimeout: 2_000,
    onAuth(auth, session, cb) {
      const users = opts.auth?.users ?? {};
      const ok = auth.username !== undefined && users[auth.username] !== undefined && users[auth.username] === auth.password;
      note('auth', ok ? 235 : 535, session, auth.username);
      if (!ok) return cb(reply(535, '5.7.8 Authentication credentials invalid'));
      cb(null, { user: auth.username });
    },
    onMailFrom(address: SMTPServerAddress, session, cb) {
      void (async () => {
        if (delays.mail) await sleep(delays.mail);
        if (tlsMode === 'require' && !session.secure) {
          note('mail', 530, session, address.address);
          return cb(reply(530, '5.7.0 Must issue a STARTTLS command first'));
        }
        note('mail', 250, session, address.address);
        cb();
      })();
    },
    onRcptTo(address: SMTPServerAddress, session, cb) {
      void (async () => {
        if (delays.rcpt) await sleep(delays.rcpt);
        const rcpt = address.address;
        if (matches(opts.permFail, rcpt)) {
          note('rcpt', 550, session, rcpt);
          return cb(reply(550, '5.1.1 Mailbox unavailable (lab sink: permanent failure)'));
        }
        if (matches(opts.tempFail, rcpt)) {
          note('rcpt', 451, session, rcpt);
          return cb(reply(451, '4.3.0 Try again later (lab sink: temporary failure)'));
        }
        if (opts.greylist) {
          const key = `${ip(session)}|${(session.envelope.mailFrom && session.envelope.mailFrom.address) || ''}|${rcpt}`.toLowerCase();
          const first = greySeen.get(key);
          if (first === undefined || performance.now() - first < (opts.greylistMs ?? 0)) {
            if (first === undefined) greySeen.set(key, performance.now());
            note('rcpt', 451, session, rcpt);
            return cb(reply(451, '4.7.1 Greylisted, please try again later'));
          }
        }
        note('rcpt', 250, session, rcpt);
        cb();
      })();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (e) => cb(e));
      stream.on('end', () => {
        void (async () => {
          if (delays.data) await sleep(delays.data);
          if (opts.holdData) await opts.holdData();
          const env = session.envelope;
          const from = env.mailFrom ? env.mailFrom.address : '';
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            note('data', 552, session, from);
            return cb(reply(552, '5.3.4 Message exceeds fixed maximum message size'));
          }
          if (opts.failData) {
            const code = opts.failData === 'temp' ? 451 : 554;
            note('data', code, session, from);
            return cb(reply(code, opts.failData === 'temp' ? '4.3.0 Lab sink: try again later' : '5.6.0 Lab sink: message refused'));
          }
          messages.push({
            seq: messages.length + 1,
            from,
            to: env.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
            helo: session.hostNameAppearsAs ?? '',
            remoteAddress: ip(session),
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : undefined,
            receivedAt: Date.now(),
            receivedPerf: performance.now(),
            sessionId: session.id,
          });
          note('data', 250, session, from);
          for (const w of [...waiters]) w();
          cb(null, `2.0.0 Ok: queued as lab${messages.length}`);
        })();
      });
    },
    ...opts.server,
  };

  const server = new SMTPServer(options);
  server.on('error', () => undefined); // client-side resets must not crash the lab
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.server.address() as { port: number }).port;

  return {
    port,
    host,
    address: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    messages,
    events,
    waitFor(n, timeoutMs = 5000) {
      if (messages.length >= n) return Promise.resolve(messages.slice());
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length >= n) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(messages.slice());
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`sink ${port}: ${messages.length} of ${n} messages after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    clear() {
      messages.length = 0;
      events.length = 0;
      greySeen.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}
