// A loopback port for a server that is down at first and comes up later on the same port. It listens on
// port 0 (so no other process can take it meanwhile): until `up(target)`, every connection is greeted
// "421 down" and closed, which no client takes for a working SMTP server; after it, each new connection is
// forwarded to `target` (the real server, itself on port 0). It never reads or changes the bytes it forwards.
import net from 'node:net';

export interface StandbyPort {
  port: number;
  /** From now on, forward new connections to 127.0.0.1:`target`. */
  up(target: number): void;
  close(): Promise<void>;
}

export async function standbyPort(): Promise<StandbyPort> {
  let target: number | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (target === undefined) {
      client.end('421 4.3.2 down for maintenance\r\n');
      return;
    }
    const remote = net.connect(target, '127.0.0.1');
    sockets.add(remote);
    remote.on('close', () => sockets.delete(remote));
    remote.on('error', () => client.destroy());
    client.on('close', () => remote.destroy());
    remote.on('close', () => client.destroy());
    client.pipe(remote).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    up: (t) => {
      target = t;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
