// What the login throttle shares between nodes (scale-out, docs/scale-out.md): failures per client network and
// per account within the window, and client blocks. LoginFlow consults it next to its own AuthThrottle; when
// it cannot answer (the database is away) each node still throttles on its own counts. It never holds passwords.
import type { SharedCounts } from '../policy/auth-throttle.js';

export interface SharedState extends SharedCounts {
  /** The client network is blocked until then (ms since the epoch); 0 when it is not. */
  blockedUntil: number;
}

export interface SharedLoginCounts {
  /** The shared counts for a client network key (AuthThrottle.keyOf) and an account. */
  state(client: string, account: string | undefined): Promise<SharedState>;
  /** Count a failure on every node; true when it started a block of the client. */
  fail(client: string, account: string | undefined): Promise<boolean>;
}
