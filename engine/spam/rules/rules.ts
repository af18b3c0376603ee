// Content rules as data: the shipped rule file (default.toml), the fitted weights (scores.toml) and an admin's
// [spam] rules_file that adds, replaces, re-weighs or disables rules by tag. Loaded and checked once per config; a
// bad file is an error naming file, line and key. Evaluation reads one message and yields the tags that hit,
// each literal test through one Aho–Corasick pass per field and view, so matching stays linear in the text.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml, TomlError } from 'smol-toml';
import { z } from 'zod';
import { LocatedError, locateKey } from '../../config/toml-locate.js';
import { CHECK_TAGS } from '../tags.js';
import { inDomain } from '../url.js';
import { LiteralSet } from './aho.js';
import { BodyViews } from './body-views.js';
import { BrandBook } from './brands.js';
import { CHECKS, CHECK_NAMES, type Check, type CheckContext, type RuleInput } from './checks.js';
import { fold, foldedViews, literalView, viewsOf, type LiteralView, type Views } from './normalise.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The shipped files, read from the source tree (dist/engine/spam/rules → engine/spam/rules). */
export const DEFAULT_RULES_FILE = path.resolve(HERE, '../../../../engine/spam/rules/default.toml');
export const FITTED_SCORES_FILE = path.resolve(HERE, '../../../../engine/spam/rules/scores.toml');

export class RulesError extends LocatedError {}

const TAG = z.string().regex(/^[A-Z][A-Z0-9_]{1,47}$/, 'a tag is A-Z, 0-9 and _, starting with a letter');
const FIELD = z.union([z.enum(['subject', 'body', 'text', 'from_name']), z.string().regex(/^header:[A-Za-z0-9-]{1,60}$/, 'in = "subject" | "body" | "text" | "from_name" | "header:Name"')]);

const ruleSchema = z
  .object({
    tag: TAG,
    describe: z.string().max(300).default(''),
    in: FIELD.optional(),
    any: z.array(z.string().min(1).max(200)).min(1).max(500).optional(),
    min: z.number().int().positive().default(1),
    unless_near: z.array(z.string().min(1).max(200)).min(1).max(100).optional(),
    near: z.number().int().min(1).max(200).default(30),
    header_absent: z.string().regex(/^[A-Za-z0-9-]{1,60}$/).optional(),
    unless_header: z.array(z.string().regex(/^[A-Za-z0-9-]{1,60}$/)).min(1).max(20).optional(),
    uri_host: z.array(z.string().min(1).max(253)).min(1).max(2000).optional(),
    uri_tld: z.array(z.string().regex(/^[a-z0-9-]{1,63}$/)).min(1).max(500).optional(),
    check: z.enum(CHECK_NAMES as [string, ...string[]]).optional(),
    all: z.array(TAG).min(1).max(20).optional(),
    score: z.number().min(-100).max(100).optional(),
    score_no_bayes: z.number().min(-100).max(100).optional(),
    range: z.tuple([z.number(), z.number()]).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const tests = [r.any, r.header_absent, r.uri_host, r.uri_tld, r.check, r.all].filter((x) => x !== undefined).length;
    if (tests !== 1) ctx.addIssue({ code: 'custom', message: 'a rule has exactly one test: any (with in), header_absent, uri_host, uri_tld, check or all' });
    if ((r.any !== undefined) !== (r.in !== undefined)) ctx.addIssue({ code: 'custom', message: '`in` and `any` go together' });
    if (r.unless_near !== undefined && r.any === undefined) ctx.addIssue({ code: 'custom', message: '`unless_near` goes with `any`' });
    if (r.range && r.range[0] > r.range[1]) ctx.addIssue({ code: 'custom', message: 'range is [low, high]' });
  });

const WEIGHT = z.union([z.number().min(-100).max(100), z.tuple([z.number().min(-100).max(100), z.number().min(-100).max(100)])]);

const fileSchema = z
  .object({
    rule: z.array(ruleSchema).default([]),
    brand: z.array(z.object({ name: z.string().min(1), words: z.array(z.string().min(2)).min(1), domains: z.array(z.string().min(3)).min(1) }).strict()).default([]),
    freemail: z.object({ domains: z.array(z.string().min(3)) }).strict().optional(),
    disable: z.array(TAG).default([]),
    scores: z.record(TAG, WEIGHT).default({}),
  })
  .strict();

