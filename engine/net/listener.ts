// The one TCP listener every protocol runs on (SMTP, POP3 and IMAP hand the sockets to their
// sessions): it binds, applies the protocol's connection caps before anything else, does implicit TLS (TLS 1.2
// floor, handshake deadline) and hands over a ready socket. It never reads a command and never writes one,
// except the protocol's one refusal line for a connection over the caps.
import net from 'node:net';
import type tls from 'node:tls';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { unmapV4 } from '../policy/cidr.js';
import { ConnectionLimits } from './conn-limits.js';
import { listenAddress } from './host-port.js';
import { refusalLog } from './refusal-log.js';
import { serverHandshake, type ServerTls } from './tls.js';

export type Protocol = 'smtp' | 'pop3' | 'imap' | 'managesieve';

export interface ListenerOptions {
  protocol: Protocol;
  /** The listener's name in logs ("imaps", "submission"). */
  name: string;
  /** "host:port" ("[::1]:port" for IPv6); port 0 picks a free one. */
  listen: string;
  implicitTls: boolean;
  /** The server TLS context (tls.ts serverContext: TLS 1.2 floor), or a chooser per local address and SNI, for implicit TLS. */
  context: ServerTls;
  limits: ConnectionLimits;
  /** How long an implicit TLS handshake may take, however slowly it is sent (0 = unbounded). */
  handshakeMs: number;
  logger: Logger;
  /** The line a client over the caps gets before the close (plaintext listeners only; TLS ones just close). */
  refusal(reason: 'total' | 'per-client'): string;
  /**
   * A connection within the caps, after the implicit TLS handshake when there is one. Its slot is given back when
   * the accepted socket closes; `ended` gives it back too, for a protocol library that strips the socket's
   * listeners and reports the end of the connection another way.
   */
  onConnection(socket: net.Socket, secure: boolean, ended: () => void): void;
}

export interface Listener {
  host: string;
  port: number;
  /** Stop accepting; resolves once every connection accepted here has closed. */
  close(): Promise<void>;
  /** Destroy every connection still open (the end of a shutdown's grace period). */
  destroyAll(): void;
}

/** How long a refused client may keep the socket to read its refusal line. */
const REFUSAL_GRACE_MS = 2000;

export async function startListener(o: ListenerOptions): Promise<Listener> {
  const { host, port } = listenAddress(o.listen);
  const { context } = o;
  const open = new Set<net.Socket>();
  let drained: (() => void) | null = null;
  const refusals = refusalLog(o.logger);

  const accept = (raw: net.Socket) => {
    raw.on('error', (e) => o.logger.debug(o.protocol, 'socket-error', { listener: o.name, error: e.message }));
    const ip = unmapV4(raw.remoteAddress ?? '');
    const admission = o.limits.admit(ip);
    if (!admission.ok) {
      refusals.refused(o.protocol, { listener: o.name, ip, reason: admission.reason, open: admission.open }); // a flood: one line and a summary per interval
      if (o.implicitTls) raw.destroy(); // nothing readable can be said before the handshake
      else {
        raw.end(o.refusal(admission.reason) + '\r\n');
        setTimeout(() => raw.destroy(), REFUSAL_GRACE_MS).unref();
      }
      return;
    }
    open.add(raw);
    const ended = () => {
      if (!open.delete(raw)) return;
      admission.release();
      if (open.size === 0) drained?.();
    };
    raw.once('close', ended);
    raw.setNoDelay(true);
    if (!o.implicitTls) return o.onConnection(raw, false, ended);
    serverHandshake(raw, context, o.handshakeMs)
      .then((r) => {
        if (r.ok) return o.onConnection(r.socket, true, ended);
        if (r.reason === 'timeout') o.logger.warn(o.protocol, 'timeout', { listener: o.name, ip, phase: 'tls', limit: o.handshakeMs });
        else if (r.reason === 'failed') o.logger.debug(o.protocol, 'tls-failed', { listener: o.name, ip, error: r.error });
        raw.destroy();
      })
      .catch((e: Error) => {
        // the handshake never rejects; a protocol that failed to take the connection loses it, not the server
        o.logger.error(o.protocol, 'connection-failed', { listener: o.name, ip, error: e.message });
        raw.destroy();
      });
  };

  const server = net.createServer(accept);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host || undefined, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => o.logger.error(o.protocol, 'listener-error', { listener: o.name, error: e.message }));
  const bound = (server.address() as net.AddressInfo).port;
  // debug: serve reports every bound listener once (system.listening and the table), this line is the protocol's detail
  o.logger.debug(o.protocol, 'listening', { listener: o.name, address: host, port: bound, tls: o.implicitTls });
  return {
    host,
    port: bound,
    close() {
      refusals.flush();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const gone = open.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve));
      return Promise.all([closed, gone]).then(() => undefined);
    },
    destroyAll() {
      for (const s of open) s.destroy();
    },
  };
}

const limitsByConfig = new WeakMap<LoadedConfig, Map<Protocol, ConnectionLimits>>();

/**
 * The caps of one protocol, shared by all its listeners (smtp/submission/submissions, pop3/pop3s, imap/imaps):
 * [<protocol>] max_connections and max_connections_per_ip, clients grouped by [auth] ipv6_prefix.
 */
export function limitsFor(config: LoadedConfig, protocol: Protocol): ConnectionLimits {
  let byProtocol = limitsByConfig.get(config);
  if (!byProtocol) limitsByConfig.set(config, (byProtocol = new Map()));
  let limits = byProtocol.get(protocol);
  if (!limits) {
    const section = config[protocol];
    limits = new ConnectionLimits({ total: section.max_connections, perClient: section.max_connections_per_ip, ipv6Prefix: config.auth.ipv6_prefix });
    byProtocol.set(protocol, limits);
  }
  return limits;
}

/** The deadline of a TLS handshake: the command deadline, and never longer than the idle timeout (0 = none). */
export function handshakeDeadline(commandMs: number, idleMs: number): number {
  const bounds = [commandMs, idleMs].filter((ms) => ms > 0);
  return bounds.length ? Math.min(...bounds) : 0;
}
