// The validated form of a Sieve script that the interpreter runs: every command and test typed, tags resolved,
// comparators and match types checked, strings marked where variables may expand. Pure types, no behaviour.
import type { Pos } from './lexer.js';

/** A string argument; `vars` when the variables extension is on and the text contains "${". */
export interface Str {
  value: string;
  vars: boolean;
}

export type Relation = 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'ne';
export type Comparator = 'i;octet' | 'i;ascii-casemap' | 'i;unicode-casemap' | 'i;ascii-numeric';

export type MatchType =
  | { kind: 'is' | 'contains' | 'matches' | 'regex' }
  | { kind: 'count' | 'value'; rel: Relation };

export interface MatchSpec {
  comparator: Comparator;
  match: MatchType;
}

export type AddressPart = 'all' | 'localpart' | 'domain' | 'user' | 'detail';
export type BodyTransform = { kind: 'raw' } | { kind: 'text' } | { kind: 'content'; types: Str[] };
export type ZoneSpec = { kind: 'local' } | { kind: 'zone'; zone: Str } | { kind: 'original' };

export type Test = Pos &
  (
    | { t: 'true' }
    | { t: 'false' }
    | { t: 'not'; test: Test }
    | { t: 'allof' | 'anyof'; tests: Test[] }
    | { t: 'address'; part: AddressPart; headers: Str[]; keys: Str[]; m: MatchSpec }
    | { t: 'envelope'; part: AddressPart; parts: Str[]; keys: Str[]; m: MatchSpec }
    | { t: 'header'; headers: Str[]; keys: Str[]; m: MatchSpec }
    | { t: 'exists'; headers: Str[] }
    | { t: 'size'; over: boolean; limit: number }
    | { t: 'body'; transform: BodyTransform; keys: Str[]; m: MatchSpec }
    | { t: 'date'; header: Str; zone: ZoneSpec; part: Str; keys: Str[]; m: MatchSpec }
    | { t: 'currentdate'; zone: ZoneSpec; part: Str; keys: Str[]; m: MatchSpec }
    | { t: 'string'; sources: Str[]; keys: Str[]; m: MatchSpec }
    | { t: 'hasflag'; variables: Str[] | null; keys: Str[]; m: MatchSpec }
    | { t: 'mailboxexists'; names: Str[] }
    | { t: 'spamtest'; percent: boolean; keys: Str[]; m: MatchSpec }
  );

export interface VacationCommand {
  c: 'vacation';
  seconds: number | null;
  subject: Str | null;
  from: Str | null;
  addresses: Str[];
  mime: boolean;
  handle: Str | null;
  reason: Str;
}

export type Command = Pos &
  (
    | { c: 'if'; branches: { test: Test; block: Command[] }[]; otherwise: Command[] | null }
    | { c: 'stop' }
    | { c: 'keep'; flags: Str[] | null }
    | { c: 'discard' }
    | { c: 'fileinto'; mailbox: Str; copy: boolean; create: boolean; flags: Str[] | null }
    | { c: 'redirect'; address: Str; copy: boolean }
    | { c: 'reject'; reason: Str; extended: boolean }
    | { c: 'flag'; op: 'set' | 'add' | 'remove'; variable: Str | null; flags: Str[] }
    | { c: 'set'; name: string; value: Str; modifiers: string[] }
    | VacationCommand
    | { c: 'include'; personal: boolean; once: boolean; optional: boolean; name: Str }
    | { c: 'return' }
    | { c: 'global'; names: Str[] }
    | { c: 'addheader'; last: boolean; name: Str; value: Str }
    | { c: 'deleteheader'; index: number | null; last: boolean; m: MatchSpec; name: Str; values: Str[] | null }
  );

export interface Script {
  /** Capabilities named in require. */
  capabilities: Set<string>;
  commands: Command[];
}
