// A message whose top-level header SMTP would have refused (more than 10,000 lines; a field folded over 5 MB),
// APPENDed over IMAP — or written into the Maildir by another program — was read whole by every reader of that
// header: JMAP's Email/get (its `headers`, the raw form of a field), Email/query's header filter, SEARCH HEADER and
// Sieve (docs/security-review-7.md, left open 3). Now they all read it within SMTP's bounds, in one layer
// (parseHeaders, and fieldValues for SEARCH over kept header blocks): a field past 10,000 lines is not seen, a value
// is read to 256 KiB + 1 octet, and the message itself is kept and served as sent. Python's imaplib APPENDs and
// searches, curl asks the real JMAP API, a second IMAP connection's NOOP is answered throughout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { requireCommand, run } from '../helpers/server.js';
import { startLive, type Live } from '../jmap/live.js';

const USER = 'hanako@example.test';
const PW = 'huge header pw 123';
const filler = Array.from({ length: 200_000 }, (_, i) => `X-Filler: ${i}\r\n`).join('');
const LINES = Buffer.from(`From: a@example.org\r\nTo: ${USER}\r\nSubject: many lines\r\nX-Early: early-needle\r\n${filler}X-Late: late-needle\r\n\r\nbody of many lines\r\n`);
const fold = ` ${'c'.repeat(70)}\r\n`.repeat(Math.ceil((5 << 20) / 73));
const FOLDED = Buffer.from(`From: b@example.org\r\nTo: ${USER}\r\nSubject: folded field\r\nX-Big: start\r\n${fold}X-After: after-needle\r\n\r\nbody of folded\r\n`);

