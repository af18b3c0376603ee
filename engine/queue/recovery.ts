// What the queue finds in spool/queue/ at start, checked before anything is trusted: every spool file's
// header and every state file against their schemas. Damage is moved to spool/corrupt/ with one log line
// naming the file and what was wrong, and start-up goes on with the rest; a damaged state file alone does not
// stop its message (it is run again from its envelope: a recipient may get it twice, none loses it).
// It never deletes a message and never delivers anything itself.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import type { Spool } from '../spool/spool.js';
import { isStateTemp, loadState, type QueueState } from './state.js';

export interface Recovered {
  /** Messages to resume, oldest first, with their state (null: not processed yet, or its state was damaged). */
  messages: { id: string; state: QueueState | null }[];
  /** Files moved to spool/corrupt/. */
  corrupt: number;
  /** Files that could not be read now (permissions, I/O): left in place, tried again at the next start. */
  unreadable: number;
}

export async function recoverQueue(spool: Spool, logger: Logger): Promise<Recovered> {
  const out: Recovered = { messages: [], corrupt: 0, unreadable: 0 };
  const names = (await fsp.readdir(spool.queueDir)).sort();
  const ids = new Set(names.filter((n) => !n.includes('.')));
  const moveAside = async (name: string, reason: string) => {
    const where = await spool.moveToCorrupt(name);
    if (!where) return;
    out.corrupt++;
    logger.error('queue', 'corrupt', { file: path.join(spool.queueDir, name), reason, movedTo: where });
  };

  for (const name of names) {
    if (isStateTemp(name)) {
      // a state write that never reached its rename: the state file before it still holds
      await fsp.rm(path.join(spool.queueDir, name), { recursive: true, force: true });
      logger.info('queue', 'state-temp-removed', { file: path.join(spool.queueDir, name) });
    } else if (name.endsWith('.state') && !ids.has(name.slice(0, -'.state'.length))) {
      await moveAside(name, 'a state file without its message');
    }
  }

  for (const id of ids) {
    try {
      const msg = await spool.read(id);
      if (msg.kind === 'missing') continue;
      if (msg.kind === 'corrupt') {
        const file = spool.queuePath(id);
        const where = await spool.quarantine(id);
        if (where) {
          out.corrupt++;
          logger.error('queue', 'corrupt', { file, reason: msg.reason, movedTo: where });
        }
        continue;
      }
      const st = await loadState(spool.queueDir, id);
      if (st.kind === 'corrupt') {
        await moveAside(`${id}.state`, `${st.reason}; the message is delivered again from its envelope`);
        out.messages.push({ id, state: null });
      } else out.messages.push({ id, state: st.kind === 'ok' ? st.state : null });
    } catch (e) {
      out.unreadable++;
      logger.error('queue', 'spool-unreadable', { file: spool.queuePath(id), error: (e as Error).message });
    }
  }
  return out;
}
