// tegami serve [--config FILE]: run the server until SIGTERM/SIGINT.
import { flag, type Args } from '../args.js';
import { startServer } from '../../server.js';

export async function serve(args: Args): Promise<number> {
  const server = await startServer({ configPath: flag(args, 'config'), quiet: args.flags.has('quiet') });
  const lines = server.listeners.map((l) => `  ${l.name.padEnd(12)} ${l.host}:${l.port}`);
  process.stderr.write(`tegami ${server.config.hostname}: data in ${server.config.data_dir}\n${lines.join('\n')}\n`);
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      void server.stop().then(resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return 0;
}