const fittedSchema = z
  .object({
    about: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
    with_bayes: z.record(TAG, z.number()).default({}),
    no_bayes: z.record(TAG, z.number()).default({}),
  })
  .strict();

export type RuleSpec = z.infer<typeof ruleSchema>;
type RulesFile = z.infer<typeof fileSchema>;

/** Which weights apply: the Bayes filter voted on this message, or it did not (untrained, off, unavailable). */
export type ScoreSet = 'with_bayes' | 'no_bayes';

function readToml<T>(file: string, schema: z.ZodType<T>): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new RulesError(file, undefined, undefined, `cannot read: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (e) {
    if (e instanceof TomlError) throw new RulesError(file, e.line, undefined, e.message.split('\n')[0]);
    throw e;
  }
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const keyPath = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
  if (issue.code === 'unrecognized_keys') keyPath.push(issue.keys[0]);
  throw new RulesError(file, locateKey(text, keyPath), keyPath.filter((k) => typeof k === 'string').join('.') || undefined, issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message);
}

const BUILTIN: ReadonlySet<string> = new Set(CHECK_TAGS);

interface Field {
  /** Literal sets per view, and for each literal id the [rule index, literal number] pairs it stands for. */
  sets: Map<LiteralView, { set: LiteralSet; owners: [number, number][][] }>;
}

/** What evaluate() runs for one rule: its test, resolved once. */
const NONE = 0;
const ANY = 1;
const HEADER_ABSENT = 2;
const URI = 3;
const CHECK = 4;
const ALL = 5;
interface RulePlan {
  ri: number;
  tag: string;
  kind: number;
  min: number;
  /** unless_header, lower case */
  unless: string[] | undefined;
  /** header_absent, lower case */
  header: string | undefined;
  check: Check | undefined;
  all: string[] | undefined;
}

/** A compiled rule set. Immutable once built; evaluate() may run in many messages at once. */
export class RuleSet {
  readonly rules: RuleSpec[];
  readonly disabled: ReadonlySet<string>;
  /** tag → [with Bayes, without Bayes]: the admin's overrides, then the fitted file, then the rule's own score. */
  private readonly weights = new Map<string, [number | undefined, number | undefined]>();
  private readonly fields = new Map<string, Field>();
  private readonly hostRules = new Map<string, number[]>();
  private readonly tldRules = new Map<string, number[]>();
  /** Rules with `unless_near`: each literal's view and needle, and the negations' needles in each of those views. */
  private readonly negated = new Map<number, { lits: { view: LiteralView; needle: string }[]; neg: Map<LiteralView, string[]>; fields: string[] }>();
  /** The rules evaluate() runs, in file order, with their tests resolved (disabled rules left out; `all` rules apart). */
  private readonly plan: RulePlan[] = [];
  private readonly allPlan: RulePlan[] = [];
  /** The most labels a listed domain has. */
  private maxLabels = 1;
  /** Brands and free-mail domains the built-in checks read. */
  readonly ctx: CheckContext;
  readonly about: Record<string, string | number>;

  constructor(files: { rules: RulesFile; origin: string }[], fitted?: z.infer<typeof fittedSchema>) {
    const byTag = new Map<string, RuleSpec>();
    const disabled = new Set<string>();
    const brands = new Map<string, { name: string; words: string[]; domains: string[] }>();
    let freemail: string[] = [];
    const overrides = new Map<string, [number, number]>();
    files.forEach(({ rules: f, origin }, i) => {
      const shipped = i === 0;
      for (const r of f.rule) {
        if (!shipped && !byTag.has(r.tag) && !r.tag.startsWith('LOCAL_')) throw new RulesError(origin, undefined, 'rule.tag', `${r.tag}: a rule of your own needs a tag starting with LOCAL_ (or the tag of a default rule, to replace it)`);
        if (BUILTIN.has(r.tag) && !byTag.has(r.tag)) throw new RulesError(origin, undefined, 'rule.tag', `${r.tag} is a built-in check's tag`);
        byTag.set(r.tag, r);
      }
      for (const b of f.brand) brands.set(b.name, b);
      if (f.freemail) freemail = f.freemail.domains;
      for (const t of f.disable) disabled.add(t);
      for (const [t, w] of Object.entries(f.scores)) overrides.set(t, typeof w === 'number' ? [w, w] : w);
    });
    this.rules = [...byTag.values()];
    this.disabled = disabled;
    const known = new Set([...BUILTIN, ...byTag.keys()]);
    for (const r of this.rules) for (const t of r.all ?? []) if (!known.has(t)) throw new RulesError(files[files.length - 1].origin, undefined, 'rule.all', `${r.tag}: unknown tag ${t}`);
    for (const t of overrides.keys()) if (!known.has(t)) throw new RulesError(files[files.length - 1].origin, undefined, `scores.${t}`, 'unknown tag');
    for (const t of disabled) if (!known.has(t)) throw new RulesError(files[files.length - 1].origin, undefined, 'disable', `${t}: unknown tag`);
    for (const r of this.rules) this.weights.set(r.tag, [r.score, r.score_no_bayes ?? r.score]);
    for (const [t, w] of Object.entries(fitted?.with_bayes ?? {})) this.weights.set(t, [w, this.weights.get(t)?.[1]]);
    for (const [t, w] of Object.entries(fitted?.no_bayes ?? {})) this.weights.set(t, [this.weights.get(t)?.[0], w]);
    for (const [t, w] of overrides) this.weights.set(t, w);
    this.about = fitted?.about ?? {};
    this.ctx = { brands: new BrandBook([...brands.values()]), freemail: new Set(freemail.map((d) => d.toLowerCase())) };
    this.compile();
  }

  private compile(): void {
    const lits = new Map<string, Map<LiteralView, { needles: Map<string, number>; owners: [number, number][][] }>>();
    this.rules.forEach((r, ri) => {
      if (this.disabled.has(r.tag)) return;
      if (r.any) {
        const fields = r.in === 'text' ? ['subject', 'body'] : [r.in!.startsWith('header:') ? 'header:' + r.in!.slice(7).toLowerCase() : r.in!];
        for (const field of fields) {
          let f = lits.get(field);
          if (!f) lits.set(field, (f = new Map()));
          r.any.forEach((lit, li) => {
            const { view, needle } = literalView(lit);
            if (!needle.trim()) return;
            let v = f!.get(view);
            if (!v) f!.set(view, (v = { needles: new Map(), owners: [] }));
            let id = v.needles.get(needle);
            if (id === undefined) {
              id = v.needles.size;
              v.needles.set(needle, id);
              v.owners.push([]);
            }
            v.owners[id].push([ri, li]);
          });
        }
        if (r.unless_near) {
          const litViews = r.any.map(literalView);
          const neg = new Map<LiteralView, string[]>();
          for (const view of new Set(litViews.map((l) => l.view))) neg.set(view, [...new Set(r.unless_near.map((n) => needleIn(view, n)).filter((n) => n.trim()))]);
          this.negated.set(ri, { lits: litViews, neg, fields });
        }
      }
      for (const h of r.uri_host ?? []) {
        const d = h.toLowerCase().replace(/^\*?\./, '');
        this.hostRules.set(d, [...(this.hostRules.get(d) ?? []), ri]);
        this.maxLabels = Math.max(this.maxLabels, d.split('.').length);
      }
      for (const t of r.uri_tld ?? []) this.tldRules.set(t, [...(this.tldRules.get(t) ?? []), ri]);
    });
    this.rules.forEach((r, ri) => {
      if (this.disabled.has(r.tag)) return;
      const kind = r.all ? ALL : r.any ? ANY : r.header_absent ? HEADER_ABSENT : r.uri_host || r.uri_tld ? URI : r.check ? CHECK : NONE;
      const p: RulePlan = { ri, tag: r.tag, kind, min: r.min, unless: r.unless_header?.map((h) => h.toLowerCase()), header: r.header_absent?.toLowerCase(), check: r.check ? CHECKS[r.check] : undefined, all: r.all };
      (kind === ALL ? this.allPlan : this.plan).push(p);
    });
    for (const [field, views] of lits) {
      const sets: Field['sets'] = new Map();
      for (const [view, v] of views) sets.set(view, { set: new LiteralSet([...v.needles.keys()]), owners: v.owners });
      this.fields.set(field, { sets });
    }
  }

  /** The literals looked for in the body's words view (ruleInput finds them while it folds an ASCII body). */
  get bodyWords(): LiteralSet | null {
    return this.fields.get('body')?.sets.get('words')?.set ?? null;
  }

  /** The weight of a rule tag in a score set (undefined: not a rule tag and not in the fitted file). */
  weight(tag: string, set: ScoreSet): number | undefined {
    const w = this.weights.get(tag);
    return w ? (set === 'with_bayes' ? w[0] : w[1]) : undefined;
  }

  /** The fit's bounds for a tag (rules only). */
  range(tag: string): [number, number] | undefined {
    return this.rules.find((r) => r.tag === tag)?.range;
  }

  /** The rule tags that hit this message, with a short ASCII detail where there is one. */
  evaluate(inp: RuleInput, alsoHit: ReadonlySet<string> = new Set()): { tag: string; detail?: string }[] {
    const counts = new Map<number, Set<number>>();
    const note = (ri: number, li: number) => {
      let s = counts.get(ri);
      if (!s) counts.set(ri, (s = new Set()));
      s.add(li);
    };
    for (const [field, f] of this.fields) {
      const views = this.viewsFor(field, inp);
      for (const v of views) {
        for (const [view, { set, owners }] of f.sets) {
          // a body of ASCII only had its words-view literals found while it was folded (body-views.ts), and holds
          // none of a set whose every literal is past ASCII (its skeleton need not be made to say so)
          let ids: Set<number>;
          if (v instanceof BodyViews && view === 'words' && v.searched === set) ids = v.found;
          else if (v instanceof BodyViews && view !== 'folded' && set.allPastAscii) continue;
          else ids = set.search(v[view]);
          for (const id of ids) for (const [ri, li] of owners[id]) note(ri, li);
        }
      }
    }
    // a literal of an `unless_near` rule counts only where no negation stands near it ("we never ask for your PIN")
    for (const [ri, { lits, neg, fields }] of this.negated) {
      const hit = counts.get(ri);
      if (!hit) continue;
      const near = this.rules[ri].near;
      const texts: Views[] = [];
      for (const f of fields) for (const v of this.viewsFor(f, inp)) texts.push(v);
      for (const li of [...hit]) {
        const { view, needle } = lits[li];
        if (!texts.some((v) => occursFree(v[view], needle, neg.get(view)!, near))) hit.delete(li);
      }
    }
    const hosts = new Map<number, string>();
    for (const h of inp.hosts) {
      // a listed domain is one of the host's last few labels: walk back over at most that many dots (a hostile host
      // of thousands of labels costs no more than a real one)
      let at = h.length;
      for (let k = 0; k < this.maxLabels && at > 0; k++) {
        at = h.lastIndexOf('.', at - 1);
        const suffix = h.slice(at + 1);
        if (k === 0) for (const ri of this.tldRules.get(suffix) ?? []) if (!hosts.has(ri)) hosts.set(ri, h);
        for (const ri of this.hostRules.get(suffix) ?? []) if (!hosts.has(ri)) hosts.set(ri, h);
        if (at < 0) break;
      }
    }
    const out: { tag: string; detail?: string }[] = [];
    const hit = new Set(alsoHit);
    const headers = inp.msg.headers;
    // a rule with `unless_header` does not hit a message that has one of those fields (a newsletter's List-Unsubscribe)
    const excused = (unless: readonly string[] | undefined) => {
      if (unless) for (const h of unless) if (headers.has(h)) return true;
      return false;
    };
    // the rules in file order, each test worked out once (compile): no keyed lookup of its check per message
    for (const p of this.plan) {
      if (excused(p.unless)) continue;
      let detail: string | null | undefined = null;
      if (p.kind === ANY) detail = (counts.get(p.ri)?.size ?? 0) >= p.min ? undefined : null;
      else if (p.kind === HEADER_ABSENT) detail = headers.has(p.header!) ? null : undefined;
      else if (p.kind === URI) detail = hosts.get(p.ri) ?? null;
      else if (p.kind === CHECK) detail = p.check!(inp, this.ctx, p.min);
      if (detail !== null) {
        out.push(detail === undefined ? { tag: p.tag } : { tag: p.tag, detail });
        hit.add(p.tag);
      }
    }
    for (const p of this.allPlan) {
      if (!excused(p.unless) && p.all!.every((t) => hit.has(t))) out.push({ tag: p.tag });
    }
    return out;
  }

  private viewsFor(field: string, inp: RuleInput): Views[] {
    if (field === 'subject') return [inp.subject];
    if (field === 'body') return [inp.body];
    if (field === 'from_name') return [inp.fromName];
    // an array literal filled by a loop, as the other fields' are: an array made by .slice/.map has another map
    // (docs/benchmarks.md, eleventh round)
    const values = inp.msg.headers.get(field.slice(7)) ?? [];
    const out: Views[] = [];
    for (let i = 0; i < values.length && i < 5; i++) out.push(foldedViews(values[i].length > 4000 ? values[i].slice(0, 4000) : values[i]));
    return out;
  }

  /** Whether a host is in one of the rule set's uri_host lists (tests). */
  listsHost(host: string): boolean {
    return [...this.hostRules.keys()].some((d) => inDomain(host, d));
  }
}

