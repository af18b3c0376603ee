// Runs `tegami admin …` as its own process until engine/cli/main.ts registers the command (the CLI's
// argument parsing is being rewritten elsewhere): the same parse, dispatch and exit codes as main.ts.
import { parseArgs, UsageError } from '../../engine/cli/args.js';
import { admin } from '../../engine/cli/commands/admin.js';

try {
  process.exitCode = await admin(parseArgs(process.argv.slice(2)));
} catch (e) {
  process.stderr.write(`tegami admin: ${(e as Error).message}\n`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
}
