// What the hostile-MIME tests over IMAP share: a server with SMTP and IMAP open to a stranger (spam filtering off,
// one user), and a Python script run against it that takes the SMTP port, the IMAP port, the user and the password
// from argv (its line `PY_ARGS` reads them).
import { run, startTestServer, type TestServer } from '../helpers/server.js';

export const strangerServer = (user: string, password: string): Promise<TestServer> =>
  startTestServer({ listeners: ['smtp', 'imap'], toml: '[spam]\nenabled = false', users: [{ address: user, password }] });

export const PY_ARGS = 'smtp_port, imap_port, user, pw = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]';

export const runPython = (s: TestServer, py: string, user: string, password: string, timeoutMs: number) =>
  run('python3', ['-c', py, String(s.ports.smtp), String(s.ports.imap), user, password], { timeoutMs });
