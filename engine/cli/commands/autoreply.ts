// tegami autoreply set ADDRESS [FILE] [--subject S] [--interval DURATION] | autoreply off ADDRESS | autoreply show
// [ADDRESS] [--json] — auto-responders (FEATURES R3, IMail's information manager): every message to ADDRESS is
// answered with a fixed text, at most once per sender per interval, under the vacation's loop rules. ADDRESS must
// take mail here (a user or an alias); the mail itself is delivered as usual.
import { flag, UsageError, type Args } from '../args.js';
import { contextFrom, failWith, out, readTextArg } from '../common.js';
import { parseDurationMs } from '../../config/schema.js';
import { SqliteRulesStore } from '../../rules/sqlite-store.js';

const fail = failWith('autoreply');

/** Between one minute and a year; default one day. */
function interval(text: string | undefined): number {
  if (text === undefined) return 86_400_000;
  let ms: number;
  try {
    ms = parseDurationMs(/^\d+$/.test(text) ? Number(text) : text);
  } catch {
    throw new UsageError(`--interval ${text}: expected a duration such as 30m, 12h, 1d`);
  }
  if (ms < 60_000 || ms > 365 * 86_400_000) throw new UsageError(`--interval ${text}: between 1m and 365d`);
  return ms;
}

export async function autoreply(args: Args): Promise<number> {
  const [sub, address, file] = args.positional;
  if (!sub || !['set', 'off', 'show'].includes(sub)) throw new UsageError('autoreply set ADDRESS [FILE] | off ADDRESS | show [ADDRESS]');
  if (!address && sub !== 'show') throw new UsageError(`autoreply ${sub} ADDRESS`);
  const intervalMs = interval(flag(args, 'interval'));
  const ctx = await contextFrom(args);
  try {
    const store = new SqliteRulesStore(ctx.db);
    if (sub === 'show') {
      const list = address ? [store.getAutoReply(address)].filter((x) => x !== null) : store.listAutoReplies();
      if (args.flags.has('json')) out(JSON.stringify(list.map((a) => ({ ...a, updated: new Date(a.updated).toISOString() }))));
      else if (!list.length) out(address ? `no auto-reply for ${address.toLowerCase()}` : 'no auto-replies');
      else for (const a of list) out(`${a.address}\t${a.enabled ? 'on' : 'off'}\tonce per ${Math.round(a.intervalMs / 60_000)} min per sender\t${a.subject ?? '(Auto: the original subject)'}${address ? `\n\n${a.text}` : ''}`);
      return 0;
    }
    // the address as RCPT TO names it at delivery: its domain's canonical name (host aliases share mailboxes)
    const at = address.lastIndexOf('@');
    const domain = at > 0 ? ctx.directory.localDomain(address.slice(at + 1)) : null;
    const canonical = domain ? `${address.slice(0, at).toLowerCase()}@${domain}` : address.toLowerCase();
    const kind = ctx.directory.resolve(canonical).kind;
    if (!domain || kind === 'unknown' || kind === 'remote') return fail(`${address} does not take mail here: add it as a user or an alias first`);
    if (sub === 'off') {
      const cur = store.getAutoReply(canonical);
      if (!cur) out(`no auto-reply for ${canonical}`);
      else {
        store.setAutoReply({ ...cur, enabled: false });
        out(`auto-reply off for ${cur.address}`);
      }
      return 0;
    }
    const text = (await readTextArg(file)).replace(/\r?\n$/, '');
    if (!text.trim()) return fail('the reply text is empty');
    if (text.length > 64 * 1024 || text.includes('\0')) return fail('the reply text is over 64 KiB or holds a NUL');
    const subject = flag(args, 'subject') ?? null;
    if (subject !== null && (/[\r\n\0]/.test(subject) || subject.length > 998)) return fail('--subject: one line, at most 998 characters');
    const a = store.setAutoReply({ address: canonical, enabled: true, subject, text, intervalMs });
    out(`auto-reply on for ${a.address} (once per ${Math.round(a.intervalMs / 60_000)} min per sender)`);
    return 0;
  } finally {
    await ctx.close();
  }
}
