// A user's vacation never speaks as someone else (security review 2, finding 1): a script uploaded over
// ManageSieve with `vacation :from "bob@…"` (another user of the same domain, whose key would sign it) or a
// :mime reason that carries its own From:/To:/Bcc: fields is answered From: the user; an address the user owns
// (an alias) is kept. Checked on the reply as the lab sink receives it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { cliOk, logLines, mail, smtpSend, startRulesLab, until, PASSWORD, type RulesLab } from './e2e-helpers.js';

let lab: RulesLab;

before(async () => {
  lab = await startRulesLab({ users: ['alice@example.test', 'bobby@example.test', 'carol@example.test'], listeners: ['smtp', 'managesieve'] });
  cliOk(lab.srv, ['alias', 'add', 'team@example.test', 'alice@example.test']);
});

after(async () => {
  await lab?.close();
});

/** Upload and activate a script over ManageSieve as `user` (AUTHENTICATE PLAIN on loopback), byte for byte. */
async function putScript(user: string, script: string): Promise<void> {
  const s = net.connect(lab.srv.ports.managesieve, '127.0.0.1');
  let buf = '';
  s.on('data', (d: Buffer) => (buf += d.toString('utf8')));
  const status = async (): Promise<string> =>
    until('a ManageSieve status line', () => {
      const m = /^(OK|NO|BYE)\b.*\r\n/m.exec(buf);
      if (!m) return null;
      buf = buf.slice(m.index + m[0].length);
      return m[0].trim();
    });
  try {
    assert.match(await status(), /^OK/);
    s.write(`AUTHENTICATE "PLAIN" "${Buffer.from(`\0${user}\0${PASSWORD}`).toString('base64')}"\r\n`);
    assert.match(await status(), /^OK/);
    const body = Buffer.from(script, 'utf8');
    s.write(`PUTSCRIPT "away" {${body.length}+}\r\n`);
    s.write(body);
    s.write('\r\n');
    assert.match(await status(), /^OK/);
    s.write('SETACTIVE "away"\r\n');
    assert.match(await status(), /^OK/);
    s.write('LOGOUT\r\n');
    await status();
  } finally {
    s.destroy();
  }
}

const replyTo = (to: string) => lab.sink.messages.find((m) => m.to.includes(to) && /^Auto-Submitted: auto-replied/im.test(m.raw.toString('latin1')));
const header = (raw: string) => raw.slice(0, raw.indexOf('\r\n\r\n') + 2);

async function replyFor(sender: string, to: string): Promise<string> {
  const r = await smtpSend(lab.srv.ports.smtp, sender, [to], mail({ to, subject: 'お問い合わせ' }));
  assert.equal(r.code, 250, r.text);
  const m = await until(`the vacation reply to ${sender}`, () => replyTo(sender));
  return m.raw.toString('latin1');
}

test('vacation :from naming another user of the domain is answered From: the user, and the refusal is logged', async () => {
  await putScript('alice@example.test', 'require "vacation";\nvacation :days 1 :from "Bob <bobby@example.test>" :subject "不在" "休暇中です。";\n');
  const raw = await replyFor('one@orig.test', 'alice@example.test');
  const head = header(raw);
  assert.doesNotMatch(head, /bobby@example\.test/i, 'the reply must not claim to be from bob');
  assert.match(head, /^From: <alice@example\.test>\r$/m);
  assert.ok(logLines(lab.srv, 'vacation-from-refused', /alice@example\.test/).length >= 1);
});

test('a :mime reason brings no From:, To: or Bcc: of its own into the reply', async () => {
  await putScript(
    'carol@example.test',
    'require "vacation";\nvacation :days 1 :mime "From: bobby@example.test\r\nBcc: victim@friend.test\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAway.\r\n";\n',
  );
  const raw = await replyFor('two@orig.test', 'carol@example.test');
  const head = header(raw);
  assert.equal(head.match(/^From:/gim)?.length, 1, head);
  assert.match(head, /^From: <carol@example\.test>\r$/m);
  assert.doesNotMatch(head, /^Bcc:/im);
  assert.match(head, /^Content-Type: text\/plain; charset=utf-8\r$/m, 'the entity keeps its own Content-Type');
  assert.match(raw, /\r\n\r\nAway\.\r\n/);
});

test('vacation :from an alias the user owns is kept', async () => {
  await putScript('alice@example.test', 'require "vacation";\nvacation :days 1 :handle "team" :from "Team <team@example.test>" "Away.";\n');
  const raw = await replyFor('three@orig.test', 'alice@example.test');
  assert.match(header(raw), /^From: Team <team@example\.test>\r$/m);
});
