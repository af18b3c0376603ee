// The IMAP IDLE latency probe of `npm run bench:scale`: IMAP connections (RFC 2177 IDLE on INBOX) on one or
// more nodes, and one SMTP connection to a sending node that delivers one message at a time to the probe's
// mailbox; for each message, the time from the final dot sent (and from the 250 reply) to `* N EXISTS` on each
// idling connection. Sequential and bounded (one message in flight, `samples` messages). Never run by `npm test`.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { SmtpClient } from '../lab/smtp/client.js';
import { messageTemplate } from '../lab/load/message.js';

/** An IMAP connection idling on INBOX; records when each EXISTS count was first announced. */
class Idler {
  private buf = '';
  private seq = 0;
  exists = 0;
  /** EXISTS count → performance.now() when it arrived. */
  readonly seen = new Map<number, number>();
  private wake: (() => void) | null = null;
  private lines: string[] = [];
  private constructor(private readonly s: net.Socket) {
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      const now = performance.now();
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\r\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        this.lines.push(line);
        const m = /^\* (\d+) EXISTS$/.exec(line);
        if (m) {
          const n = Number(m[1]);
          if (!this.seen.has(n)) this.seen.set(n, now);
          this.exists = Math.max(this.exists, n);
        }
      }
      this.wake?.();
    });
    s.on('error', () => undefined);
  }
  static async open(host: string, port: number, user: string, password: string): Promise<Idler> {
    const s = await new Promise<net.Socket>((resolve, reject) => {
      const c = net.connect(port, host, () => resolve(c));
      c.once('error', reject);
    });
    const i = new Idler(s);
    await i.until((l) => l.startsWith('* OK'));
    await i.command(`LOGIN "${user}" "${password}"`);
    await i.command('SELECT INBOX');
    i.send(`i${++i.seq} IDLE`);
    await i.until((l) => l.startsWith('+'));
    return i;
  }

  private send(line: string): void {
    this.s.write(line + '\r\n');
  }

  private async command(line: string): Promise<void> {
    const tag = `i${++this.seq}`;
    this.send(`${tag} ${line}`);
    const last = await this.until((l) => l.startsWith(`${tag} `));
    if (!last.startsWith(`${tag} OK`)) throw new Error(`IMAP ${line.split(' ')[0]}: ${last}`);
  }

  /** Wait for a line (kept since the last call) matching `ok`. */
  async until(ok: (line: string) => boolean, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.findIndex(ok);
      if (hit >= 0) {
        const line = this.lines[hit];
        this.lines = this.lines.slice(hit + 1);
        return line;
      }
      if (Date.now() > deadline || this.s.destroyed) throw new Error(`IMAP: timed out (last: ${this.lines.slice(-2).join(' | ')})`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 500).unref();
      });
      this.wake = null;
    }
  }

  async waitExists(n: number, timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (!this.seen.has(n) && Date.now() < deadline && !this.s.destroyed)
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 500).unref();
      });
    this.wake = null;
    return this.seen.get(n);
  }

  close(): void {
    this.s.end('DONE\r\nz LOGOUT\r\n');
    setTimeout(() => this.s.destroy(), 2000).unref();
  }
}

export interface IdleProbe {
  /** "node-1 → node-3" */
  path: string;
  samples: number;
  missed: number;
  /** From the final dot sent to EXISTS, ms. */
  fromDot: { p50: number; p99: number; max: number };
  /** From the 250 after the dot to EXISTS, ms (negative: EXISTS came before the client had the 250). */
  from250: { p50: number; p99: number; max: number };
  /** 1-minute load average of the machine before and after the probe (set by the caller). */
  load_before?: number;
  load_after?: number;
}

function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] * 10) / 10;
}
const summary = (xs: number[]) => ({ p50: pct(xs, 50), p99: pct(xs, 99), max: pct(xs, 100) });

/**
 * Send `samples` messages one by one through `sender` (host, SMTP port) to `user`, with an IDLE connection on
 * each of `watchers` (name, host, IMAP port); one result per watcher.
 */
export async function probeIdle(o: {
  sender: { name: string; host: string; port: number };
  watchers: Array<{ name: string; host: string; port: number }>;
  user: string;
  password: string;
  samples: number;
}): Promise<IdleProbe[]> {
  const idlers = await Promise.all(o.watchers.map((w) => Idler.open(w.host, w.port, o.user, o.password)));
  const smtp = await SmtpClient.connect(o.sender.host, o.sender.port, { timeoutMs: 60_000 });
  const tpl = messageTemplate(2 * 1024);
  const dots = o.watchers.map(() => [] as number[]);
  const acks = o.watchers.map(() => [] as number[]);
  const missed = o.watchers.map(() => 0);
  try {
    if ((await smtp.reply()).code !== 220 || (await smtp.ehlo('idle-probe.lab.example.test')).code !== 250) throw new Error('SMTP greeting/EHLO to the sending node failed');
    for (let k = 0; k < o.samples; k++) {
      const want = Math.max(...idlers.map((i) => i.exists)) + 1;
      if ((await smtp.cmd('MAIL FROM:<idle-probe@lab.example.test>')).code !== 250) throw new Error('MAIL FROM refused');
      if ((await smtp.cmd(`RCPT TO:<${o.user}>`)).code !== 250) throw new Error('RCPT refused');
      const start = await smtp.cmd('DATA');
      if (start.code !== 354) throw new Error(`DATA: ${start.code}`);
      const tDot = performance.now();
      smtp.write(tpl.render(`idle-${k}-${Date.now()}`, 'idle-probe@lab.example.test', o.user));
      const end = await smtp.reply(60_000);
      const tAck = performance.now();
      if (end.code !== 250) throw new Error(`end of DATA: ${end.code}`);
      const seen = await Promise.all(idlers.map((i) => i.waitExists(want, 30_000)));
      seen.forEach((t, w) => {
        if (t === undefined) missed[w]++;
        else {
          dots[w].push(t - tDot);
          acks[w].push(t - tAck);
        }
      });
    }
  } finally {
    smtp.close();
    for (const i of idlers) i.close();
  }
  return o.watchers.map((w, i) => ({ path: `${o.sender.name} → ${w.name}`, samples: dots[i].length, missed: missed[i], fromDot: summary(dots[i]), from250: summary(acks[i]) }));
}
