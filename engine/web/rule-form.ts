// The IMail rule form as HTML form fields, shared by the admin's domain rules page and the webmail's own rules
// page: rows of r.N.* fields ⇄ the rule model of engine/sieve/rule-form.ts (compiled to Sieve there), the rows
// drawn with their errors. It stores nothing and knows no owner: each page decides whose script it writes.
import { boolAttr, html, type SafeHtml } from './html.js';
import type { View } from './layout.js';
import type { Translate } from './i18n.js';
import type { RuleSet, RuleSetInput, SieveError } from '../sieve/index.js';

const FIELDS = ['subject', 'from', 'to', 'sender', 'header', 'body'] as const;
const OPS = ['contains', 'not-contains', 'is', 'matches', 'regex'] as const;
const ACTIONS = ['move', 'copy', 'forward', 'delete', 'add-header', 'stop'] as const;
const MAX_RULES = 50;
const CONDS = 3;

export type RawRule = { name: string; enabled: boolean; match: string; conditions: { field: string; header: string; op: string; value: string }[]; action: { type: string; arg: string } };

/** The form's fields (r.N.*) as rules; rows left empty are dropped. */
export function rulesFromForm(b: Record<string, string>): RawRule[] {
  const out: RawRule[] = [];
  for (let i = 0; i < MAX_RULES; i++) {
    if (b[`r.${i}.action`] === undefined) continue;
    const conditions = [];
    for (let c = 0; c < CONDS; c++) {
      const value = b[`r.${i}.c.${c}.value`] ?? '';
      if (!value) continue;
      conditions.push({ field: b[`r.${i}.c.${c}.field`] ?? 'subject', header: b[`r.${i}.c.${c}.header`] ?? '', op: b[`r.${i}.c.${c}.op`] ?? 'contains', value });
    }
    const action = { type: b[`r.${i}.action`] ?? '', arg: b[`r.${i}.arg`] ?? '' };
    // the page always offers one more, empty row (its action select still says "move"): nothing typed in it, no rule
    if (!conditions.length && !action.arg && !b[`r.${i}.name`]) continue;
    out.push({ name: b[`r.${i}.name`] ?? '', enabled: b[`r.${i}.enabled`] === 'on', match: b[`r.${i}.match`] === 'any' ? 'any' : 'all', conditions, action });
  }
  return out;
}

export function toRuleSet(rules: RawRule[], scope: 'user' | 'domain'): RuleSetInput {
  return {
    scope,
    rules: rules.map((r) => ({
      name: r.name,
      enabled: r.enabled,
      match: r.match as 'all' | 'any',
      conditions: r.conditions.map((c) => ({ field: c.field as (typeof FIELDS)[number], op: c.op as (typeof OPS)[number], value: c.value, ...(c.field === 'header' ? { header: c.header } : {}) })),
      actions: [actionOf(r.action)] as never,
    })),
  };
}

export function actionOf(a: { type: string; arg: string }): Record<string, unknown> {
  switch (a.type) {
    case 'move':
    case 'copy':
      return { type: a.type, folder: a.arg };
    case 'forward':
      return { type: 'forward', address: a.arg };
    case 'add-header': {
      const [name, ...value] = a.arg.split(':');
      return { type: 'add-header', name: name.trim(), value: value.join(':').trim() };
    }
    default:
      return { type: a.type };
  }
}

export function ruleRows(v: View, rules: RawRule[], errors: Map<number, string[]>): SafeHtml {
  const rows = [...rules, { name: '', enabled: true, match: 'all', conditions: [], action: { type: 'move', arg: '' } }];
  return html`${rows.map((r, i) => html`<fieldset class="rule" data-rule="${String(i)}"><legend>${v.t('rules.rule', { n: i + 1 })}</legend>
    ${(errors.get(i) ?? []).map((e) => html`<p class="field-error" role="alert">${e}</p>`)}
    <p><label for="r${String(i)}n">${v.t('rules.name')}</label><input id="r${String(i)}n" name="r.${String(i)}.name" value="${r.name}" maxlength="100">
      <input id="r${String(i)}e" type="checkbox" name="r.${String(i)}.enabled" value="on"${boolAttr('checked', r.enabled)}><label for="r${String(i)}e">${v.t('rules.enabled')}</label>
      <select name="r.${String(i)}.match" aria-label="${v.t('rules.match')}"><option value="all"${boolAttr('selected', r.match !== 'any')}>${v.t('rules.all')}</option><option value="any"${boolAttr('selected', r.match === 'any')}>${v.t('rules.any')}</option></select></p>
    ${Array.from({ length: CONDS }, (_, c) => {
      const x = r.conditions[c] ?? { field: 'subject', header: '', op: 'contains', value: '' };
      const n = (f: string) => `r.${i}.c.${c}.${f}`;
      return html`<p class="cond"><select name="${n('field')}" aria-label="${v.t('rules.field')}">${FIELDS.map((f) => html`<option value="${f}"${boolAttr('selected', f === x.field)}>${v.t(`rules.fields.${f}`)}</option>`)}</select>
        <input name="${n('header')}" value="${x.header}" maxlength="76" placeholder="${v.t('rules.headerName')}" aria-label="${v.t('rules.headerName')}">
        <select name="${n('op')}" aria-label="${v.t('rules.op')}">${OPS.map((o) => html`<option value="${o}"${boolAttr('selected', o === x.op)}>${v.t(`rules.ops.${o}`)}</option>`)}</select>
        <input name="${n('value')}" value="${x.value}" maxlength="1024" aria-label="${v.t('rules.value')}"></p>`;
    })}
    <p class="action"><select name="r.${String(i)}.action" aria-label="${v.t('rules.action')}">${ACTIONS.map((a) => html`<option value="${a}"${boolAttr('selected', a === r.action.type)}>${v.t(`rules.actions.${a}`)}</option>`)}</select>
      <input name="r.${String(i)}.arg" value="${r.action.arg}" maxlength="1000" placeholder="${v.t('rules.arg')}" aria-label="${v.t('rules.arg')}"></p></fieldset>`)}`;
}


