// The webmail's reading page and any JMAP client asking Email/get for bodyValues with maxBodyValueBytes: only the
// start of a text part is decoded now (transfer encoding and charset), not the whole part before the cut
// (docs/security-review-7.md, stop 29). Japanese parts in UTF-8, ISO-2022-JP, Shift_JIS and EUC-JP, as 8bit, base64
// and quoted-printable, APPENDed with Python's imaplib, read with curl over the real JMAP API: the values are the
// start of the text, cut on a character, isTruncated right. A 3 MB part whose last octet is broken is read from its
// start: the value is the right Japanese and isEncodingProblem is false (it speaks of the decoded start; the whole
// decode saw the broken octet, chose another charset and gave mojibake).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { encodeJisBody } from '../../engine/mime/iso2022jp.js';
import { requireCommand, run } from '../helpers/server.js';
import { appendWithImaplib, startLive, type Live } from './live.js';
import { quotedPrintable } from '../helpers/quoted-printable.js';

const USER = 'hanako@example.test';
const PW = 'body value prefix pw';
const LINE = '明日の会議は十時から第三会議室で行います。資料をご確認ください。Agenda: item 1.\r\n';
const CHARSETS = [
  { label: 'UTF-8', cte: 'quoted-printable', encode: (t: string) => Buffer.from(t, 'utf8') },
  { label: 'ISO-2022-JP', cte: 'base64', encode: (t: string) => encodeJisBody(t) },
  { label: 'Shift_JIS', cte: '8bit', encode: (t: string) => iconv.encode(t, 'cp932') },
  { label: 'EUC-JP', cte: 'base64', encode: (t: string) => iconv.encode(t, 'euc-jp') },
];

function message(subject: string, label: string, cte: string, bytes: Buffer): Buffer {
  const body = cte === 'base64' ? bytes.toString('base64').replace(/.{76}/g, '$&\r\n') : cte === 'quoted-printable' ? quotedPrintable(bytes) : bytes.toString('latin1');
  const head = `From: a@example.org\r\nTo: ${USER}\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=${label}\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), Buffer.from(body, 'latin1')]);
}

/** The first characters of `s` that fit `max` UTF-8 octets (one pass: measuring the whole prefix again at each
 *  character made this quadratic, 100 s of CPU per run at the 200,000-octet limit). */
function cut(s: string, max: number): string {
  let octets = 0;
  let end = 0;
  for (const ch of s) {
    octets += Buffer.byteLength(ch, 'utf8');
    if (octets > max) break;
    end += ch.length;
  }
  return s.slice(0, end);
}

describe('bodyValues decoded from the start of a part', { timeout: 600_000 }, () => {
  let live: Live;
  const big = LINE.repeat(Math.ceil((3 << 20) / Buffer.byteLength(LINE)));
  before(async () => {
    live = await startLive({ users: [{ address: USER, password: PW }], domains: ['example.test'], toml: '[spam]\nenabled = false' });
    const dir = path.join(live.dir, 'eml');
    fs.mkdirSync(dir);
    for (const c of CHARSETS) {
      // a 3 MB part whose last octet is one no charset has; and a small one that fits any limit below
      fs.writeFileSync(path.join(dir, `big-${c.label}.eml`), message(`big ${c.label}`, c.label, c.cte, Buffer.concat([c.encode(big), Buffer.from([0xff])])));
      fs.writeFileSync(path.join(dir, `small-${c.label}.eml`), message(`small ${c.label}`, c.label, c.cte, c.encode(LINE.repeat(3))));
    }
  });
  after(async () => {
    await live?.stop();
  });

  it('gives the start of the text, cut on a character, for each charset and limit', async (t) => {
    if (!requireCommand(t, 'python3') || !requireCommand(t, 'curl')) return;
    const a = await appendWithImaplib(live, USER, PW, path.join(live.dir, 'eml'));
    assert.equal(a.code, 0, a.stderr.slice(-600));

    const base = `https://127.0.0.1:${live.ports.web}`;
    // the answer is read from a file: Japanese split between two pipe reads would not survive a string per read
    const out = path.join(live.dir, 'answer.json');
    const curl = async (args: string[]) => {
      const r = await run('curl', ['-s', '-k', '-o', out, '-u', `${USER}:${PW}`, ...args], { timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(fs.readFileSync(out, 'utf8'));
    };
    const session = await curl([`${base}/.well-known/jmap`]);
    const accountId = session.primaryAccounts['urn:ietf:params:jmap:mail'];
    const limits = [1000, 1001, 1002, 4096, 200_000];
    const calls: unknown[] = [['Email/query', { accountId, filter: {} }, 'q']];
    for (const max of limits) {
      calls.push(['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject', 'textBody', 'bodyValues'], fetchTextBodyValues: true, maxBodyValueBytes: max }, `g${max}`]);
    }
    const res = await curl(['-H', 'Content-Type: application/json', '--data', JSON.stringify({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: calls }), session.apiUrl]);
    const responses = res.methodResponses as [string, { list: { subject: string; textBody: { partId: string }[]; bodyValues: Record<string, { value: string; isTruncated: boolean; isEncodingProblem: boolean }> }[] }, string][];
    assert.equal(responses.length, 1 + limits.length, JSON.stringify(res).slice(0, 400));
    const text = big.replace(/\r\n/g, '\n');
    const small = LINE.repeat(3).replace(/\r\n/g, '\n');
    for (const [name, args, id] of responses.slice(1)) {
      assert.equal(name, 'Email/get', JSON.stringify(args).slice(0, 300));
      const max = Number(id.slice(1));
      assert.equal(args.list.length, CHARSETS.length * 2);
      for (const e of args.list) {
        const v = e.bodyValues[e.textBody[0].partId];
        const what = `${e.subject} at ${max}`;
        assert.ok(Buffer.byteLength(v.value, 'utf8') <= max, what);
        if (e.subject.startsWith('big')) {
          assert.equal(v.value, cut(text, max), `${what}: the start of the text`);
          assert.equal(v.isTruncated, true, what);
          assert.equal(v.isEncodingProblem, false, `${what}: the broken octet at the end is not in the decoded start`);
        } else {
          assert.deepEqual(v, { value: cut(small, max), isTruncated: Buffer.byteLength(small) > max, isEncodingProblem: false }, what);
        }
      }
    }
  });
});
