// What the idle-session benchmarks (bench/idle.ts, bench/sessions.ts) share: a command-line option reader, a
// socket that collects a server's replies and waits for a pattern, and a bounded-width loop to open many sessions.
// Never run by `npm test`.
import net from 'node:net';

/** The value after `--name` on the command line, else `def`. */
export function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

/** A socket that collects what the server sends, and waits for a pattern. */
export class Conn {
  buf = '';
  private waiter: (() => void) | null = null;
  constructor(readonly s: net.Socket) {
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      this.buf = (this.buf + d).slice(-4096);
      this.waiter?.();
    });
    s.on('error', () => undefined);
  }
  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }
  async until(re: RegExp, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.buf)) {
      if (Date.now() > deadline || this.s.destroyed) throw new Error(`no ${re} (got ${JSON.stringify(this.buf.slice(-200))})`);
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 1000);
      });
      this.waiter = null;
    }
    this.buf = '';
  }
  send(line: string): void {
    this.s.write(line + '\r\n');
  }
}

/** Run `fn` for 0..n-1, `width` at a time. */
export async function batch<T>(n: number, width: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}
