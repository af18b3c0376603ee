// tegami rule add|list|del ADDRESS|@DOMAIN … — the IMail rule form on the command line: rules as data compiled to
// the owner's active Sieve script (engine/sieve/rule-form.ts). A script the form cannot show (written by hand, or
// edited after the form made it) is listed raw and never overwritten: rule add and rule del refuse and say so.
// Whether a rule's folder exists is asked of the owner's Maildir, or on PostgreSQL of the shared store.
import { flag, UsageError, type Args } from '../args.js';
import { contextFrom, out } from '../common.js';
import { SqliteRulesStore } from '../../rules/sqlite-store.js';
import { resolveOwner } from '../../rules/script-ops.js';
import { sieveOptions } from '../../rules/scripts.js';
import { folderExists } from '../../rules/plan.js';
import { maildirRoot } from '../../store/maildir.js';
import { listFolders } from '../../store/pg-mailboxes.js';
import { compileRules, readRuleScript, type Condition, type Rule, type RuleAction, type RuleSet } from '../../sieve/index.js';

/** The script the form writes when the owner has none active. */
const FORM_SCRIPT = 'rules';
const FIELDS = ['subject', 'from', 'to', 'sender', 'body'];
const OPS = ['contains', 'not-contains', 'is', 'matches', 'regex'];

/** "subject contains 請求書", "header:List-Id contains acme", "from is boss@example.org". */
export function parseCondition(text: string, caseSensitive: boolean): Condition {
  const m = /^\s*(\S+)\s+(\S+)\s+([\s\S]+)$/.exec(text);
  if (!m) throw new UsageError(`--if "${text}": expected "FIELD OP VALUE" (FIELD: ${FIELDS.join('|')}|header:NAME; OP: ${OPS.join('|')})`);
  const [, fieldRaw, op, value] = m;
  const f = fieldRaw.toLowerCase();
  const header = f.startsWith('header:') ? fieldRaw.slice(7) : undefined;
  if (!header && !FIELDS.includes(f)) throw new UsageError(`--if: unknown field "${fieldRaw}" (${FIELDS.join(', ')} or header:NAME)`);
  if (!OPS.includes(op.toLowerCase())) throw new UsageError(`--if: unknown operator "${op}" (${OPS.join(', ')})`);
  return { field: header ? 'header' : (f as Condition['field']), header, op: op.toLowerCase() as Condition['op'], value, caseSensitive };
}

function actionsFrom(args: Args): RuleAction[] {
  const actions: RuleAction[] = [];
  for (const h of args.multi.get('add-header') ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) throw new UsageError(`--add-header "${h}": expected "Name: value"`);
    actions.push({ type: 'add-header', name: h.slice(0, i).trim(), value: h.slice(i + 1).trim() });
  }
  for (const f of args.multi.get('copy') ?? []) actions.push({ type: 'copy', folder: f });
  for (const a of args.multi.get('forward') ?? []) actions.push({ type: 'forward', address: a, keepCopy: args.flags.has('keep-copy') });
  const move = flag(args, 'move');
  if (move !== undefined) actions.push({ type: 'move', folder: move });
  if (args.flags.has('delete')) actions.push({ type: 'delete' });
  if (args.flags.has('stop')) actions.push({ type: 'stop' });
  return actions;
}

function describe(r: Rule, i: number): string {
  const conds = r.conditions.map((c) => `${c.field === 'header' ? `header:${c.header}` : c.field} ${c.op} "${c.value}"${c.caseSensitive ? ' (case-sensitive)' : ''}`);
  const acts = r.actions.map((a) => {
    switch (a.type) {
      case 'move':
        return `move to "${a.folder}"`;
      case 'copy':
        return `copy to "${a.folder}"`;
      case 'forward':
        return `forward to ${a.address}${a.keepCopy ? ' (keep a copy)' : ''}`;
      case 'delete':
        return 'delete';
      case 'add-header':
        return `add header ${a.name}: ${a.value}`;
      case 'stop':
        return 'stop';
    }
  });
  const when = conds.length ? conds.join(r.match === 'all' ? ' and ' : ' or ') : 'always';
  return `${i + 1}. ${r.name ? `[${r.name}] ` : ''}${r.enabled ? '' : '(disabled) '}if ${when} → ${acts.join(', ')}`;
}

