// TLS for every listener, in one place: the protocol floor (TLS 1.2), the server context, and the server side
// of a handshake (implicit TLS at accept, or after STARTTLS/STLS) bounded by a fixed deadline that dripped
// bytes cannot extend. It never reads application data and never decides what a session may do over TLS.
import type net from 'node:net';
import tls from 'node:tls';
import { Deadline } from './deadline.js';

/** The lowest protocol any tegami listener accepts (SMTP, POP3, IMAP alike). */
export const TLS_MIN_VERSION: tls.SecureVersion = 'TLSv1.2';

export interface CertPair {
  key: Buffer | string;
  cert: Buffer | string;
}

/** Options for a server context (also the STARTTLS context of each SMTP listener address). */
export function serverTlsOptions(pair: CertPair): { key: Buffer | string; cert: Buffer | string; minVersion: tls.SecureVersion } {
  return { key: pair.key, cert: pair.cert, minVersion: TLS_MIN_VERSION };
}

export function serverContext(pair: CertPair): tls.SecureContext {
  return tls.createSecureContext(serverTlsOptions(pair));
}

/** A chooser of the server certificate per connection: by the local address, then by SNI (engine/tls/select.ts). */
export interface TlsChooser {
  serverOptions(localAddress: string | undefined): { secureContext: tls.SecureContext; SNICallback: (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => void };
}

/** What the server side of a handshake is given: one context for every connection, or a chooser. */
export type ServerTls = tls.SecureContext | TlsChooser;

function isChooser(t: ServerTls): t is TlsChooser {
  return typeof (t as Partial<TlsChooser>).serverOptions === 'function';
}

/** The TLSSocket options for a server-side handshake on `raw`. */
function socketOptions(t: ServerTls, raw: net.Socket): tls.TLSSocketOptions {
  return isChooser(t) ? t.serverOptions(raw.localAddress) : { secureContext: t };
}

export type HandshakeOutcome =
  | { ok: true; socket: tls.TLSSocket }
  | { ok: false; reason: 'timeout' | 'failed' | 'closed'; error?: string };

/**
 * Run the server side of a TLS handshake on `raw` (an accepted socket, or one whose STARTTLS was just answered).
 * The handshake must finish within `deadlineMs` of now, however slowly the client sends it; past that, or on a
 * failure, the TLS socket is destroyed (the topmost one: tearing the raw socket down under a handshake in
 * progress is what crashes a TLS wrap). 0 = no deadline.
 */
export function serverHandshake(raw: net.Socket, context: ServerTls, deadlineMs: number): Promise<HandshakeOutcome> {
  return new Promise((resolve) => {
    const secure = new tls.TLSSocket(raw, { isServer: true, ...socketOptions(context, raw) });
    let settled = false;
    const finish = (o: HandshakeOutcome) => {
      if (settled) return;
      settled = true;
      deadline.stop();
      secure.off('secure', onSecure);
      secure.off('close', onClose);
      raw.off('close', onClose);
      if (!o.ok) {
        secure.on('error', () => {}); // late errors of a socket we are done with
        secure.destroy();
      }
      resolve(o);
    };
    const deadline = new Deadline<'tls'>(() => finish({ ok: false, reason: 'timeout' }));
    const onSecure = () => {
      secure.off('error', onError);
      finish({ ok: true, socket: secure });
    };
    const onError = (e: Error) => finish({ ok: false, reason: 'failed', error: e.message });
    const onClose = () => finish({ ok: false, reason: 'closed' });
    secure.once('secure', onSecure);
    secure.once('error', onError);
    secure.once('close', onClose);
    raw.once('close', onClose);
    if (deadlineMs > 0) deadline.time('tls', null, deadlineMs);
  });
}

/** "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384", for logs and Received headers. */
export function describeTls(socket: tls.TLSSocket): { protocol?: string; cipher?: string } {
  return { protocol: socket.getProtocol() ?? undefined, cipher: socket.getCipher()?.name };
}
