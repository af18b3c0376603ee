// What the SMTP session layer (connection.ts) shows its hooks: the session, and the options one listener address
// gives it (its name, TLS, limits and the policy's hooks). The shapes follow smtp-server's, which the policy
// was written against, so the hooks did not change when tegami took the protocol over.
import type net from 'node:net';
import type tls from 'node:tls';
import type { SmtpAddress } from './address.js';
import type { MessageStream } from './message.js';

export interface SmtpEnvelope {
  mailFrom: SmtpAddress | false;
  rcptTo: SmtpAddress[];
  /** RFC 3461 RET and ENVID of MAIL. */
  dsn: { ret: string | null; envid: string | null };
  bodyType: string;
  smtpUtf8: boolean;
}

export interface SmtpSession {
  id: string;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** "[ip]": the greeting never waits for a reverse lookup. */
  clientHostname: string;
  openingCommand: 'HELO' | 'EHLO' | false;
  hostNameAppearsAs: string | false;
  secure: boolean;
  /** The logged-in account (AUTH); forgotten at STARTTLS. */
  user?: unknown;
  envelope: SmtpEnvelope;
  tlsOptions: { name?: string; standardName?: string; version?: string } | false;
  servername?: string;
  transmissionType: string;
}

/** A reply of the SASL exchange the policy runs (RFC 4954). */
export interface SaslReply {
  code: number;
  message: string;
  user?: unknown;
  more?: boolean;
}

export interface SaslExchange {
  start(initial?: string): Promise<SaslReply>;
  respond(line: string): Promise<SaslReply>;
}

/** A hook's error: `responseCode` and the reply text (which may start with its enhanced code). */
export type HookError = Error & { responseCode?: number };
export type Done = (err?: HookError | null) => void;
export type Reply = (code: number, text: string) => void;

export interface SmtpOptions {
  /** The host name of the greeting and the EHLO reply. */
  name: string;
  banner?: string;
  /** Implicit TLS (the socket is a TLS socket already). */
  secure: boolean;
  /** STARTTLS: the context and SNI chooser of this address (absent: no STARTTLS). */
  tls?: { secureContext: tls.SecureContext; SNICallback?: tls.TlsOptions['SNICallback'] };
  /** The message size limit (SIZE), 0 for none. */
  size: number;
  /** Every mechanism a session may be offered. */
  authMethods: string[];
  /** MAIL without AUTH is allowed (port 25). */
  authOptional: boolean;
  authMethodsFor(session: SmtpSession, secure: boolean): string[];
  onSaslStart(method: string, session: SmtpSession): SaslExchange;
  /** ms before the greeting; a client that talks first gets 421. */
  greetingDelay: number;
  /** Idle ms while the client owes the next byte. */
  socketTimeout: number;
  /** The longest command line (bytes). */
  maxLineLength: number;
  /** True once the server is stopping: every new command gets 421. */
  closing(): boolean;
  onConnect(session: SmtpSession, done: Done): void;
  /** TLS is on (implicit, or after STARTTLS). */
  onSecure(socket: tls.TLSSocket, session: SmtpSession): void;
  onClose(session: SmtpSession): void;
  onMailFrom(address: SmtpAddress, session: SmtpSession, done: Done): void;
  onRcptTo(address: SmtpAddress, session: SmtpSession, done: Done): void;
  onData(stream: MessageStream, session: SmtpSession, done: (err?: HookError | null, message?: string) => void): void;
  onVrfy(arg: string, session: SmtpSession, reply: Reply): void;
  onExpn?(arg: string, session: SmtpSession, reply: Reply): void;
  /** A socket error that is not a client going away. */
  onError(session: SmtpSession, err: Error): void;
  /** A command line begins or ends, DATA starts or ends, STARTTLS starts: for the deadlines. */
  watcher?: ConnectionWatcher;
}

/** What the deadlines (deadlines.ts) see of a connection. */
export interface ConnectionWatcher {
  /** A command line began (`begun`) or the last one ended. */
  line(conn: WatchedConnection, begun: boolean): void;
  /** The message of a DATA started (its stream) or ended (null). */
  message(conn: WatchedConnection, stream: MessageStream | null): void;
  /** STARTTLS: the handshake started (true) or finished (false). */
  handshake(conn: WatchedConnection, running: boolean): void;
  closed(conn: WatchedConnection): void;
}

export interface WatchedConnection {
  readonly session: SmtpSession;
  readonly socket: net.Socket;
  /** A reply and the close (421 on a deadline). */
  fail(code: number, text: string): void;
}
