// One method call's view of the caller's mail: the special-use folders made sure of (as IMAP's first login
// does), the account brought up to date once, then its mailboxes, emails and messages read on demand. Each
// method call opens its own, so calls later in a request see what earlier calls changed.
import { ensureSpecialFolders } from '../../imap/folders.js';
import type { AccountState, EmailRow } from '../../store/mailbox-store.js';
import { mailboxIdOf } from '../../store/email-ids.js';
import { headerEnd } from '../../mime/address-list.js';
import type { CallContext } from '../request.js';
import { mailboxViews, type MailboxView } from './mailboxes.js';

const HEAD_LIMIT = 256 * 1024;

export class MailAccount {
  private boxes: MailboxView[] | null = null;

  private constructor(
    readonly ctx: CallContext,
    public state: AccountState,
  ) {}

  static async open(ctx: CallContext): Promise<MailAccount> {
    await ensureSpecialFolders(ctx.svc.store, ctx.address);
    return new MailAccount(ctx, await ctx.svc.store.refreshAccount(ctx.address));
  }

  get owner(): string {
    return this.ctx.address;
  }

  /** Bring the account up to date again after this call changed it; returns the new state. */
  async refresh(): Promise<AccountState> {
    this.boxes = null;
    this.state = await this.ctx.svc.store.refreshAccount(this.owner);
    return this.state;
  }

  async mailboxes(): Promise<MailboxView[]> {
    this.boxes ??= mailboxViews(await this.ctx.svc.store.accountFolders(this.owner));
    return this.boxes;
  }

  async mailbox(id: string): Promise<MailboxView | undefined> {
    return (await this.mailboxes()).find((m) => m.id === id);
  }

  async folderIdMap(): Promise<Map<string, string>> {
    return new Map((await this.mailboxes()).map((m) => [m.folder, m.id]));
  }

  emails(ids?: string[]): Promise<EmailRow[]> {
    return this.ctx.svc.store.accountEmails(this.owner, ids);
  }

  /** mailboxIds of an email: its visible copies' folders. */
  mailboxIdsOf(e: EmailRow, folderIds: Map<string, string>): Record<string, true> {
    const out: Record<string, true> = {};
    for (const c of e.copies) {
      const id = folderIds.get(c.folder);
      if (id) out[id] = true;
    }
    return out;
  }

  /** The whole stored message (any copy: they are the same bytes). */
  async raw(e: EmailRow): Promise<Buffer> {
    const c = e.copies[0];
    return this.ctx.svc.store.read(this.owner, c.folder, c.uid);
  }

  /** The header section of a stored message, read without the rest. */
  async head(e: EmailRow): Promise<Buffer> {
    const c = e.copies[0];
    const h = await this.ctx.svc.store.open(this.owner, c.folder, c.uid);
    try {
      let want = Math.min(h.size, 16 * 1024);
      for (;;) {
        const buf = await h.read(0, want);
        const end = headerEnd(buf);
        if (end !== null) return buf.subarray(0, end);
        if (want >= h.size || want >= HEAD_LIMIT) return buf;
        want = Math.min(h.size, HEAD_LIMIT);
      }
    } finally {
      await h.close();
    }
  }
}

export { mailboxIdOf };
