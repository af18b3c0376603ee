// Maildir file-name info (":2,FRS") and IMAP flags: system flags live in the file name, so Dovecot reading the
// same tree sees them; keywords live only in the index. It never touches the disk.

/** IMAP system flag → Maildir info letter (the Maildir spec's letters). */
const LETTER_OF: Record<string, string> = {
  '\\draft': 'D',
  '\\flagged': 'F',
  '\\answered': 'R',
  '\\seen': 'S',
  '\\deleted': 'T',
};
const FLAG_OF: Record<string, string> = { D: '\\Draft', F: '\\Flagged', R: '\\Answered', S: '\\Seen', T: '\\Deleted' };
/** Order in which system flags are reported. */
const SYSTEM_ORDER = ['R', 'F', 'T', 'S', 'D'];

/** Split a stored file name into its base (the stable key) and its info letters (null when it has no ":2,"). */
export function parseMaildirName(name: string): { base: string; info: string | null } {
  const i = name.indexOf(':2,');
  if (i < 0) {
    const j = name.indexOf(':');
    return { base: j < 0 ? name : name.slice(0, j), info: null };
  }
  return { base: name.slice(0, i), info: name.slice(i + 3) };
}

/** The file name for a base and info letters: letters sorted by ASCII, no duplicates (Maildir spec). */
export function maildirName(base: string, letters: string): string {
  return `${base}:2,${normaliseLetters(letters)}`;
}

export function normaliseLetters(letters: string): string {
  return [...new Set(letters.split('').filter((c) => /[A-Za-z]/.test(c)))].sort().join('');
}

/**
 * The message size encoded in a name (Maildir++ ",S=1234", ended by "," or the end of the base), which saves a
 * stat. A malformed field (",S=", ",S=12x", ",S=-1", more than 15 digits) gives undefined: the caller stats.
 */
export function sizeFromName(base: string, end = base.length): number | undefined {
  // /,S=(\d{1,15})(?=,|$)/ by hand (a first index build reads thousands): the first ",S=" followed by 1–15
  // digits and then "," or the end. `end`: where the base ends in a whole file name (read as if cut there)
  for (let i = base.indexOf(',S='); i >= 0 && i + 3 <= end; i = base.indexOf(',S=', i + 1)) {
    let j = i + 3;
    while (j < end && base.charCodeAt(j) >= 48 && base.charCodeAt(j) <= 57) j++;
    if (j > i + 3 && j - (i + 3) <= 15 && (j === end || base.charCodeAt(j) === 44)) return Number(base.slice(i + 3, j));
  }
  return undefined;
}

/** The flags of info letters without keywords, one frozen array per distinct letters (a listing shares them). */
const sharedFlags = new Map<string, readonly string[]>();

/**
 * flagsOf(letters, keywords), as an array shared by every message with the same flags when there are no keywords:
 * frozen, so a caller that tried to change it would fail at once. At most one per distinct letters string kept.
 */
export function sharedFlagsOf(letters: string, keywords: string): string[] {
  if (keywords) return flagsOf(letters, keywords);
  let f = sharedFlags.get(letters);
  if (!f) {
    f = Object.freeze(flagsOf(letters, ''));
    if (sharedFlags.size < 4096) sharedFlags.set(letters, f);
  }
  return f as string[];
}

/** IMAP flags of a message from its info letters and keywords. */
export function flagsOf(letters: string, keywords: string): string[] {
  const out: string[] = [];
  for (const l of SYSTEM_ORDER) if (letters.includes(l)) out.push(FLAG_OF[l]);
  if (keywords) out.push(...keywords.split(' '));
  return out;
}

/**
 * Apply an IMAP flag change to (letters, keywords). Letters without an IMAP meaning (e.g. "P", Dovecot's
 * keyword letters a–z) are kept as they are. \Recent and unknown system flags are ignored.
 */
export function applyFlags(
  letters: string,
  keywords: string,
  mode: 'add' | 'remove' | 'replace',
  flags: string[],
): { letters: string; keywords: string } {
  const sys = new Set<string>();
  const kw: string[] = [];
  for (const f of flags) {
    if (f.startsWith('\\')) {
      const l = LETTER_OF[f.toLowerCase()];
      if (l) sys.add(l);
    } else if (f && isAtom(f) && !kw.some((k) => k.toLowerCase() === f.toLowerCase())) {
      kw.push(f);
    }
  }
  let ls = new Set(letters.split(''));
  let ks = keywords ? keywords.split(' ') : [];
  if (mode === 'replace') {
    ls = new Set([...ls].filter((l) => !SYSTEM_ORDER.includes(l)));
    for (const l of sys) ls.add(l);
    ks = kw;
  } else if (mode === 'add') {
    for (const l of sys) ls.add(l);
    for (const k of kw) if (!ks.some((x) => x.toLowerCase() === k.toLowerCase())) ks.push(k);
  } else {
    for (const l of sys) ls.delete(l);
    const drop = new Set(kw.map((k) => k.toLowerCase()));
    ks = ks.filter((k) => !drop.has(k.toLowerCase()));
  }
  return { letters: normaliseLetters([...ls].join('')), keywords: ks.join(' ') };
}

/** An IMAP atom usable as a keyword: no space, no specials, printable ASCII. */
function isAtom(s: string): boolean {
  return /^[\x21-\x7e]+$/.test(s) && !/[(){%*"\\\]]/.test(s);
}
