// japanese: ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8 messages sent to a lab-started target must arrive
// intact: the delivered body bytes equal the sent ones, and mailparser decodes the same subject and text.
import { simpleParser } from 'mailparser';
import { japaneseCorpus, JP_CHARSETS } from '../../corpora/japanese.js';
import { SmtpClient } from '../../smtp/client.js';
import type { RunContext } from '../context.js';
import { waitForDeliveries } from './mailbox.js';

function body(raw: Buffer): Buffer {
  const i = raw.indexOf('\r\n\r\n');
  return i < 0 ? Buffer.alloc(0) : raw.subarray(i + 4);
}

export async function japanese(ctx: RunContext): Promise<() => Promise<void>> {
  const s = ctx.scenario.japanese;
  return async () => {
    const msgs = japaneseCorpus({ count: s.per_charset * JP_CHARSETS.length, seed: 3 });
    for (const t of ctx.targets) {
      ctx.say(`== ${t.name} (${t.host}:${t.port})`);
      const rcpt = ctx.opts.auth?.user ?? ctx.scenario.targets.user;
      const c = await SmtpClient.connect(t.host, t.port, { timeoutMs: 15_000 });
      await c.reply();
      const ehlo = await c.ehlo('japanese.lab.example.test');
      const eight = /8BITMIME/i.test(ehlo.text) ? ' BODY=8BITMIME' : '';
      for (const m of msgs) {
        const mail = await c.cmd(`MAIL FROM:<${m.label}@lab.example.test>${/7bit/.test(m.raw.toString('latin1')) ? '' : eight}`);
        const rc = await c.cmd(`RCPT TO:<${rcpt}>`);
        const end = mail.code === 250 && rc.code === 250 ? (await c.data(m.raw)).end : rc;
        ctx.check(`${t.name}: accepts ${m.id} (${m.charset}, ${m.label})`, end.code === 250, '250', `${end.code} ${end.text}`);
      }
      await c.quit();
      if (!t.local || !t.maildir) {
        ctx.notes.push(`${t.name}: delivered copies can only be compared on a target the lab started`);
        continue;
      }
      const got = await waitForDeliveries(t.maildir(rcpt), 'X-Lab-Corpus-Id', msgs.length, s.deliver_wait);
      for (const m of msgs) {
        const d = got.get(m.id);
        if (!d) {
          ctx.check(`${t.name}: ${m.id} (${m.charset}) delivered`, false, 'delivered', 'not found in the mailbox');
          continue;
        }
        const p = await simpleParser(d.raw);
        const sameBytes = body(d.raw).equals(body(m.raw));
        const sameText = p.subject === m.subject && (p.text ?? '').replace(/\r\n/g, '\n').trimEnd() === m.text.trimEnd();
        ctx.check(
          `${t.name}: ${m.id} (${m.charset}, ${d.folder}) round-trips intact`,
          sameBytes && sameText,
          'identical body bytes; same decoded subject and text',
          `${sameBytes ? 'bytes same' : 'body bytes differ'}; subject ${JSON.stringify(p.subject)}`,
        );
      }
    }
  };
}
