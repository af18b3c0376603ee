// Field checks for values that crossed a thread boundary (worker-messages.ts): each returns the field's value
// when it has the type and bounds asked for, else throws a ShapeError naming its path ("rcptTo.0.kind").
// Paths are built only when a check fails. Never coerces: a number in a string field is an error, not a cast.

export class ShapeError extends Error {
  constructor(
    readonly path: string,
    what: string,
  ) {
    super(`${path || '(top)'}: ${what}`);
  }
}

export type Fields = Record<string, unknown>;

/** "a.b" + "c" → "a.b.c"; the top level is "". */
export const at = (path: string, key: string | number): string => (path ? `${path}.${key}` : String(key));

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function fail(path: string, want: string, v: unknown): never {
  throw new ShapeError(path, `expected ${want}, got ${kind(v)}`);
}

/** An object (not null, not an array): its fields, to check one by one. */
export function object(v: unknown, path: string): Fields {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v);
  return v as Fields;
}

/** A plain object (a record of anything): not an array, a Date or another class's instance. */
export function plainObject(v: unknown, path: string): Fields {
  const o = object(v, path);
  const proto = Object.getPrototypeOf(o) as object | null;
  if (proto !== null && proto !== Object.prototype) fail(path, 'a plain object', v);
  return o;
}

export function array(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, 'an array', v);
  return v;
}

/** An array checked item by item: a hole (a sparse array from another thread) is checked as undefined, never skipped. */
export function items<T>(v: unknown, path: string, item: (x: unknown, path: string) => T): T[] {
  const a = array(v, path);
  const out = new Array<T>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = item(a[i], at(path, i));
  return out;
}

/**
 * A shallow copy of `o` without an own "__proto__" field (JSON.parse and structured clone make one a data
 * field; copied on with Object.assign or `x[k] = v` it would set a prototype instead). The zod schemas these
 * checks replaced dropped it too.
 */
export function copy(o: Fields): Fields {
  const out = { ...o };
  if (Object.hasOwn(out, '__proto__')) delete out['__proto__'];
  return out;
}

export function str(o: Fields, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string') fail(at(path, key), 'a string', v);
  return v;
}

/** A finite number (NaN and ±Infinity refused). */
export function num(o: Fields, key: string, path: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(at(path, key), 'a finite number', v);
  return v;
}

/** A safe integer, at least `min` when given. */
export function int(o: Fields, key: string, path: string, min = -Infinity): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) fail(at(path, key), min === 0 ? 'a non-negative integer' : 'an integer', v);
  return v;
}

export function bool(o: Fields, key: string, path: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') fail(at(path, key), 'a boolean', v);
  return v;
}

/** One of the given strings. */
export function oneOf<T extends string>(o: Fields, key: string, path: string, values: readonly T[]): T {
  const v = o[key];
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) fail(at(path, key), `one of ${values.join(', ')}`, v);
  return v as T;
}

/** An array of strings. */
export function strings(o: Fields, key: string, path: string): string[] {
  const v = array(o[key], at(path, key));
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') fail(at(at(path, key), i), 'a string', v[i]);
  return v as string[];
}

/** An optional field as writers really leave it: absent, undefined or null are all absent (undefined). */
export function absent(o: Fields, key: string): boolean {
  return o[key] === undefined || o[key] === null;
}

/**
 * Copy `o` (fields a newer writer added are kept, an own __proto__ dropped) with each optional field in `keys` that holds null set to
 * undefined, as absent. Checks nothing itself.
 */
export function loose(o: Fields, ...keys: string[]): Fields {
  const out = copy(o);
  for (const k of keys) if (out[k] === null) out[k] = undefined;
  return out;
}

/** The value of `check`, or `fallback` when it throws a ShapeError (a detail that only feeds the log). */
export function orElse<T, F>(check: () => T, fallback: F): T | F {
  try {
    return check();
  } catch (e) {
    if (e instanceof ShapeError) return fallback;
    throw e;
  }
}
