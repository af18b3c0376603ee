// HTML nested without end, over real sockets: a stranger's message (smtplib on port 25) of 1 MB of unclosed <div>
// tags, opened in the webmail (curl with a signed-in cookie jar). The sanitiser's parser (htmlparser2 under
// sanitize-html) shifts its whole stack of open elements for each tag, so the old code spent about a minute of the
// event loop per view (three minutes at the 2 MB the frame reads), every listener of the node blocked with it
// (docs/security-review-6.md, finding 1). Now a document nested deeper than MAX_NESTING is shown as its text, with a
// bar that says so (en, ja); a message nested 300 deep is still shown as HTML.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireCommand, run, startTestServer, type TestServer } from '../../helpers/server.js';

const USER = 'hanako@example.test';
const PW = 'nesting password 1';

describe('the reading page and its frame on HTML nested without end', { timeout: 600_000 }, () => {
  let s: TestServer;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-depth-'));
  const jar = path.join(tmp, 'jar');
  before(async () => {
    s = await startTestServer({ listeners: ['smtp', 'webmail'], toml: '[spam]\nenabled = false', users: [{ address: USER, password: PW }] });
  });
  after(async () => {
    await s?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const base = () => `https://127.0.0.1:${s.ports.webmail}`;
  async function get(p: string, lang = 'en'): Promise<{ status: number; body: string }> {
    const r = await run('curl', ['-sk', '-c', jar, '-b', jar, '-H', `Accept-Language: ${lang}`, '-w', '\n%{http_code}', `${base()}${p}`], { timeoutMs: 590_000 });
    const nl = r.stdout.lastIndexOf('\n');
    return { status: Number(r.stdout.slice(nl + 1)), body: r.stdout.slice(0, nl) };
  }

  async function send(subject: string, html: string): Promise<void> {
    const file = path.join(tmp, 'body.html');
    fs.writeFileSync(file, html);
    const py = [
      'import smtplib, sys',
      'from email.message import EmailMessage',
      'm = EmailMessage()',
      `m['From'] = 'stranger@example.org'; m['To'] = '${USER}'; m['Subject'] = sys.argv[2]`,
      "m.set_content(open(sys.argv[3]).read(), subtype='html', cte='base64')",
      "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=120); s.send_message(m); s.quit()",
    ].join('\n');
    const r = await run('python3', ['-c', py, String(s.ports.smtp), subject, file]);
    assert.equal(r.code, 0, r.stderr);
  }

  /** The id of the newest message whose subject is `subject`, from the inbox page's links. */
  async function idOf(subject: string): Promise<string> {
    const end = Date.now() + 120_000;
    for (;;) {
      const list = await get('/mail');
      const m = new RegExp(`href="/mail/message/([A-Za-z0-9_-]+)"[^>]*>(?:(?!</a>)[\\s\\S])*${subject}`).exec(list.body);
      if (m) return m[1];
      if (Date.now() > end) throw new Error(`${subject} not in the inbox: ${list.body.slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  it('shows 1 MB of unclosed <div> as its text, with a bar in English and Japanese; 300 deep stays HTML', async (t) => {
    if (!requireCommand(t, 'python3') || !requireCommand(t, 'curl')) return;
    const form = await get('/login');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1];
    const login = await run('curl', ['-sk', '-c', jar, '-b', jar, '-o', '/dev/null', '-w', '%{http_code}', '--data-urlencode', `_csrf=${csrf}`, '--data-urlencode', `login=${USER}`, '--data-urlencode', `password=${PW}`, `${base()}/login`]);
    assert.equal(login.stdout, '303');

    await send('deep-one', `<p>before the pit</p>${'<div>'.repeat(200_000)}<p>at the bottom</p>`);
    await send('deep-fine', `${'<div>'.repeat(300)}<p>three hundred down</p>${'</div>'.repeat(300)}`);

    const deep = await idOf('deep-one');
    const page = await get(`/mail/message/${deep}`);
    assert.equal(page.status, 200);
    assert.match(page.body, /data-html="too-deep">This message&#39;s HTML is nested too deeply|data-html="too-deep">This message's HTML is nested too deeply/);
    const frame = await get(`/mail/message/${deep}/frame`);
    assert.equal(frame.status, 200);
    assert.match(frame.body, /<pre style="white-space:pre-wrap">before the pit\s*at the bottom\s*<\/pre>/);
    assert.doesNotMatch(frame.body, /<div>/);
    const ja = await get(`/mail/message/${deep}`, 'ja');
    assert.match(ja.body, /data-html="too-deep">このメッセージの HTML は入れ子が深すぎるため/);

    const fine = await idOf('deep-fine');
    assert.doesNotMatch((await get(`/mail/message/${fine}`)).body, /too-deep/);
    const fineFrame = await get(`/mail/message/${fine}/frame`);
    assert.match(fineFrame.body, /<div><div><div>[\s\S]*<p>three hundred down<\/p>/);
  });
});
