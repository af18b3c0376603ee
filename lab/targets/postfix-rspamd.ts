// Postfix + rspamd → Maildir as one lab target: a private rspamd with its own redis (rspamd.ts), then a
// private Postfix (postfix.ts) that sends every message through rspamd's milter before it queues it, as most
// filtering Postfix installs do. The filtering competitor of tegami's default path. Stopped together.
import { postfixAvailable, startPostfix, type PostfixOptions } from './postfix.js';
import { rspamdAvailable, startRspamd } from './rspamd.js';
import type { RunningTarget } from './common.js';

export function postfixRspamdAvailable(): { ok: true } | { ok: false; reason: string } {
  const p = postfixAvailable();
  if (!p.ok) return p;
  return rspamdAvailable();
}

export async function startPostfixRspamd(opts: PostfixOptions & { dns: string; keep?: boolean }): Promise<RunningTarget & { rspamdLog(): string; maillog(): string }> {
  const rspamd = await startRspamd({ dns: opts.dns, keep: opts.keep });
  let pf: Awaited<ReturnType<typeof startPostfix>>;
  try {
    pf = await startPostfix({ ...opts, milter: rspamd.milter });
  } catch (e) {
    await rspamd.stop();
    throw e;
  }
  return {
    ...pf,
    name: 'postfix+rspamd',
    pids: [...(pf.pids ?? []), ...rspamd.pids],
    describe: `${pf.describe}; ${rspamd.describe}`,
    rspamdLog: rspamd.log,
    stop: async () => {
      await pf.stop();
      await rspamd.stop();
    },
  };
}
