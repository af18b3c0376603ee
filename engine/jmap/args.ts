// Reading a method's arguments as RFC 8620 types (Id, UnsignedInt, UTCDate, String[Boolean]...): each reader
// checks what it reads and throws invalidArguments naming the argument, and an argument nobody read is refused
// too, so a misspelt argument is an error rather than silently ignored. It never touches data.
import { invalidArguments } from './errors.js';

const ID = /^[A-Za-z0-9_-]{1,255}$/;
const UTC_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
export const MAX_UINT = 2 ** 53 - 1;

export const isId = (v: unknown): v is string => typeof v === 'string' && ID.test(v);

export function isUtcDate(v: unknown): v is string {
  return typeof v === 'string' && UTC_DATE.test(v) && Number.isFinite(Date.parse(v));
}

export function isDate(v: unknown): v is string {
  return typeof v === 'string' && DATE.test(v) && Number.isFinite(Date.parse(v));
}

export const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_UINT;
export const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= MAX_UINT;
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** ms since the epoch → "2025-07-01T01:52:37Z" (UTCDate, whole seconds). */
export function utcDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** ms and a zone offset in minutes → "2025-07-01T10:52:37+09:00" (Date). */
export function zonedDate(ms: number, offset: number): string {
  const local = new Date(Math.floor(ms / 1000) * 1000 + offset * 60_000).toISOString().slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export class Args {
  private readonly read = new Set<string>();

  constructor(private readonly a: Record<string, unknown>) {}

  /** Every argument as given (Core/echo). */
  all(): Record<string, unknown> {
    for (const k of Object.keys(this.a)) this.read.add(k);
    return { ...this.a };
  }

  has(name: string): boolean {
    return this.a[name] !== undefined;
  }

  raw(name: string): unknown {
    this.read.add(name);
    return this.a[name];
  }

  /** The account id argument (required). */
  accountId(): string {
    const v = this.raw('accountId');
    if (!isId(v)) throw invalidArguments('accountId must be an Id');
    return v;
  }

  id(name: string): string;
  id(name: string, optional: true): string | null;
  id(name: string, optional = false): string | null {
    const v = this.raw(name);
    if ((v === undefined || v === null) && optional) return null;
    if (!isId(v)) throw invalidArguments(`${name} must be an Id`);
    return v;
  }

  /** Id[] or null (null/absent → null). */
  ids(name: string, max?: number): string[] | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v) || !v.every(isId)) throw invalidArguments(`${name} must be an array of Ids`);
    if (max !== undefined && v.length > max) throw invalidArguments(`${name} has more than ${max} ids`);
    return [...new Set(v as string[])];
  }

  bool(name: string, dflt: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') throw invalidArguments(`${name} must be a Boolean`);
    return v;
  }

  uint(name: string): number | null;
  uint(name: string, dflt: number): number;
  uint(name: string, dflt: number | null = null): number | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return dflt;
    if (!isUint(v)) throw invalidArguments(`${name} must be an UnsignedInt`);
    return v;
  }

  int(name: string, dflt: number): number {
    const v = this.raw(name);
    if (v === undefined || v === null) return dflt;
    if (!isInt(v)) throw invalidArguments(`${name} must be an Int`);
    return v;
  }

  string(name: string): string;
  string(name: string, optional: true): string | null;
  string(name: string, optional = false): string | null {
    const v = this.raw(name);
    if ((v === undefined || v === null) && optional) return null;
    if (typeof v !== 'string') throw invalidArguments(`${name} must be a String`);
    return v;
  }

  strings(name: string): string[] | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalidArguments(`${name} must be an array of Strings`);
    return v as string[];
  }

  object(name: string): Record<string, unknown> | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    if (!isObject(v)) throw invalidArguments(`${name} must be an object`);
    return v;
  }

  /** After reading: an argument the method does not know is an error. */
  done(): void {
    for (const k of Object.keys(this.a)) if (!this.read.has(k)) throw invalidArguments(`unknown argument ${k}`);
  }
}
