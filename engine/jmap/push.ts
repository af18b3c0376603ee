// Push over an event source (RFC 8620 §7.3): a text/event-stream answer that stays open and gets a "state" event
// (a StateChange of the types asked for) whenever the account changes — new mail delivered by the workers, a
// flag set over IMAP, a move — as the store's in-process notices and disk watches report it, plus "ping" events
// at the interval asked (within bounds). Each connection holds one account watch and two timers; it never reads mail.
import type { ServerResponse } from 'node:http';
import type { User } from '../accounts/directory.js';
import { accountIdOf } from './capabilities.js';
import { objectState, stateOf } from './mail/states.js';
import type { JmapService } from './service.js';

export const PUSH_TYPES = ['Mailbox', 'Thread', 'Email', 'EmailDelivery', 'Identity', 'EmailSubmission', 'VacationResponse'] as const;
export type PushType = (typeof PUSH_TYPES)[number];

/** Ping intervals are clamped to this range (RFC 8620: the minimum may not exceed 30 s, the maximum not be under 300 s). */
export const PING_MIN_S = 5;
export const PING_MAX_S = 600;
/** Changes made by other processes in cur/ (flags) have no notice: the account is looked at this often anyway. */
export const BACKSTOP_MS = 60_000;
const DEBOUNCE_MS = 100;

export interface EventSourceOptions {
  types: Set<PushType> | 'all';
  closeAfterState: boolean;
  /** Seconds; 0 for no pings. */
  ping: number;
  lastEventId?: string;
}

/** Parse the query of an event-source request; null when it is not one RFC 8620 allows. */
export function eventSourceOptions(q: Record<string, unknown>, lastEventId: string | undefined): EventSourceOptions | null {
  const { types, closeafter, ping } = q;
  if (typeof types !== 'string' || typeof closeafter !== 'string' || typeof ping !== 'string') return null;
  if (closeafter !== 'state' && closeafter !== 'no') return null;
  if (!/^(0|[1-9][0-9]{0,8})$/.test(ping)) return null;
  const n = Number(ping);
  const wanted = types === '*' ? 'all' : new Set(types.split(',').filter((t): t is PushType => (PUSH_TYPES as readonly string[]).includes(t)));
  return { types: wanted, closeAfterState: closeafter === 'state', ping: n === 0 ? 0 : Math.min(PING_MAX_S, Math.max(PING_MIN_S, n)), lastEventId };
}

/** The state of every push type for an account. */
export async function pushStates(svc: JmapService, address: string): Promise<Record<PushType, string>> {
  const st = await svc.store.refreshAccount(address);
  const o = async (t: 'Identity' | 'EmailSubmission' | 'VacationResponse') => objectState(await svc.objects.state(address, t));
  const [identity, submission, vacation] = await Promise.all([o('Identity'), o('EmailSubmission'), o('VacationResponse')]);
  return {
    Mailbox: stateOf(st, 'Mailbox'),
    Thread: stateOf(st, 'Thread'),
    Email: stateOf(st, 'Email'),
    EmailDelivery: stateOf(st, 'EmailDelivery'),
    Identity: identity,
    EmailSubmission: submission,
    VacationResponse: vacation,
  };
}

const eventId = (s: Record<PushType, string>): string => Buffer.from(JSON.stringify(s)).toString('base64url');

function fromEventId(id: string | undefined): Partial<Record<PushType, string>> | null {
  if (!id || id.length > 2000) return null;
  try {
    const v = JSON.parse(Buffer.from(id, 'base64url').toString('utf8')) as unknown;
    return v && typeof v === 'object' ? (v as Partial<Record<PushType, string>>) : null;
  } catch {
    return null;
  }
}

/**
 * Serve one event-source connection on a raw response whose headers the caller has written. Resolves when the
 * stream ends (client gone, closeafter=state, server closing).
 */
export function serveEvents(svc: JmapService, user: User, res: ServerResponse, o: EventSourceOptions): Promise<void> {
  const address = user.address;
  const accountId = accountIdOf(address);
  return new Promise<void>((resolve) => {
    let last: Partial<Record<PushType, string>> | null = fromEventId(o.lastEventId);
    let closed = false;
    let debounce: NodeJS.Timeout | null = null;
    let pingTimer: NodeJS.Timeout | null = null;
    let checking = false;
    let again = false;
    let ready = false;
    svc.streams.add(res);
    const write = (s: string) => {
      if (!closed) res.write(s);
    };
    const armPing = () => {
      if (pingTimer) clearTimeout(pingTimer);
      if (o.ping > 0) pingTimer = setTimeout(() => {
        write(`event: ping\ndata: ${JSON.stringify({ interval: o.ping })}\n\n`);
        armPing();
      }, o.ping * 1000);
    };
    const check = async () => {
      if (closed) return;
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        const now = await pushStates(svc, address);
        const changed: Partial<Record<PushType, string>> = {};
        for (const t of PUSH_TYPES) {
          if (o.types !== 'all' && !o.types.has(t)) continue;
          if (last && last[t] !== now[t]) changed[t] = now[t];
        }
        const first = last === null;
        last = now;
        if (!first && Object.keys(changed).length) {
          write(`event: state\nid: ${eventId(now)}\ndata: ${JSON.stringify({ '@type': 'StateChange', changed: { [accountId]: changed } })}\n\n`);
          armPing();
          if (o.closeAfterState) finish();
        }
      } catch (e) {
        svc.log('push.error', { user: address, error: (e as Error).message }, 'warn');
      } finally {
        checking = false;
        // a comment (ignored by clients) once the first look is done: from here on every change is pushed
        if (!ready) {
          ready = true;
          write(': ready\n\n');
        }
        if (again && !closed) {
          again = false;
          // eslint-disable-next-line @typescript-eslint/no-floating-promises -- check() catches and logs its own failures
          check();
        }
      }
    };
    const poke = () => {
      if (debounce) return;
      debounce = setTimeout(() => {
        debounce = null;
        // eslint-disable-next-line @typescript-eslint/no-floating-promises -- check() catches and logs its own failures
        check();
      }, DEBOUNCE_MS);
    };
    const unwatch = svc.store.watchAccount(address, poke);
    const onObjects = (a: string) => {
      if (a === address.toLowerCase() || a === address) poke();
    };
    svc.objectListeners.add(onObjects);
    const backstop = setInterval(poke, BACKSTOP_MS);
    const finish = () => {
      if (closed) return;
      closed = true;
      unwatch();
      svc.objectListeners.delete(onObjects);
      clearInterval(backstop);
      if (debounce) clearTimeout(debounce);
      if (pingTimer) clearTimeout(pingTimer);
      svc.streams.delete(res);
      res.end();
      resolve();
    };
    res.on('close', finish);
    res.on('error', finish);
    write(': tegami jmap event source\n\n');
    armPing();
    // the first look sets the baseline; a client back with a Last-Event-ID hears what it missed at once
    // eslint-disable-next-line @typescript-eslint/no-floating-promises -- check() catches and logs its own failures
    check();
  });
}
