// Runs a validated Sieve script on one message for one recipient and returns the actions it takes. Actions
// are collected, merged and checked for conflicts (reject vs delivery, one vacation) here; nothing is
// delivered or sent. Any run-time error (a limit, a conflict, a failed include) becomes an error value with
// implicit keep: evaluate() never throws into delivery.
import type { Command, Script, Str } from './ir.js';
import type { Pos, SieveError } from './lexer.js';
import { limitsWith, type SieveLimits } from './extensions.js';
import { SieveRuntimeError } from './match.js';
import { decodedValue, type SieveMessage } from './message.js';
import { applyModifiers, assign, newStore, type VariableStore } from './variables.js';
import { evalTest, ex, type TestContext } from './evaluate-tests.js';
import { parseZone } from '../mime/date-time.js';
import { processZone } from './date.js';
import { parseScript } from './compile.js';
import { validMailbox, validRedirectAddress } from './validate.js';
import type { HeaderEdit, ScriptLocation, SieveAction, SieveEnv, SieveResult } from './types.js';

class Stop {}
class Return {}

// Received counts hops and Delivered-To marks each mailbox a redirect went through (the redirect loop check): a script
// that could delete them could hide a loop between its mailboxes (security review 2)
const PROTECTED_HEADERS = new Set(['received', 'auto-submitted', 'delivered-to']);

interface State {
  limits: SieveLimits;
  actions: SieveAction[];
  implicitKeep: boolean;
  edits: HeaderEdit[];
  warnings: SieveError[];
  redirects: number;
  included: Set<string>;
  stack: string[];
  includes: number;
  reject: Pos | null;
  delivering: Pos | null;
}

function fail(pos: Pos, message: string): never {
  const e = new SieveRuntimeError(message) as SieveRuntimeError & { pos?: Pos };
  e.pos = pos;
  throw e;
}

function canonicalFlag(f: string): string {
  const system = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'].find((s) => s.toLowerCase() === f.toLowerCase());
  return system ?? f;
}

function flagList(values: string[]): string[] {
  const out: string[] = [];
  for (const f of values.flatMap((v) => v.split(' ')).filter(Boolean)) {
    const c = canonicalFlag(f);
    if (!out.some((x) => x.toLowerCase() === c.toLowerCase())) out.push(c);
  }
  return out;
}

function mergeFlags(a: string[], b: string[]): string[] {
  return flagList([...a, ...b]);
}

export function evaluate(script: Script, msg: SieveMessage, env: SieveEnv = {}): SieveResult {
  const limits = limitsWith(env.limits);
  const now = env.now ? env.now() : new Date();
  const fixedZone = env.zone ? parseZone(env.zone) : null;
  const zone = fixedZone ?? processZone(now);
  const st: State = { limits, actions: [], implicitKeep: true, edits: [], warnings: [], redirects: 0, included: new Set(), stack: [], includes: 0, reject: null, delivering: null };
  const globals = new Map<string, string>();
  const ctx: TestContext = {
    msg,
    headers: msg.headers.map((h) => ({ ...h })),
    env,
    budget: { work: 0, max: limits.maxMatchWork, maxRegexInput: limits.maxRegexInput },
    vars: newStore(limits.maxStringLength, limits.maxVariables, globals),
    flags: [],
    now,
    zone,
  };
  let stopped = false;
  try {
    try {
      runBlock(script.commands, ctx, st);
    } catch (e) {
      // RFC 6609 §3.3: return in the main script is stop
      if (!(e instanceof Stop) && !(e instanceof Return)) throw e;
      stopped = true;
    }
    return {
      actions: st.actions,
      implicitKeep: st.implicitKeep ? { flags: ctx.flags.slice() } : null,
      headerEdits: st.edits,
      errors: [],
      warnings: st.warnings,
      stopped,
    };
  } catch (e) {
    const pos = (e as { pos?: Pos }).pos ?? { line: 0, column: 0 };
    const message = e instanceof SieveRuntimeError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
    return { actions: [], implicitKeep: { flags: [] }, headerEdits: [], errors: [{ ...pos, message }], warnings: st.warnings, stopped: false };
  }
}

