// A small argument parser for the CLI: positionals, --flag, --key value, --key=value, anywhere in the line.

export interface Args {
  positional: string[];
  flags: Map<string, string | true>;
  /** Options that may repeat (--target a --target b). */
  multi: Map<string, string[]>;
}

/** Options that take a value; everything else starting with -- is a boolean flag. */
const VALUED = new Set([
  'config', 'password', 'target', 'report-dir', 'domain', 'auth', 'state', 'full-name', 'forward', 'folder', 'user', 'format', 'out',
  'selector', 'bits', 'key-type',
]);

export function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const multi = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
      let value: string | true = true;
      if (eq > 0) value = a.slice(eq + 1);
      else if (VALUED.has(key) && i + 1 < argv.length) value = argv[++i];
      flags.set(key, value);
      if (typeof value === 'string') multi.set(key, [...(multi.get(key) ?? []), value]);
    } else positional.push(a);
  }
  return { positional, flags, multi };
}

export function flag(args: Args, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export class UsageError extends Error {}
