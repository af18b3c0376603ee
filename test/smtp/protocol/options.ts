// The SmtpOptions of a session-layer test (engine/smtp/protocol/types.ts): a server that refuses every login, takes
// every sender and recipient at once and reads each message to its end; a test names only the hooks it watches.
import type { SmtpOptions } from '../../../engine/smtp/protocol/types.js';

const no = async () => ({ code: 535, message: '5.7.8 no' });

export function testOptions(overrides: Partial<SmtpOptions> = {}): SmtpOptions {
  return {
    name: 'mx.example.test',
    secure: false,
    size: 1_000_000,
    authMethods: [],
    authOptional: true,
    authMethodsFor: () => [],
    onSaslStart: () => ({ start: no, respond: no }),
    greetingDelay: 0,
    socketTimeout: 60_000,
    maxLineLength: 16 * 1024,
    closing: () => false,
    onConnect: (_s, done) => done(),
    onSecure: () => {},
    onClose: () => {},
    onMailFrom: (_a, _s, done) => done(),
    onRcptTo: (_a, _s, done) => done(),
    onData: (stream, _s, done) => {
      const drain = async () => {
        for await (const chunk of stream) void chunk;
      };
      drain().then(() => done(null, 'Ok: queued'), (e: Error) => done(e));
    },
    onVrfy: (_a, _s, reply) => reply(252, 'maybe'),
    onError: () => {},
    ...overrides,
  };
}
