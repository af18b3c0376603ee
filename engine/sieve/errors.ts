// The catalogue of Sieve syntax errors: a code per kind of error, its values, and the English text ManageSieve
// (RFC 5804) and the CLI show, rendered here. The web pages translate the code and values instead (sieve.* in
// engine/web/i18n); never compose a message from anything but this table, so both stay in step.
import type { Pos, SieveError } from './lexer.js';

export const SIEVE_ERROR_TEXT = {
  // lexer
  'too-many-tokens': 'script has too many tokens',
  'unterminated-comment': 'unterminated comment',
  'unterminated-string': 'unterminated string',
  'tag-name': 'expected a tag name after ":"',
  'bad-number': 'invalid number',
  'number-too-large': 'number too large',
  'unexpected-char': 'unexpected character {{char}}',
  'text-line-break': 'expected a line break after "text:"',
  'text-unterminated': 'unterminated multi-line string (no "." line)',
  // parser
  expected: 'expected {{expected}} but found {{found}}',
  'missing-brace': 'missing "}" at end of script',
  'unexpected-brace': 'unexpected "}"',
  'expected-command': 'expected a command but found {{found}}',
  'blocks-too-deep': 'blocks nested deeper than {{max}}',
  'expected-end': 'expected ";" or "{" after command "{{name}}" but found {{found}}',
  'expected-list-string': 'expected a string in the list but found {{found}}',
  'tests-too-deep': 'tests nested deeper than {{max}}',
  'expected-test': 'expected a test but found {{found}}',
  // commands
  'require-first': 'require must come before any other command',
  'require-args': 'require takes one string or string list',
  'unknown-capability': 'unknown Sieve capability "{{name}}"',
  'else-without-if': '"{{name}}" without a preceding "if"',
  'else-block': '"else" takes only a block',
  'require-top': 'require is only allowed at the top of the script',
  'if-form': '"{{name}}" takes one test and a block',
  'command-needs': '{{what}} needs require {{capabilities}}',
  'no-block': '{{what}} takes no block',
  'no-test': '{{what}} takes no test',
  'bad-mailbox': 'invalid mailbox name "{{value}}"',
  'bad-redirect': 'invalid redirect address "{{value}}"',
  'variable-needs-require': 'a variable name in {{name}} needs require "variables"',
  'set-modifiers': 'set: two modifiers of the same precedence (e.g. :lower and :upper)',
  'bad-vacation-from': 'invalid :from address "{{value}}" for vacation',
  'bad-script-name': 'invalid script name "{{value}}"',
  'bad-field-name': 'invalid header field name "{{value}}"',
  'field-and-patterns': '{{what}} takes a field name and optional value patterns',
  'last-needs-index': 'deleteheader: ":last" needs ":index"',
  'unknown-command': 'unknown command "{{name}}"',
  'bad-variable-name': 'invalid variable name "{{value}}"',
  // arguments
  'unknown-tag': 'unknown tagged argument ":{{tag}}" for {{what}}',
  'tag-order': 'tagged argument ":{{tag}}" must come before the positional arguments of {{what}}',
  'tag-needs': '":{{tag}}" needs require "{{capability}}"',
  'tag-twice': '":{{tag}}" given twice for {{what}}',
  'tag-conflict': '":{{tag}}" conflicts with ":{{other}}" in {{what}}',
  'tag-argument': '":{{tag}}" needs {{kind}} after it',
  'argument-count': '{{what}} takes {{expected}} positional argument(s), found {{found}}',
  'argument-range': '{{what}} takes {{min}} to {{max}} positional argument(s), found {{found}}',
  'argument-kind': '{{what}}: argument {{index}} must be {{kind}}',
  'unknown-comparator': 'unknown comparator "{{name}}"',
  'comparator-needs': 'comparator "{{name}}" needs require "{{capability}}"',
  'regex-comparator': ':regex cannot be used with comparator "{{name}}"',
  'numeric-match': 'comparator "i;ascii-numeric" supports only :is, :count and :value',
  'unknown-relation': 'unknown relational match "{{name}}" (gt, ge, lt, le, eq, ne)',
  // tests
  'test-needs': 'test "{{name}}" needs require "{{capability}}"',
  'no-tests': '{{what}} takes no tests',
  'not-one-test': 'test "not" takes exactly one test',
  'test-list': 'test "{{name}}" takes a list of tests in parentheses',
  'envelope-part': 'envelope part "{{value}}" is not supported (from, to, auth)',
  'not-address-header': 'header "{{value}}" is not an address header for the address test',
  'size-needs': 'test "size" needs :over or :under',
  'bad-zone': 'time zone "{{value}}" must be +hhmm or -hhmm',
  'date-part': 'unknown date part "{{value}}"',
  'hasflag-variables': 'a variable list in hasflag needs require "variables"',
  'unknown-test': 'unknown test "{{name}}"',
  // :regex keys (engine/sieve/regex.ts)
  'regex-too-deep': 'regex: groups nested too deep at offset {{offset}}',
  'regex-repeat-count': 'regex: bad repetition count at offset {{offset}}',
  'regex-missing-paren': 'regex: missing ) at offset {{offset}}',
  'regex-trailing-backslash': 'regex: trailing backslash at offset {{offset}}',
  'regex-backreference': 'regex: backreferences are not supported at offset {{offset}}',
  'regex-nothing-to-repeat': 'regex: nothing to repeat before "{{char}}" at offset {{offset}}',
  'regex-missing-bracket': 'regex: missing ] at offset {{offset}}',
  'regex-class': 'regex: unknown character class at offset {{offset}}',
  'regex-range': 'regex: bad range at offset {{offset}}',
  'regex-unbalanced': 'regex: unbalanced ) at offset {{offset}}',
  'regex-too-large': 'regex: pattern too large',
  // the whole script
  'script-too-big': 'script is {{bytes}} bytes, over the limit of {{max}}',
} as const;

export type SieveErrorCode = keyof typeof SIEVE_ERROR_TEXT;
export type SieveErrorValues = Record<string, string | number>;

/** The English text of a code with its values ({{name}} replaced; a missing value is left as it is). */
export function sieveErrorText(code: SieveErrorCode, values: SieveErrorValues = {}): string {
  return SIEVE_ERROR_TEXT[code].replace(/\{\{(\w+)\}\}/g, (m, k: string) => (Object.hasOwn(values, k) ? String(values[k]) : m));
}

/** An error at a place: the code and values for a translation, the English message for everyone else. */
export function sieveError(pos: Pos, code: SieveErrorCode, values: SieveErrorValues = {}): SieveError {
  return { line: pos.line, column: pos.column, code, values, message: sieveErrorText(code, values) };
}
