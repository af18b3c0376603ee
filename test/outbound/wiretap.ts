// A loopback port in front of a lab server that forwards every connection unchanged and notes, per
// connection, what the client sent (plaintext SMTP only) and whether the connection is still open; or,
// while `mode` is 'drop', accepts each connection and closes it at once without a byte (a host that
// goes away before its greeting). It never changes the bytes it forwards.
import net from 'node:net';

export interface TappedConnection {
  /** Bytes the client sent, as text (latin1). */
  sent: string;
  open: boolean;
}

export interface Wiretap {
  port: number;
  connections: TappedConnection[];
  /** Connections accepted and closed at once while `mode` was 'drop'. */
  dropped: number;
  mode: 'forward' | 'drop';
  close(): Promise<void>;
}

export async function wiretap(target: number, mode: Wiretap['mode'] = 'forward'): Promise<Wiretap> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };
  const tap: Wiretap = {
    port: 0,
    connections: [],
    dropped: 0,
    mode,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  const server = net.createServer((client) => {
    track(client);
    if (tap.mode === 'drop') {
      tap.dropped++;
      client.destroy();
      return;
    }
    const conn: TappedConnection = { sent: '', open: true };
    tap.connections.push(conn);
    const remote = net.connect(target, '127.0.0.1');
    track(remote);
    client.on('data', (d: Buffer) => (conn.sent += d.toString('latin1')));
    client.on('close', () => {
      conn.open = false;
      remote.destroy();
    });
    remote.on('close', () => client.destroy());
    client.pipe(remote).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  tap.port = (server.address() as net.AddressInfo).port;
  return tap;
}
