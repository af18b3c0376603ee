// Change notices for the MaildirStore's folders: the in-process events, plus one debounced fs.watch on a
// folder's new/ shared by all its observers, so deliveries by other processes are seen too.
// It never reads, indexes or changes messages; observers re-list when told.
import fs from 'node:fs';
import path from 'node:path';
import type { FolderName, Owner } from './mailbox-store.js';
import { mailboxEvents } from './events.js';
import { canon, folderKey } from './maildir-users.js';

interface FolderWatcher {
  watcher: fs.FSWatcher | null;
  fns: Set<() => void>;
  timer: NodeJS.Timeout | null;
}

export class FolderWatchers {
  private watchers = new Map<string, FolderWatcher>();

  /** pathOf: a folder's directory, computed without opening anything (it may throw for a bad name). */
  constructor(private readonly pathOf: (owner: Owner, folder: FolderName) => string) {}

  watch(owner: Owner, folder: FolderName, onChange: () => void): () => void {
    folder = canon(folder);
    const off = mailboxEvents.subscribe(owner, folder, onChange);
    const key = folderKey(owner, folder);
    let w = this.watchers.get(key);
    if (!w) {
      w = { watcher: null, fns: new Set(), timer: null };
      const entry = w;
      try {
        const newDir = path.join(this.pathOf(owner, folder), 'new');
        entry.watcher = fs.watch(newDir, { persistent: false }, () => {
          // debounce: a burst of deliveries is one notice
          if (entry.timer) return;
          entry.timer = setTimeout(() => {
            entry.timer = null;
            for (const fn of entry.fns) fn();
          }, 25);
        });
        entry.watcher.on('error', () => undefined);
      } catch {
        entry.watcher = null; // no new/ yet: the in-process events still work
      }
      this.watchers.set(key, w);
    }
    w.fns.add(onChange);
    const entry = w;
    return () => {
      off();
      entry.fns.delete(onChange);
      if (!entry.fns.size) {
        entry.watcher?.close();
        if (entry.timer) clearTimeout(entry.timer);
        if (this.watchers.get(key) === entry) this.watchers.delete(key);
      }
    };
  }

  /** Close every watcher (shutdown, tests). */
  close(): void {
    for (const w of this.watchers.values()) {
      w.watcher?.close();
      if (w.timer) clearTimeout(w.timer);
    }
    this.watchers.clear();
  }
}
