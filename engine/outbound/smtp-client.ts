// The SMTP client side of a delivery, wrapped once around nodemailer's SMTPConnection: open a session to
// one address (STARTTLS opportunistic or required, AUTH when configured), send one transaction and turn
// every reply into a per-recipient outcome (a value: sent / temporary / permanent). Credentials are sent
// only inside TLS whose certificate verified for the host. It never decides which host to try or whether to
// retry; the caller does.
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import net from 'node:net';
import tls from 'node:tls';

export interface SessionOptions {
  /** The address to connect to (already resolved). */
  ip: string;
  port: number;
  /** The host name, for TLS SNI and logs. */
  hostName: string;
  /** Our EHLO name. */
  helo: string;
  requireTls: boolean;
  /** Do not try STARTTLS (the retry after a failed handshake on an opportunistic session). */
  noTls?: boolean;
  /** Log in: only after STARTTLS with a certificate that verifies (PKIX against `authCa`, name = hostName);
   *  without that the session fails (4.7.x) before any credential is sent. */
  auth?: { user: string; pass: string };
  /** PEM bundle for the check before AUTH; undefined = Node's built-in roots. */
  authCa?: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** Check the peer's certificate (PKIX against `ca`, name = hostName): MTA-STS. `reject` refuses an
   *  invalid one in the handshake (enforce); otherwise the result is only reported in `Session.peer`. */
  verifyTls?: { ca?: string; reject: boolean };
  /** When the whole delivery attempt must end (epoch ms, [outbound] attempt_timeout): the opening gets no longer. */
  deadlineAt?: number;
}

/** A deadline of `ms` from now, cut to what is left of the attempt: the time and the words for its reply. */
function bounded(ms: number, what: string, deadlineAt: number | undefined): { ms: number; why: string } {
  const left = deadlineAt === undefined ? Infinity : Math.max(0, deadlineAt - Date.now());
  return left < ms ? { ms: left, why: 'attempt deadline' } : { ms, why: what };
}

/** The certificate check of a session opened with `verifyTls`. */
export interface PeerCheck {
  verified: boolean;
  /** Why not ("Hostname/IP does not match certificate's altnames ...", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"). */
  error?: string;
}

export interface Session {
  conn: SMTPConnection;
  ip: string;
  port: number;
  hostName: string;
  /** Negotiated TLS ("TLSv1.3 TLS_AES_256_GCM_SHA384"), or undefined for plaintext. */
  tls?: string;
  extensions: string[];
  /** Transactions sent on this session (connection reuse). */
  transactions: number;
  /** Set when the last transaction failed in the envelope: RSET before the next one. */
  dirty: boolean;
  /** Closed by the server or by an error. */
  broken: boolean;
  /** Set when opened with `verifyTls` and TLS was negotiated. */
  peer?: PeerCheck;
  /** The session's command timeout (SessionOptions.commandTimeoutMs), which also sets its transactions' deadline. */
  commandTimeoutMs: number;
}

export type OpenResult =
  | { ok: true; session: Session; ms: number }
  | { ok: false; status: string; reply: string; tlsFailed?: boolean; ms: number };

export type RcptOutcome =
  | { address: string; kind: 'sent'; reply: string }
  | { address: string; kind: 'temp' | 'perm'; status: string; reply: string };

export interface SendResult {
  recipients: RcptOutcome[];
  /** The session cannot be used again (connection lost or closed by a 421). */
  broken: boolean;
  /** The server's last reply to the transaction (final reply to DATA on success). */
  reply: string;
  ms: number;
}

export interface Transaction {
  from: string;
  to: string[];
  size: number;
  body8bit: boolean;
  dsn?: { ret?: string; envid?: string; notify?: string[]; orcpt?: string };
}

type SmtpError = Error & { code?: string; response?: string; responseCode?: number; command?: string; rejectedErrors?: SmtpError[]; recipient?: string };

/** "550 5.1.1 text" → "5.1.1"; a reply without one gets the class default (RFC 3463). */
export function enhancedStatus(reply: string, fallbackCode?: number): string {
  const m = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply);
  if (m) return m[1];
  const c = Number(reply.slice(0, 3)) || fallbackCode || 451;
  return c >= 500 ? '5.0.0' : c >= 400 ? '4.0.0' : '2.0.0';
}