describe('a huge top-level header APPENDed over IMAP', { timeout: 900_000 }, () => {
  let live: Live;
  before(async () => {
    live = await startLive({ users: [{ address: USER, password: PW }], domains: ['example.test'], toml: '[spam]\nenabled = false' });
    fs.writeFileSync(path.join(live.dir, 'lines.eml'), LINES);
    fs.writeFileSync(path.join(live.dir, 'folded.eml'), FOLDED);
  });
  after(async () => {
    await live?.stop();
  });

  it('costs every reader bounded work: IMAP, JMAP and the message as sent', async (t) => {
    if (!requireCommand(t, 'python3') || !requireCommand(t, 'curl')) return;
    const py = String.raw`
import imaplib, sys, json, re, hashlib
port, user, pw, d = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
c = imaplib.IMAP4('127.0.0.1', port, timeout=300)
c.login(user, pw)
o = imaplib.IMAP4('127.0.0.1', port, timeout=300)
o.login(user, pw)
out = {'noop': []}
for n in ('lines.eml', 'folded.eml'):
    out['append_' + n] = c.append('INBOX', None, None, open(d + '/' + n, 'rb').read())[0]
    out['noop'].append(o.noop()[0])
c.select('INBOX')
def search(*crit):
    return c.search(None, *crit)[1][0].decode()
# before any FETCH (the header parsed from the file), then after FETCH kept the header blocks (scanned as bytes)
out['search1'] = [search('HEADER', 'X-Early', 'early-needle'), search('HEADER', 'X-Late', 'late-needle'), search('HEADER', 'X-After', 'after-needle')]
out['noop'].append(o.noop()[0])
typ, data = c.fetch('1:2', '(ENVELOPE)')
out['envelope'] = [d.decode('latin1') for d in data]
out['search2'] = [search('HEADER', 'X-Early', 'early-needle'), search('HEADER', 'X-Late', 'late-needle'), search('HEADER', 'X-After', 'after-needle')]
typ, data = c.fetch('1', '(BODY.PEEK[HEADER.FIELDS (X-EARLY X-LATE)])')
out['fields'] = data[0][1].decode('latin1')
out['sha'] = [hashlib.sha256(c.fetch(str(i), '(BODY.PEEK[])')[1][0][1]).hexdigest() for i in (1, 2)]
out['noop'].append(o.noop()[0])
c.logout(); o.logout()
print(json.dumps(out))
`;
    const r = await run('python3', ['-c', py, String(live.ports.imap), USER, PW, live.dir], { timeoutMs: 600_000 });
    assert.equal(r.code, 0, r.stderr.slice(-800));
    const out = JSON.parse(r.stdout) as Record<string, unknown> & { noop: string[]; search1: string[]; search2: string[]; envelope: string[]; fields: string; sha: string[] };
    assert.equal(out['append_lines.eml'], 'OK');
    assert.equal(out['append_folded.eml'], 'OK');
    assert.deepEqual(out.noop, ['OK', 'OK', 'OK', 'OK'], 'the other connection is answered');
    assert.match(out.envelope[0], /"many lines"/);
    assert.match(out.envelope[1], /"folded field"/);
    // a field within the bounds is found; one past 10,000 lines is not, the same before and after FETCH
    for (const s of [out.search1, out.search2]) assert.deepEqual(s, ['1', '', ''], JSON.stringify(s));
    assert.equal(out.fields, 'X-Early: early-needle\r\n\r\n');
    const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
    assert.deepEqual(out.sha, [sha(LINES), sha(FOLDED)], 'the messages are kept and served as sent');

    // JMAP over the real API: the answer file is read whole (no string per pipe read)
    const base = `https://127.0.0.1:${live.ports.web}`;
    const file = path.join(live.dir, 'answer.json');
    const curl = async (args: string[]) => {
      const c = await run('curl', ['-s', '-k', '-o', file, '-u', `${USER}:${PW}`, ...args], { timeoutMs: 300_000 });
      assert.equal(c.code, 0, c.stderr);
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    };
    const session = await curl([`${base}/.well-known/jmap`]);
    const accountId = session.primaryAccounts['urn:ietf:params:jmap:mail'];
    const query = (filter: unknown, id: string) => ['Email/query', { accountId, filter, sort: [{ property: 'receivedAt', isAscending: true }] }, id];
    const res = await curl(['-H', 'Content-Type: application/json', '--data', JSON.stringify({
      using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'],
      methodCalls: [
        query({}, 'all'),
        ['Email/get', { accountId, '#ids': { resultOf: 'all', name: 'Email/query', path: '/ids' }, properties: ['id', 'subject', 'preview', 'headers', 'header:X-Early', 'header:X-Late', 'header:X-Big:asRaw', 'header:X-After'] }, 'get'],
        query({ header: ['X-Early', 'early-needle'] }, 'early'),
        query({ header: ['X-Late', 'late-needle'] }, 'late'),
        query({ header: ['X-After'] }, 'after'),
      ],
    }), session.apiUrl]);
    const [all, get, early, late, afterBig] = res.methodResponses as [string, Record<string, any>, string][];
    assert.equal(get[0], 'Email/get', JSON.stringify(get).slice(0, 300));
    // (with `preview` the whole message is read, as the webmail's reading page reads it, not only its first 256 KiB)
    const list = get[1].list as Record<string, any>[];
    const lines = list.find((e) => e.subject === 'many lines')!;
    const folded = list.find((e) => e.subject === 'folded field')!;
    assert.equal(lines.preview, 'body of many lines');
    assert.ok(lines.headers.length <= 10_000, `${lines.headers.length} header fields`);
    assert.equal(lines['header:X-Early'], ' early-needle');
    assert.equal(lines['header:X-Late'], null, 'past 10,000 lines');
    const big = folded['header:X-Big:asRaw'] as string;
    assert.ok(big.length > 256 * 1024 && big.length < 600 * 1024, `X-Big read to ${big.length} characters`);
    assert.equal(folded['header:X-After'], null, 'after the folded lines: past 10,000 lines');
    assert.ok(folded.headers.every((h: { value: string }) => h.value.length < 600 * 1024));
    assert.equal(all[1].ids.length, 2);
    assert.deepEqual(early[1].ids, [lines.id]);
    assert.deepEqual(late[1].ids, []);
    assert.deepEqual(afterBig[1].ids, []);

    // sending it (its Bcc: fields are taken out within the same bounds) is refused as SMTP refuses such a header
    const using = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:submission'];
    const ids = await curl(['-H', 'Content-Type: application/json', '--data', JSON.stringify({ using, methodCalls: [['Identity/get', { accountId }, 'i']] }), session.apiUrl]);
    const identityId = ids.methodResponses[0][1].list[0].id;
    const sent = await curl(['-H', 'Content-Type: application/json', '--data', JSON.stringify({
      using, methodCalls: [['EmailSubmission/set', { accountId, create: { s: { identityId, emailId: lines.id } } }, 'send']],
    }), session.apiUrl]);
    const send = sent.methodResponses[0];
    assert.equal(send[0], 'EmailSubmission/set', JSON.stringify(send).slice(0, 300));
    assert.equal(send[1].notCreated?.s?.type, 'tooLarge', JSON.stringify(send[1]).slice(0, 300));
    assert.match(send[1].notCreated.s.description, /header section exceeds 10000 lines/);
  });
});
