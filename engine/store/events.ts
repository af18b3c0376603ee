// In-process notice that a folder changed (delivery finished, another session expunged...), so IMAP IDLE
// and POP3 see new mail at once. Stores also watch the disk; this is the fast path inside one server process.
import { EventEmitter } from 'node:events';

class MailboxEvents extends EventEmitter {
  changed(owner: string, folder: string): void {
    this.emit(`${owner.toLowerCase()}\0${folder.toUpperCase() === 'INBOX' ? 'INBOX' : folder}`);
  }
  subscribe(owner: string, folder: string, fn: () => void): () => void {
    const key = `${owner.toLowerCase()}\0${folder.toUpperCase() === 'INBOX' ? 'INBOX' : folder}`;
    this.on(key, fn);
    return () => this.off(key, fn);
  }
}

export const mailboxEvents = new MailboxEvents();
mailboxEvents.setMaxListeners(0);
