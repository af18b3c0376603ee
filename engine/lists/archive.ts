// The list archive: every distributed copy, once, in a Maildir under the list's directory
// (<data_dir>/lists/<domain>/<name>/archive/), or on PostgreSQL in the shared store as the INBOX of the owner named by
// the list address, so `#lists/` shows it on every node. The post key is the dedup key either way: a post distributed
// again after a crash is not archived twice. Reading it over IMAP is a shared folder (docs/lists.md).
import type { MailingList } from '../accounts/list-directory.js';
import { hasDedupKey, writeMaildirMessage } from '../store/maildir.js';
import { sharedStore } from '../../workers/shared-store.js';
import { archiveDir, shortHash } from './paths.js';
import type { ListRuntime } from './runtime.js';

export async function storeArchive(rt: ListRuntime, list: MailingList, copy: Buffer, postKey: string): Promise<void> {
  const key = `A${shortHash(postKey)}`;
  if (rt.config.storage.backend === 'postgres') {
    // the store answers the UID already there for a key it has (a re-run after a crash)
    await sharedStore(rt.config).append(list.address, 'INBOX', copy, { dedupKey: key });
    return;
  }
  const dir = archiveDir(rt.config.data_dir, list);
  if (await hasDedupKey(dir, key)) return;
  await writeMaildirMessage(dir, [copy], { dedupKey: key });
}
