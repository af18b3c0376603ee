// Issue 18, "useful on day one": a fresh install (nothing learnt, no phrases configured) gets Japanese ham and spam on
// port 25 from 127.0.0.10, with an EHLO name and sender domain that do not resolve. The connection tags that brings
// (VALHELO, VALFROM, VALREVDNS, SPF_NONE) must never carry clean mail into Spam; the content rules must file the spam.
// Sent with Python's smtplib: the hand-written test set (lab/corpora/japanese-written.ts) and the lab's generator.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, requireCommand, run, type TestServer } from '../helpers/server.js';
import { startDnsServer, type DnsServer } from '../../lab/dns/server.js';
import { japaneseWritten } from '../../lab/corpora/japanese-written.js';
import { japaneseCorpus } from '../../lab/corpora/japanese.js';

const SEND_ALL = `
import smtplib, sys, json, os
port, src, helo, mfrom, rcpt, folder = sys.argv[1:7]
s = smtplib.SMTP('127.0.0.1', int(port), local_hostname=helo, source_address=(src, 0), timeout=60)
s.ehlo(helo)
for name in sorted(os.listdir(folder)):
    data = open(os.path.join(folder, name), 'rb').read()
    try:
        s.sendmail(mfrom, [rcpt], data)
        print(json.dumps({"file": name, "code": 250}))
    except smtplib.SMTPException as e:
        print(json.dumps({"file": name, "error": str(e)}))
        s.rset()
s.quit()
`;

const HELO = 'mx7.nowhere-3f9c1.invalid';
const SENDER = 'mailer@bulk-3f9c1.invalid';
const ID = /^X-Lab-Corpus-Id: (\S+)/m;

interface Outcome {
  folder: 'INBOX' | 'Spam';
  status: string;
}

async function sendCorpus(srv: TestServer, msgs: { id: string; raw: Buffer }[]): Promise<Map<string, Outcome>> {
  const dir = path.join(srv.dir, `corpus-${Math.random().toString(36).slice(2)}`);
  fs.mkdirSync(dir);
  msgs.forEach((m, i) => fs.writeFileSync(path.join(dir, `${String(i).padStart(4, '0')}.eml`), m.raw));
  const r = await run('python3', ['-c', SEND_ALL, String(srv.ports.smtp), '127.0.0.10', HELO, SENDER, 'user@example.test', dir], { timeoutMs: 240_000 });
  assert.equal(r.code, 0, r.stderr);
  const refused = r.stdout.split('\n').filter((l) => l.includes('"error"'));
  assert.deepEqual(refused, [], 'every message is accepted (spam is filed, not refused)');
  const deadline = Date.now() + 120_000;
  const out = new Map<string, Outcome>();
  while (out.size < msgs.length) {
    if (Date.now() > deadline) throw new Error(`delivered ${out.size} of ${msgs.length}: ${srv.output().slice(-2000)}`);
    for (const folder of ['INBOX', 'Spam'] as const) {
      for (const f of srv.maildir('user@example.test', folder)) {
        const head = fs.readFileSync(f, 'latin1').split('\r\n\r\n')[0];
        const id = ID.exec(head)?.[1];
        if (id && !out.has(id)) out.set(id, { folder, status: /^(?:X-IMAIL-SPAM|X-Tegami-Spam-Status): (.*)$/m.exec(head)?.[1] ?? '' });
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return out;
}

function tally(msgs: { id: string; label: string }[], out: Map<string, Outcome>): { spam: number; spamIn: number; ham: number; hamIn: number; hamLost: string[] } {
  const t = { spam: 0, spamIn: 0, ham: 0, hamIn: 0, hamLost: [] as string[] };
  for (const m of msgs) {
    const o = out.get(m.id)!;
    if (m.label === 'spam') {
      t.spam++;
      if (o.folder === 'Spam') t.spamIn++;
    } else {
      t.ham++;
      if (o.folder === 'Spam') t.hamLost.push(`${m.id}: ${o.status}`);
      else t.hamIn++;
    }
  }
  return t;
}

const corpus = () => [...japaneseWritten(), ...japaneseCorpus({ count: 40, seed: 18 })];

for (const variant of ['no [dns] (the system resolver)', 'a DNS that answers NXDOMAIN for all of it'] as const) {
  describe(`a fresh install, Japanese mail from 127.0.0.10 with unresolvable HELO and sender: ${variant}`, { timeout: 300_000 }, () => {
    let srv: TestServer;
    let dns: DnsServer | undefined;
    let skip = false;
    before(async () => {
      if (variant.startsWith('a DNS')) dns = await startDnsServer({ zones: [] });
      srv = await startTestServer({
        users: [{ address: 'user@example.test', password: 'secret-pass' }],
        // an empty [dns] table is the built-in default (the system's resolver); the helper adds a dead one otherwise
        toml: dns ? `[dns]\nservers = ["${dns.address}"]\ntimeout = "1s"\n` : '[dns]\n',
      });
    });
    after(async () => {
      await srv?.stop();
      await dns?.close();
      if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
    });

    it('files no ham into Spam and at least 80% of the spam', async (t) => {
      if (!requireCommand(t, 'python3')) return (skip = true), undefined;
      const msgs = corpus();
      const out = await sendCorpus(srv, msgs);
      const written = tally(msgs.filter((m) => m.group === 'japanese-written'), out);
      const gen = tally(msgs.filter((m) => m.group === 'japanese'), out);
      t.diagnostic(`written: spam ${written.spamIn}/${written.spam} into Spam, ham ${written.hamIn}/${written.ham} in INBOX; generator: spam ${gen.spamIn}/${gen.spam}, ham ${gen.hamIn}/${gen.ham}`);
      assert.deepEqual([...written.hamLost, ...gen.hamLost], [], 'no ham in Spam');
      assert.ok(written.spamIn / written.spam >= 0.8, `written spam filed: ${written.spamIn}/${written.spam}`);
      assert.ok(gen.spamIn / gen.spam >= 0.8, `generated spam filed: ${gen.spamIn}/${gen.spam}`);
      if (dns) {
        // the connection checks did judge these clients: every message carries their tags, and still no ham was lost
        const status = [...out.values()].map((o) => o.status);
        for (const tag of ['VALHELO', 'VALFROM', 'VALREVDNS']) assert.ok(status.every((s) => s.includes(tag)), `${tag} on every message`);
        assert.ok(status.every((s) => /CONNECTION_CAP\(-\d/.test(s)), 'the connection-shape weights were capped');
      }
    });

    it('ham with those connection tags and nothing in its content stays in INBOX', async () => {
      if (skip) return;
      const plain = Buffer.from(`From: <tanaka@nowhere-3f9c1.invalid>\r\nTo: user@example.test\r\nSubject: =?UTF-8?B?${Buffer.from('明日の件').toString('base64')}?=\r\nMessage-ID: <plain.1@nowhere-3f9c1.invalid>\r\nDate: Mon, 02 Jun 2025 10:00:00 +0900\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-Lab-Corpus-Id: plain-1\r\n\r\n${'明日は十時に伺います。よろしくお願いします。'}\r\n`, 'utf8');
      const out = await sendCorpus(srv, [{ id: 'plain-1', raw: plain }]);
      assert.equal(out.get('plain-1')?.folder, 'INBOX', out.get('plain-1')?.status);
    });
  });
}
