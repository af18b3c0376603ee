// The list archive: every distributed copy, once, in a Maildir under the list's directory
// (<data_dir>/lists/<domain>/<name>/archive/). The post key is the Maildir dedup key, so a post distributed
// again after a crash is not archived twice. Reading it over IMAP is a shared folder (docs/lists.md).
import type { MailingList } from '../accounts/list-directory.js';
import { hasDedupKey, writeMaildirMessage } from '../store/maildir.js';
import { archiveDir, shortHash } from './paths.js';
import type { ListRuntime } from './runtime.js';

export async function storeArchive(rt: ListRuntime, list: MailingList, copy: Buffer, postKey: string): Promise<void> {
  const dir = archiveDir(rt.config.data_dir, list);
  const key = `A${shortHash(postKey)}`;
  if (await hasDedupKey(dir, key)) return;
  await writeMaildirMessage(dir, [copy], { dedupKey: key });
}
