// Commands of a Sieve script checked and typed, and the script as a whole: require first and only of known
// capabilities, each command refused unless its capability was required (as Pigeonhole does), if/elsif/else
// chained, tags and arguments checked (validate-args.ts), tests built (validate-tests.ts). Never evaluates.
import { sieveError, type SieveErrorCode, type SieveErrorValues } from './errors.js';
import type { Pos, SieveError } from './lexer.js';
import type { CommandNode } from './parser.js';
import type { Command, Script, Str, Test } from './ir.js';
import { CAPABILITIES } from './extensions.js';
import { MATCH_TAGS, collect, matchSpec, numberArg, positional, stringArg, stringsArg, type ErrorSink, type TagSpec } from './validate-args.js';
import { buildTest } from './validate-tests.js';

const COMMAND_EXT: Record<string, string | string[] | undefined> = {
  fileinto: 'fileinto',
  reject: 'reject',
  ereject: 'ereject',
  setflag: 'imap4flags',
  addflag: 'imap4flags',
  removeflag: 'imap4flags',
  set: 'variables',
  vacation: 'vacation',
  include: 'include',
  return: 'include',
  global: ['include', 'variables'],
  addheader: 'editheader',
  deleteheader: 'editheader',
};

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;
const SET_MODIFIERS: Record<string, number> = { lower: 40, upper: 40, lowerfirst: 30, upperfirst: 30, quotewildcard: 20, quoteregex: 20, length: 10 };

export function validate(nodes: CommandNode[], enabled: ReadonlySet<string>): { ok: true; script: Script } | { ok: false; errors: SieveError[] } {
  const errors: SieveError[] = [];
  const capabilities = new Set<string>();
  const sink: ErrorSink = {
    error: (pos: Pos, code: SieveErrorCode, values?: SieveErrorValues) => errors.push(sieveError(pos, code, values)),
    has: (cap: string) => capabilities.has(cap),
  };
  let requiresDone = false;
  for (const n of nodes) {
    if (n.name !== 'require') {
      requiresDone = true;
      continue;
    }
    if (requiresDone) {
      sink.error(n, 'require-first');
      continue;
    }
    if (n.args.length !== 1 || n.args[0].kind !== 'strings' || n.tests.length || n.block) {
      sink.error(n, 'require-args');
      continue;
    }
    for (const name of n.args[0].values) {
      // capability names are case-sensitive (Pigeonhole refuses "FILEINTO" too)
      if (!(CAPABILITIES as readonly string[]).includes(name) || !enabled.has(name)) sink.error(n.args[0], 'unknown-capability', { name });
      else capabilities.add(name);
    }
  }
  if (capabilities.has('vacation-seconds')) capabilities.add('vacation');
  if (capabilities.has('spamtestplus')) capabilities.add('spamtest');
  const commands = block(sink, nodes.filter((n) => n.name !== 'require'), true);
  // a require nested in a block is reported where it stands
  if (errors.length) return { ok: false, errors: errors.sort((a, b) => a.line - b.line || a.column - b.column) };
  return { ok: true, script: { capabilities, commands } };
}

function block(sink: ErrorSink, nodes: CommandNode[], top: boolean): Command[] {
  const out: Command[] = [];
  for (const n of nodes) {
    if (n.name === 'elsif' || n.name === 'else') {
      const prev = out[out.length - 1];
      if (!prev || prev.c !== 'if' || prev.otherwise) {
        sink.error(n, 'else-without-if', { name: n.name });
        continue;
      }
      if (n.name === 'elsif') {
        const b = branch(sink, n);
        if (b) prev.branches.push(b);
      } else {
        if (n.args.length || n.tests.length || !n.block) sink.error(n, 'else-block');
        else prev.otherwise = block(sink, n.block, false);
      }
      continue;
    }
    if (n.name === 'require') {
      sink.error(n, top ? 'require-first' : 'require-top');
      continue;
    }
    const c = command(sink, n);
    if (c) out.push(c);
  }
  return out;
}

function branch(sink: ErrorSink, n: CommandNode): { test: Test; block: Command[] } | null {
  if (n.args.length || n.tests.length !== 1 || n.testList || !n.block) {
    sink.error(n, 'if-form', { name: n.name });
    return null;
  }
  const test = buildTest(sink, n.tests[0]);
  const body = block(sink, n.block, false);
  return test ? { test, block: body } : null;
}

