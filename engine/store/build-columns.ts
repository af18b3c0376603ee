// A folder's first build kept in columns (maildir-build.ts makes it from readdir): the file names in UID order
// as readdir gave them, sizes and dates in typed arrays, and what SELECT reports (unseen count, first unseen)
// counted once. Base names, flag letters and NewMessage rows are made from a name only when something asks.
// Pure: it never touches the disk or the database.
import type { NewMessage } from './index-db.js';
import { UNKNOWN_IDATE } from './maildir-idate.js';

/** Where a file name's base ends: at ":2," (Maildir info), else at its first ":", else its length (parseMaildirName). */
export function baseEnd(file: string): number {
  const i = file.indexOf(':2,');
  if (i >= 0) return i;
  const j = file.indexOf(':');
  return j < 0 ? file.length : j;
}

/** Does a file name's info (after ":2,") hold "S" (\Seen)? */
export function seenIn(file: string): boolean {
  const i = file.indexOf(':2,');
  return i >= 0 && file.indexOf('S', i + 3) >= 0;
}

export class BuildColumns {
  /**
   * `files`: names in cur/ in UID order; `sizes[i]` their sizes; `dates[i]` their INTERNALDATEs in ms, or null when
   * none is known yet (all UNKNOWN_IDATE: nothing was stat'ed). `unseen`/`firstUnseen` (1-based, 0: none) as the
   * names' info letters say, counted when the names were; computed here when not given.
   */
  constructor(
    readonly files: readonly string[],
    readonly sizes: Float64Array,
    readonly dates: Float64Array | null,
    readonly unseen = -1,
    readonly firstUnseen = -1,
  ) {
    if (unseen < 0) {
      let n = 0;
      let first = 0;
      for (let i = 0; i < files.length; i++) {
        if (seenIn(files[i])) continue;
        n++;
        if (!first) first = i + 1;
      }
      this.unseen = n;
      this.firstUnseen = first;
    }
  }

  /** From messages (new/'s, a decoded record): their names decide base and letters, as a record read back does. */
  static of(add: readonly NewMessage[]): BuildColumns {
    const files = new Array<string>(add.length);
    const sizes = new Float64Array(add.length);
    let dates: Float64Array | null = null;
    for (let i = 0; i < add.length; i++) {
      const m = add[i];
      files[i] = m.file;
      sizes[i] = m.size;
      if (m.idate !== UNKNOWN_IDATE) (dates ??= new Float64Array(add.length).fill(UNKNOWN_IDATE))[i] = m.idate;
    }
    return new BuildColumns(files, sizes, dates);
  }

  get length(): number {
    return this.files.length;
  }

  base(i: number): string {
    const f = this.files[i];
    const end = baseEnd(f);
    return end === f.length ? f : f.slice(0, end);
  }

  /** The info letters after ":2," ('' when none). */
  letters(i: number): string {
    const f = this.files[i];
    const at = f.indexOf(':2,');
    return at < 0 ? '' : f.slice(at + 3);
  }

  idate(i: number): number {
    return this.dates ? this.dates[i] : UNKNOWN_IDATE;
  }

  /** The i-th message as a row to insert (no keywords: a first build has none). */
  message(i: number): NewMessage {
    return { base: this.base(i), file: this.files[i], size: this.sizes[i], idate: this.idate(i), letters: this.letters(i) };
  }

  messages(): NewMessage[] {
    const out = new Array<NewMessage>(this.files.length);
    for (let i = 0; i < out.length; i++) out[i] = this.message(i);
    return out;
  }
}