const fail = (text: string) => {
  process.stderr.write(`tegami rule: ${text}\n`);
  return 1;
};

export async function rule(args: Args): Promise<number> {
  const [sub, target, index] = args.positional;
  if (!sub || !['add', 'list', 'del', 'delete'].includes(sub)) throw new UsageError('rule add|list|del ADDRESS|@DOMAIN ...');
  if (!target) throw new UsageError(`rule ${sub} ADDRESS|@DOMAIN`);
  const ctx = await contextFrom(args);
  try {
    const o = resolveOwner(ctx.directory, target);
    if (!o.ok) return fail(o.reason);
    const store = new SqliteRulesStore(ctx.db);
    const opts = { extensions: sieveOptions(ctx.config).extensions };
    const active = store.activeScript(o.owner);
    const read = active ? readRuleScript(active.text, opts) : null;
    const scope = o.kind;
    const current: RuleSet = read?.kind === 'form' ? read.rules : { version: 1, scope, rules: [] };
    if (sub === 'list') {
      if (read?.kind === 'raw') {
        if (args.flags.has('json')) out(JSON.stringify({ kind: 'raw', script: active!.name, reason: read.reason, text: active!.text }));
        else out(`script "${active!.name}" cannot be shown as rules (${read.reason}); shown raw:\n${active!.text}`);
        return 0;
      }
      if (args.flags.has('json')) out(JSON.stringify({ kind: 'form', script: active?.name ?? null, rules: current.rules }));
      else if (!current.rules.length) out(`no rules for ${o.owner}`);
      else current.rules.forEach((r, i) => out(describe(r, i)));
      return 0;
    }
    if (read?.kind === 'raw') {
      return fail(`the active script "${active!.name}" of ${o.owner} cannot be shown as rules (${read.reason}); it is kept as it is: edit it with tegami sieve, or deactivate it to start rules afresh`);
    }
    const name = active?.name ?? FORM_SCRIPT;
    let rules: Rule[];
    if (sub === 'add') {
      const actions = actionsFrom(args);
      if (!actions.length) throw new UsageError('rule add needs an action: --move FOLDER, --copy FOLDER, --forward ADDRESS, --delete, --add-header "Name: value", --stop');
      const conditions = (args.multi.get('if') ?? []).map((c) => parseCondition(c, args.flags.has('case-sensitive')));
      rules = [...current.rules, { name: flag(args, 'name') ?? '', enabled: !args.flags.has('disabled'), match: args.flags.has('any') ? 'any' : 'all', conditions, actions }];
    } else {
      const n = Number(index);
      if (!index || !Number.isInteger(n) || n < 1 || n > current.rules.length) return fail(`no rule ${index ?? ''} (tegami rule list ${target} numbers them; there are ${current.rules.length})`);
      rules = current.rules.filter((_, i) => i !== n - 1);
    }
    const compiled = compileRules({ version: 1, scope, rules }, opts);
    if (!compiled.ok) return fail(`rule refused: ${compiled.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    if (Buffer.byteLength(compiled.script) > ctx.config.sieve.max_script_size) return fail(`the rules would make a script over [sieve] max_script_size`);
    store.putScript(o.owner, name, compiled.script);
    if (!active) store.setActive(o.owner, name);
    out(sub === 'add' ? `added rule ${rules.length} for ${o.owner} (script "${name}")` : `deleted rule ${index} of ${o.owner}`);
    if (sub === 'add' && o.kind === 'user') {
      // fileinto without :create (RFC 5490): until the folder exists, such mail stays in the INBOX
      // (on PostgreSQL the folders are the shared store's, as the delivery worker reads them)
      const root = maildirRoot(ctx.config.data_dir, o.owner);
      const shared = ctx.pool ? new Set(await listFolders(ctx.pool, o.owner)) : null;
      const exists = (name: string) => (shared ? name.toUpperCase() === 'INBOX' || shared.has(name) : folderExists(root, name));
      for (const a of rules[rules.length - 1].actions) {
        if ((a.type === 'move' || a.type === 'copy') && !exists(a.folder)) out(`note: ${o.owner} has no folder "${a.folder}" yet; until it is made (in a mail client), that mail stays in the INBOX`);
      }
    }
    return 0;
  } finally {
    await ctx.close();
  }
}
