// Today's traffic for the dashboard, counted from today's log files (<service>-YYYYMMDD.log): messages
// received (smtp "queued"), delivered to mailboxes and sent out (delivery "delivered"/"sent"), spam verdicts
// by action, and the latest error lines. Each file is read on from where the last count stopped, so a
// dashboard load reads only what was written since. This is the seam OPS' metrics can replace.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { localDay } from '../../log/logger.js';

export interface Today {
  day: string;
  received: number;
  delivered: number;
  sent: number;
  bounced: number;
  verdicts: Record<string, number>;
  /** The newest ERROR lines (any service but the admin audit), newest first. */
  errors: { service: string; line: string }[];
}

interface FileState {
  offset: number;
  /** An unfinished last line carried to the next read. */
  rest: string;
}

const MAX_ERRORS = 10;
const READ = 256 * 1024;

export class LogTally {
  private day = '';
  private files = new Map<string, FileState>();
  private t: Today = empty('');

  constructor(private readonly dir: string, private readonly now: () => Date = () => new Date()) {}

  async today(): Promise<Today> {
    const day = localDay(this.now());
    if (day !== this.day) {
      this.day = day;
      this.files.clear();
      this.t = empty(day);
    }
    let names: string[] = [];
    try {
      names = (await fsp.readdir(this.dir)).filter((n) => n.endsWith(`-${day}.log`) && !n.startsWith('admin-'));
    } catch {
      return this.t;
    }
    for (const n of names) await this.readOn(n);
    return { ...this.t, verdicts: { ...this.t.verdicts }, errors: [...this.t.errors] };
  }

  private async readOn(name: string): Promise<void> {
    const st = this.files.get(name) ?? { offset: 0, rest: '' };
    this.files.set(name, st);
    const service = name.slice(0, name.lastIndexOf('-'));
    const fh = await fsp.open(path.join(this.dir, name), 'r').catch(() => null);
    if (!fh) return;
    try {
      const buf = Buffer.alloc(READ);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, READ, st.offset);
        if (!bytesRead) return;
        st.offset += bytesRead;
        const text = st.rest + buf.subarray(0, bytesRead).toString('utf8');
        const lines = text.split('\n');
        st.rest = (lines.pop() ?? '').slice(-64 * 1024);
        for (const l of lines) this.count(service, l);
      }
    } finally {
      await fh.close();
    }
  }

  private count(service: string, line: string): void {
    // "2026-12-05T09:12:03.120Z INFO queued id=… …"
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    const c = line.indexOf(' ', b + 1);
    if (a < 0 || b < 0) return;
    const level = line.slice(a + 1, b);
    const event = line.slice(b + 1, c < 0 ? undefined : c);
    if (level === 'ERROR') {
      this.t.errors.unshift({ service, line: line.slice(0, 500) });
      if (this.t.errors.length > MAX_ERRORS) this.t.errors.pop();
    }
    if (service === 'smtp' && event === 'queued') this.t.received++;
    else if (service === 'delivery') {
      if (event === 'delivered') this.t.delivered++;
      else if (event === 'sent') this.t.sent++;
      else if (event === 'bounced') this.t.bounced++;
      else if (event === 'verdict') {
        const m = / action=("?)([a-z-]+)\1/.exec(line);
        if (m) this.t.verdicts[m[2]] = (this.t.verdicts[m[2]] ?? 0) + 1;
      }
    }
  }
}

function empty(day: string): Today {
  return { day, received: 0, delivered: 0, sent: 0, bounced: 0, verdicts: {}, errors: [] };
}
