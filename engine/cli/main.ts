// The `tegami` command: one dispatcher, one module per command group under commands/, options declared in
// spec.ts and parsed strictly. Exit 0 on success (and for --help); 1 with a one-line reason on failure;
// 2 on bad usage (unknown command or option, missing value), naming what is valid.
import { parseStrict, Refusal, scanPositionals, UsageError } from './args.js';
import { COMMANDS, GLOBAL, optionsFor, USAGE } from './spec.js';
import { ConfigError } from '../config/load.js';
import { AccountError } from '../accounts/sqlite-directory.js';

export { USAGE };

/** Everything tegami writes is private to its user, whatever umask it was started with (issue #9). */
export const PRIVATE_UMASK = 0o077;

export async function run(argv: string[]): Promise<number> {
  const words = scanPositionals(argv, GLOBAL);
  const name = words[0]?.value;
  // every command that touches the data dir; not the lab, which writes files for other servers (a private
  // Postfix reads its config as another user) and starts tegami as a command of its own
  if (name !== 'lab') process.umask(PRIVATE_UMASK);
  // `tegami user list | head`: the reader went away after its lines, so end quietly as Unix tools do rather than
  // with an EPIPE stack trace (every command writes its output after its work; serve's stdout is its log: kept)
  if (name !== 'serve') {
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      process.exit(0);
    });
  }
  if (name === undefined || name === 'help') {
    const topic = name === 'help' ? words[1]?.value : undefined;
    if (topic === 'list') return (await import('./commands/list.js')).list(['list', '--help']);
    if (topic !== undefined && Object.hasOwn(COMMANDS, topic)) {
      process.stdout.write(usageOf(topic));
      return 0;
    }
    if (topic !== undefined) {
      process.stderr.write(`tegami help: unknown command "${topic}"\n${USAGE}\n`);
      return 2;
    }
    // `tegami`, alone, is a usage error; `tegami help` and `tegami --help` are questions
    const asked = name === 'help' || argv.includes('--help') || argv.includes('-h');
    // options without a command (`tegami --version`): say so rather than print the usage without a reason
    if (!asked && argv.length) process.stderr.write(`tegami: no command given (${argv.join(' ')} is not one)\n`);
    (asked ? process.stdout : process.stderr).write(USAGE + '\n');
    return asked ? 0 : 2;
  }
  // mailing lists parse their own options per subcommand (node:util parseArgs, strict), see commands/list.ts
  if (name === 'list') return (await import('./commands/list.js')).list(argv);
  if (!Object.hasOwn(COMMANDS, name)) {
    process.stderr.write(`tegami: unknown command "${name}"\n${USAGE}\n`);
    return 2;
  }
  const spec = COMMANDS[name];
  const rest = argv.filter((_, i) => i !== words[0].index);
  const sub = spec.subs ? scanPositionals(rest, optionsFor(spec, undefined))[0]?.value : undefined;
  try {
    const args = parseStrict(rest, optionsFor(spec, sub));
    if (args.flags.has('help')) {
      process.stdout.write(usageOf(name));
      return 0;
    }
    const cmd = await spec.load();
    return await cmd(args);
  } catch (e) {
    if (e instanceof UsageError) {
      const what = sub && spec.subs && Object.hasOwn(spec.subs, sub) ? `${name} ${sub}` : name;
      process.stderr.write(`tegami ${what}: ${e.message}\n(tegami ${name} --help shows the usage)\n`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof AccountError || e instanceof Refusal) {
      process.stderr.write(`tegami ${name}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`tegami ${name}: ${(e as Error).message}\n`);
    if (process.env.TEGAMI_DEBUG) process.stderr.write(String((e as Error).stack) + '\n');
    return 1;
  }
}

function usageOf(name: string): string {
  return `usage:\n${COMMANDS[name].usage.split('\n').map((l) => `  ${l}\n`).join('')}`;
}
