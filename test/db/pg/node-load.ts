// Load and inventory for the multi-node test (serve-nodes.test.ts), with clients we did not write: Python's
// smtplib sends a planned list of messages spread over several `tegami serve` nodes and reports each reply as
// it comes (so the test can act at a chosen moment); imaplib lists what a mailbox holds (UIDs, receiving node).
// It only records what the servers answered; deciding what that means is the test's job.
import { spawn } from 'node:child_process';
import { run, type TestServer } from '../../helpers/server.js';
import { seeded } from '../../../lab/corpora/seeded.js';
export { seeded };


/** The Japanese text every message carries, in the charset its id names. */
export const CHARSETS = ['utf-8', 'iso-2022-jp', 'shift_jis', 'euc-jp'] as const;

export interface Planned {
  /** X-Test-Id: unique; its last field is the charset index. */
  id: string;
  node: number;
  rcpt: string;
}

/** What one message got: the RCPT reply and, if RCPT was accepted, the reply to the final dot; or a broken connection. */
export interface Sent extends Planned {
  rcptCode?: number;
  data?: number;
  msg?: string;
  err?: string;
}

const SENDER = `
import smtplib, sys, json
plan = json.load(sys.stdin)
TEXT = 'こんにちは、三台のノードから届きました。\\r\\n'
conns = {}
def conn(n):
    c = conns.get(n)
    if c is None:
        h, p = plan['nodes'][n]
        c = smtplib.SMTP(h, p, local_hostname='client.example.net', timeout=30)
        c.ehlo('client.example.net')
        conns[n] = c
    return c
for mid, n, rcpt in plan['messages']:
    out = {'id': mid, 'node': n, 'rcpt': rcpt}
    try:
        c = conn(n)
        code, msg = c.mail('sender@example.net')
        if code != 250:
            out['rcptCode'] = code; out['msg'] = msg.decode(); c.rset()
        else:
            code, msg = c.rcpt(rcpt)
            out['rcptCode'] = code
            if code != 250:
                out['msg'] = msg.decode(); c.rset()
            else:
                cs = ${JSON.stringify(CHARSETS)}[int(mid.rsplit('-', 1)[1])]
                head = 'From: sender@example.net\\r\\nTo: %s\\r\\nSubject: %s\\r\\nX-Test-Id: %s\\r\\nMIME-Version: 1.0\\r\\nContent-Type: text/plain; charset=%s\\r\\nContent-Transfer-Encoding: %s\\r\\n\\r\\n' % (rcpt, mid, mid, cs, '7bit' if cs == 'iso-2022-jp' else '8bit')
                code, msg = c.data(head.encode('ascii') + TEXT.encode(cs))
                out['data'] = code; out['msg'] = msg.decode()
    except Exception as e:
        out['err'] = repr(e)
        old = conns.pop(n, None)
        if old is not None:
            try: old.close()
            except Exception: pass
    print(json.dumps(out), flush=True)
for c in conns.values():
    try: c.quit()
    except Exception: pass
`;

export interface Load {
  /** Every reply so far, in the order they came. */
  sent: Sent[];
  done: Promise<void>;
}

/** Start one smtplib sender per plan; each sends its messages one after another, over one connection per node. */
export function sendLoad(nodes: TestServer[], plans: Planned[][]): Load {
  const sent: Sent[] = [];
  const addr = nodes.map((n) => [n.host, n.ports.smtp]);
  const done = plans.map(
    (messages) =>
      new Promise<void>((resolve, reject) => {
        const p = spawn('python3', ['-c', SENDER], { stdio: ['pipe', 'pipe', 'pipe'] });
        let buf = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => {
          buf += d.toString('utf8');
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            sent.push(JSON.parse(buf.slice(0, nl)) as Sent);
            buf = buf.slice(nl + 1);
          }
        });
        p.stderr.on('data', (d) => (err += d));
        p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`smtplib sender exited ${code}: ${err}`))));
        p.stdin.end(JSON.stringify({ nodes: addr, messages: messages.map((m) => [m.id, m.node, m.rcpt]) }));
      }),
  );
  return { sent, done: Promise.all(done).then(() => undefined) };
}

