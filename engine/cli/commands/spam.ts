// `tegami spam learn --spam|--ham FILE|DIR [--user ADDRESS]`: train the Bayesian filter from message
// files, directories of them (Maildir, corpus folders, recursively) or mbox files. It only reads the files;
// a whole Maildir is read without its tmp/, its index files and its Spam, Junk and Trash folders.
import fs from 'node:fs';
import path from 'node:path';
import { flag, UsageError, type Args } from '../args.js';
import { out } from '../common.js';
import { cannotRead } from '../../util/file-problem.js';
import { loadConfig, resolveConfigPath } from '../../config/load.js';
import { closeBayesStoresAsync, learnMessagesFor } from '../../spam/learn.js';

const SKIP = new Set(['cmds', 'maildirfolder', 'dovecot-uidlist', 'dovecot.index', 'subscriptions', 'maildirsize']);
const MAX_FILE = 50 * 1024 * 1024;
/** Maildir++ folders whose mail is not the user's good mail: never read when a whole Maildir is given. */
const NOT_HAM_FOLDERS = new Set(['spam', 'junk', 'trash', 'deleted items', 'deleted messages']);

const isDir = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

/**
 * The message files under `p`. In a Maildir (a folder with cur/ and new/) only cur/ and new/ hold messages
 * (never tmp/, the store's index or maildirsize), and its Maildir++ folders are read too, except the Spam,
 * Junk and Trash folders, which are named in `passed` (give one on its own to learn from it).
 */
function* files(p: string, passed: string[], depth = 0): Generator<string> {
  const st = fs.statSync(p);
  if (st.isFile()) {
    yield p;
    return;
  }
  if (!st.isDirectory() || depth > 8) return;
  const names = fs.readdirSync(p).sort();
  if (isDir(path.join(p, 'cur')) && isDir(path.join(p, 'new'))) {
    for (const sub of ['cur', 'new']) yield* files(path.join(p, sub), passed, depth + 1);
    for (const name of names) {
      if (!name.startsWith('.') || name === '.' || name === '..' || !isDir(path.join(p, name))) continue;
      if (NOT_HAM_FOLDERS.has(name.slice(1).split('.').pop()!.toLowerCase())) passed.push(path.join(p, name));
      else yield* files(path.join(p, name), passed, depth + 1);
    }
    return;
  }
  for (const name of names) {
    if (SKIP.has(name) || name.startsWith('dovecot') || name.startsWith('tegami-index')) continue;
    yield* files(path.join(p, name), passed, depth + 1);
  }
}

/** A file is one message, or an mbox of several ("From " separator lines). */
function* messagesIn(buf: Buffer): Generator<Buffer> {
  if (!buf.subarray(0, 5).equals(Buffer.from('From '))) {
    yield buf;
    return;
  }
  const s = buf.toString('latin1');
  const starts: number[] = [];
  const re = /^From [^\r\n]*\r?\n/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) starts.push(m.index, m.index + m[0].length);
  for (let i = 0; i < starts.length; i += 2) {
    const end = i + 2 < starts.length ? starts[i + 2] : s.length;
    yield Buffer.from(s.slice(starts[i + 1], end).replace(/^>(>*From )/gm, '$1'), 'latin1');
  }
}

export async function spam(args: Args): Promise<number> {
  const sub = args.positional.shift();
  if (sub !== 'learn') throw new UsageError('usage: tegami spam learn --spam|--ham FILE|DIR [--user ADDRESS] [--config FILE]');
  const isSpam = args.flags.has('spam');
  const isHam = args.flags.has('ham');
  if (isSpam === isHam) throw new UsageError('give exactly one of --spam or --ham');
  const kind = isSpam ? 'spam' : 'ham';
  // the path may follow the flag (--spam DIR) or stand alone
  const given = [flag(args, 'spam'), flag(args, 'ham'), ...args.positional].filter((x): x is string => !!x);
  if (given.length === 0) throw new UsageError('no FILE or DIR to learn from');
  const user = flag(args, 'user');
  if (user !== undefined && !/^[^@\s]+@[^@\s]+$/.test(user)) throw new UsageError(`--user: not an address: ${user}`);
  const config = loadConfig(resolveConfigPath(flag(args, 'config')));
  let learnt = 0;
  let known = 0;
  let skipped = 0;
  const passed: string[] = [];
  const batch: { raw: Buffer; kind: 'spam' | 'ham' }[] = [];
  let total = 0;
  // batches of 500 messages, one transaction each
  // (into the data dir's bayes.db, or with [storage] backend = "postgres" into the counts every node shares)
  const flush = async () => {
    learnt += await learnMessagesFor(config, batch.splice(0), user, { partScanBytes: config.spam.part_scan_size });
  };
  try {
    for (const p of given) {
      if (!fs.existsSync(p)) throw new Error(`no such file or directory: ${p}`);
      try {
        for (const f of files(p, passed)) {
          const size = fs.statSync(f).size;
          if (size === 0 || size > MAX_FILE) {
            skipped++;
            continue;
          }
          for (const msg of messagesIn(fs.readFileSync(f))) {
            batch.push({ raw: msg, kind });
            total++;
            if (batch.length >= 500) await flush();
          }
        }
      } catch (e) {
        // a file or folder under p that cannot be read (permissions): named, in words, not Node's EACCES line
        const fsError = e as NodeJS.ErrnoException;
        if (fsError.syscall && fsError.path) throw new Error(cannotRead(fsError.path, e));
        throw e;
      }
    }
    await flush();
    known = total - learnt;
  } finally {
    await closeBayesStoresAsync();
  }
  out(`learnt ${learnt} message(s) as ${kind} for ${user ? user.toLowerCase() : 'the server'}${known ? `, ${known} already known` : ''}${skipped ? `, ${skipped} file(s) skipped` : ''}`);
  if (passed.length) out(`not read (a Maildir's spam and trash folders; give one on its own to learn from it): ${passed.join(', ')}`);
  return 0;
}
