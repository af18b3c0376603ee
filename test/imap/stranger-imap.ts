// What the hostile-MIME tests over IMAP share: a server with SMTP and IMAP open to a stranger (spam filtering off,
// one mailbox per scenario), and a Python script run against it that takes the SMTP port, the IMAP port, the user
// and the password from argv (its line `PY_ARGS` reads them), logs in and waits for its mail (`pyLoginAndWait`).
import { run, startTestServer, type TestServer } from '../helpers/server.js';

export const strangersServer = (users: { address: string; password: string }[]): Promise<TestServer> =>
  startTestServer({ listeners: ['smtp', 'imap'], toml: '[spam]\nenabled = false', users });

export const strangerServer = (user: string, password: string): Promise<TestServer> => strangersServer([{ address: user, password }]);

export const PY_ARGS = 'smtp_port, imap_port, user, pw = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]';

/** Python lines: `c`, an imaplib connection logged in as the user, INBOX selected once it holds `messages` (within 120 s). */
export const pyLoginAndWait = (messages: number, timeoutS = 120): string[] => [
  `c = imaplib.IMAP4("127.0.0.1", imap_port, timeout=${timeoutS}); c.login(user, pw)`,
  'deadline = time.time() + 120',
  `while int(c.select("INBOX")[1][0]) < ${messages} and time.time() < deadline: time.sleep(0.3)`,
];

export const runPython = (s: TestServer, py: string, user: string, password: string, timeoutMs: number) =>
  run('python3', ['-c', py, String(s.ports.smtp), String(s.ports.imap), user, password], { timeoutMs });
