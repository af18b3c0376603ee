// The mailing-list directory interface: lists, their settings, members and moderators, and the addresses a
// list answers to. SMTP (RCPT), routing, the list worker, the CLI and later the web pages depend only on this,
// so the SQLite implementation (engine/lists/sqlite-lists.ts) can be replaced by a PostgreSQL one.
// The moving parts of a list (held posts, confirmations, bounces) are in ListActivity, beside it.

export const POST_POLICIES = ['members', 'anyone', 'moderators'] as const;
export type PostPolicy = (typeof POST_POLICIES)[number];
export const REPLY_POLICIES = ['list', 'sender'] as const;
export type ReplyPolicy = (typeof REPLY_POLICIES)[number];
export const DMARC_REWRITES = ['always', 'policy', 'never'] as const;
export type DmarcRewrite = (typeof DMARC_REWRITES)[number];

export interface MailingList {
  /** name@domain, lower case. */
  address: string;
  name: string;
  domain: string;
  /** Who may post without moderation. */
  post: PostPolicy;
  /** Every post not from a moderator waits for approval. */
  moderated: boolean;
  /** Put in front of the Subject of each copy ('' for none). */
  subjectPrefix: string;
  /** Where replies go: Reply-To: the list, or the poster's own (left as it is). */
  replyTo: ReplyPolicy;
  /** Largest post distributed without moderation, in bytes; 0 = no limit of its own. */
  maxSize: number;
  /** Members may take a daily digest instead of each post. */
  digest: boolean;
  /** Keep a copy of each post in the list's archive Maildir. */
  archive: boolean;
  /** Rewrite From: to the list address: always, when the poster's domain's DMARC policy is quarantine/reject, or never. */
  dmarcRewrite: DmarcRewrite;
  /** Subscriptions need a moderator's approval after the subscriber confirmed. */
  private: boolean;
  created: number;
}

export type ListSettings = Omit<MailingList, 'address' | 'name' | 'domain' | 'created'>;

export interface ListMember {
  /** Stable row id (VERP tokens name it). */
  id: number;
  list: string;
  address: string;
  digest: boolean;
  disabled: boolean;
  disabledReason?: 'bounce' | 'admin';
  disabledAt?: number;
  added: number;
}

/** The role of an address of a list: NAME@ (posts), NAME-request@, NAME-bounces@, NAME-owner@. */
export type ListRole = 'post' | 'request' | 'bounces' | 'owner';

export interface ListAddress {
  list: MailingList;
  role: ListRole;
  /** What follows '+' in NAME-request+TOKEN@ and NAME-bounces+TOKEN@ (lower case), if anything. */
  token?: string;
}

export interface ListDirectory {
  list(address: string): MailingList | undefined;
  lists(domain?: string): MailingList[];
  /** The list role a local address (local part and canonical local domain) stands for, or null. */
  resolveLocal(local: string, domain: string): ListAddress | null;
  /** Why `address` (canonical, lower case) cannot become a user or alias because a list answers to it, or null. */
  occupies(address: string): string | null;
  createList(address: string, settings?: Partial<ListSettings>): MailingList;
  updateList(address: string, patch: Partial<ListSettings>): MailingList;
  deleteList(address: string): void;

  members(list: string): ListMember[];
  member(list: string, address: string): ListMember | undefined;
  memberById(id: number): ListMember | undefined;
  /** Add a member (refused: not an address, a loop of lists); returns false when already a member. */
  addMember(list: string, address: string, opts?: { digest?: boolean }): boolean;
  removeMember(list: string, address: string): boolean;
  setMember(list: string, address: string, patch: { digest?: boolean; disabled?: boolean; disabledReason?: 'bounce' | 'admin' | null; at?: number }): void;

  /** Moderators: they get moderation notices and NAME-owner@ mail, and may always post. */
  admins(list: string): string[];
  addAdmin(list: string, address: string): void;
  removeAdmin(list: string, address: string): boolean;
}
