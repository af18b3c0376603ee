// The end-to-end check of a fresh install (nothing learnt, content rules alone) shared by the day-one tests: the
// messages are written to files and sent with Python's smtplib from this machine (local_networks: no connection
// checks, so the content decides); each is then found in INBOX or Spam by its X-Lab-Corpus-Id, with the spam status
// header it got.
import fs from 'node:fs';
import path from 'node:path';
import { run, type TestServer } from '../helpers/server.js';

const SEND_ALL = `
import smtplib, sys, os
port, rcpt, folder, sender = sys.argv[1:5]
s = smtplib.SMTP('127.0.0.1', int(port), local_hostname='mx.shop.example', timeout=60)
for name in sorted(os.listdir(folder)):
    s.sendmail(sender, [rcpt], open(os.path.join(folder, name), 'rb').read())
s.quit()
`;

export interface Filed {
  folder: string;
  status: string;
}

/** Send `messages` to `rcpt` in file-name order and wait (generously, on a busy machine) until each is filed. */
export async function sendAndSort(srv: TestServer, opts: { name: string; rcpt: string; sender: string; messages: { id: string; raw: Buffer }[] }): Promise<Map<string, Filed>> {
  const { messages, rcpt } = opts;
  const dir = path.join(srv.dir, opts.name);
  fs.mkdirSync(dir);
  messages.forEach((m, i) => fs.writeFileSync(path.join(dir, `${String(i).padStart(4, '0')}.eml`), m.raw));
  const r = await run('python3', ['-c', SEND_ALL, String(srv.ports.smtp), rcpt, dir, opts.sender], { timeoutMs: 240_000 });
  if (r.code !== 0) throw new Error(`smtplib: ${r.stderr}`);
  const filed = new Map<string, Filed>();
  const deadline = Date.now() + 120_000;
  while (filed.size < messages.length) {
    if (Date.now() > deadline) throw new Error(`delivered ${filed.size} of ${messages.length}: ${srv.output().slice(-2000)}`);
    for (const folder of ['INBOX', 'Spam']) {
      for (const f of srv.maildir(rcpt, folder)) {
        const head = fs.readFileSync(f, 'latin1').split('\r\n\r\n')[0];
        const id = /^X-Lab-Corpus-Id: (\S+)/m.exec(head)?.[1];
        if (id && !filed.has(id)) filed.set(id, { folder, status: /^(?:X-IMAIL-SPAM|X-Tegami-Spam-Status): (.*)$/m.exec(head)?.[1] ?? '' });
      }
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  return filed;
}
