// What rules keep, as interfaces: Sieve scripts per owner (a user "user@domain" or a domain "@domain", at most one
// active), the one vacation of each user, auto-responders, and the history of automatic replies. SQLite today
// (sqlite-store.ts), PostgreSQL later; ManageSieve, the CLI, JMAP, the web pages and delivery use only these.
// Nothing here parses Sieve or sends mail.

/** "user@domain" for a user's scripts, "@domain" for a domain's. */
export type ScriptOwner = string;

export interface StoredScript {
  name: string;
  text: string;
  active: boolean;
  /** ms since the epoch; changes with every put (parsed scripts are cached on it). */
  updated: number;
}

export type DeleteOutcome = 'ok' | 'missing' | 'active';
export type RenameOutcome = 'ok' | 'missing' | 'exists';

export interface ScriptStore {
  listScripts(owner: ScriptOwner): StoredScript[];
  getScript(owner: ScriptOwner, name: string): StoredScript | null;
  activeScript(owner: ScriptOwner): StoredScript | null;
  /** Create or replace (an active script stays active). */
  putScript(owner: ScriptOwner, name: string, text: string): void;
  /** Make `name` the active script (null: none active); false when there is no such script. */
  setActive(owner: ScriptOwner, name: string | null): boolean;
  /** An active script is not deleted (RFC 5804 §2.10: NO (ACTIVE)). */
  deleteScript(owner: ScriptOwner, name: string): DeleteOutcome;
  renameScript(owner: ScriptOwner, from: string, to: string): RenameOutcome;
}

/** A user's vacation (R2): the CLI, JMAP's VacationResponse and the webmail all read and write this one record. */
export interface VacationSettings {
  enabled: boolean;
  /** The reply's subject; null: "Auto: <original subject>". */
  subject: string | null;
  /** The reply text (plain). */
  text: string;
  /** An HTML version (JMAP htmlBody); the reply is then multipart/alternative. */
  html: string | null;
  /** Replies only from this moment (ms since the epoch), or null. */
  from: number | null;
  /** …and only before this one (exclusive), or null. */
  until: number | null;
  /** One reply per sender per this many days; null: [sieve] vacation_default_period. */
  days: number | null;
  /** Other addresses of the user that count as "addressed to me" (RFC 5230 :addresses). */
  addresses: string[];
  /** Envelope sender of replies: the null sender, the user's address, or null for [sieve] vacation_sender. */
  sender: 'null' | 'user' | null;
  updated: number;
}

export type VacationInput = Omit<VacationSettings, 'updated'>;

export interface VacationStore {
  getVacation(address: string): VacationSettings | null;
  /** Replace the settings; the "already replied" history is cleared when the text, subject or dates change. */
  setVacation(address: string, v: VacationInput): VacationSettings;
  /** Switch it off, keeping the text for the next time; false when there was none. */
  disableVacation(address: string): boolean;
}

/** An auto-responder (R3, IMail's information manager): every message to `address` gets `text`. */
export interface AutoReply {
  address: string;
  enabled: boolean;
  subject: string | null;
  text: string;
  /** One reply per sender per this many ms. */
  intervalMs: number;
  updated: number;
}

export interface AutoReplyStore {
  getAutoReply(address: string): AutoReply | null;
  setAutoReply(a: Omit<AutoReply, 'updated'>): AutoReply;
  deleteAutoReply(address: string): boolean;
  listAutoReplies(): AutoReply[];
}

/** When an address last answered a sender (vacation handles, "autoreply"), and how much it answered lately. */
export interface ReplyHistoryStore {
  lastReply(address: string, sender: string, handle: string): number | null;
  recordReply(address: string, sender: string, handle: string, at: number): void;
  /** Replies recorded since `since` (distinct senders and handles): the per-day cap. */
  repliesSince(address: string, since: number): number;
  clearReplies(address: string, handle?: string): void;
}

export type RulesStore = ScriptStore & VacationStore & AutoReplyStore & ReplyHistoryStore;

/** The history handle of the vacation kept as settings (scripts' vacation actions use their own handles). */
export const VACATION_HANDLE = 'vacation';
/** The history handle of auto-responders. */
export const AUTOREPLY_HANDLE = 'autoreply';

/** Longest script name we keep, in characters. */
export const MAX_SCRIPT_NAME = 128;

/** Why a script name is refused, as a code the web pages translate (sieve.name-* in the catalogue). */
export type ScriptNameCode = 'name-empty' | 'name-too-long' | 'name-control' | 'name-not-nfc';

/**
 * RFC 5804 §1.6: a script name is Net-Unicode without control characters (U+0000–001F, U+007F–009F) or the
 * line/paragraph separators; we also refuse the empty name and names over MAX_SCRIPT_NAME characters. Null when
 * acceptable, else the reason's code.
 */
export function scriptNameCode(name: string): ScriptNameCode | null {
  if (!name) return 'name-empty';
  if ([...name].length > MAX_SCRIPT_NAME) return 'name-too-long';
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) return 'name-control';
  if (name.normalize('NFC') !== name) return 'name-not-nfc';
  return null;
}

const NAME_TEXT: Record<ScriptNameCode, string> = {
  'name-empty': 'the script name is empty',
  'name-too-long': `the script name is longer than ${MAX_SCRIPT_NAME} characters`,
  'name-control': 'the script name contains control characters',
  'name-not-nfc': 'the script name is not in Unicode normalization form C',
};

/** The same check, in English (ManageSieve, the CLI): null when acceptable, else the reason. */
export function scriptNameProblem(name: string): string | null {
  const code = scriptNameCode(name);
  return code ? NAME_TEXT[code] : null;
}

/** "ADDRESS" or "@DOMAIN" as given on a command line → the owner key, lower-cased; null when it is neither. */
export function ownerKey(target: string): ScriptOwner | null {
  const t = target.trim().toLowerCase();
  if (/^@[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(t)) return t;
  if (/^[^\s@]{1,64}@[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(t)) return t;
  return null;
}

/** The domain owner key of an address ("user@example.jp" → "@example.jp"). */
export function domainOwner(address: string): ScriptOwner {
  return address.slice(address.lastIndexOf('@')).toLowerCase();
}