/** A negation literal as it reads in one match view (what literalView gives a literal of that view). */
function needleIn(view: LiteralView, lit: string): string {
  const f = fold(lit).trim();
  return view === 'folded' ? f : viewsOf(f)[view];
}

/** Occurrences of a literal looked at for a nearby negation; past this many, it counts as asked (bounded work). */
const MAX_NEGATION_CHECKS = 50;

/**
 * Whether `needle` occurs in `text` with none of `negations` within `near` characters of it (before or after). Linear:
 * at most MAX_NEGATION_CHECKS occurrences, each with a window of at most 2·near + the literals' lengths.
 */
export function occursFree(text: string, needle: string, negations: readonly string[], near: number): boolean {
  const longest = negations.reduce((m, n) => Math.max(m, n.length), 0);
  let at = text.indexOf(needle);
  for (let k = 0; at >= 0; k++) {
    if (k >= MAX_NEGATION_CHECKS) return true;
    const window = text.slice(Math.max(0, at - near - longest), at + needle.length + near + longest);
    const offset = Math.max(0, at - near - longest);
    const start = at - offset;
    const end = start + needle.length;
    const negated = negations.some((n) => {
      // a negation ending at most `near` before the literal, or starting at most `near` after it
      for (let i = window.indexOf(n); i >= 0; i = window.indexOf(n, i + 1)) {
        if (i + n.length <= start ? start - (i + n.length) <= near : i >= end ? i - end <= near : true) return true;
      }
      return false;
    });
    if (!negated) return true;
    at = text.indexOf(needle, at + 1);
  }
  return false;
}

