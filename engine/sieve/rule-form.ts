// The IMail rule form as data: ordered rules of conditions and actions (zod schema), compiled to one Sieve script
// per scope, and read back. A script is shown as a form only when it is exactly what the compiler makes of the
// rules embedded in it; anything else (a hand-written script, a generated one edited by hand) is reported raw,
// so the form never silently overwrites a script it cannot show.
import { z } from 'zod';
import { parseScript } from './compile.js';
import type { SieveError } from './lexer.js';
import type { Capability } from './extensions.js';
import { validRedirectAddress } from './validate.js';

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]{1,76}$/;
const text = (max: number) => z.string().min(1).max(max).refine((s) => !/[\0\r\n]/.test(s), 'no line breaks or NUL');

export const ConditionSchema = z
  .object({
    field: z.enum(['subject', 'from', 'to', 'sender', 'header', 'body']),
    /** The header name when field is "header". */
    header: z.string().regex(FIELD_NAME).optional(),
    op: z.enum(['contains', 'not-contains', 'is', 'matches', 'regex']),
    value: text(1024),
    caseSensitive: z.boolean().default(false),
  })
  .refine((c) => c.field !== 'header' || !!c.header, { message: 'a header condition needs the header name', path: ['header'] });

export const ActionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('move'), folder: text(255) }),
  z.object({ type: z.literal('copy'), folder: text(255) }),
  z.object({ type: z.literal('forward'), address: text(320).refine(validRedirectAddress, 'not a mail address'), keepCopy: z.boolean().default(false) }),
  z.object({ type: z.literal('delete') }),
  z.object({ type: z.literal('add-header'), name: z.string().regex(FIELD_NAME), value: text(998) }),
  z.object({ type: z.literal('stop') }),
]);

export const RuleSchema = z.object({
  name: z.string().max(100).default(''),
  enabled: z.boolean().default(true),
  /** All conditions must hold, or any one of them. No conditions: the rule always applies. */
  match: z.enum(['all', 'any']).default('all'),
  conditions: z.array(ConditionSchema).max(32).default([]),
  actions: z.array(ActionSchema).min(1).max(16),
});

export const RuleSetSchema = z.object({
  version: z.literal(1).default(1),
  scope: z.enum(['user', 'domain']),
  rules: z.array(RuleSchema).max(500),
});

export type Condition = z.infer<typeof ConditionSchema>;
export type RuleAction = z.infer<typeof ActionSchema>;
export type Rule = z.infer<typeof RuleSchema>;
export type RuleSet = z.infer<typeof RuleSetSchema>;
export type RuleSetInput = z.input<typeof RuleSetSchema>;

const MARKER = '# tegami rule form v1 (generated: edit the rules, or delete these two lines to edit by hand)';
const JSON_PREFIX = '# rules: ';

/** A Sieve quoted string: backslash and double quote escaped, nothing else changed. */
export function sieveString(s: string): string {
  return '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
}

function conditionSieve(c: Condition, need: Set<Capability>): string {
  const cmp = c.caseSensitive ? ' :comparator "i;octet"' : '';
  const op = c.op === 'not-contains' ? 'contains' : c.op;
  if (op === 'regex') need.add('regex');
  const mt = `:${op}${cmp}`;
  const v = sieveString(c.value);
  let test: string;
  switch (c.field) {
    case 'subject':
      test = `header ${mt} "subject" ${v}`;
      break;
    case 'from':
      test = op === 'is' ? `address :all ${mt} "from" ${v}` : `header ${mt} "from" ${v}`;
      break;
    case 'to':
      test = op === 'is' ? `address :all ${mt} ["to", "cc"] ${v}` : `header ${mt} ["to", "cc"] ${v}`;
      break;
    case 'sender':
      need.add('envelope');
      test = `envelope :all ${mt} "from" ${v}`;
      break;
    case 'header':
      test = `header ${mt} ${sieveString(c.header!)} ${v}`;
      break;
    case 'body':
      need.add('body');
      test = `body :text ${mt} ${v}`;
      break;
  }
  return c.op === 'not-contains' ? `not ${test}` : test;
}

