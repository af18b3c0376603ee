// spam-corpus, replay = "date-order": the judged mail arrives one message at a time in Date order, and the user
// corrects every mistake as users do, by moving the message over IMAP (into Spam, or out of it to INBOX), which
// trains that user's own counts on the server. Each verdict is read before its correction. Lab code.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SmtpClient } from '../../smtp/client.js';
import type { LabTarget, RunContext } from '../context.js';
import { headerBlock, type Delivered } from './mailbox.js';

/** New files of a Maildir tree since the last look (each file read once, so a long replay stays linear). */
export class MaildirWatch {
  private readonly seen = new Set<string>();
  constructor(private readonly maildir: string) {}

  poll(): Delivered[] {
    const out: Delivered[] = [];
    const folders: [string, string][] = [['INBOX', this.maildir]];
    try {
      for (const d of fs.readdirSync(this.maildir)) if (d.startsWith('.') && d.length > 1) folders.push([d.slice(1), path.join(this.maildir, d)]);
    } catch {
      return out;
    }
    for (const [folder, dir] of folders) {
      for (const sub of ['new', 'cur']) {
        let files: string[] = [];
        try {
          files = fs.readdirSync(path.join(dir, sub));
        } catch {
          continue;
        }
        for (const f of files) {
          // a message moved later gets a new name: its unique part (before ":2,") is what was seen
          const key = `${folder}/${f.split(':')[0]}`;
          if (this.seen.has(key)) continue;
          this.seen.add(key);
          try {
            out.push({ file: path.join(dir, sub, f), folder, raw: fs.readFileSync(path.join(dir, sub, f)) });
          } catch {
            /* moved meanwhile */
          }
        }
      }
    }
    return out;
  }
}

/** Just enough IMAP to move one message found by a header: LOGIN, SELECT, UID SEARCH HEADER, UID MOVE. */
export class ImapMover {
  private buf = '';
  /** The one command waiting for its tagged reply (commands are sent one at a time). */
  private pending?: { done: (b: string) => boolean; settle: (err?: Error) => void };
  private n = 0;
  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      if (this.pending?.done(this.buf)) this.pending.settle();
    });
    sock.on('close', () => this.pending?.settle(new Error(`IMAP: connection closed: ${this.buf.slice(-300)}`)));
    sock.on('error', (e) => this.pending?.settle(e));
  }

  static async connect(host: string, port: number): Promise<ImapMover> {
    const sock = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    const m = new ImapMover(sock);
    await m.until((b) => /^\* OK/m.test(b));
    m.buf = '';
    return m;
  }

  /** Resolves when `done` holds for what has arrived; one timer, cleared when it settles (no timers left behind). */
  private until(done: (b: string) => boolean, timeoutMs = 60_000): Promise<void> {
    if (done(this.buf)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(new Error(`IMAP: no answer in time: ${this.buf.slice(-300)}`)), timeoutMs);
      const settle = (err?: Error) => {
        clearTimeout(timer);
        this.pending = undefined;
        if (err) reject(err);
        else resolve();
      };
      this.pending = { done, settle };
    });
  }

  async cmd(line: string): Promise<string> {
    const tag = `r${++this.n}`;
    this.buf = '';
    this.sock.write(`${tag} ${line}\r\n`);
    const done = new RegExp(`^${tag} (OK|NO|BAD)`, 'm');
    await this.until((b) => done.test(b));
    const out = this.buf;
    if (!new RegExp(`^${tag} OK`, 'm').test(out)) throw new Error(`IMAP ${line.split(' ')[0]}: ${out.trim().split('\r\n').pop()}`);
    return out;
  }

  async login(user: string, password: string): Promise<void> {
    await this.cmd(`LOGIN "${user}" "${password.replace(/["\\]/g, '\\$&')}"`);
  }

  /** Move the message carrying `header: value` from one folder to another; false when it is not there. */
  async move(header: string, value: string, from: string, to: string): Promise<boolean> {
    let found: string | undefined;
    // a message just delivered may not be in the folder's index yet: look again (a fresh SELECT) for a while
    for (let i = 0; i < 20 && !found; i++) {
      if (i) await new Promise((r) => setTimeout(r, 250));
      await this.cmd(`SELECT ${from === 'INBOX' ? 'INBOX' : `"${from}"`}`);
      found = /^\* SEARCH([ \d]*)\r?$/m.exec(await this.cmd(`UID SEARCH HEADER ${header} "${value}"`))?.[1].trim() || undefined;
    }
    if (!found) return false;
    await this.cmd(`UID MOVE ${found.split(' ')[0]} ${to === 'INBOX' ? 'INBOX' : `"${to}"`}`);
    return true;
  }

  async close(): Promise<void> {
    try {
      await this.cmd('LOGOUT');
    } catch {
      /* closing anyway */
    }
    this.sock.destroy();
  }
}

