// A load of tagged messages for the stop and crash tests: several SMTP connections send messages back to back,
// each carrying X-Test-Id; the ids that got a 250 are collected, and the Maildir is read back as ids → copies.
import fs from 'node:fs';
import { ehlo } from './smtp-client.js';

export interface TaggedLoad {
  /** Ids that got a 250. */
  acked: Set<string>;
  /** Final replies other than 250 (e.g. 421 during a stop). */
  refused: number;
}

/** Send until `perConnection` per connection, a refusal, the server going away, or stop() saying so. */
export async function taggedLoad(port: number, opts: { rcpt: string; connections: number; perConnection: number; subject: string; stop?: () => boolean }, out: TaggedLoad): Promise<void> {
  await Promise.all(
    Array.from({ length: opts.connections }, async (_, ci) => {
      let c;
      try {
        ({ c } = await ehlo(port));
      } catch {
        return;
      }
      try {
        for (let i = 0; i < opts.perConnection && !opts.stop?.(); i++) {
          const id = `c${ci}m${i}`;
          if ((await c.cmd('MAIL FROM:<load@remote.test>')).code !== 250) break;
          if ((await c.cmd(`RCPT TO:<${opts.rcpt}>`)).code !== 250) break;
          if ((await c.cmd('DATA')).code !== 354) break;
          const r = await c.cmd(`Subject: ${opts.subject} ${id}\r\nX-Test-Id: ${id}\r\n\r\nbody\r\n.`);
          if (r.code === 250) out.acked.add(id);
          else {
            out.refused++;
            break;
          }
        }
      } catch {
        /* the server stopped or died under us: expected */
      } finally {
        c.close();
      }
    }),
  );
}

/** X-Test-Id → how many stored copies carry it. */
export function deliveredIds(files: string[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const f of files) {
    const m = /X-Test-Id: (\S+)/.exec(fs.readFileSync(f, 'utf8'));
    if (m) seen.set(m[1], (seen.get(m[1]) ?? 0) + 1);
  }
  return seen;
}
