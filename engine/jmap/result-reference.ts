// Back-references between method calls of one request (RFC 8620 §3.7): "#ids": { resultOf, name, path } takes the
// value a JSON Pointer (RFC 6901, plus "*" to map over an array and flatten) selects in an earlier response.
// Pure: it reads earlier responses and never changes them.
import { isObject } from './args.js';

export type Invocation = [string, Record<string, unknown>, string];

export interface ResultReference {
  resultOf: string;
  name: string;
  path: string;
}

export function isResultReference(v: unknown): v is ResultReference {
  return isObject(v) && typeof v.resultOf === 'string' && typeof v.name === 'string' && typeof v.path === 'string' && Object.keys(v).length === 3;
}

/** Evaluate a pointer; undefined when it does not resolve. */
export function evaluatePointer(doc: unknown, path: string): unknown {
  if (path === '') return doc;
  if (!path.startsWith('/')) return undefined;
  const tokens = path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  return walk(doc, tokens, 0);
}

const NOT_FOUND = undefined;

function walk(value: unknown, tokens: string[], i: number): unknown {
  if (i === tokens.length) return value;
  const t = tokens[i];
  if (Array.isArray(value)) {
    if (t === '*') {
      const out: unknown[] = [];
      for (const item of value) {
        const r = walk(item, tokens, i + 1);
        if (r === NOT_FOUND) return NOT_FOUND;
        if (Array.isArray(r)) out.push(...r);
        else out.push(r);
      }
      return out;
    }
    if (!/^(0|[1-9][0-9]*)$/.test(t)) return NOT_FOUND;
    const n = Number(t);
    return n < value.length ? walk(value[n], tokens, i + 1) : NOT_FOUND;
  }
  if (isObject(value) && Object.prototype.hasOwnProperty.call(value, t)) return walk(value[t], tokens, i + 1);
  return NOT_FOUND;
}

/**
 * Replace every "#name" argument by the value its reference selects. Returns the resolved arguments, or an
 * error: 'invalidArguments' when an argument is given both ways, 'invalidResultReference' when one fails.
 */
export function resolveReferences(
  args: Record<string, unknown>,
  responses: readonly Invocation[],
): { ok: true; args: Record<string, unknown> } | { ok: false; type: 'invalidArguments' | 'invalidResultReference'; description: string } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (!k.startsWith('#')) {
      out[k] = v;
      continue;
    }
    const name = k.slice(1);
    if (Object.prototype.hasOwnProperty.call(args, name)) return { ok: false, type: 'invalidArguments', description: `${name} is given both directly and as a reference` };
    if (!isResultReference(v)) return { ok: false, type: 'invalidResultReference', description: `${k} is not a ResultReference` };
    const source = responses.find((r) => r[2] === v.resultOf);
    if (!source) return { ok: false, type: 'invalidResultReference', description: `no earlier response for call id ${JSON.stringify(v.resultOf)}` };
    if (source[0] !== v.name) return { ok: false, type: 'invalidResultReference', description: `the response to ${JSON.stringify(v.resultOf)} is ${source[0]}, not ${v.name}` };
    const value = evaluatePointer(source[1], v.path);
    if (value === undefined) return { ok: false, type: 'invalidResultReference', description: `path ${JSON.stringify(v.path)} does not resolve` };
    out[name] = value;
  }
  return { ok: true, args: out };
}
