// The floor for bench:sessions: smtp-server as its README shows it (no hooks beyond accepting, no TLS, no
// logger), in a process of its own on a loopback port, so an idle session's cost can be compared with tegami's.
// usage: node dist/bench/bare-smtp.js PORTFILE   (writes the port it listens on to PORTFILE)
import fs from 'node:fs';
import { SMTPServer } from 'smtp-server';

const server = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], logger: false, maxClients: 100_000 });
server.on('error', () => undefined);
server.listen(0, '127.0.0.1', () => {
  const a = server.server.address();
  fs.writeFileSync(process.argv[2], String(typeof a === 'object' && a ? a.port : 0));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