function runScript(script: Script, ctx: TestContext, st: State): void {
  try {
    runBlock(script.commands, ctx, st);
  } catch (e) {
    if (!(e instanceof Return)) throw e;
  }
}

function runBlock(cmds: Command[], ctx: TestContext, st: State): void {
  for (const c of cmds) {
    try {
      run(c, ctx, st);
    } catch (e) {
      if (e instanceof SieveRuntimeError && !(e as { pos?: Pos }).pos) (e as { pos?: Pos }).pos = { line: c.line, column: c.column };
      throw e;
    }
  }
}

function addAction(st: State, a: SieveAction, at: Pos): void {
  const same = st.actions.find((x) => {
    if (a.type === 'keep' || (a.type === 'fileinto' && isInbox(a.mailbox))) return x.type === 'keep' || (x.type === 'fileinto' && isInbox(x.mailbox));
    if (a.type === 'fileinto') return x.type === 'fileinto' && x.mailbox === a.mailbox && !isInbox(x.mailbox);
    if (a.type === 'redirect') return x.type === 'redirect' && x.address.toLowerCase() === a.address.toLowerCase();
    if (a.type === 'discard') return x.type === 'discard';
    return false;
  });
  if (same) {
    if ((same.type === 'keep' || same.type === 'fileinto') && (a.type === 'keep' || a.type === 'fileinto')) {
      same.flags = a.flags; // the later store's flags win, as in Pigeonhole
      if (same.type === 'fileinto' && a.type === 'fileinto') {
        same.create ||= a.create;
        same.copy &&= a.copy;
      }
    }
    if (same.type === 'redirect' && a.type === 'redirect') same.copy &&= a.copy;
    return;
  }
  if (st.actions.length + st.edits.length >= st.limits.maxActions) fail(at, `more than ${st.limits.maxActions} actions`);
  if (a.type === 'vacation' && st.actions.some((x) => x.type === 'vacation')) fail(at, 'duplicate vacation action not allowed');
  const delivers = a.type === 'keep' || a.type === 'fileinto' || a.type === 'redirect' || a.type === 'vacation';
  if (a.type === 'reject' && st.delivering) fail(at, `reject/ereject conflicts with the action at line ${st.delivering.line} that delivers or answers the message`);
  if (delivers && st.reject) fail(at, `this action conflicts with the reject at line ${st.reject.line}`);
  if (a.type === 'reject') {
    if (st.actions.some((x) => x.type === 'reject')) return;
    st.reject = at;
  }
  if (delivers && !st.delivering) st.delivering = at;
  st.actions.push(a);
}

/** INBOX is case-insensitive (RFC 3501); other names are taken as written. */
export function isInbox(name: string): boolean {
  return name.length === 5 && name.toUpperCase() === 'INBOX';
}

function flagsFor(ctx: TestContext, explicit: Str[] | null): string[] {
  return explicit ? flagList(explicit.map((s) => ex(ctx, s))) : ctx.flags.slice();
}