/** The most of a remote server's reply kept (a line is at most 512 octets, RFC 5321 §4.5.3.1.5). */
export const MAX_REPLY_CHARS = 1024;
/** The largest reply read at all (a long EHLO or multi-line 550 is a few kB). */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** A transaction must end within this many command timeouts, however its server drips its replies. */
const TRANSACTION_COMMANDS = 4;

/**
 * A reply as one line of text, control characters made spaces and cut at MAX_REPLY_CHARS: it goes into the
 * queue's state, the logs and the bounce for every recipient, and nodemailer passes on up to 1 MB of it.
 */
export function oneLine(s: string | undefined): string {
  const text = (s ?? '').slice(0, MAX_REPLY_CHARS + 1).replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return text.length > MAX_REPLY_CHARS ? `${text.slice(0, MAX_REPLY_CHARS)} [reply cut: ${(s ?? '').length} characters]` : text;
}

function describe(e: SmtpError): string {
  if (e.response) return oneLine(e.response);
  const orig = (e as { originalCode?: string }).originalCode;
  return oneLine(`${e.message}${orig ? ` (${orig})` : ''}`);
}

function tlsInfo(conn: SMTPConnection): string | undefined {
  const s = (conn as unknown as { _socket?: tls.TLSSocket })._socket;
  if (!conn.secure || !s || typeof s.getProtocol !== 'function') return undefined;
  const cipher = s.getCipher?.();
  return `${s.getProtocol() ?? 'TLS'}${cipher ? ' ' + cipher.name : ''}`;
}

function extensionsOf(conn: SMTPConnection): string[] {
  return ((conn as unknown as { _supportedExtensions?: string[] })._supportedExtensions ?? []).map((x) => x.toUpperCase());
}

function isTlsError(e: SmtpError): boolean {
  return e.code === 'ETLS' || /\b(SSL|TLS)\b|ERR_SSL|ERR_TLS|handshake|certificate|altnames/i.test(`${e.message} ${(e as { originalCode?: string }).originalCode ?? ''}`);
}

/** PKIX result of the handshake (Node checks the chain and the name given as servername) plus our own name check. */
function peerCheck(conn: SMTPConnection, hostName: string): PeerCheck | undefined {
  const s = (conn as unknown as { _socket?: tls.TLSSocket })._socket;
  if (!conn.secure || !s || typeof s.getPeerCertificate !== 'function') return undefined;
  if (!s.authorized) return { verified: false, error: String(s.authorizationError ?? 'certificate not verified') };
  const named = tls.checkServerIdentity(hostName, s.getPeerCertificate());
  return named ? { verified: false, error: named.message } : { verified: true };
}

