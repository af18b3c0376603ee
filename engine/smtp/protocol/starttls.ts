// STARTTLS (RFC 3207): after "220 Ready to start TLS" the accepted socket is wrapped in a TLS socket; nothing
// the client sent in plaintext after the command is run (the connection dropped it already), and once the
// handshake is done the session forgets what it learnt before it (§4.2: the login, the HELO, the transaction).
import tls from 'node:tls';
import type { SmtpConnection } from './connection.js';
import { transmissionType } from './commands.js';

export function upgradeToTls(c: SmtpConnection): void {
  const raw = c.socket;
  const t = c.o.tls!;
  c.upgrading = true;
  c.unlisten(raw);
  c.o.watcher?.handshake(c, true);
  const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: t.secureContext, SNICallback: t.SNICallback });
  const failed = () => {
    if (!secure.destroyed) secure.destroy();
    if (!raw.destroyed) raw.destroy();
  };
  secure.once('error', failed);
  secure.setTimeout(c.o.socketTimeout, failed);
  secure.once('secure', () => {
    secure.off('error', failed);
    secure.setTimeout(0);
    if (c.closing) return;
    c.upgrading = false;
    c.o.watcher?.handshake(c, false);
    const s = c.session;
    s.secure = true;
    s.user = undefined;
    s.hostNameAppearsAs = false;
    s.openingCommand = false;
    s.tlsOptions = secure.getCipher() ?? false;
    s.servername = (secure as tls.TLSSocket & { servername?: string }).servername || undefined;
    s.transmissionType = transmissionType(s);
    c.resetTransaction();
    c.listen(secure);
    c.o.onSecure(secure, s);
    c.resumeInput();
  });
}
