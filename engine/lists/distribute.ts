// Distribution of an accepted post: the copy is built once (copy.ts, From: rewritten when the poster's
// DMARC policy asks for it), archived and collected for digests, then one envelope per member (VERP: its own
// NAME-bounces+<token>@ sender) or, with [lists] verp = "domain", one per destination domain, all
// originated as one batch whose commit is the post's dedup record. Runs in a worker, never on the main thread.
//
// Crash safety: copies are staged (invisible to the queue) and fsynced, then the record "this post went out"
// commits them, then they move into the queue. A crash before the commit leaves nothing visible and the post
// is distributed again from scratch (same batch, same ids); after it, the record stops a second distribution
// and the staged copies are moved on by the re-run or at the next start. So a member gets one copy, except in
// the window every MTA has: a remote server accepted a copy and we died before recording it.
import type { MailingList } from '../accounts/list-directory.js';
import type { Mailbox } from '../mime/address-list.js';
import { originate, promoteBatch } from '../queue/notices.js';
import { storeArchive } from './archive.js';
import { buildCopy } from './copy.js';
import { collectForDigest, uncollect } from './digest-store.js';
import { publishedPolicy, rewriteFrom } from './dmarc.js';
import { shortHash } from './paths.js';
import { emptyOutcome, note, type ListOutcome, type ListRuntime } from './runtime.js';
import { copies } from './verp.js';

export interface PostMeta {
  /** What makes a post the same post again: the list and its Message-ID (else its bytes). */
  postKey: string;
  poster: Mailbox | null;
  mailFrom: string;
  /** The list's address goes in From: whatever the list's dmarc setting (an author of ours that is not proven). */
  rewriteFrom?: boolean;
}

export function postBatch(list: string, postKey: string): string {
  return `L${shortHash(list, postKey)}`;
}

export async function distribute(rt: ListRuntime, list: MailingList, raw: Buffer, meta: PostMeta): Promise<ListOutcome> {
  const out = emptyOutcome();
  const batch = postBatch(list.address, meta.postKey);
  if (await rt.activity.posted(list.address, meta.postKey)) {
    // distributed before (a retry after a crash, or the same message again): only finish moving its copies
    out.originated.push(...(await promoteBatch(rt.spool, batch)));
    note(out, 'list-duplicate', { list: list.address, post_key: meta.postKey, promoted: out.originated.length });
    return out;
  }
  let policy: Awaited<ReturnType<typeof publishedPolicy>> = 'none';
  if (list.dmarcRewrite === 'policy' && meta.poster && !meta.rewriteFrom) policy = await publishedPolicy(meta.poster.domain, rt.resolver, Math.max(1000, rt.config.dns.timeout * 2));
  const rewrite = !!meta.poster && (!!meta.rewriteFrom || rewriteFrom(list.dmarcRewrite, policy));
  const now = rt.now();
  const copy = buildCopy({ list, raw, poster: meta.poster, rewriteFrom: rewrite, hostname: rt.config.hostname, archiveUrl: rt.config.lists.archive_url, hopId: batch, now });

  const active = rt.lists.members(list.address).filter((m) => !m.disabled);
  const digestOnes = list.digest ? active.filter((m) => m.digest) : [];
  const regular = list.digest ? active.filter((m) => !m.digest) : active;
  if (list.archive) await storeArchive(rt, list, copy, meta.postKey);
  if (digestOnes.length) await collectForDigest(rt, list, copy, meta.postKey, now);

  const items = copies(rt, list, regular, copy, batch);
  let lost = false;
  const ids = await originate(rt.spool, batch, items, async () => {
    // false (PostgreSQL): another node recorded this post first; this node's staged copies are dropped
    lost = (await rt.activity.recordPost(list.address, meta.postKey, batch, now)) === false;
    return !lost;
  });
  if (lost) {
    if (digestOnes.length) await uncollect(rt, list, meta.postKey);
    note(out, 'list-duplicate', { list: list.address, post_key: meta.postKey, promoted: 0, elsewhere: true });
    return out;
  }
  out.originated.push(...ids);
  note(out, 'list-distributed', {
    list: list.address,
    post_key: meta.postKey,
    poster: meta.poster?.address ?? meta.mailFrom,
    members: regular.length,
    digest_members: digestOnes.length,
    copies: items.length,
    from_rewritten: rewrite,
    dmarc_policy: policy,
  });
  return out;
}