export interface ReplayMessage {
  id: string;
  group: string;
  label: 'spam' | 'ham';
  raw: Buffer;
}

export interface ReplayVerdict {
  id: string;
  delivered?: Delivered;
  refused?: string;
}

function dateOf(raw: Buffer): number {
  return Date.parse(/^Date:[ \t]*(.*)$/im.exec(headerBlock(raw.subarray(0, 16384)))?.[1] ?? '') || 0;
}

/**
 * Send each message and wait for its delivery before the next; read where it was filed; move it if the folder is
 * wrong for its label. Returns the deliveries as first filed, how many corrections the user made, and the misfiled
 * messages IMAP could not find to move (none, when all is well).
 */
export async function replayInDateOrder(
  ctx: RunContext,
  t: LabTarget,
  messages: ReplayMessage[],
  o: { rcpt: string; idHeader: string; tag: (m: ReplayMessage) => Buffer; mailFrom: string; ehlo: string; localAddress?: string; waitMs: number; isSpam: (d: Delivered) => boolean },
): Promise<{ verdicts: Map<string, ReplayVerdict>; corrections: number; uncorrected: string[] }> {
  const imapPort = ctx.tegamiListen.imap;
  const auth = ctx.authFor(t);
  if (!imapPort || !auth) throw new Error('date-order replay needs the lab-started tegami with an IMAP listener');
  const ordered = [...messages].sort((a, b) => dateOf(a.raw) - dateOf(b.raw) || a.id.localeCompare(b.id));
  const watch = new MaildirWatch(t.maildir!(o.rcpt));
  const imap = await ImapMover.connect('127.0.0.1', imapPort);
  await imap.login(auth.user, auth.password);
  const smtp = await SmtpClient.connect(t.host, t.port, { timeoutMs: 60_000, transcript: false, localAddress: o.localAddress });
  await smtp.reply();
  await smtp.ehlo(o.ehlo);
  const verdicts = new Map<string, ReplayVerdict>();
  const pending = new Map<string, Delivered>();
  let corrections = 0;
  const uncorrected: string[] = [];
  try {
    for (const [i, m] of ordered.entries()) {
      ctx.progress(`${t.name}: replay in Date order ${i + 1}/${ordered.length} (${corrections} corrections)`);
      const mail = await smtp.cmd(`MAIL FROM:<${o.mailFrom}>`);
      const rc = mail.code === 250 ? await smtp.cmd(`RCPT TO:<${o.rcpt}>`) : mail;
      if (rc.code !== 250) {
        verdicts.set(m.id, { id: m.id, refused: `${rc.code} ${rc.text}` });
        await smtp.cmd('RSET');
        continue;
      }
      const end = (await smtp.data(o.tag(m))).end;
      if (end.code >= 500) {
        verdicts.set(m.id, { id: m.id, refused: `${end.code} ${end.text}` });
        continue;
      }
      const deadline = Date.now() + o.waitMs;
      let d = pending.get(m.id);
      while (!d && Date.now() < deadline) {
        for (const x of watch.poll()) {
          const id = new RegExp(`^${o.idHeader}:[ \\t]*(\\S+)`, 'im').exec(headerBlock(x.raw))?.[1];
          if (id) pending.set(id, x);
        }
        d = pending.get(m.id);
        if (!d) await new Promise((r) => setTimeout(r, 20));
      }
      verdicts.set(m.id, { id: m.id, delivered: d });
      if (!d) continue;
      const filedSpam = d.folder.toLowerCase() === 'spam' || o.isSpam(d);
      if (filedSpam !== (m.label === 'spam')) {
        // the user drags it where it belongs; the move trains their own counts (the reply waits for the learning)
        if (await imap.move(o.idHeader, m.id, d.folder === 'INBOX' ? 'INBOX' : d.folder, m.label === 'spam' ? 'Spam' : 'INBOX')) corrections++;
        else uncorrected.push(m.id);
      }
    }
  } finally {
    ctx.progressDone();
    await smtp.quit().catch(() => {});
    await imap.close();
  }
  return { verdicts, corrections, uncorrected };
}
