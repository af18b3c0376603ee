// The reply-to setting's effect on mail (FEATURES A2; IMail sets Reply-To on mail its users send): a logged-in
// user's submitted message that has no Reply-To: field of its own gets "Reply-To: <the setting>" at the top of
// its header before it is spooled (so it is DKIM-signed with the rest). A message that has one keeps it.
// It never rewrites or removes a field, and adds nothing to mail that was not submitted by an account.
import type { User } from './directory.js';
import { isPlainAddress } from './settings.js';

/** The field to add, or null (no setting, no complete header section, or a Reply-To: already there). */
export function replyToField(user: Pick<User, 'replyTo'> | undefined, head: Buffer, complete: boolean): Buffer | null {
  const to = user?.replyTo;
  if (!to || !complete || !isPlainAddress(to)) return null;
  if (/^reply-to[ \t]*:/im.test(head.toString('latin1'))) return null;
  return Buffer.from(`Reply-To: ${to}\r\n`, 'latin1');
}

/** The message with `field` in front of its first header line. */
export async function* withField(field: Buffer, message: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  yield field;
  yield* message;
}