const cache = new Map<string, { mtime: number; set: RuleSet }>();

/**
 * The rule set for a config: the shipped rules and fitted weights, then the admin's rules_file (a path relative to
 * the config file's directory). Cached per file and modification time; a bad file throws RulesError.
 */
export function loadRuleSet(rulesFile: string | undefined, configSource: string | undefined): RuleSet {
  const admin = rulesFile ? path.resolve(configSource ? path.dirname(configSource) : process.cwd(), rulesFile) : undefined;
  const mtime = (f: string) => {
    try {
      return fs.statSync(f).mtimeMs;
    } catch {
      return 0;
    }
  };
  const key = `${admin ?? ''}`;
  const stamp = mtime(DEFAULT_RULES_FILE) + mtime(FITTED_SCORES_FILE) + (admin ? mtime(admin) : 0);
  const hit = cache.get(key);
  if (hit && hit.mtime === stamp) return hit.set;
  const files = [{ rules: readToml(DEFAULT_RULES_FILE, fileSchema), origin: DEFAULT_RULES_FILE }];
  if (admin) files.push({ rules: readToml(admin, fileSchema), origin: admin });
  const fitted = fs.existsSync(FITTED_SCORES_FILE) ? readToml(FITTED_SCORES_FILE, fittedSchema) : undefined;
  const set = new RuleSet(files, fitted);
  cache.set(key, { mtime: stamp, set });
  return set;
}

/** A rule set from TOML text (tests, the fitting code's variants). */
export function ruleSetFromText(adminText: string | undefined, opts: { fitted?: boolean } = {}): RuleSet {
  const files = [{ rules: readToml(DEFAULT_RULES_FILE, fileSchema), origin: DEFAULT_RULES_FILE }];
  if (adminText !== undefined) {
    const r = fileSchema.safeParse(parseToml(adminText));
    if (!r.success) throw new RulesError('(rules text)', undefined, r.error.issues[0].path.join('.'), r.error.issues[0].message);
    files.push({ rules: r.data, origin: '(rules text)' });
  }
  const fitted = opts.fitted !== false && fs.existsSync(FITTED_SCORES_FILE) ? readToml(FITTED_SCORES_FILE, fittedSchema) : undefined;
  return new RuleSet(files, fitted);
}