/** Connect, EHLO, STARTTLS (required or opportunistic), AUTH. */
export function openSession(o: SessionOptions): Promise<OpenResult> {
  const started = Date.now();
  // credentials need TLS, and a certificate that verifies for the host, before they are sent
  const withAuth = !!o.auth;
  const requireTls = o.requireTls || withAuth;
  // SNI carries names only (RFC 6066); for an address the certificate is checked against that address
  const servername = net.isIP(o.hostName) ? undefined : o.hostName;
  return new Promise((resolve) => {
    const conn = new SMTPConnection({
      host: o.ip,
      port: o.port,
      name: o.helo,
      servername,
      requireTLS: requireTls,
      ignoreTLS: !requireTls && !!o.noTls,
      opportunisticTLS: !requireTls,
      // encryption between MTAs is opportunistic: certificates of peers are not verified (RFC 7435),
      // unless the destination publishes an MTA-STS policy (verifyTls) or we are to log in (authCa)
      tls: withAuth
        ? { rejectUnauthorized: true, minVersion: 'TLSv1.2', ...(servername ? { servername } : {}), ...(o.authCa ? { ca: o.authCa } : {}) }
        : o.verifyTls
          ? { rejectUnauthorized: o.verifyTls.reject, minVersion: 'TLSv1.2', ...(servername ? { servername } : {}), ...(o.verifyTls.ca ? { ca: o.verifyTls.ca } : {}) }
          : { rejectUnauthorized: false, minVersion: 'TLSv1.2' },
      connectionTimeout: o.connectTimeoutMs,
      greetingTimeout: o.connectTimeoutMs,
      socketTimeout: o.commandTimeoutMs,
      socketCloseTimeout: 1000,
      // a reply longer than this is a hostile or broken server: the session fails (temporary) instead of
      // holding up to nodemailer's 1 MB per reply, for every recipient, until the transaction ends
      maxResponseSize: MAX_RESPONSE_BYTES,
      allowInternalNetworkInterfaces: true,
      logger: false,
    });
    let done = false;
    // the timeouts above are for silence: a server that drips its replies a byte at a time never trips them,
    // so the whole opening (greeting, EHLO, STARTTLS, AUTH) has a deadline of its own
    const open = bounded(o.connectTimeoutMs + o.commandTimeoutMs, 'session deadline', o.deadlineAt);
    const deadline = setTimeout(() => {
      session.broken = true;
      finish({ ok: false, status: '4.4.2', reply: `the server did not finish its greeting and EHLO within ${open.ms} ms (${open.why})`, ms: Date.now() - started });
    }, open.ms);
    const finish = (r: OpenResult) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      if (!r.ok) conn.close();
      resolve(withAuth && !r.ok && r.tlsFailed ? authWithheld(r, o.hostName) : r);
    };
    const session: Session = { conn, ip: o.ip, port: o.port, hostName: o.hostName, extensions: [], transactions: 0, dirty: false, broken: false, commandTimeoutMs: o.commandTimeoutMs };
    conn.on('error', (e: SmtpError) => {
      session.broken = true;
      const inHandshake = !!(conn as unknown as { upgrading?: boolean }).upgrading;
      const reply = e.command === 'STARTTLS' ? `STARTTLS refused: ${describe(e)}` : describe(e);
      finish({ ok: false, status: e.responseCode && e.responseCode >= 500 ? enhancedStatus(e.response ?? '', e.responseCode) : '4.4.1', reply, tlsFailed: inHandshake || isTlsError(e), ms: Date.now() - started });
    });
    conn.on('end', () => {
      session.broken = true;
      finish({ ok: false, status: '4.4.2', reply: 'connection closed by the server', ms: Date.now() - started });
    });
    conn.connect((err) => {
      if (err) {
        const e = err as SmtpError;
        return finish({ ok: false, status: '4.4.1', reply: describe(e), tlsFailed: isTlsError(e), ms: Date.now() - started });
      }
      if (requireTls && !conn.secure) return finish({ ok: false, status: '4.7.0', reply: 'TLS required for this destination but not established', tlsFailed: true, ms: Date.now() - started });
      session.tls = tlsInfo(conn);
      if (o.verifyTls || withAuth) session.peer = peerCheck(conn, o.hostName);
      if (withAuth && !session.peer?.verified) {
        // (the handshake refuses such a certificate already; never log in without a verified peer)
        return finish({ ok: false, status: '4.7.5', reply: `certificate not verified: ${session.peer?.error ?? 'no TLS'}`, tlsFailed: true, ms: Date.now() - started });
      }
      session.extensions = extensionsOf(conn);
      if (!o.auth) return finish({ ok: true, session, ms: Date.now() - started });
      conn.login({ user: o.auth.user, pass: o.auth.pass }, (le) => {
        if (le) {
          const e = le as SmtpError;
          // a refused login is our configuration's fault: keep the mail queued (temporary)
          return finish({ ok: false, status: '4.7.8', reply: `authentication failed: ${describe(e)}`, ms: Date.now() - started });
        }
        finish({ ok: true, session, ms: Date.now() - started });
      });
    });
  });
}

/** A session that was to log in but got no verified TLS: say so, and that no credential was sent. */
function authWithheld(r: Extract<OpenResult, { ok: false }>, hostName: string): OpenResult {
  const certificate = /certificate|altnames|self[- ]signed|UNABLE_TO|CERT_|DEPTH_ZERO|verif/i.test(r.reply);
  const why = certificate ? `the certificate of ${hostName} could not be verified (${r.reply})` : `no TLS with ${hostName} (${r.reply})`;
  return { ...r, status: certificate ? '4.7.5' : '4.7.0', reply: `credentials not sent: ${why}` };
}

function outcomeOf(address: string, e: SmtpError): RcptOutcome {
  const reply = describe(e);
  const code = e.responseCode ?? 0;
  if (code >= 500) return { address, kind: 'perm', status: enhancedStatus(e.response ?? '', code), reply };
  return { address, kind: 'temp', status: code >= 400 ? enhancedStatus(e.response ?? '', code) : '4.4.2', reply };
}

