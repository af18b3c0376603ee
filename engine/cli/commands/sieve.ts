// tegami sieve put|get|list|activate|deactivate|delete ADDRESS|@DOMAIN [NAME] [FILE] — Sieve scripts of a user or
// a domain, straight in the database (the server need not run). A script that does not compile is refused with
// its line and column and never stored, let alone activated.
import { UsageError, type Args } from '../args.js';
import { contextFrom, failWith, out, readTextArg } from '../common.js';
import { SqliteRulesStore } from '../../rules/sqlite-store.js';
import { describeErrors, putScript, resolveOwner } from '../../rules/script-ops.js';

const fail = failWith('sieve');

export async function sieve(args: Args): Promise<number> {
  const [sub, target, name, file] = args.positional;
  if (!sub || !['put', 'get', 'list', 'activate', 'deactivate', 'delete', 'del'].includes(sub)) throw new UsageError('sieve put|get|list|activate|deactivate|delete ADDRESS|@DOMAIN [NAME] [FILE]');
  if (!target) throw new UsageError(`sieve ${sub} ADDRESS|@DOMAIN${sub === 'list' || sub === 'deactivate' ? '' : ' NAME'}`);
  const ctx = await contextFrom(args);
  try {
    const o = resolveOwner(ctx.directory, target);
    if (!o.ok) return fail(o.reason);
    const store = new SqliteRulesStore(ctx.db);
    const needName = () => {
      if (!name) throw new UsageError(`sieve ${sub} ${target} NAME`);
      return name;
    };
    switch (sub) {
      case 'put': {
        const n = needName();
        const text = await readTextArg(file);
        const r = putScript(ctx.config, store, o.owner, n, text);
        if (!r.ok) {
          if (r.kind === 'syntax') {
            for (const e of describeErrors(r.errors)) process.stderr.write(`tegami sieve: ${file && file !== '-' ? file : '(stdin)'}: ${e}\n`);
            return fail(`script "${n}" refused (not stored, not activated)`);
          }
          return fail(`script "${n}" refused: ${r.text}`);
        }
        if (args.flags.has('activate')) store.setActive(o.owner, n);
        out(`stored script "${n}" for ${o.owner}${args.flags.has('activate') ? ' (active)' : ''}`);
        return 0;
      }
      case 'get': {
        const s = store.getScript(o.owner, needName());
        if (!s) return fail(`no script "${name}" for ${o.owner}`);
        process.stdout.write(s.text);
        return 0;
      }
      case 'list': {
        const list = store.listScripts(o.owner);
        if (args.flags.has('json')) out(JSON.stringify(list.map((s) => ({ name: s.name, active: s.active, bytes: Buffer.byteLength(s.text), updated: new Date(s.updated).toISOString() }))));
        else if (!list.length) out(`no scripts for ${o.owner}`);
        else for (const s of list) out(`${s.name}${s.active ? '\tACTIVE' : ''}`);
        return 0;
      }
      case 'activate': {
        if (!store.setActive(o.owner, needName())) return fail(`no script "${name}" for ${o.owner}`);
        out(`script "${name}" is now the active one for ${o.owner}`);
        return 0;
      }
      case 'deactivate':
        store.setActive(o.owner, null);
        out(`no active script for ${o.owner}`);
        return 0;
      default: {
        const r = store.deleteScript(o.owner, needName());
        if (r === 'missing') return fail(`no script "${name}" for ${o.owner}`);
        if (r === 'active') return fail(`script "${name}" is active: deactivate it first (tegami sieve deactivate ${target})`);
        out(`deleted script "${name}" of ${o.owner}`);
        return 0;
      }
    }
  } finally {
    await ctx.close();
  }
}
