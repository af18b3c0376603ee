// Several scripts for one recipient (IMail's user rules, then domain rules) evaluated in order and joined into
// one result: a script that ends in stop ends the sequence, implicit keep survives only if no script cancelled
// it, and a failing script contributes its implicit keep, so joining can never lose the message.
import type { Script } from './ir.js';
import { evaluate } from './interpreter.js';
import type { SieveAction, SieveEnv, SieveMessage, SieveResult } from './types.js';

function sameTarget(a: SieveAction, b: SieveAction): boolean {
  const inbox = (x: SieveAction) => x.type === 'keep' || (x.type === 'fileinto' && x.mailbox.toUpperCase() === 'INBOX');
  if (inbox(a) || inbox(b)) return inbox(a) && inbox(b);
  if (a.type === 'fileinto' && b.type === 'fileinto') return a.mailbox === b.mailbox;
  if (a.type === 'redirect' && b.type === 'redirect') return a.address.toLowerCase() === b.address.toLowerCase();
  return a.type === b.type && (a.type === 'discard' || a.type === 'vacation' || a.type === 'reject');
}

/** Join results in order (duplicates merged; a reject gives way to any delivery in another script). */
export function joinResults(results: SieveResult[]): SieveResult {
  const out: SieveResult = { actions: [], implicitKeep: null, headerEdits: [], errors: [], warnings: [], stopped: false };
  let keep = true;
  let forcedKeep = false;
  const keepFlags: string[] = [];
  for (const r of results) {
    out.errors.push(...r.errors);
    out.warnings.push(...r.warnings);
    out.headerEdits.push(...r.headerEdits);
    if (r.errors.length) forcedKeep = true;
    else if (!r.implicitKeep) keep = false;
    for (const f of r.implicitKeep?.flags ?? []) if (!keepFlags.some((x) => x.toLowerCase() === f.toLowerCase())) keepFlags.push(f);
    for (const a of r.actions) {
      const same = out.actions.find((x) => sameTarget(x, a));
      if (!same) out.actions.push({ ...a });
      else if ((same.type === 'keep' || same.type === 'fileinto') && (a.type === 'keep' || a.type === 'fileinto')) same.flags = a.flags;
    }
    out.stopped = r.stopped;
  }
  const delivers = out.actions.some((a) => a.type === 'keep' || a.type === 'fileinto' || a.type === 'redirect') || keep || forcedKeep;
  if (delivers) out.actions = out.actions.filter((a) => a.type !== 'reject');
  out.implicitKeep = keep || forcedKeep ? { flags: keepFlags } : null;
  return out;
}

/** Evaluate the scripts in order for one message and recipient; a script ending in stop ends the run. */
export function evaluateScopes(scripts: readonly Script[], msg: SieveMessage, env: SieveEnv = {}): SieveResult {
  const results: SieveResult[] = [];
  for (const s of scripts) {
    const r = evaluate(s, msg, env);
    results.push(r);
    if (r.stopped) break;
  }
  return joinResults(results);
}