function actionSieve(a: RuleAction, need: Set<Capability>): string {
  switch (a.type) {
    case 'move':
      need.add('fileinto');
      return `fileinto ${sieveString(a.folder)};`;
    case 'copy':
      need.add('fileinto');
      need.add('copy');
      return `fileinto :copy ${sieveString(a.folder)};`;
    case 'forward':
      if (a.keepCopy) need.add('copy');
      return `redirect ${a.keepCopy ? ':copy ' : ''}${sieveString(a.address)};`;
    case 'delete':
      return 'discard;';
    case 'add-header':
      need.add('editheader');
      return `addheader ${sieveString(a.name)} ${sieveString(a.value)};`;
    case 'stop':
      return 'stop;';
  }
}

const ORDER: Capability[] = ['body', 'copy', 'editheader', 'envelope', 'fileinto', 'regex'];

export type CompileResult = { ok: true; script: string } | { ok: false; errors: { path: string; message: string; code?: SieveError['code']; values?: SieveError['values'] }[] };

/** Rules → one Sieve script (the rules themselves ride along as JSON in a comment). */
export function compileRules(input: RuleSetInput, opts: { extensions?: readonly Capability[] } = {}): CompileResult {
  const parsed = RuleSetSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
  const set = parsed.data;
  const need = new Set<Capability>();
  const body: string[] = [];
  set.rules.forEach((r, i) => {
    body.push(`# rule ${i + 1}${r.name ? `: ${r.name.replace(/[\r\n]/g, ' ')}` : ''}${r.enabled ? '' : ' (disabled)'}`);
    if (!r.enabled) return;
    const actions = r.actions.map((a) => actionSieve(a, need));
    const tests = r.conditions.map((c) => conditionSieve(c, need));
    if (!tests.length) {
      body.push(...actions);
      return;
    }
    const test = tests.length === 1 ? tests[0] : `${r.match === 'all' ? 'allof' : 'anyof'} (${tests.join(',\r\n    ')})`;
    body.push(`if ${test} {`, ...actions.map((a) => `  ${a}`), '}');
  });
  const caps = ORDER.filter((c) => need.has(c));
  const lines = [MARKER, JSON_PREFIX + JSON.stringify(set)];
  if (caps.length) lines.push(`require [${caps.map((c) => `"${c}"`).join(', ')}];`);
  const script = [...lines, ...body, ''].join('\r\n');
  const check = parseScript(script, { extensions: opts.extensions });
  if (!check.ok) return { ok: false, errors: check.errors.map((e: SieveError) => ({ path: `script:${e.line}:${e.column}`, message: e.message, code: e.code, values: e.values })) };
  return { ok: true, script };
}

export type ReadResult = { kind: 'form'; rules: RuleSet } | { kind: 'raw'; reason: string };

/** Script text → the rules it was generated from, or "raw" with the reason the form cannot show it. */
export function readRuleScript(script: string, opts: { extensions?: readonly Capability[] } = {}): ReadResult {
  const text = script.replace(/\r?\n/g, '\r\n');
  const [first, second] = text.split('\r\n', 2);
  if (first !== MARKER || !second?.startsWith(JSON_PREFIX)) return { kind: 'raw', reason: 'not made by the rule form' };
  let data: unknown;
  try {
    data = JSON.parse(second.slice(JSON_PREFIX.length));
  } catch {
    return { kind: 'raw', reason: 'the embedded rules are not valid JSON' };
  }
  const rules = RuleSetSchema.safeParse(data);
  if (!rules.success) return { kind: 'raw', reason: 'the embedded rules do not fit the form' };
  const again = compileRules(rules.data, opts);
  if (!again.ok) return { kind: 'raw', reason: 'the embedded rules no longer compile' };
  if (again.script !== text) return { kind: 'raw', reason: 'the script was edited by hand after the form made it' };
  return { kind: 'form', rules: rules.data };
}
