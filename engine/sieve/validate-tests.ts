// Tests of a Sieve script checked and typed: RFC 5228's address/header/envelope/exists/size/allof/anyof/not,
// and body, date/currentdate, string, hasflag, mailboxexists, spamtest from their extensions, each refused
// unless its capability was required. It builds IR (ir.ts) and never evaluates anything.
import type { TestNode } from './parser.js';
import type { Test, ZoneSpec } from './ir.js';
import { compileRegex, RegexSyntaxError } from './regex.js';
import { ADDRESS_PART_TAGS, MATCH_TAGS, addressPart, collect, matchSpec, numberArg, positional, stringArg, stringsArg, type ErrorSink, type TagSpec } from './validate-args.js';

export const DATE_PARTS = new Set(['year', 'month', 'day', 'date', 'julian', 'hour', 'minute', 'second', 'time', 'iso8601', 'std11', 'zone', 'weekday']);
const ADDRESS_HEADERS = new Set(['from', 'to', 'cc', 'bcc', 'sender', 'resent-from', 'resent-to', 'resent-cc', 'resent-bcc', 'resent-sender', 'reply-to', 'return-path', 'delivered-to', 'envelope-to', 'x-original-to', 'disposition-notification-to', 'errors-to', 'original-recipient', 'mail-followup-to', 'mail-reply-to', 'x-envelope-to', 'x-envelope-from', 'apparently-to']);

const TEST_EXT: Record<string, string | undefined> = {
  envelope: 'envelope',
  body: 'body',
  date: 'date',
  currentdate: 'date',
  string: 'variables',
  hasflag: 'imap4flags',
  mailboxexists: 'mailbox',
  spamtest: 'spamtest',
};

/** A test, with constant :regex keys compiled at once so a bad pattern is reported with its place. */
export function buildTest(sink: ErrorSink, node: TestNode): Test | null {
  const t = buildTestNode(sink, node);
  if (t && 'm' in t && t.m.match.kind === 'regex' && 'keys' in t) {
    for (const k of t.keys) {
      if (k.vars) continue;
      try {
        compileRegex(k.value, t.m.comparator === 'i;ascii-casemap');
      } catch (e) {
        const keyArg = node.args.filter((a) => a.kind === 'strings').pop() ?? node;
        if (!(e instanceof RegexSyntaxError)) throw e;
        sink.error(keyArg, e.code, e.values);
        return null;
      }
    }
  }
  return t;
}

