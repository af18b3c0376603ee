// JMAP over the real API with curl (docs/security-review-8.md, "Fixed after the review (stop 30)"): a part's `size`
// in bodyStructure is counted without decoding the part (base64 from its alphabet's characters, quoted-printable in
// one counting pass) and is the decoded octet count; and body values asked for with no maxBodyValueBytes are
// charged against the request's 16 MB budget (maxBodyValueBytesPerRequest) before they are decoded, with what
// decoding them costs, so 3 MB parts that give almost no text (NULs, ISO-2022-JP escape sequences) are not decoded
// without end: once their octets pass the budget the rest are cut. Japanese in UTF-8, ISO-2022-JP, Shift_JIS and
// EUC-JP, as base64, quoted-printable and 7bit, APPENDed with Python's imaplib.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { encodeJisBody } from '../../engine/mime/iso2022jp.js';
import { requireCommand, run } from '../helpers/server.js';
import { quotedPrintable } from '../helpers/quoted-printable.js';
import { appendWithImaplib, startLive, type Live } from './live.js';

const USER = 'hanako@example.test';
const PW = 'part size budget pw';
const LINE = '明日の会議は十時から第三会議室で行います。資料をご確認ください。Agenda: item 1.\r\n';
const THREE_MB = 3 << 20;
/** engine/jmap/capabilities.ts maxBodyValueBytesPerRequest. */
const BUDGET = 16_000_000;

type Encode = (t: string) => Buffer;
const ENCODE: Record<string, Encode> = {
  'UTF-8': (t) => Buffer.from(t, 'utf8'),
  'ISO-2022-JP': (t) => encodeJisBody(t),
  Shift_JIS: (t) => iconv.encode(t, 'cp932'),
  'EUC-JP': (t) => iconv.encode(t, 'euc-jp'),
};

function message(subject: string, label: string, cte: string, bytes: Buffer): Buffer {
  const body =
    cte === 'base64' ? bytes.toString('base64').replace(/.{76}/g, '$&\r\n')
    : cte === 'quoted-printable' ? quotedPrintable(bytes)
    : bytes.toString('latin1');
  const head = `From: a@example.org\r\nTo: ${USER}\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=${label}\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), Buffer.from(body, 'latin1')]);
}

/** 3 MB of octets that give no text: NULs, or ISO-2022-JP shifts in and out (in 7bit lines of 900 octets). */
function emptyText(label: string): Buffer {
  if (label !== 'ISO-2022-JP') return Buffer.alloc(THREE_MB);
  const line = Buffer.concat([Buffer.from('\x1b$B\x1b(B'.repeat(150), 'latin1'), Buffer.from('\r\n')]);
  return Buffer.concat(Array(Math.ceil(THREE_MB / line.length)).fill(line));
}

describe('JMAP part sizes and the body-value budget', { timeout: 600_000 }, () => {
  let live: Live;
  /** Subject → the decoded octets of its one text part. */
  const sizes = new Map<string, number>();
  const big = LINE.repeat(Math.ceil(THREE_MB / Buffer.byteLength(LINE)));
  before(async () => {
    live = await startLive({ users: [{ address: USER, password: PW }], domains: ['example.test'], toml: '[spam]\nenabled = false' });
    const dir = path.join(live.dir, 'eml');
    fs.mkdirSync(dir);
    const add = (name: string, subject: string, label: string, cte: string, bytes: Buffer) => {
      sizes.set(subject, bytes.length);
      fs.writeFileSync(path.join(dir, name), message(subject, label, cte, bytes));
    };
    // 3 MB of Japanese text in each charset, quoted-printable and base64 in turn
    for (const [i, [label, enc]] of Object.entries(ENCODE).entries()) add(`text-${i}.eml`, `text ${label}`, label, i % 2 ? 'base64' : 'quoted-printable', enc(big));
    // six parts of 3 MB that decode to one line of text each: 18.9 MB of octets, past the budget
    const labels = [...Object.keys(ENCODE), 'UTF-8', 'Shift_JIS'];
    for (const [i, label] of labels.entries()) add(`empty-${i}.eml`, `empty ${i} ${label}`, label, label === 'ISO-2022-JP' ? '7bit' : 'base64', Buffer.concat([ENCODE[label](LINE), emptyText(label)]));
  });
  after(async () => {
    await live?.stop();
  });

  const curlJmap = async (calls: (accountId: string) => unknown[]) => {
    const base = `https://127.0.0.1:${live.ports.web}`;
    const out = path.join(live.dir, 'answer.json');
    const curl = async (args: string[]) => {
      const r = await run('curl', ['-s', '-k', '-o', out, '-u', `${USER}:${PW}`, ...args], { timeoutMs: 300_000 });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(fs.readFileSync(out, 'utf8'));
    };
    const session = await curl([`${base}/.well-known/jmap`]);
    const accountId = session.primaryAccounts['urn:ietf:params:jmap:mail'];
    return curl(['-H', 'Content-Type: application/json', '--data', JSON.stringify({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: calls(accountId) }), session.apiUrl]);
  };

  it('APPENDs the messages with imaplib', async (t) => {
    if (!requireCommand(t, 'python3') || !requireCommand(t, 'curl')) return;
    const a = await appendWithImaplib(live, USER, PW, path.join(live.dir, 'eml'));
    assert.equal(a.code, 0, a.stderr.slice(-600));
  });

  it('gives each part\'s decoded size in bodyStructure, base64 and quoted-printable, in four charsets', async (t) => {
    if (!requireCommand(t, 'python3') || !requireCommand(t, 'curl')) return;
    const res = await curlJmap((accountId) => [
      ['Email/query', { accountId, filter: {} }, 'q'],
      ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject', 'bodyStructure'], bodyProperties: ['partId', 'size', 'charset'] }, 'g'],
    ]);
    const list = res.methodResponses[1][1].list as { subject: string; bodyStructure: { size: number; charset: string } }[];
    assert.equal(list.length, sizes.size, JSON.stringify(res).slice(0, 400));
    for (const e of list) assert.equal(e.bodyStructure.size, sizes.get(e.subject), e.subject);
  });

  it('charges body values asked for with no maxBodyValueBytes before decoding them: past 16 MB of octets the rest are cut', async (t) => {
    if (!requireCommand(t, 'python3') || !requireCommand(t, 'curl')) return;
    const res = await curlJmap((accountId) => [
      ['Email/query', { accountId, filter: { subject: 'empty' } }, 'q'],
      ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject', 'textBody', 'bodyValues'], fetchTextBodyValues: true }, 'g'],
    ]);
    const list = res.methodResponses[1][1].list as { subject: string; textBody: { partId: string }[]; bodyValues: Record<string, { value: string; isTruncated: boolean }> }[];
    assert.equal(list.length, 6, JSON.stringify(res).slice(0, 400));
    let whole = 0;
    let cut = 0;
    const line = LINE.replace('\r\n', '\n');
    for (const e of list) {
      const v = e.bodyValues[e.textBody[0].partId];
      if (v.isTruncated) cut++;
      else {
        whole += sizes.get(e.subject)!;
        assert.equal(v.value.replace(/\n+$/, '\n'), line, `${e.subject}: its one line of text`);
      }
    }
    t.diagnostic(`${list.length - cut} values whole (${whole} octets), ${cut} cut`);
    assert.ok(cut >= 1, `some values are cut once the budget is spent (${whole} octets decoded whole)`);
    assert.ok(whole <= BUDGET, `at most the budget decoded whole: ${whole}`);
  });
});
