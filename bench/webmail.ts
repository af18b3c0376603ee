// Webmail benchmark (not a test): a 10,000-message folder (Japanese in UTF-8, ISO-2022-JP, Shift_JIS and EUC-JP
// mixed with English, text and HTML, some attachments, some threads), opened and searched three ways in one run:
// the webmail page over HTTP as a browser fetches it (session cookie), JMAP Email/query + Email/get of the first
// page over HTTP, and Dovecot IMAP through Python's imaplib (SELECT + FETCH of the first page's envelopes; SEARCH),
// Dovecot started privately on loopback by bench/dovecot.ts. p50/p99 per operation and the machine's load go to
// reports/sample/bench-webmail-<stamp>.md. Run: npx tsc -p . && npm run bench:webmail [messages=10000] [runs=30]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import * as hdr from 'hdr-histogram-js';
import { ROOT } from '../test/helpers/server.js';
import { jmapFixture, PASSWORD, USER } from '../test/jmap/helpers.js';
import { toIso2022jp } from '../test/spam/mail.js';
import { haveDovecot, startDovecot } from './dovecot.js';

const N = Number(process.argv[2] ?? 10_000);
const RUNS = Number(process.argv[3] ?? 30);
const JA_WORD = '請求書';
const EN_WORD = 'invoice';

// a small deterministic generator, so every run has the same folder
let seed = 42;
const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const pick = <T>(a: T[]): T => a[Math.floor(rand() * a.length)];

