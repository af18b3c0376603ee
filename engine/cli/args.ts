// Strict argument parsing for the CLI (node:util parseArgs underneath): positionals and --options anywhere
// in the line, --key value or --key=value, "--" ends the options. Every option must be declared for the
// command: an unknown one, a missing value or a value given to a switch is a UsageError (exit 2) naming the
// valid options. It never guesses: a typo such as --disable for --disabled is refused, not ignored.
import { parseArgs as nodeParseArgs } from 'node:util';

export interface Args {
  positional: string[];
  flags: Map<string, string | true>;
  /** Options that may repeat (--target a --target b). */
  multi: Map<string, string[]>;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** May be given more than once (every value kept in Args.multi). */
  multiple?: boolean;
  /** What the value is, for usage and error messages ("FILE", "N"). */
  value?: string;
  /** A switch that also accepts --name=VALUE, the value becoming a positional (spam learn --spam=DIR). */
  inlinePositional?: boolean;
}

export type Options = Record<string, OptionSpec>;

export class UsageError extends Error {}

/**
 * A well-formed request the data refuses (no such domain, the file exists, the list is missing): exit 1, as every
 * refusal; UsageError (exit 2) is only for the shape of the command line and the form of its values.
 */
export class Refusal extends Error {}

export function flag(args: Args, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** "--name VALUE" or "--name", for messages. */
export function describeOption(name: string, o: OptionSpec): string {
  return o.type === 'string' ? `--${name} ${o.value ?? 'VALUE'}` : `--${name}`;
}

function validList(options: Options): string {
  return Object.entries(options)
    .filter(([n]) => n !== 'help')
    .map(([n, o]) => describeOption(n, o))
    .join(', ');
}

/** --name=VALUE of a switch that allows it: --name, with VALUE kept aside as a positional. */
function splitInline(argv: string[], options: Options): { args: string[]; extra: string[] } {
  const args: string[] = [];
  const extra: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 2 && options[a.slice(2, eq)]?.inlinePositional) {
      args.push(a.slice(0, eq));
      extra.push(a.slice(eq + 1));
    } else args.push(a);
  }
  return { args, extra };
}

/**
 * Parse without refusing anything: used only to find the command and subcommand words before the strict
 * parse (values of declared string options are not mistaken for them).
 */
export function scanPositionals(argv: string[], options: Options): { value: string; index: number }[] {
  const { tokens } = nodeParseArgs({ args: argv, options: toNode(options), strict: false, allowPositionals: true, tokens: true });
  return tokens.filter((t) => t.kind === 'positional').map((t) => ({ value: t.value, index: t.index }));
}

function toNode(options: Options): Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> {
  const o: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [n, s] of Object.entries(options)) o[n] = s.multiple ? { type: s.type, multiple: true } : { type: s.type };
  return o;
}

/** Parse argv against the declared options; throws UsageError for anything not declared or malformed. */
export function parseStrict(argv: string[], options: Options): Args {
  const { args, extra } = splitInline(argv, options);
  const { tokens } = nodeParseArgs({ args, options: toNode(options), strict: false, allowPositionals: true, tokens: true });
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const multi = new Map<string, string[]>();
  const valid = () => `valid options: ${validList(options)}`;
  for (const t of tokens) {
    if (t.kind === 'positional') positional.push(t.value);
    if (t.kind !== 'option') continue;
    const name = t.name === 'h' && t.rawName === '-h' ? 'help' : t.name;
    const spec = Object.hasOwn(options, name) ? options[name] : undefined;
    if (!spec) throw new UsageError(`unknown option ${t.rawName}; ${valid()}`);
    if (spec.type === 'boolean') {
      if (t.inlineValue) throw new UsageError(`${t.rawName} takes no value (${t.rawName}=${t.value ?? ''} given)`);
      flags.set(name, true);
      continue;
    }
    const value = t.value;
    if (value === undefined || (!t.inlineValue && value.startsWith('--'))) {
      throw new UsageError(`${t.rawName} needs a value (${describeOption(name, spec)}; a value starting with "-" is given as ${t.rawName}=VALUE)`);
    }
    flags.set(name, value);
    // (a repeated single option: the last one counts, as it always did)
    multi.set(name, spec.multiple ? [...(multi.get(name) ?? []), value] : [value]);
  }
  positional.push(...extra);
  return { positional, flags, multi };
}
