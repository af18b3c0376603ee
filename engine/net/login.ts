// The one login flow of every protocol (SMTP AUTH, POP3 USER/PASS/APOP/AUTH, IMAP LOGIN/AUTHENTICATE, and
// later ManageSieve and the web): which mechanisms a session may use, the failed-login throttle (per client
// network and per account), the bound on concurrent password hashing, bare logins resolved in the listener's
// virtual host ([domains] by_ip), and one set of log events (login, login-failed, login-blocked). Results are
// values; protocols only map them to replies. It never logs or keeps a password, a digest or a SASL message.
import crypto from 'node:crypto';
import type { AccountDirectory, User } from '../accounts/directory.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger, Service } from '../log/logger.js';
import { AuthThrottle, sleep, type Attempt, type ThrottleDecision } from '../policy/auth-throttle.js';
import type { SharedLoginCounts, SharedState } from './shared-throttle.js';
import { isLoopback, unmapV4 } from '../policy/cidr.js';
import { CramMd5Mechanism } from './sasl/cram-md5.js';
import { SaslExchange } from './sasl/exchange.js';
import { LoginMechanism } from './sasl/login.js';
import type { Credentials, LoginResult, Mechanism } from './sasl/mechanism.js';
import { PlainMechanism } from './sasl/plain.js';
import { ScramSha256Mechanism } from './sasl/scram-sha-256.js';
import { Semaphore } from './semaphore.js';

export type { LoginResult } from './sasl/mechanism.js';
export { SaslExchange, type SaslStep } from './sasl/exchange.js';

/** Every SASL mechanism tegami implements, strongest first (the order they are advertised in). */
export const SASL_MECHANISMS = ['SCRAM-SHA-256', 'CRAM-MD5', 'PLAIN', 'LOGIN'] as const;
export type SaslMechanismName = (typeof SASL_MECHANISMS)[number];
/** Mechanisms that carry the password itself: offered only where plaintext logins are allowed. */
const CARRIES_PASSWORD = new Set<string>(['PLAIN', 'LOGIN']);

/** Who is logging in, where: what every check and log line needs. */
export interface LoginContext {
  /** The log file the events go to: "smtp", "pop3", "imap" (later "sieve", "web"). */
  protocol: Service;
  /** The session id, for the logs. */
  session: string;
  /** The client's address. */
  ip: string;
  /** The listener address the client reached: a bare login resolves in its [domains] by_ip domain. */
  local?: string;
}

export interface LoginFlowOptions {
  directory: AccountDirectory;
  logger: Logger;
  hostname: string;
  /** [auth] mechanisms: the SASL mechanisms the operator allows. */
  mechanisms: readonly string[];
  /** [auth] recoverable_secrets: CRAM-MD5 and APOP need the sealed secret. */
  recoverableSecrets: boolean;
  /** [domains] by_ip: listener address → the domain of bare logins there. */
  byIp: Record<string, string>;
  throttle: AuthThrottle;
  /** Counts shared with the other nodes (scale-out); absent on a single node. */
  shared?: SharedLoginCounts;
  /** Password hashes (scrypt) at once, and waiting; beyond that a login gets "busy". */
  maxHashing: number;
  maxHashQueue: number;
}

/** Plaintext credentials (USER/PASS, LOGIN, AUTH PLAIN/LOGIN) only over TLS, from loopback, or where the operator allows it. */
export function plaintextAllowed(o: { secure: boolean; ip: string; allowInsecure: boolean; trustLoopback?: boolean }): boolean {
  return o.secure || o.allowInsecure || ((o.trustLoopback ?? true) && isLoopback(o.ip));
}

export class LoginFlow {
  private readonly hashing: Semaphore;

  constructor(private readonly o: LoginFlowOptions) {
    this.hashing = new Semaphore(o.maxHashing, o.maxHashQueue);
  }

  static fromConfig(config: LoadedConfig, directory: AccountDirectory, logger: Logger, shared?: SharedLoginCounts): LoginFlow {
    const a = config.auth;
    return new LoginFlow({
      directory,
      logger,
      hostname: config.hostname,
      mechanisms: a.mechanisms,
      recoverableSecrets: a.recoverable_secrets,
      byIp: config.domains.by_ip,
      throttle: AuthThrottle.fromConfig(a),
      shared,
      maxHashing: a.max_concurrent_hashes,
      maxHashQueue: a.max_queued_hashes,
    });
  }

  /**
   * The flow of one loaded config, made on first use: listeners started without one (tests start POP3 or IMAP
   * alone) still share one throttle between their plain and TLS listeners. `tegami serve` passes its own to all.
   */
  static shared(config: LoadedConfig, directory: AccountDirectory, logger: Logger): LoginFlow {
    let flow = flows.get(config);
    if (!flow) flows.set(config, (flow = LoginFlow.fromConfig(config, directory, logger)));
    return flow;
  }

