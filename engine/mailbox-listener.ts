// What the server hands each mailbox-access listener (POP3, IMAP): where to listen, TLS, the store, the
// account directory, config, logs and the failed-login throttle shared with SMTP. Types only.
import type { AccountDirectory } from './accounts/directory.js';
import type { LoadedConfig } from './config/load.js';
import type { Logger } from './log/logger.js';
import type { AuthThrottle } from './policy/auth-throttle.js';
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
  /** The failed-login throttle shared with the other protocols; each listener makes one from [auth] when absent. */
  throttle?: AuthThrottle;
}