const JA_SUBJECTS = ['打ち合わせの件', '来週の予定について', 'お見積りのご依頼', '資料送付のご案内', '会議室の予約', '新製品のお知らせ', '出張報告', '年末のご挨拶'];
const JA_LINES = ['いつもお世話になっております。', '来週の打ち合わせの件でご連絡いたしました。', '資料を添付いたしますので、ご確認ください。', 'ご不明な点がございましたらお知らせください。', '何卒よろしくお願い申し上げます。', '日程の調整をお願いできますでしょうか。', '先日はありがとうございました。'];
const EN_SUBJECTS = ['Meeting next week', 'Quarterly report', 'Project update', 'Lunch on Friday?', 'Release notes', 'Travel plans', 'Your order has shipped'];
const EN_LINES = ['Thanks for the update yesterday.', 'Please find the notes below.', 'Let me know if the dates work for you.', 'The build passed on all platforms.', 'We will review the proposal on Monday.', 'Regards, and have a good weekend.'];
const b64 = (b: Buffer) => (b.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');

function body(ja: boolean, i: number): string {
  const lines: string[] = [];
  const target = 800 + Math.floor(rand() * 12_000);
  let size = 0;
  while (size < target) {
    const l = pick(ja ? JA_LINES : EN_LINES);
    lines.push(l);
    size += Buffer.byteLength(l) + 2;
  }
  if (i % 47 === 0) lines.splice(1, 0, ja ? `今月分の${JA_WORD}をお送りします。` : `The ${EN_WORD} for this month is attached.`);
  return lines.join('\r\n');
}

function message(i: number, when: Date): Buffer {
  const ja = i % 2 === 0;
  const enc = ja ? ['utf-8', 'iso-2022-jp', 'shift_jis', 'euc-jp'][i % 4] : 'us-ascii';
  const subject = ja ? `${pick(JA_SUBJECTS)} ${i}` : `${pick(EN_SUBJECTS)} ${i}`;
  const reply = i > 10 && i % 5 === 0 ? i - 1 - Math.floor(rand() * 10) : null;
  const text = body(ja, i);
  const encodeText = (t: string): { cte: string; bytes: Buffer } => {
    if (enc === 'iso-2022-jp') return { cte: '7bit', bytes: toIso2022jp(t) };
    if (enc === 'shift_jis') return { cte: 'base64', bytes: Buffer.from(b64(iconv.encode(t, 'cp932'))) };
    if (enc === 'euc-jp') return { cte: '8bit', bytes: iconv.encode(t, 'euc-jp') };
    if (enc === 'utf-8') return { cte: 'base64', bytes: Buffer.from(b64(Buffer.from(t, 'utf8'))) };
    return { cte: '7bit', bytes: Buffer.from(t) };
  };
  const subj = ja ? `=?UTF-8?B?${Buffer.from(subject, 'utf8').toString('base64')}?=` : subject;
  const head = [
    `From: ${ja ? `=?UTF-8?B?${Buffer.from('山田 太郎', 'utf8').toString('base64')}?=` : `"Sender ${i % 200}"`} <sender${i % 200}@example.org>`,
    `To: ${USER}`,
    `Subject: ${reply !== null ? 'Re: ' : ''}${subj}`,
    `Date: ${when.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <bench-${i}@example.org>`,
    ...(reply !== null ? [`In-Reply-To: <bench-${reply}@example.org>`, `References: <bench-${reply}@example.org>`] : []),
    'MIME-Version: 1.0',
  ];
  const t = encodeText(text);
  const textPart = [`Content-Type: text/plain; charset=${enc}`, `Content-Transfer-Encoding: ${t.cte}`, ''].join('\r\n');
  if (i % 7 === 0) {
    // HTML alternative
    const h = encodeText(`<html><body><p>${text.replace(/\r\n/g, '</p><p>')}</p><img src="https://img.example/${i}.png"></body></html>`);
    return Buffer.concat([
      Buffer.from([...head, 'Content-Type: multipart/alternative; boundary="alt"', '', '--alt', textPart, ''].join('\r\n')),
      t.bytes,
      Buffer.from(['', '--alt', `Content-Type: text/html; charset=${enc}`, `Content-Transfer-Encoding: ${h.cte}`, '', ''].join('\r\n')),
      h.bytes,
      Buffer.from('\r\n--alt--\r\n'),
    ]);
  }
  if (i % 13 === 0) {
    const att = Buffer.alloc(20_000 + Math.floor(rand() * 180_000), i % 251);
    return Buffer.concat([
      Buffer.from([...head, 'Content-Type: multipart/mixed; boundary="mix"', '', '--mix', textPart, ''].join('\r\n')),
      t.bytes,
      Buffer.from(['', '--mix', 'Content-Type: application/pdf; name="report.pdf"', 'Content-Disposition: attachment; filename="report.pdf"', 'Content-Transfer-Encoding: base64', '', b64(att), '--mix--', ''].join('\r\n')),
    ]);
  }
  return Buffer.concat([Buffer.from([...head, textPart.split('\r\n').slice(0, 2).join('\r\n'), '', ''].join('\r\n')), t.bytes, Buffer.from('\r\n')]);
}

function writeMaildir(dir: string, n: number): number {
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const start = Date.UTC(2025, 0, 1) / 1000;
  let bytes = 0;
  for (let i = 1; i <= n; i++) {
    const t = start + i * 3000;
    const m = message(i, new Date(t * 1000));
    bytes += m.length;
    const name = `${t}.M${i}P1.bench,S=${m.length}:2,${i % 3 === 0 ? '' : 'S'}`;
    fs.writeFileSync(path.join(dir, 'cur', name), m);
    fs.utimesSync(path.join(dir, 'cur', name), t, t);
  }
  return bytes;
}

/** A browser-like HTTP client: keep-alive, a cookie jar. */
class Client {
  private jar = new Map<string, string>();
  private agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  constructor(private readonly port: number) {}
  request(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
      const req = http.request({ host: '127.0.0.1', port: this.port, method, path: url, agent: this.agent, headers: { ...headers, ...(cookie ? { cookie } : {}), 'accept-language': 'ja' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          for (const c of res.headers['set-cookie'] ?? []) {
            const [kv] = c.split(';');
            const eq = kv.indexOf('=');
            this.jar.set(kv.slice(0, eq), kv.slice(eq + 1));
          }
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  close(): void {
    this.agent.destroy();
  }
}

interface Stat {
  p50: number;
  p99: number;
  max: number;
  first: number;
  note: string;
}

async function time(runs: number, fn: () => Promise<string>): Promise<Stat> {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  let first = 0;
  let note = '';
  for (let i = 0; i <= runs; i++) {
    const t0 = process.hrtime.bigint();
    note = await fn();
    const us = Number((process.hrtime.bigint() - t0) / 1000n);
    if (i === 0) first = us / 1000;
    else h.recordValue(Math.max(1, us));
  }
  return { p50: h.getValueAtPercentile(50) / 1000, p99: h.getValueAtPercentile(99) / 1000, max: h.maxValue / 1000, first, note };
}

const IMAPLIB = String.raw`
import imaplib, json, sys, time
port, user, pw, runs = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
ja, en = sys.argv[5], sys.argv[6]
c = imaplib.IMAP4('127.0.0.1', port)
c.login(user, pw)
out = {}
def timed(name, fn):
    ts = []
    note = ''
    for i in range(runs + 1):
        t0 = time.perf_counter()
        note = fn()
        ts.append((time.perf_counter() - t0) * 1000)
    out[name] = {'first': ts[0], 'runs': ts[1:], 'note': note}
def open_folder():
    typ, data = c.select('INBOX')
    n = int(data[0])
    typ, got = c.fetch('%d:%d' % (max(1, n - 49), n), '(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)')
    return '%d envelopes' % sum(1 for g in got if isinstance(g, tuple) or (isinstance(g, bytes) and g != b')'))
def search(word):
    def run():
        c.literal = word.encode('utf-8')
        typ, data = c.uid('SEARCH', 'CHARSET', 'UTF-8', 'TEXT')
        return '%d hits' % len(data[0].split())
    return run
timed('open', open_folder)
timed('search-ja', search(ja))
timed('search-en', search(en))
c.logout()
print(json.dumps(out))
`;

function pct(runs: number[], p: number): number {
  const s = [...runs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function main(): Promise<void> {
  const load0 = os.loadavg();
  const f = await jmapFixture({ webmail: true });
  const maildir = path.join(f.dir, 'mail', 'example.jp', 'hanako', 'Maildir');
  console.log(`writing ${N} messages...`);
  const bytes = writeMaildir(maildir, N);
  const results: [string, string, Stat][] = [];
  let client: Client | null = null;
  try {
    await f.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (f.app.server.address() as { port: number }).port;
    client = new Client(port);
    const c = client;
    // sign in as a browser does: the login page (its CSRF cookie and field), then the form
    const login = await c.request('GET', '/login');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(login.body)![1];
    const signed = await c.request('POST', '/login', new URLSearchParams({ login: USER, password: PASSWORD, _csrf: csrf }).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    if (signed.status !== 303) throw new Error(`login: ${signed.status} ${signed.body.slice(0, 200)}`);
    const inbox = await c.request('GET', '/mail');
    const token = /<meta name="csrf-token" content="([^"]+)"/.exec(inbox.body)![1];
    const mb = /data-mailbox="([^"]+)" data-role="inbox"/.exec(inbox.body)![1];
    const rows = (b: string) => `${(b.match(/<tr class="(?:thread )?(?:unread|read)[^"]*" data-/g) ?? []).length} rows`;
    const jmap = async (calls: unknown[]): Promise<Record<string, unknown>[]> => {
      const r = await c.request('POST', '/jmap/api', JSON.stringify({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: calls }), { 'content-type': 'application/json', 'x-csrf-token': token });
      if (r.status !== 200) throw new Error(`jmap: ${r.status} ${r.body.slice(0, 200)}`);
      return (JSON.parse(r.body) as { methodResponses: [string, Record<string, unknown>, string][] }).methodResponses.map((x) => x[1]);
    };
    const accountId = f.accountId;
    const firstPage = (filter: Record<string, unknown>) => [
      ['Email/query', { accountId, filter, sort: [{ property: 'receivedAt', isAscending: false }], position: 0, limit: 50, calculateTotal: true }, 'q'],
      ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['id', 'subject', 'from', 'receivedAt', 'keywords', 'size', 'hasAttachment', 'preview'] }, 'g'],
    ];
    const jmapNote = (r: Record<string, unknown>[]) => `${(r[1].list as unknown[]).length} of ${String(r[0].total)}`;

    console.log('tegami: open the folder (the first run builds the index)...');
    results.push(['tegami page (HTTP)', 'open folder: GET /mail (first 50)', await time(RUNS, async () => rows((await c.request('GET', `/mail?mb=${mb}`)).body))]);
    await c.request('GET', `/mail?mb=${mb}&view=messages`);
    results.push(['tegami page (HTTP)', 'open folder, threads view', await time(RUNS, async () => rows((await c.request('GET', `/mail?mb=${mb}&view=threads`)).body))]);
    await c.request('GET', `/mail?mb=${mb}&view=messages`);
    results.push(['tegami JMAP (HTTP)', 'open folder: Email/query + Email/get (50)', await time(RUNS, async () => jmapNote(await jmap(firstPage({ inMailbox: mb }))))]);
    const searchRuns = Math.max(5, Math.floor(RUNS / 3));
    for (const w of [JA_WORD, EN_WORD]) {
      results.push(['tegami page (HTTP)', `search "${w}": GET /mail?q=`, await time(searchRuns, async () => rows((await c.request('GET', `/mail?mb=${mb}&q=${encodeURIComponent(w)}`)).body))]);
      results.push(['tegami JMAP (HTTP)', `search "${w}": Email/query text + get`, await time(searchRuns, async () => jmapNote(await jmap(firstPage({ inMailbox: mb, text: w }))))]);
    }

    if (haveDovecot()) {
      console.log('dovecot: the same through imaplib...');
      const d = await startDovecot({ sourceMaildir: maildir, user: USER, password: PASSWORD });
      try {
        const script = path.join(f.dir, 'imaplib-bench.py');
        fs.writeFileSync(script, IMAPLIB);
        const py = spawnSync('python3', [script, String(d.imapPort), USER, PASSWORD, String(RUNS), JA_WORD, EN_WORD], { encoding: 'utf8', maxBuffer: 16 << 20 });
        if (py.status !== 0) throw new Error(`imaplib: ${py.stderr}`);
        const out = JSON.parse(py.stdout) as Record<string, { first: number; runs: number[]; note: string }>;
        const stat = (k: string): Stat => ({ p50: pct(out[k].runs, 50), p99: pct(out[k].runs, 99), max: Math.max(...out[k].runs), first: out[k].first, note: out[k].note });
        results.push(['dovecot IMAP (imaplib)', 'open folder: SELECT + FETCH 50 envelopes', stat('open')]);
        results.push(['dovecot IMAP (imaplib)', `search "${JA_WORD}": UID SEARCH CHARSET UTF-8 TEXT`, stat('search-ja')]);
        results.push(['dovecot IMAP (imaplib)', `search "${EN_WORD}": UID SEARCH CHARSET UTF-8 TEXT`, stat('search-en')]);
      } finally {
        await d.stop();
      }
    } else console.log('dovecot not installed (dovecot-imapd): tegami only');
  } finally {
    client?.close();
    await f.close();
  }
  const load1 = os.loadavg();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const lines = [
    `# Webmail benchmark ${new Date().toISOString()}`,
    '',
    `${N} messages (${(bytes / 1048576).toFixed(0)} MiB; half Japanese in UTF-8/ISO-2022-JP/Shift_JIS/EUC-JP, half English; 1 in 7 with an HTML alternative, 1 in 13 with a 20-200 KB attachment, 1 in 5 a reply) in one folder. ` +
      `${RUNS} runs per "open", ${Math.max(5, Math.floor(RUNS / 3))} per tegami search (${RUNS} for Dovecot's), after one first run shown apart (it builds the index). tegami over plain HTTP on loopback (no TLS), in this process; Dovecot ${haveDovecot() ? 'private on loopback, through Python imaplib' : 'not installed'}.`,
    '',
    `Machine: ${os.cpus().length} cores, load average ${load0.map((x) => x.toFixed(1)).join(' / ')} at start, ${load1.map((x) => x.toFixed(1)).join(' / ')} at the end (other developers' work shares it: figures are noisy).`,
    '',
    '| who | operation | first ms | p50 ms | p99 ms | max ms | answer |',
    '|---|---|---|---|---|---|---|',
    ...results.map(([who, op, s]) => `| ${who} | ${op} | ${s.first.toFixed(1)} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.max.toFixed(1)} | ${s.note} |`),
    '',
  ];
  const dir = path.join(ROOT, 'reports', 'sample');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-webmail-${stamp}.md`);
  fs.writeFileSync(file, lines.join('\n'));
  console.log(lines.join('\n'));
  console.log(`written ${path.relative(ROOT, file)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
