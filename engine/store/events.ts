// In-process notice that a folder changed (delivery finished, another session expunged...), so IMAP IDLE,
// POP3 and JMAP push see new mail at once; every folder notice is also an account notice. Stores also watch
// the disk; this is the fast path inside one server process.
import { EventEmitter } from 'node:events';

const folderKey = (owner: string, folder: string) => `${owner.toLowerCase()}\0${folder.toUpperCase() === 'INBOX' ? 'INBOX' : folder}`;
const accountKey = (owner: string) => `${owner.toLowerCase()}\0\0account`;

class MailboxEvents extends EventEmitter {
  changed(owner: string, folder: string): void {
    this.emit(folderKey(owner, folder));
    this.emit(accountKey(owner));
  }
  subscribe(owner: string, folder: string, fn: () => void): () => void {
    const key = folderKey(owner, folder);
    this.on(key, fn);
    return () => this.off(key, fn);
  }
  /** Any folder of the owner changed (or was created, renamed, deleted). */
  subscribeAccount(owner: string, fn: () => void): () => void {
    const key = accountKey(owner);
    this.on(key, fn);
    return () => this.off(key, fn);
  }
}

export const mailboxEvents = new MailboxEvents();
mailboxEvents.setMaxListeners(0);
