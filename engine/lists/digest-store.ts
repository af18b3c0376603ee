// Digests: each distributed copy is also kept in the list's digest/ directory (one file per post, named by
// time and post key, written atomically) while some member takes the digest; every [lists] digest_interval
// the collected posts become one MIME digest (RFC 1153's table of contents, then each post as
// message/rfc822 in a multipart/digest, RFC 2046 §5.1.5) sent to those members. The posts of an issue are
// moved to digest/issue-<n>/ first, and that issue's batch commit is what says it went out, so a crash
// sends an issue once and loses no post.
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { MailingList } from '../accounts/list-directory.js';
import { decodeHeaderValue } from '../mime/charset.js';
import { rfc5322Date } from '../smtp/received.js';
import { syncDirNow } from '../store/maildir.js';
import { originate, promoteBatch } from '../queue/notices.js';
import { copies } from './verp.js';
import { encodeText, mailboxText, splitMessage, value } from './headers.js';
import { listFields } from './copy.js';
import { listAddresses } from './names.js';
import { digestDir, shortHash } from './paths.js';
import { emptyOutcome, note, type ListOutcome, type ListRuntime } from './runtime.js';

const POST_FILE = /^(\d{13})-([0-9a-f]{24})\.eml$/;

export async function collectForDigest(rt: ListRuntime, list: MailingList, copy: Buffer, postKey: string, now: number): Promise<void> {
  const dir = digestDir(rt.config.data_dir, list);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const hash = shortHash(postKey);
  if ((await fsp.readdir(dir)).some((n) => n.endsWith(`-${hash}.eml`))) return; // collected before a crash
  const name = `${String(now).padStart(13, '0')}-${hash}.eml`;
  const tmp = path.join(dir, `.${name}.tmp`);
  const fh = await fsp.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(copy);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, path.join(dir, name));
  await syncDirNow(dir);
}

/** Take back a post collected here that another node distributed (it is in that node's digest). */
export async function uncollect(rt: ListRuntime, list: MailingList, postKey: string): Promise<void> {
  const dir = digestDir(rt.config.data_dir, list);
  const hash = shortHash(postKey);
  for (const n of await fsp.readdir(dir).catch(() => [] as string[])) if (n.endsWith(`-${hash}.eml`)) await fsp.rm(path.join(dir, n), { force: true });
}

/** The digest text of collected posts (table of contents, then the posts), as one message to `to`. */
export function buildDigest(list: MailingList, issue: number, posts: Buffer[], now: number, archiveUrl?: string): Buffer {
  const a = listAddresses(list);
  const boundary = `=_tegami_digest_${crypto.randomBytes(9).toString('hex')}`;
  const topics = posts.map((p, i) => {
    const f = splitMessage(p).fields;
    const subject = decodeHeaderValue(value(f, 'Subject') ?? '(no subject)').text.replace(/\s+/g, ' ').slice(0, 120);
    const from = decodeHeaderValue(value(f, 'From') ?? '').text.replace(/\s+/g, ' ').slice(0, 80);
    return `   ${String(i + 1).padStart(2)}. ${subject} (${from})`;
  });
  const intro = [
    `Send submissions to ${a.post}`,
    `To change how you get the list, write to ${a.request} (subject "help").`,
    '',
    "Today's Topics:",
    '',
    ...topics,
    '',
  ].join('\r\n');
  const head = [
    `From: ${mailboxText(`${list.name} digest`, a.request)}`,
    `To: <${a.post}>`,
    `Subject: ${encodeText(`${list.name} Digest, Issue ${issue}`)}`,
    `Date: ${rfc5322Date(new Date(now))}`,
    `Message-ID: <digest.${issue}.${now.toString(36)}@${list.domain}>`,
    ...listFields(list, archiveUrl).map((f) => f.raw.replace(/\r\n$/, '')),
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    'Content-Description: Today\'s Topics',
    '',
    intro,
    `--${boundary}`,
    `Content-Type: multipart/digest; boundary="${boundary}.d"`,
    '',
    '',
  ].join('\r\n');
  const parts: Buffer[] = [Buffer.from(head, 'utf8')];
  for (const p of posts) {
    parts.push(Buffer.from(`--${boundary}.d\r\n${/[^\x00-\x7f]/.test(p.toString('latin1')) ? 'Content-Transfer-Encoding: 8bit\r\n' : ''}\r\n`, 'latin1'), p);
    if (p.subarray(-2).toString('latin1') !== '\r\n') parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}.d--\r\n\r\n--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(parts);
}

/** Send the list's digest if one is due (or an issue was cut before a crash); posts with no digest member are dropped. */
export async function digestIfDue(rt: ListRuntime, list: MailingList, now: number): Promise<ListOutcome> {
  const out = emptyOutcome();
  const dir = digestDir(rt.config.data_dir, list);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return out;
  }
  const state = rt.activity.digestState(list.address);
  // an issue cut before a crash: finish it (its commit says whether it went out)
  for (const n of names.filter((x) => /^issue-\d+$/.test(x))) await sendIssue(rt, list, Number(n.slice(6)), now, out);
  const posts = names.filter((n) => POST_FILE.test(n)).sort();
  if (!posts.length) return out;
  const receivers = list.digest ? rt.lists.members(list.address).filter((m) => m.digest && !m.disabled) : [];
  if (!receivers.length) {
    for (const p of posts) await fsp.rm(path.join(dir, p), { force: true });
    return out;
  }
  // an interval after the last issue (the first: after the oldest post waiting for it)
  const since = state.last || Number(POST_FILE.exec(posts[0])![1]);
  if (now - since < rt.config.lists.digest_interval) return out;
  const issue = state.issue + 1;
  const issueDir = path.join(dir, `issue-${issue}`);
  await fsp.mkdir(issueDir, { recursive: true, mode: 0o700 });
  for (const p of posts) await fsp.rename(path.join(dir, p), path.join(issueDir, p));
  await syncDirNow(issueDir);
  await syncDirNow(dir);
  await sendIssue(rt, list, issue, now, out);
  return out;
}

async function sendIssue(rt: ListRuntime, list: MailingList, issue: number, now: number, out: ListOutcome): Promise<void> {
  const dir = path.join(digestDir(rt.config.data_dir, list), `issue-${issue}`);
  const batch = `D${shortHash(list.address, String(issue))}`;
  if (await rt.activity.batchCommitted(batch)) {
    out.originated.push(...(await promoteBatch(rt.spool, batch)));
    await fsp.rm(dir, { recursive: true, force: true });
    return;
  }
  const files = (await fsp.readdir(dir)).filter((n) => POST_FILE.test(n)).sort();
  const posts = await Promise.all(files.map((f) => fsp.readFile(path.join(dir, f))));
  const receivers = rt.lists.members(list.address).filter((m) => m.digest && !m.disabled);
  const raw = buildDigest(list, issue, posts, now, rt.config.lists.archive_url);
  const items = copies(rt, list, receivers, raw, batch);
  out.originated.push(
    ...(await originate(rt.spool, batch, items, () =>
      rt.activity.transaction(() => {
        rt.activity.setDigestState(list.address, now, issue);
        rt.activity.markBatch(batch, now);
      }),
    )),
  );
  await fsp.rm(dir, { recursive: true, force: true });
  note(out, 'list-digest', { list: list.address, issue, posts: posts.length, members: receivers.length });
}
