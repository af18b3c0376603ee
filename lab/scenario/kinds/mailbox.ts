// Reading what a lab-started target delivered: every file in a Maildir's INBOX and its subfolders
// (Maildir++ ".Spam" and friends), matched to sent messages by a lab header. Read-only.
import fs from 'node:fs';
import path from 'node:path';

export interface Delivered {
  file: string;
  /** Maildir++ folder: "INBOX" or the subfolder name without its dot. */
  folder: string;
  raw: Buffer;
}

export function readMaildirTree(maildir: string): Delivered[] {
  const out: Delivered[] = [];
  const folders: Array<[string, string]> = [['INBOX', maildir]];
  try {
    for (const d of fs.readdirSync(maildir)) if (d.startsWith('.') && d.length > 1) folders.push([d.slice(1), path.join(maildir, d)]);
  } catch {
    return out;
  }
  for (const [folder, dir] of folders)
    for (const sub of ['new', 'cur']) {
      let files: string[] = [];
      try {
        files = fs.readdirSync(path.join(dir, sub));
      } catch {
        continue;
      }
      for (const f of files) {
        try {
          out.push({ file: path.join(dir, sub, f), folder, raw: fs.readFileSync(path.join(dir, sub, f)) });
        } catch {
          /* moved meanwhile */
        }
      }
    }
  return out;
}

/** The header block of a raw message, unfolded, as latin1 text. */
export function headerBlock(raw: Buffer): string {
  const s = raw.toString('latin1');
  const end = s.search(/\r?\n\r?\n/);
  return (end < 0 ? s : s.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
}

export function headerValue(raw: Buffer, name: string): string | undefined {
  const re = new RegExp(`^${name.replace(/[-]/g, '\\-')}:[ \\t]*(.*)$`, 'im');
  return re.exec(headerBlock(raw))?.[1];
}

/** Wait until `want` tagged messages are delivered (or the time is up); returns id → delivery. */
export async function waitForDeliveries(maildir: string, header: string, want: number, timeoutMs: number): Promise<Map<string, Delivered>> {
  const deadline = Date.now() + timeoutMs;
  let found = new Map<string, Delivered>();
  for (;;) {
    found = new Map();
    for (const d of readMaildirTree(maildir)) {
      const id = headerValue(d.raw, header);
      if (id) found.set(id.trim(), d);
    }
    if (found.size >= want || Date.now() >= deadline) return found;
    await new Promise((r) => setTimeout(r, 250));
  }
}