  get throttle(): AuthThrottle {
    return this.o.throttle;
  }

  /** APOP and CRAM-MD5 need the recoverable secret. */
  get secretsKept(): boolean {
    return this.o.recoverableSecrets;
  }

  /** The SASL mechanisms a session may use now, strongest first. */
  mechanisms(plaintextOk: boolean): SaslMechanismName[] {
    return SASL_MECHANISMS.filter(
      (m) => this.o.mechanisms.includes(m) && (plaintextOk || !CARRIES_PASSWORD.has(m)) && (m !== 'CRAM-MD5' || this.o.recoverableSecrets),
    );
  }

  /** A SASL exchange for `mechanism` (any case), or null when it is not among `offered`. */
  sasl(ctx: LoginContext, mechanism: string, offered: readonly string[]): SaslExchange | null {
    const name = mechanism.toUpperCase();
    if (!offered.includes(name)) return null;
    const creds = this.credentials(ctx, name);
    const mech: Mechanism | null =
      name === 'PLAIN' ? new PlainMechanism(creds)
      : name === 'LOGIN' ? new LoginMechanism(creds)
      : name === 'CRAM-MD5' ? new CramMd5Mechanism(creds)
      : name === 'SCRAM-SHA-256' ? new ScramSha256Mechanism(creds)
      : null;
    return mech && new SaslExchange(name, mech);
  }

  /** A plain password login outside SASL (POP3 USER/PASS, IMAP LOGIN, web forms). */
  password(ctx: LoginContext, login: string, password: string, mechanism: string): Promise<LoginResult> {
    return this.credentials(ctx, mechanism).password(login, password);
  }

  /** APOP (RFC 1939 §7): digest = MD5(timestamp + secret) in hex. */
  apop(ctx: LoginContext, login: string, timestamp: string, digest: string): Promise<LoginResult> {
    return this.attempt(ctx, 'APOP', login, async (address) => {
      const user = this.withSecret(address);
      if (!user) return undefined;
      const expected = crypto.createHash('md5').update(timestamp + user.secret, 'utf8').digest('hex');
      return sameText(expected, digest.toLowerCase()) ? user.user : undefined;
    });
  }

  private credentials(ctx: LoginContext, mechanism: string): Credentials {
    // a SCRAM exchange is in flight from its first message to its proof (a client that leaves half-way: its count
    // expires, auth-throttle.ts INFLIGHT_MAX_MS)
    let scram: Attempt | undefined;
    return {
      hostname: this.o.hostname,
      password: (login, password) =>
        this.attempt(ctx, mechanism, login, async () => {
          if (!password) return undefined; // never valid; no hash spent on it
          const r = await this.hashing.run(() => this.o.directory.authenticate(login, password, this.defaultDomain(ctx)));
          return r === 'busy' ? 'busy' : r;
        }),
      cramMd5: (login, challenge, digest) =>
        this.attempt(ctx, mechanism, login, async (address) => {
          const user = this.withSecret(address);
          if (!user) return undefined;
          const expected = crypto.createHmac('md5', user.secret).update(challenge, 'utf8').digest('hex');
          return sameText(expected, digest) ? user.user : undefined;
        }),
      scramStart: async (login) => {
        scram?.release();
        const gate = await this.gate(ctx, mechanism, login);
        if ('stop' in gate) return gate;
        scram = gate.attempt;
        try {
          return { lookup: this.o.directory.scramVerifier(login, this.defaultDomain(ctx)) };
        } catch (e) {
          scram.release();
          throw e;
        }
      },
      scramFinish: async (login, user) => this.settle(ctx, mechanism, login, user, scram),
      sameAccount: (a, b) => a.toLowerCase() === b.toLowerCase() || this.account(ctx, a) === this.account(ctx, b),
    };
  }

  /** Throttle, check, count, log: the one sequence every mechanism goes through. */
  private async attempt(ctx: LoginContext, mechanism: string, login: string, check: (address: string) => Promise<User | undefined | 'busy'>): Promise<LoginResult> {
    const gate = await this.gate(ctx, mechanism, login);
    if ('stop' in gate) return gate.stop;
    try {
      const user = await check(this.account(ctx, login));
      if (user === 'busy') return this.busy(ctx, mechanism, login, 'password checks queue full');
      return await this.settle(ctx, mechanism, login, user, gate.attempt);
    } finally {
      gate.attempt.release(); // (settle released it already, or it failed: the hash queue full, an error)
    }
  }

