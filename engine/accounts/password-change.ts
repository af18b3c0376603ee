// The one password change (FEATURES A2 "user cannot change password"): every path that changes a password goes
// through here, so the rule holds everywhere. By 'self' (webmail, a future POP3/IMAP password command): the old
// password must be right and the account enabled and allowed to change it. By 'admin' (CLI, admin pages): always.
// It never logs a password and never says whether an account exists to a caller that did not prove it.
import type { PasswordChange } from './directory.js';
import { verifyPassword } from './password.js';
import type { SqliteDirectory } from './sqlite-directory.js';
import { AccountError } from './sqlite-directory.js';

export async function changePassword(
  dir: SqliteDirectory, address: string, oldPassword: string | null, newPassword: string, opts: { by: 'self' | 'admin' },
): Promise<PasswordChange> {
  const user = dir.user(address);
  if (!user) return { ok: false, reason: 'unknown', text: `no such user: ${address}` };
  if (opts.by === 'self') {
    if (user.disabled) return { ok: false, reason: 'not-allowed', text: 'This account is disabled.' };
    if (user.cannotChangePassword) return { ok: false, reason: 'not-allowed', text: 'This account may not change its password; ask the administrator.' };
    const hash = dir.passwordHash(user.address);
    if (oldPassword === null || !hash || !(await verifyPassword(oldPassword, hash))) {
      return { ok: false, reason: 'wrong-password', text: 'The current password is not right.' };
    }
  }
  try {
    dir.checkPassword(newPassword);
    await dir.setPassword(user.address, newPassword);
  } catch (e) {
    if (e instanceof AccountError) return { ok: false, reason: 'invalid', text: e.message };
    throw e;
  }
  return { ok: true };
}
