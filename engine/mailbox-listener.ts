// What the server hands each mailbox-access listener (POP3, IMAP): where to listen, TLS, the store, the
// account directory, config, logs, and the shared parts of engine/net: the login flow (one throttle for SMTP,
// POP3 and IMAP) and the protocol's connection caps. Types only.
import type { AccountDirectory } from './accounts/directory.js';
import type { LoadedConfig } from './config/load.js';
import type { Logger } from './log/logger.js';
import type { ConnectionLimits } from './net/conn-limits.js';
import type { LoginFlow } from './net/login.js';
import type { MailboxStore } from './store/mailbox-store.js';

export interface MailboxListenerOptions {
  /** "host:port" ("[::1]:port" for IPv6); port 0 picks a free one. */
  listen: string;
  implicitTls: boolean;
  tls: { key: Buffer; cert: Buffer };
  store: MailboxStore;
  directory: AccountDirectory;
  config: LoadedConfig;
  logger: Logger;
  /** The login flow shared with the other protocols; when absent, the one of this config (LoginFlow.shared). */
  login?: LoginFlow;
  /** The protocol's connection caps; when absent, those of this config (net/listener.ts limitsFor). */
  limits?: ConnectionLimits;
}