/** A stored rule set as the form's rows (each rule shows its first action). */
export function rulesOfSet(set: RuleSet): RawRule[] {
  return set.rules.map((r) => ({ name: r.name, enabled: r.enabled, match: r.match, conditions: r.conditions.map((c) => ({ field: c.field, header: c.header ?? '', op: c.op, value: c.value })), action: { type: r.actions[0].type, arg: argOf(r.actions[0]) } }));
}

/** compileRules' errors ("rules.2.conditions.0: …") as messages per rule row, in the page's language. */
export function errorsByRule(t: Translate, errors: readonly { path: string; message: string; code?: string; values?: Record<string, string | number> }[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const e of errors) {
    const m = /^rules\.(\d+)/.exec(e.path);
    const i = m ? Number(m[1]) : 0;
    const rest = e.path.replace(/^rules\.\d+\.?/, '');
    const message = e.code ? t(`sieve.${e.code}`, sieveValues(t, e.values)) : fieldProblem(t, rest, e.message);
    const where = whereOf(t, rest);
    out.set(i, [...(out.get(i) ?? []), where ? t('rules.error', { where, message }) : message]);
  }
  return out;
}

/** Where in a rule a problem is ("conditions.1.value" → "Condition 2"), or the path as it is. */
function whereOf(t: Translate, rest: string): string {
  const c = /^conditions\.(\d+)/.exec(rest);
  if (c) return t('rules.where.condition', { n: Number(c[1]) + 1 });
  if (/^actions(\.|$)/.test(rest)) return t('rules.where.action');
  if (rest === 'name') return t('rules.name');
  return rest;
}

/** A field the rule schema refused (its zod message is English and terse): what to enter, in the page's language. */
function fieldProblem(t: Translate, rest: string, fallback: string): string {
  const field = rest.split('.').filter((x) => !/^\d+$/.test(x));
  const key = field.length > 1 && field[0] === 'actions' ? `action-${field[field.length - 1]}` : (field[field.length - 1] ?? '');
  const text = t(`rules.invalid.${key}`);
  return text === `rules.invalid.${key}` ? fallback : text;
}

/**
 * The English words the Sieve engine puts into an error's values ("end of script", `command "fileinto"`, "a
 * string list", `"a" and "b"`), in the page's language; names, numbers and quoted tokens stay as they are.
 */
export function sieveValues(t: Translate, values: Record<string, string | number> | undefined): Record<string, string | number> | undefined {
  if (!values) return values;
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(values)) out[k] = typeof v === 'string' ? sieveWord(t, k, v) : v;
  return out;
}

const WORDS: Record<string, string> = { 'end of script': 'eof', 'a string': 'string', 'a number': 'number', 'a string list': 'stringList' };

function sieveWord(t: Translate, key: string, v: string): string {
  const named = /^(command|test) "(.*)"$/.exec(v);
  if (named) return t(`sieveWords.${named[1]}`, { name: named[2] });
  const alt = /^"(.)" or ","$/.exec(v);
  if (alt) return t('sieveWords.orComma', { c: alt[1] });
  if (Object.hasOwn(WORDS, v)) return t(`sieveWords.${WORDS[v]}`);
  if (key === 'capabilities') return v.split(' and ').join(t('sieveWords.and'));
  return v;
}

/** A Sieve syntax error as the page's reader reads it: its place, and its code translated (sieve.* in the catalogue). */
export function sieveErrorLine(t: Translate, e: SieveError): string {
  return t('rules.syntax', { line: e.line, column: e.column, message: e.code ? t(`sieve.${e.code}`, sieveValues(t, e.values)) : e.message });
}

/** Why a script was not stored (engine/rules/script-ops.ts), in the page's language. */
export function scriptProblem(
  t: Translate,
  p: { kind: 'syntax'; errors: SieveError[] } | { kind: 'bad-name'; text: string; code?: string; values?: Record<string, number> } | { kind: 'too-big' | 'too-many'; text: string; values?: Record<string, number> },
): string[] {
  if (p.kind === 'syntax') return p.errors.map((e) => sieveErrorLine(t, e));
  if (p.kind === 'too-big' && p.values) return [t('sieve.script-too-big', p.values)];
  if (p.kind === 'too-many' && p.values) return [t('sieve.too-many-scripts', p.values)];
  if (p.kind === 'bad-name' && p.code) return [t(`sieve.${p.code}`, p.values)];
  return [p.text];
}

function argOf(a: { type: string } & Record<string, unknown>): string {
  if (a.type === 'move' || a.type === 'copy') return String(a.folder ?? '');
  if (a.type === 'forward') return String(a.address ?? '');
  if (a.type === 'add-header') return `${String(a.name ?? '')}: ${String(a.value ?? '')}`;
  return '';
}