  /**
   * Before any check: a blocked client or a saturated account stops here; otherwise wait what the throttle says.
   * An attempt that passes is counted in flight from here (auth-throttle.ts) until it is settled or released.
   */
  private async gate(ctx: LoginContext, mechanism: string, login: string): Promise<{ stop: LoginResult } | { attempt: Attempt }> {
    const account = this.account(ctx, login);
    const shared = await this.sharedState(ctx, account);
    let d: ThrottleDecision =
      shared && shared.blockedUntil > Date.now()
        ? { kind: 'blocked', untilMs: shared.blockedUntil }
        : this.o.throttle.check(ctx.ip, account, shared && this.o.shared?.slot ? { ...shared, sharedSlots: true } : shared);
    // counted at once, before any await: the next attempt of a burst already sees this one
    const attempt = d.kind === 'allow' ? this.o.throttle.begin(ctx.ip, account) : null;
    if (d.kind === 'allow' && d.spaced) {
      // the account's turn is taken on all nodes together; the database away: this node's own turn
      const slots = this.o.shared!.slot!.bind(this.o.shared);
      const wait = await slots(account).catch((e: Error) => this.sharedDown(ctx, e, this.o.throttle.takeSlot(account)));
      d = wait === 'busy' ? { kind: 'busy' } : { kind: 'allow', delayMs: Math.max(d.delayMs, wait) };
    }
    if (d.kind === 'blocked') {
      this.log(ctx, 'login-blocked', 'warn', { login: shown(login), mechanism, until: new Date(d.untilMs).toISOString() });
      return { stop: { kind: 'blocked' } };
    }
    if (d.kind === 'busy') {
      attempt?.release();
      return { stop: this.busy(ctx, mechanism, login, d.why ?? 'account throttled') };
    }
    if (d.delayMs > 0) await sleep(d.delayMs);
    return { attempt: attempt! };
  }

  /** After the check: count a failure (ending `attempt`, the one in flight), or note the success; log either. */
  private async settle(ctx: LoginContext, mechanism: string, login: string, user: User | undefined, attempt?: Attempt): Promise<LoginResult> {
    const account = this.account(ctx, login);
    if (!user || user.disabled) {
      let blocked = this.o.throttle.fail(ctx.ip, account, attempt);
      if (this.o.shared) {
        const key = this.o.throttle.keyOf(ctx.ip);
        blocked = (await this.o.shared.fail(key, account).catch((e: Error) => this.sharedDown(ctx, e, false))) || blocked;
      }
      this.log(ctx, 'login-failed', 'warn', { login: shown(login), mechanism, failures: this.o.throttle.failures(ctx.ip), blocked: blocked || undefined });
      return { kind: 'failed' };
    }
    attempt?.release();
    this.o.throttle.succeeded(ctx.ip, account);
    if (this.o.shared?.succeeded) await this.o.shared.succeeded(this.o.throttle.keyOf(ctx.ip), account).catch((e: Error) => this.sharedDown(ctx, e, undefined));
    this.log(ctx, 'login', 'info', { user: user.address, mechanism });
    return { kind: 'ok', user };
  }

  /** The counts of all nodes, or undefined (single node, or the database away: this node's counts decide alone). */
  private async sharedState(ctx: LoginContext, account: string): Promise<SharedState | undefined> {
    if (!this.o.shared) return undefined;
    return this.o.shared.state(this.o.throttle.keyOf(ctx.ip), account).catch((e: Error) => this.sharedDown(ctx, e, undefined));
  }

  private sharedDown<T>(ctx: LoginContext, e: Error, value: T): T {
    this.log(ctx, 'login-shared-unavailable', 'warn', { error: e.message });
    return value;
  }

  private busy(ctx: LoginContext, mechanism: string, login: string, reason: string): LoginResult {
    this.log(ctx, 'login-busy', 'warn', { login: shown(login), mechanism, reason });
    return { kind: 'busy' };
  }

  /** The account a login names (for the per-account throttle): its canonical address, else the login itself. */
  private account(ctx: LoginContext, login: string): string {
    return this.o.directory.loginAddress(login, this.defaultDomain(ctx)) ?? login.trim().toLowerCase();
  }

  private defaultDomain(ctx: LoginContext): string | undefined {
    const local = ctx.local ? unmapV4(ctx.local) : undefined;
    return local ? this.o.byIp[local] : undefined;
  }

  private withSecret(address: string): { user: User; secret: string } | undefined {
    const user = this.o.directory.user(address);
    if (!user || user.disabled) return undefined;
    const secret = this.o.directory.secret(address);
    return secret === null ? undefined : { user, secret };
  }

  private log(ctx: LoginContext, event: string, level: 'info' | 'warn', fields: Record<string, unknown>): void {
    this.o.logger.log(ctx.protocol, event, { session: ctx.session, ...fields, ip: ctx.ip }, level);
  }
}

const flows = new WeakMap<LoadedConfig, LoginFlow>();

/** A login as it may appear in a log line: cut, control characters masked. */
function shown(login: string): string {
  return login.slice(0, 128).replace(/[\x00-\x1f\x7f]/g, '?');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