function command(sink: ErrorSink, n: CommandNode): Command | null {
  const pos = { line: n.line, column: n.column };
  const what = `command "${n.name}"`;
  const ext = COMMAND_EXT[n.name];
  if (ext) {
    const missing = (Array.isArray(ext) ? ext : [ext]).filter((e) => !sink.has(e));
    if (missing.length) {
      sink.error(n, 'command-needs', { what, capabilities: missing.map((m) => `"${m}"`).join(' and ') });
      return null;
    }
  }
  if (n.name === 'if') {
    const b = branch(sink, n);
    return b && { c: 'if', branches: [b], otherwise: null, ...pos };
  }
  if (n.block) {
    sink.error(n, 'no-block', { what });
    return null;
  }
  if (n.tests.length) {
    sink.error(n.tests[0], 'no-test', { what });
    return null;
  }
  const tags = (t: Record<string, TagSpec>) => collect(sink, what, n.args, t);
  switch (n.name) {
    case 'stop':
    case 'discard':
    case 'return': {
      const c = tags({});
      if (!c || !positional(sink, what, n, c.positional, [])) return null;
      return { c: n.name, ...pos };
    }
    case 'keep':
    case 'fileinto': {
      const t: Record<string, TagSpec> = { flags: { arg: 'strings', ext: 'imap4flags' } };
      if (n.name === 'fileinto') Object.assign(t, { copy: { ext: 'copy' }, create: { ext: 'mailbox' } });
      const c = tags(t);
      const p = c && positional(sink, what, n, c.positional, n.name === 'keep' ? [] : ['string']);
      if (!c || !p) return null;
      const flags = c.tags.has('flags') ? stringsArg(sink, c.tags.get('flags')!.arg) : null;
      if (n.name === 'keep') return { c: 'keep', flags, ...pos };
      const mailbox = stringArg(sink, p[0]);
      if (!mailbox.vars && !validMailbox(mailbox.value)) {
        sink.error(p[0]!, 'bad-mailbox', { value: mailbox.value });
        return null;
      }
      return { c: 'fileinto', mailbox, copy: c.tags.has('copy'), create: c.tags.has('create'), flags, ...pos };
    }
    case 'redirect': {
      const c = tags({ copy: { ext: 'copy' } });
      const p = c && positional(sink, what, n, c.positional, ['string']);
      if (!c || !p) return null;
      const address = stringArg(sink, p[0]);
      if (!address.vars && !validRedirectAddress(address.value)) {
        sink.error(p[0]!, 'bad-redirect', { value: address.value });
        return null;
      }
      return { c: 'redirect', address, copy: c.tags.has('copy'), ...pos };
    }
    case 'reject':
    case 'ereject': {
      const c = tags({});
      const p = c && positional(sink, what, n, c.positional, ['string']);
      if (!p) return null;
      return { c: 'reject', reason: stringArg(sink, p[0]), extended: n.name === 'ereject', ...pos };
    }
    case 'setflag':
    case 'addflag':
    case 'removeflag': {
      const c = tags({});
      const p = c && positional(sink, what, n, c.positional, ['string', 'strings'], 1);
      if (!p) return null;
      if (p[0] && !sink.has('variables')) {
        sink.error(p[0], 'variable-needs-require', { name: n.name });
        return null;
      }
      const variable = p[0] ? stringArg(sink, p[0]) : null;
      if (variable && !checkVariableName(sink, p[0]!, variable)) return null;
      return { c: 'flag', op: n.name === 'setflag' ? 'set' : n.name === 'addflag' ? 'add' : 'remove', variable, flags: stringsArg(sink, p[1]), ...pos };
    }
    case 'set': {
      const mods: Record<string, TagSpec> = {};
      for (const m of Object.keys(SET_MODIFIERS)) mods[m] = m === 'quoteregex' ? { ext: 'regex' } : {};
      const c = tags(mods);
      const p = c && positional(sink, what, n, c.positional, ['string', 'string']);
      if (!c || !p) return null;
      const name = stringArg(sink, p[0]);
      if (!checkVariableName(sink, p[0]!, name)) return null;
      const modifiers = [...c.tags.keys()];
      const levels = modifiers.map((m) => SET_MODIFIERS[m]);
      if (new Set(levels).size !== levels.length) {
        sink.error(n, 'set-modifiers');
        return null;
      }
      modifiers.sort((a, b) => SET_MODIFIERS[b] - SET_MODIFIERS[a]);
      return { c: 'set', name: name.value.toLowerCase(), value: stringArg(sink, p[1]), modifiers, ...pos };
    }
    case 'vacation': {
      const t: Record<string, TagSpec> = {
        days: { arg: 'number', group: 'period' },
        seconds: { arg: 'number', group: 'period', ext: 'vacation-seconds' },
        subject: { arg: 'string' },
        from: { arg: 'string' },
        addresses: { arg: 'strings' },
        mime: {},
        handle: { arg: 'string' },
      };
      const c = tags(t);
      const p = c && positional(sink, what, n, c.positional, ['string']);
      if (!c || !p) return null;
      const days = c.tags.get('days')?.arg;
      const secs = c.tags.get('seconds')?.arg;
      const seconds = days ? numberArg(days) * 86400 : secs ? numberArg(secs) : null;
      const opt = (k: string) => (c.tags.has(k) ? stringArg(sink, c.tags.get(k)!.arg) : null);
      const from = opt('from');
      if (from && !from.vars && !validRedirectAddress(from.value)) {
        sink.error(c.tags.get('from')!.arg!, 'bad-vacation-from', { value: from.value });
        return null;
      }
      return { c: 'vacation', seconds, subject: opt('subject'), from, addresses: stringsArg(sink, c.tags.get('addresses')?.arg), mime: c.tags.has('mime'), handle: opt('handle'), reason: stringArg(sink, p[0]), ...pos };
    }
    case 'include': {
      const c = tags({ personal: { group: 'location' }, global: { group: 'location' }, once: {}, optional: {} });
      const p = c && positional(sink, what, n, c.positional, ['string']);
      if (!c || !p) return null;
      const name = stringArg(sink, p[0]);
      if (!name.vars && !/^[^/\\\0\r\n]{1,128}$/.test(name.value)) {
        sink.error(p[0]!, 'bad-script-name', { value: name.value });
        return null;
      }
      return { c: 'include', personal: !c.tags.has('global'), once: c.tags.has('once'), optional: c.tags.has('optional'), name, ...pos };
    }
    case 'global': {
      const c = tags({});
      const p = c && positional(sink, what, n, c.positional, ['strings']);
      if (!p) return null;
      const names = stringsArg(sink, p[0]);
      for (const nm of names) if (!checkVariableName(sink, p[0]!, nm)) return null;
      return { c: 'global', names: names.map((x) => ({ value: x.value.toLowerCase(), vars: false })), ...pos };
    }
    case 'addheader': {
      const c = tags({ last: {} });
      const p = c && positional(sink, what, n, c.positional, ['string', 'string']);
      if (!c || !p) return null;
      const name = stringArg(sink, p[0]);
      if (!name.vars && !FIELD_NAME.test(name.value)) {
        sink.error(p[0]!, 'bad-field-name', { value: name.value });
        return null;
      }
      return { c: 'addheader', last: c.tags.has('last'), name, value: stringArg(sink, p[1]), ...pos };
    }
    case 'deleteheader': {
      const c = tags({ ...MATCH_TAGS, index: { arg: 'number' }, last: {} });
      if (!c) return null;
      if (c.positional.length < 1 || c.positional.length > 2) {
        sink.error(n, 'field-and-patterns', { what });
        return null;
      }
      const pp = positional(sink, what, n, c.positional, c.positional.length === 1 ? ['string'] : ['string', 'strings']);
      const m = matchSpec(sink, c);
      if (!pp || !m) return null;
      if (c.tags.has('last') && !c.tags.has('index')) {
        sink.error(c.tags.get('last')!.pos, 'last-needs-index');
        return null;
      }
      const name = stringArg(sink, pp[0]);
      if (!name.vars && !FIELD_NAME.test(name.value)) {
        sink.error(pp[0]!, 'bad-field-name', { value: name.value });
        return null;
      }
      const index = c.tags.has('index') ? numberArg(c.tags.get('index')!.arg) : null;
      return { c: 'deleteheader', index, last: c.tags.has('last'), m, name, values: pp[1] ? stringsArg(sink, pp[1]) : null, ...pos };
    }
    case 'if':
    case 'require':
      return null;
    default:
      sink.error(n, 'unknown-command', { name: n.name });
      return null;
  }
}

function checkVariableName(sink: ErrorSink, at: Pos, name: Str): boolean {
  if (!VARIABLE_NAME.test(name.value)) {
    sink.error(at, 'bad-variable-name', { value: name.value });
    return false;
  }
  return true;
}

export function validMailbox(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !/[\0\r\n]/.test(name);
}

/** A redirect target: local@domain, no spaces or angle brackets (a display name and <…> are allowed around it). */
export function validRedirectAddress(s: string): boolean {
  // length first: the patterns below are quadratic on long runs of spaces, and no address is this long
  if (s.length > 1000) return false;
  const m = /^\s*(?:[^<>]*<([^<>]+)>|([^<>\s]+))\s*$/.exec(s);
  const addr = m?.[1] ?? m?.[2];
  return !!addr && /^[^\s@]+@[^\s@]+\.[^\s@]+$|^[^\s@]+@[^\s@.]+$/.test(addr) && addr.length <= 320;
}