function run(c: Command, ctx: TestContext, st: State): void {
  switch (c.c) {
    case 'if': {
      for (const b of c.branches) {
        if (evalTest(ctx, b.test)) {
          runBlock(b.block, ctx, st);
          return;
        }
      }
      if (c.otherwise) runBlock(c.otherwise, ctx, st);
      return;
    }
    case 'stop':
      throw new Stop();
    case 'return':
      throw new Return();
    case 'keep':
      addAction(st, { type: 'keep', flags: flagsFor(ctx, c.flags) }, c);
      st.implicitKeep = false;
      return;
    case 'discard':
      addAction(st, { type: 'discard' }, c);
      st.implicitKeep = false;
      return;
    case 'fileinto': {
      const mailbox = ex(ctx, c.mailbox);
      if (!validMailbox(mailbox)) fail(c, `invalid mailbox name "${mailbox.slice(0, 100)}"`);
      addAction(st, { type: 'fileinto', mailbox, flags: flagsFor(ctx, c.flags), create: c.create, copy: c.copy }, c);
      if (!c.copy) st.implicitKeep = false;
      return;
    }
    case 'redirect': {
      const raw = ex(ctx, c.address);
      if (!validRedirectAddress(raw)) fail(c, `invalid redirect address "${raw.slice(0, 100)}"`);
      const address = /<([^<>]+)>/.exec(raw)?.[1] ?? raw.trim();
      const before = st.actions.length;
      addAction(st, { type: 'redirect', address, copy: c.copy }, c);
      if (st.actions.length > before && ++st.redirects > st.limits.maxRedirects) fail(c, `number of redirect actions exceeds the limit (${st.redirects} > ${st.limits.maxRedirects})`);
      if (!c.copy) st.implicitKeep = false;
      return;
    }
    case 'reject':
      addAction(st, { type: 'reject', reason: ex(ctx, c.reason), extended: c.extended }, c);
      st.implicitKeep = false;
      return;
    case 'flag': {
      const given = flagList(c.flags.map((s) => ex(ctx, s)));
      const varName = c.variable ? ex(ctx, c.variable) : null;
      const current = varName === null ? ctx.flags : flagList([ctx.vars.vars.get(varName.toLowerCase()) ?? '']);
      const next = c.op === 'set' ? given : c.op === 'add' ? mergeFlags(current, given) : current.filter((f) => !given.some((g) => g.toLowerCase() === f.toLowerCase()));
      if (varName === null) ctx.flags = next;
      else if (!assign(ctx.vars, varName, next.join(' '))) fail(c, `more than ${ctx.vars.maxVariables} variables`);
      return;
    }
    case 'set':
      if (!assign(ctx.vars, c.name, applyModifiers(ex(ctx, c.value), c.modifiers))) fail(c, `more than ${ctx.vars.maxVariables} variables`);
      return;
    case 'global':
      for (const n of c.names) ctx.vars.globalNames.add(n.value);
      return;
    case 'vacation': {
      const L = st.limits;
      let seconds = c.seconds ?? L.vacationDefaultSeconds;
      if (seconds < L.vacationMinSeconds) {
        st.warnings.push({ line: c.line, column: c.column, message: `vacation period ${seconds}s raised to the minimum ${L.vacationMinSeconds}s` });
        seconds = L.vacationMinSeconds;
      }
      if (L.vacationMaxSeconds > 0 && seconds > L.vacationMaxSeconds) seconds = L.vacationMaxSeconds;
      const reason = ex(ctx, c.reason);
      const subject = c.subject ? ex(ctx, c.subject) : null;
      const from = c.from ? ex(ctx, c.from) : null;
      const handle = c.handle ? ex(ctx, c.handle) : `${reason}${subject ?? '<default-subject>'}${from ?? '<default-from>'}${c.mime ? '<MIME>' : '<NO-MIME>'}`;
      addAction(st, { type: 'vacation', reason, subject, from, addresses: c.addresses.map((a) => ex(ctx, a)), mime: c.mime, handle, seconds }, c);
      return;
    }
    case 'include':
      include(c, ex(ctx, c.name), ctx, st);
      return;
    case 'addheader': {
      const name = ex(ctx, c.name);
      const value = ex(ctx, c.value);
      if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) fail(c, `invalid header field name "${name.slice(0, 100)}"`);
      if (PROTECTED_HEADERS.has(name.toLowerCase())) {
        st.warnings.push({ line: c.line, column: c.column, message: `addheader: "${name}" is protected; left alone` });
        return;
      }
      if (st.actions.length + st.edits.length >= st.limits.maxActions) fail(c, `more than ${st.limits.maxActions} actions`);
      const field = { name: name.toLowerCase(), value: value.replace(/[\r\n]+/g, ' ').trimEnd() };
      if (c.last) ctx.headers.push(field);
      else ctx.headers.unshift(field);
      st.edits.push({ op: 'add', name, value: field.value, last: c.last });
      return;
    }
    case 'deleteheader':
      deleteHeader(c, ctx, st);
      return;
  }
}