function buildTestNode(sink: ErrorSink, node: TestNode): Test | null {
  const pos = { line: node.line, column: node.column };
  const what = `test "${node.name}"`;
  const ext = TEST_EXT[node.name];
  if (ext && !(sink.has(ext) || (node.name === 'spamtest' && sink.has('spamtestplus')))) {
    sink.error(node, 'test-needs', { name: node.name, capability: ext });
    return null;
  }
  const noTests = () => {
    if (node.tests.length) {
      sink.error(node.tests[0], 'no-tests', { what });
      return false;
    }
    return true;
  };
  const withTags = (tags: Record<string, TagSpec>) => (noTests() ? collect(sink, what, node.args, tags) : null);
  switch (node.name) {
    case 'true':
    case 'false': {
      const c = withTags({});
      if (!c || !positional(sink, what, node, c.positional, [])) return null;
      return { t: node.name, ...pos };
    }
    case 'not': {
      if (node.args.length || node.tests.length !== 1 || node.testList) {
        sink.error(node, 'not-one-test');
        return null;
      }
      const inner = buildTest(sink, node.tests[0]);
      return inner && { t: 'not', test: inner, ...pos };
    }
    case 'allof':
    case 'anyof': {
      if (node.args.length || !node.testList || !node.tests.length) {
        sink.error(node, 'test-list', { name: node.name });
        return null;
      }
      const tests = node.tests.map((t) => buildTest(sink, t));
      if (tests.some((t) => !t)) return null;
      return { t: node.name, tests: tests as Test[], ...pos };
    }
    case 'address':
    case 'envelope': {
      const c = withTags({ ...MATCH_TAGS, ...ADDRESS_PART_TAGS });
      const p = c && positional(sink, what, node, c.positional, ['strings', 'strings']);
      const m = c && matchSpec(sink, c);
      if (!c || !p || !m) return null;
      const names = stringsArg(sink, p[0]);
      for (const n of names) {
        if (n.vars) continue;
        const lower = n.value.toLowerCase();
        if (node.name === 'envelope' && lower !== 'from' && lower !== 'to' && lower !== 'auth') {
          sink.error(p[0]!, 'envelope-part', { value: n.value });
          return null;
        }
        if (node.name === 'address' && !ADDRESS_HEADERS.has(lower)) {
          sink.error(p[0]!, 'not-address-header', { value: n.value });
          return null;
        }
      }
      const keys = stringsArg(sink, p[1]);
      return node.name === 'address'
        ? { t: 'address', part: addressPart(c), headers: names, keys, m, ...pos }
        : { t: 'envelope', part: addressPart(c), parts: names, keys, m, ...pos };
    }
    case 'header': {
      const c = withTags(MATCH_TAGS);
      const p = c && positional(sink, what, node, c.positional, ['strings', 'strings']);
      const m = c && matchSpec(sink, c);
      if (!c || !p || !m) return null;
      return { t: 'header', headers: stringsArg(sink, p[0]), keys: stringsArg(sink, p[1]), m, ...pos };
    }
    case 'exists': {
      const c = withTags({});
      const p = c && positional(sink, what, node, c.positional, ['strings']);
      if (!p) return null;
      return { t: 'exists', headers: stringsArg(sink, p[0]), ...pos };
    }
    case 'size': {
      const c = withTags({ over: { group: 'size' }, under: { group: 'size' } });
      const p = c && positional(sink, what, node, c.positional, ['number']);
      if (!c || !p) return null;
      if (!c.tags.has('over') && !c.tags.has('under')) {
        sink.error(node, 'size-needs');
        return null;
      }
      return { t: 'size', over: c.tags.has('over'), limit: numberArg(p[0]), ...pos };
    }
    case 'body': {
      const c = withTags({ ...MATCH_TAGS, raw: { group: 'transform' }, text: { group: 'transform' }, content: { group: 'transform', arg: 'strings' } });
      const p = c && positional(sink, what, node, c.positional, ['strings']);
      const m = c && matchSpec(sink, c);
      if (!c || !p || !m) return null;
      const transform = c.tags.has('raw') ? { kind: 'raw' as const } : c.tags.has('content') ? { kind: 'content' as const, types: stringsArg(sink, c.tags.get('content')!.arg) } : { kind: 'text' as const };
      return { t: 'body', transform, keys: stringsArg(sink, p[0]), m, ...pos };
    }
    case 'date':
    case 'currentdate': {
      const tags: Record<string, TagSpec> = { ...MATCH_TAGS, zone: { arg: 'string', group: 'zone' } };
      if (node.name === 'date') tags.originalzone = { group: 'zone' };
      const c = withTags(tags);
      const kinds = node.name === 'date' ? (['string', 'string', 'strings'] as const) : (['string', 'strings'] as const);
      const p = c && positional(sink, what, node, c.positional, [...kinds]);
      const m = c && matchSpec(sink, c);
      if (!c || !p || !m) return null;
      const zoneArg = c.tags.get('zone')?.arg;
      const zone: ZoneSpec = c.tags.has('originalzone') ? { kind: 'original' } : zoneArg ? { kind: 'zone', zone: stringArg(sink, zoneArg) } : { kind: 'local' };
      if (zone.kind === 'zone' && !zone.zone.vars && !/^[+-]\d{4}$/.test(zone.zone.value)) {
        sink.error(zoneArg!, 'bad-zone', { value: zone.zone.value });
        return null;
      }
      const partArg = p[p.length - 2];
      const part = stringArg(sink, partArg);
      if (!part.vars && !DATE_PARTS.has(part.value.toLowerCase())) {
        sink.error(partArg!, 'date-part', { value: part.value });
        return null;
      }
      const keys = stringsArg(sink, p[p.length - 1]);
      return node.name === 'date' ? { t: 'date', header: stringArg(sink, p[0]), zone, part, keys, m, ...pos } : { t: 'currentdate', zone, part, keys, m, ...pos };
    }
    case 'string': {
      const c = withTags(MATCH_TAGS);
      const p = c && positional(sink, what, node, c.positional, ['strings', 'strings']);
      const m = c && matchSpec(sink, c);
      if (!c || !p || !m) return null;
      return { t: 'string', sources: stringsArg(sink, p[0]), keys: stringsArg(sink, p[1]), m, ...pos };
    }
    case 'hasflag': {
      const c = withTags(MATCH_TAGS);
      const p = c && positional(sink, what, node, c.positional, ['strings', 'strings'], 1);
      const m = c && matchSpec(sink, c);
      if (!c || !p || !m) return null;
      if (p[0] && !sink.has('variables')) {
        sink.error(p[0], 'hasflag-variables');
        return null;
      }
      return { t: 'hasflag', variables: p[0] ? stringsArg(sink, p[0]) : null, keys: stringsArg(sink, p[1]), m, ...pos };
    }
    case 'mailboxexists': {
      const c = withTags({});
      const p = c && positional(sink, what, node, c.positional, ['strings']);
      if (!p) return null;
      return { t: 'mailboxexists', names: stringsArg(sink, p[0]), ...pos };
    }
    case 'spamtest': {
      const c = withTags({ ...MATCH_TAGS, percent: { ext: 'spamtestplus' } });
      const p = c && positional(sink, what, node, c.positional, ['string']);
      const m = c && matchSpec(sink, c, 'i;ascii-numeric');
      if (!c || !p || !m) return null;
      return { t: 'spamtest', percent: c.tags.has('percent'), keys: stringsArg(sink, p[0]), m, ...pos };
    }
    default:
      sink.error(node, 'unknown-test', { name: node.name });
      return null;
  }
}