/** RSET; false when refused, when the connection fails meanwhile (nodemailer then drops the callback) or past `ms`. */
function reset(s: Session, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const lost = () => done(false);
    const timer = setTimeout(lost, Math.min(ms, s.commandTimeoutMs));
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.conn.off('error', lost);
      s.conn.off('end', lost);
      resolve(ok);
    };
    s.conn.once('error', lost);
    s.conn.once('end', lost);
    s.conn.reset((err) => done(!err));
  });
}

const NON_ASCII = /[^\x00-\x7f]/;

/** One SMTP transaction on an open session, ending by `deadlineAt` at the latest; every recipient of `t.to` gets an outcome. */
export async function sendTransaction(s: Session, t: Transaction, message: Buffer, deadlineAt?: number): Promise<SendResult> {
  const started = Date.now();
  if (s.dirty) {
    if (!(await reset(s, bounded(s.commandTimeoutMs, '', deadlineAt).ms))) {
      s.broken = true;
      return { recipients: t.to.map((a) => ({ address: a, kind: 'temp', status: '4.4.2', reply: 'RSET failed on a reused connection' })), broken: true, reply: 'RSET failed', ms: Date.now() - started };
    }
    s.dirty = false;
  }
  // RFC 6531 §3.4: internationalised addresses need SMTPUTF8 at the next hop; without it the mail cannot go
  const needsUtf8 = NON_ASCII.test(t.from) || t.to.some((a) => NON_ASCII.test(a));
  if (needsUtf8 && !s.extensions.includes('SMTPUTF8')) {
    return { recipients: t.to.map((a) => ({ address: a, kind: 'perm', status: '5.6.7', reply: 'the receiving server does not support SMTPUTF8 (internationalised address)' })), broken: false, reply: '', ms: 0 };
  }
  const dsn = t.dsn && (t.dsn.ret || t.dsn.envid || t.dsn.notify?.length || t.dsn.orcpt) ? { ret: t.dsn.ret, envid: t.dsn.envid, notify: t.dsn.notify, orcpt: t.dsn.orcpt } : undefined;
  return new Promise((resolve) => {
    // as for the opening: silence has its timeout, a dripping server meets this deadline on the whole
    // transaction (MAIL, every RCPT, DATA, the message at 10 KB/s at least, and the final reply)
    const tx = bounded(TRANSACTION_COMMANDS * s.commandTimeoutMs + Math.ceil(t.size / 10), 'transaction deadline', deadlineAt);
    let settled = false;
    const deadline = setTimeout(() => {
      settled = true;
      s.broken = true;
      s.dirty = true;
      s.conn.close();
      const reply = `no complete answer within ${tx.ms} ms (${tx.why})`;
      resolve({ recipients: t.to.map((a) => ({ address: a, kind: 'temp', status: '4.4.2', reply })), broken: true, reply, ms: Date.now() - started });
    }, tx.ms);
    s.conn.send({ from: t.from || false, to: t.to, size: t.size, use8BitMime: t.body8bit, dsn }, message, (err, info) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      s.transactions++;
      const ms = Date.now() - started;
      if (!err && info) {
        const rejected = new Map((info.rejectedErrors ?? []).map((e) => [String((e as SmtpError).recipient).toLowerCase(), e as SmtpError]));
        const reply = oneLine(info.response);
        const recipients = t.to.map((a): RcptOutcome => {
          const e = rejected.get(a.toLowerCase());
          return e ? outcomeOf(a, e) : { address: a, kind: 'sent', reply };
        });
        return resolve({ recipients, broken: s.broken, reply, ms });
      }
      const e = err as SmtpError;
      const lost = !e.responseCode || e.responseCode === 421 || e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'ETIMEDOUT';
      if (lost && !(e.code === 'EMESSAGE' && !e.responseCode)) s.broken = true;
      s.dirty = true;
      const own = new Map((e.rejectedErrors ?? []).map((x) => [String(x.recipient).toLowerCase(), x]));
      const recipients = t.to.map((a): RcptOutcome => {
        const r = own.get(a.toLowerCase());
        if (r) return outcomeOf(a, r);
        if (e.code === 'EMESSAGE' && !e.responseCode) return { address: a, kind: 'perm', status: '5.3.4', reply: describe(e) };
        return outcomeOf(a, e);
      });
      resolve({ recipients, broken: s.broken, reply: describe(e), ms });
    });
  });
}

export function closeSession(s: Session): void {
  try {
    if (!s.broken) s.conn.quit();
    else s.conn.close();
  } catch {
    /* already closed */
  }
}
