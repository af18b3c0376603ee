// What the login throttle shares between nodes (scale-out, docs/scale-out.md): failures per client network and
// per account within the window, client blocks, a spaced account's next turn and the networks its owner logged
// in from. LoginFlow consults it next to its own AuthThrottle; when
// it cannot answer (the database is away) each node still throttles on its own counts. It never holds passwords.
import type { SharedCounts } from '../policy/auth-throttle.js';

export interface SharedState extends SharedCounts {
  /** The client network is blocked until then (ms since the epoch); 0 when it is not. */
  blockedUntil: number;
  /** The owner of the account has logged in from this client network (on any node): it skips the spacing. */
  known?: boolean;
}

export interface SharedLoginCounts {
  /** The shared counts for a client network key (AuthThrottle.keyOf) and an account. */
  state(client: string, account: string | undefined): Promise<SharedState>;
  /** Count a failure on every node; true when it started a block of the client. */
  fail(client: string, account: string | undefined): Promise<boolean>;
  /**
   * A spaced account's turn, taken on all nodes at once: how long this attempt waits for it (ms), or 'busy' when
   * it is further away than one spacing. Absent: each node spaces on its own.
   */
  slot?(account: string): Promise<number | 'busy'>;
  /** A successful login: the network becomes known for the account on every node. */
  succeeded?(client: string, account: string): Promise<void>;
}
