// Which bytes a blob id names in this account: an upload ("U…"), a stored message whole ("G…", an Email's
// blobId) or one of its parts with the transfer encoding undone ("P…_1-2", a body part's blobId). Blobs of
// stored mail live as long as the mail; nothing is copied to serve them. It never writes.
import { findPart, parseMime } from '../../mime/mime-tree.js';
import type { EmailRow } from '../../store/mailbox-store.js';
import { StoreError } from '../../store/store-error.js';
import type { CallContext } from '../request.js';
import { parsePartBlobId, partBytes } from './body-parts.js';

export const emailBlobId = (emailId: string): string => `G${emailId.slice(1)}`;

export function emailIdOfBlob(blobId: string): string | null {
  const m = /^G([0-9a-f]{24})$/.exec(blobId);
  return m ? `M${m[1]}` : null;
}

async function storedEmail(ctx: CallContext, emailId: string): Promise<EmailRow | null> {
  const [e] = await ctx.svc.store.accountEmails(ctx.address, [emailId]);
  return e ?? null;
}

/**
 * The blob id of part `partId` of the message in blob `blobId` (Email/parse): parts of a stored email are its
 * "P" blobs (section numbers continue into an attached message, as IMAP's do), parts of an upload "V" blobs.
 */
export function partOfBlob(blobId: string, partId: string): string | null {
  const path = partId.replace(/\./g, '-');
  const email = emailIdOfBlob(blobId);
  if (email) return `P${email.slice(1)}_${path}`;
  if (/^U[0-9a-f]{40}$/.test(blobId)) return `V${blobId.slice(1)}_${path}`;
  if (/^[PV][0-9a-f]+_[0-9-]+$/.test(blobId) && blobId.length + path.length < 250) return `${blobId}-${path}`;
  return null;
}

function partOf(raw: Buffer, path: string): Buffer | null {
  const node = findPart(parseMime(raw), path.split('-').map(Number));
  if (!node || node.type === 'multipart') return null;
  return partBytes(raw, node);
}

/**
 * At most how many octets readBlob holds at once for this blob, without reading it; null when this account has no
 * such blob. An upload: what reading it costs (Uploads.readCost: on PostgreSQL its row's copies), and for one of its
 * parts the decoded part besides; a stored message: its size (read into one buffer); one of its parts: the message
 * and the decoded part (never larger than the message as stored).
 */
export async function blobSizeBound(ctx: CallContext, blobId: string): Promise<number | null> {
  const blobs = ctx.svc.blobs;
  const cost = (n: number | null) => (n === null ? null : blobs.readCost ? blobs.readCost(n) : n);
  if (blobId.startsWith('U')) return cost(await blobs.size(ctx.address, blobId));
  const upPart = /^V([0-9a-f]{40})_[0-9-]+$/.exec(blobId);
  if (upPart) {
    const n = await blobs.size(ctx.address, `U${upPart[1]}`);
    return n === null ? null : cost(n)! + n;
  }
  const whole = emailIdOfBlob(blobId);
  const emailId = whole ?? parsePartBlobId(blobId)?.emailId;
  if (!emailId) return null;
  const e = await storedEmail(ctx, emailId);
  return e ? (whole ? e.size : 2 * e.size) : null;
}

/** The bytes of a blob, or null when this account has no such blob. */
export async function readBlob(ctx: CallContext, blobId: string): Promise<Buffer | null> {
  if (blobId.startsWith('U')) return ctx.svc.blobs.read(ctx.address, blobId);
  const upPart = /^V([0-9a-f]{40})_([0-9]{1,6}(?:-[0-9]{1,6}){0,30})$/.exec(blobId);
  if (upPart) {
    const raw = await ctx.svc.blobs.read(ctx.address, `U${upPart[1]}`);
    return raw ? partOf(raw, upPart[2]) : null;
  }
  const whole = emailIdOfBlob(blobId);
  const part = whole ? null : parsePartBlobId(blobId);
  const emailId = whole ?? part?.emailId;
  if (!emailId) return null;
  const e = await storedEmail(ctx, emailId);
  if (!e) return null;
  let raw: Buffer;
  try {
    raw = await ctx.svc.store.read(ctx.address, e.copies[0].folder, e.copies[0].uid);
  } catch (err) {
    if (err instanceof StoreError) return null; // expunged meanwhile
    throw err;
  }
  if (!part) return raw;
  return partOf(raw, part.partId.replace(/\./g, '-'));
}
