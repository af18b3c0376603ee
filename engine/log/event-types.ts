// The vocabulary of the event catalogue (events.ts): log levels, services, field kinds and the `ev()`
// helper that declares one event so TypeScript infers its fields' types. Nothing here writes anything.
import type { Meter } from '../metrics/definitions.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Services with a daily file of their own (the seed's SYSMMDD.txt, with the year). */
export type Service = 'smtp' | 'delivery' | 'pop3' | 'imap' | 'managesieve' | 'spam' | 'system' | 'web' | 'queue' | 'admin' | 'monitor';
export const SERVICES: readonly Service[] = ['smtp', 'delivery', 'pop3', 'imap', 'managesieve', 'spam', 'system', 'web', 'queue', 'admin', 'monitor'];

/**
 * What a field holds, which decides its TypeScript type and how it is written:
 * - `text` free text (cut at 2000 characters), `word` a short token, `id` a queue or session id,
 *   `ip` a client address, `address` a mail address or a verified account;
 * - `login` a name a client typed at login, unverified: written only when it has the shape of a mail
 *   address, else as `#` and 12 hex digits of an HMAC under a per-process key (a password typed into the
 *   user field never reaches a log);
 * - `secret` never written at all (`[redacted]`);
 * - `int`, `ms`, `number`, `bool`; `list` (strings, written comma-joined); `json` (any value, written as JSON).
 * A trailing `?` makes the field optional.
 */
export type BaseKind = 'text' | 'word' | 'id' | 'ip' | 'address' | 'login' | 'secret' | 'int' | 'ms' | 'number' | 'bool' | 'list' | 'json';
export type FieldKind = BaseKind | `${BaseKind}?`;
export type FieldSpec = Record<string, FieldKind>;

type ValueOf<K extends BaseKind> = K extends 'int' | 'ms' | 'number'
  ? number
  : K extends 'bool'
    ? boolean
    : K extends 'list'
      ? readonly string[] | string
      : K extends 'json'
        ? unknown
        : string;
type Base<K> = K extends `${infer B extends BaseKind}?` ? B : K extends BaseKind ? K : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The fields an event takes, typed from its declaration. */
export type ValuesOf<F extends FieldSpec> = Simplify<
  { [K in keyof F as F[K] extends `${string}?` ? never : K]: ValueOf<Base<F[K]>> } & {
    [K in keyof F as F[K] extends `${string}?` ? K : never]?: ValueOf<Base<F[K]>> | undefined;
  }
>;

export interface EventDef<F extends FieldSpec = FieldSpec> {
  service: Service;
  level: Level;
  fields: F;
  /** The metrics this event feeds; runs for every emission, whatever the log level. */
  metrics?: (f: ValuesOf<F>, m: Meter) => void;
}

/** A catalogue entry as the logger sees it (fields untyped). */
export interface AnyEventDef {
  service: Service;
  level: Level;
  fields: FieldSpec;
  metrics?: (f: Record<string, unknown>, m: Meter) => void;
}

/** Declare one event: its service, level, fields and (optionally) the metrics it feeds. */
export function ev<const F extends FieldSpec>(service: Service, level: Level, fields: F, metrics?: (f: ValuesOf<F>, m: Meter) => void): EventDef<F> {
  return { service, level, fields, metrics };
}

// ---- helpers for metrics functions: label values from fields that may be missing or odd in legacy calls ----

/** Upper-cased string of a field (mechanisms, commands); "other" when absent. */
export function upper(v: unknown): string {
  return typeof v === 'string' && v ? v.toUpperCase() : 'other';
}

/** "2xx"/"4xx"/"5xx" from a reply ("250 2.0.0 Ok") or a code (451). */
export function replyClass(v: unknown): string {
  const m = /^\s*([245])\d\d\b/.exec(String(v ?? ''));
  return m ? `${m[1]}xx` : 'other';
}

/** The enhanced status code in a reply ("550 5.7.1 ..." → "5.7.1"). */
export function enhanced(v: unknown): string {
  return /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(String(v ?? ''))?.[1] ?? 'other';
}

/** A duration field in ms as seconds, or undefined when it is not a finite non-negative number. */
export function seconds(ms: unknown): number | undefined {
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
}
