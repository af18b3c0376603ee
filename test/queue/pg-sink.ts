// A remote MTA for the multi-node queue tests: an smtp-server on loopback that records each accepted message
// with the EHLO name of the node that sent it (a node's hostname), counts transactions in progress per
// recipient domain (from the first RCPT to the reply to DATA) and their maximum, and lets the test decide when
// and whether each DATA is answered. It never relays anything.
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface Accepted {
  /** The test's message id (X-Test-Id header). */
  testId: string;
  rcpt: string[];
  node: string;
}

/** What to do with a DATA once its bytes are in: 'accept' → 250, or a promise to wait on first. */
export type Decide = (node: string, testId: string) => 'accept' | Promise<'accept' | 'drop'>;

export interface QueueSink {
  port: number;
  accepted: Accepted[];
  /** The most transactions in progress at once per domain. */
  maxConcurrent: Map<string, number>;
  decide: Decide;
  /** Sessions connected now. */
  open: number;
  close(): Promise<void>;
}

export async function startQueueSink(): Promise<QueueSink> {
  const now = new Map<string, number>();
  const inTx = new Map<string, Set<string>>(); // session id → domains it counts in
  const closed = new Set<string>();
  const sink: QueueSink = { port: 0, accepted: [], maxConcurrent: new Map(), decide: () => 'accept', open: 0, close: async () => undefined };
  const leave = (s: SMTPServerSession) => {
    for (const d of inTx.get(s.id) ?? []) now.set(d, (now.get(d) ?? 1) - 1);
    inTx.delete(s.id);
  };
  const server = new SMTPServer({
    disableReverseLookup: true,
    hideSTARTTLS: true,
    authOptional: true,
    disabledCommands: ['AUTH'],
    logger: false,
    socketTimeout: 60_000,
    onConnect(_s, cb) {
      sink.open++;
      cb();
    },
    onMailFrom(_a, s, cb) {
      leave(s);
      cb();
    },
    onRcptTo(a, s, cb) {
      const d = a.address.slice(a.address.lastIndexOf('@') + 1).toLowerCase();
      const set = inTx.get(s.id) ?? new Set<string>();
      if (!set.has(d)) {
        set.add(d);
        const n = (now.get(d) ?? 0) + 1;
        now.set(d, n);
        sink.maxConcurrent.set(d, Math.max(sink.maxConcurrent.get(d) ?? 0, n));
      }
      inTx.set(s.id, set);
      cb();
    },
    onData(stream, s, cb) {
      const parts: Buffer[] = [];
      stream.on('data', (b: Buffer) => parts.push(b));
      stream.on('end', () => {
        const raw = Buffer.concat(parts).toString('latin1');
        const testId = /^X-Test-Id: (\S+)/im.exec(raw)?.[1] ?? '?';
        const node = s.hostNameAppearsAs;
        const dropped = () => cb(Object.assign(new Error('4.3.0 dropped by the test'), { responseCode: 451 }));
        Promise.resolve(sink.decide(node, testId)).then(
          (what) => {
            leave(s);
            if (what === 'drop' || closed.has(s.id)) return dropped();
            sink.accepted.push({ testId, rcpt: s.envelope.rcptTo.map((r) => r.address), node });
            cb(null, 'queued');
          },
          () => dropped(),
        );
      });
    },
    onClose(s) {
      sink.open--;
      closed.add(s.id);
      leave(s);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.port = (server.server.address() as { port: number }).port;
  sink.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return sink;
}