/** One message found in a mailbox: its folder, sequence number and UID, X-Test-Id, the node that received it. */
export interface Found {
  folder: string;
  seq: number;
  uid: number;
  id: string;
  by: string;
  /** The body holds the Japanese text in the charset its id names. */
  textOk: boolean;
}

const INVENTORY = `
import imaplib, sys, json, re
host, port, user, pw = sys.argv[1:5]
CS = ${JSON.stringify(CHARSETS)}
TEXT = 'こんにちは、三台のノードから届きました。'
i = imaplib.IMAP4(host, int(port), timeout=60)
i.login(user, pw)
out = []
typ, boxes = i.list()
for line in boxes:
    name = re.search(rb'"([^"]*)"$|(\\S+)$', line)
    folder = (name.group(1) or name.group(2)).decode()
    typ, data = i.select('"%s"' % folder, readonly=True)
    if typ != 'OK' or int(data[0]) == 0:
        continue
    typ, msgs = i.fetch('1:*', '(UID BODY.PEEK[])')
    for m in msgs:
        if not isinstance(m, tuple):
            continue
        head = re.match(rb'(\\d+) \\(.*UID (\\d+)', m[0])
        raw = m[1]
        tid = re.search(rb'^X-Test-Id: (\\S+)', raw, re.M)
        by = re.search(rb'^Received: [^\\r\\n]*\\r\\n\\s+by (\\S+)', raw, re.M)
        tid = tid.group(1).decode() if tid else '?'
        ok = False
        if tid != '?' and tid.rsplit('-', 1)[1].isdigit():
            ok = TEXT.encode(CS[int(tid.rsplit('-', 1)[1])]) in raw
        out.append({'folder': folder, 'seq': int(head.group(1)), 'uid': int(head.group(2)), 'id': tid, 'by': by.group(1).decode() if by else '?', 'textOk': ok})
i.logout()
print(json.dumps(out))
`;

/** Every message in every folder of the account, read over IMAP on `srv` (EXAMINE and BODY.PEEK: nothing changes). */
export async function inventory(srv: TestServer, user: string, pw: string): Promise<Found[]> {
  const r = await run('python3', ['-c', INVENTORY, srv.host, String(srv.ports.imap), user, pw], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`imaplib inventory failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Found[];
}

/** IMAP IDLE (RFC 2177) with imaplib's connection: prints "idling", then "seen" at the first new EXISTS, then "done". */
const IDLE = `
import imaplib, sys
host, port, user, pw = sys.argv[1:5]
i = imaplib.IMAP4(host, int(port), timeout=120)
i.login(user, pw)
typ, data = i.select('INBOX')
before = int(data[0])
tag = i._new_tag().decode()
i.send(('%s IDLE\\r\\n' % tag).encode())
print('idling', i.readline().decode().strip(), flush=True)
while True:
    line = i.readline().decode().strip()
    if not line:
        sys.exit('connection closed while idling')
    parts = line.split()
    if len(parts) == 3 and parts[2] == 'EXISTS' and int(parts[1]) > before:
        print('seen', line, flush=True)
        break
i.send(b'DONE\\r\\n')
while True:
    line = i.readline().decode().strip()
    if line.startswith(tag):
        print('done', line, flush=True)
        break
i.logout()
`;

export interface Idler {
  out: () => string;
  exited: Promise<number | null>;
  kill(): void;
}

export function idleOn(srv: TestServer, user: string, pw: string): Idler {
  const p = spawn('python3', ['-c', IDLE, srv.host, String(srv.ports.imap), user, pw]);
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => p.on('close', r));
  return { out: () => out, exited, kill: () => (p.exitCode === null ? void p.kill('SIGKILL') : undefined) };
}