function deleteHeader(c: Extract<Command, { c: 'deleteheader' }>, ctx: TestContext, st: State): void {
  const name = ex(ctx, c.name).toLowerCase();
  if (PROTECTED_HEADERS.has(name)) {
    st.warnings.push({ line: c.line, column: c.column, message: `deleteheader: "${name}" is protected; left alone` });
    return;
  }
  const positions = ctx.headers.map((h, i) => (h.name === name ? i : -1)).filter((i) => i >= 0);
  let candidates = positions.map((p, k) => ({ p, k }));
  if (c.index !== null) {
    const k = c.last ? positions.length - c.index : c.index - 1;
    candidates = candidates.filter((x) => x.k === k);
  }
  const keys = c.values?.map((v) => ex(ctx, v));
  const doomed = candidates.filter(({ p }) => {
    if (!keys) return true;
    return evalMatchOne(ctx, ctx.headers[p].value, keys, c.m);
  });
  // delete from the end so earlier positions stay valid; record each as "occurrence k of name" at that moment
  for (let i = doomed.length - 1; i >= 0; i--) {
    if (st.actions.length + st.edits.length >= st.limits.maxActions) fail(c, `more than ${st.limits.maxActions} actions`);
    ctx.headers.splice(doomed[i].p, 1);
    st.edits.push({ op: 'delete', name, index: doomed[i].k + 1, fromEnd: false });
  }
}

function evalMatchOne(ctx: TestContext, rawValue: string, keys: string[], m: Extract<Command, { c: 'deleteheader' }>['m']): boolean {
  return evalTest(ctx, { t: 'string', sources: [{ value: decodedValue(rawValue), vars: false }], keys: keys.map((k) => ({ value: k, vars: false })), m, line: 0, column: 0 });
}

function include(c: Extract<Command, { c: 'include' }>, name: string, ctx: TestContext, st: State): void {
  const location: ScriptLocation = c.personal ? 'personal' : 'global';
  const key = `${location}:${name}`;
  if (c.once && st.included.has(key)) return;
  if (st.stack.includes(key)) fail(c, `include of "${name}" would recurse`);
  if (st.stack.length >= st.limits.maxIncludeDepth) fail(c, `includes nested deeper than ${st.limits.maxIncludeDepth}`);
  if (++st.includes > st.limits.maxIncludes) fail(c, `more than ${st.limits.maxIncludes} includes`);
  const loaded = ctx.env.loadScript ? ctx.env.loadScript(name, location) : null;
  if (loaded === null) {
    if (c.optional) {
      st.warnings.push({ line: c.line, column: c.column, message: `include :optional "${name}" not found` });
      return;
    }
    fail(c, `included ${location} script "${name}" not found`);
  }
  let script: Script;
  if (typeof loaded === 'string') {
    const r = parseScript(loaded, { extensions: ctx.env.extensions, limits: ctx.env.limits });
    if (!r.ok) fail(c, `included script "${name}": line ${r.errors[0].line} column ${r.errors[0].column}: ${r.errors[0].message}`);
    script = r.script;
  } else script = loaded;
  st.included.add(key);
  st.stack.push(key);
  const saved: VariableStore = ctx.vars;
  ctx.vars = newStore(saved.maxLength, saved.maxVariables, saved.globals);
  try {
    runScript(script, ctx, st);
  } finally {
    ctx.vars = saved;
    st.stack.pop();
  }
}
