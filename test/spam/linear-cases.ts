// The text-facing functions of the spam filter, MIME decoding, IMAP SEARCH/MIME parsing, SMTP policy and trace
// headers, each wrapped to take one hostile string where the attacker controls it (a header value, an HTML part, a
// link text, a HELO name…). linear-time.test.ts runs each on long runs of the units below in a worker thread of
// its own and stops it at a deadline. Test-only; never imported by the server.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { decodeBytes, decodeHeaderValue as decodeMimeHeader, decodeIso2022jp, detectCharset } from '../../engine/mime/charset.js';
import { findBodyStart, parseMime, parseContentType as imapContentType, parseDisposition, parseHeaders } from '../../engine/mime/mime-tree.js';
import { parseAddressList } from '../../engine/imap/mime/envelope.js';
import { decodedBodyText, decodedHeaders, decodeHeaderValue as imapHeaderValue, fold as imapFold } from '../../engine/mime/text-decode.js';
import { fieldValues } from '../../engine/mime/header-scan.js';
import { headerMatcher } from '../../engine/imap/mime/header-match.js';
import { Content, headerMap } from '../../engine/imap/search-query.js';
import { parseAddress } from '../../engine/policy/address.js';
import { dnsblQueryName, reversedIp } from '../../engine/policy/dnsbl.js';
import { replyText } from '../../engine/policy/verdict.js';
import { receivedHeader, returnPathHeader } from '../../engine/smtp/received.js';
import { authResultsLine, headerLine } from '../../engine/spam/headers.js';
import { checkHtml, decodeEntities, shownHosts } from '../../engine/spam/html.js';
import { messageTokens } from '../../engine/spam/learn.js';
import { listFooterStart } from '../../engine/spam/list-footer.js';
import { addressOf, parseMessage } from '../../engine/spam/message.js';
import { compilePhrases } from '../../engine/spam/phrase.js';
import { authservId, stripVerdictHeaders } from '../../engine/spam/strip-headers.js';
import { capsTokens, stripMarkup, urlTokens, words } from '../../engine/spam/tokenise.js';
import { extractUrls, hostOf } from '../../engine/spam/url.js';
import { LiteralSet } from '../../engine/spam/rules/aho.js';
import { CHECKS } from '../../engine/spam/rules/checks.js';
import { ruleInput } from '../../engine/spam/rules/input.js';
import { fold, literalView, viewsOf } from '../../engine/spam/rules/normalise.js';
import { loadRuleSet, occursFree } from '../../engine/spam/rules/rules.js';
import { entityLetters } from '../../engine/spam/html.js';
import type { Envelope } from '../../engine/spool/envelope.js';

/** Runs the attackers of issue 10 used, and the shapes that make a backtracking pattern rescan: each is repeated. */
export const UNITS = [
  'a.', 'a', '.', '-', 'a-', '@', 'a@', '<', '<a', '<a ', '</', '<!--', '<!', '<?', '>', '=?', '=?a?q?', '=', 'a=', ';',
  ' ', '\t', ' \r\n', '\r\n ', '$', '$.', "'", '"', '\\', '&', '&#x1', 'www.a.', 'http://a.', '<script', '<style ', '-->',
  '_', '(', ',', ':', '1.', '[', 'あ', '日本', '\x1b$B', '\u3000', '%4', 'from a.', '<a href="', 'href=',
];

const rules = loadRuleSet(undefined, undefined);
const literals = new LiteralSet(['未承諾広告', 'a', 'aa', 'aaa', 'a.a', '<a', 'click here', '$$$', 'ab', 'ba']);
/** The rule input of a message whose subject, sender name, text, HTML, links and headers all carry `s`. */
const ruleInputOf = (s: string) => {
  const msg = parseMessage(
    Buffer.from(`From: ${s} <a@example.test>\r\nSubject: ${s}\r\nDate: ${s}\r\nMessage-ID: ${s}\r\nReceived: ${s}; ${s}\r\nReply-To: ${s}\r\nX-Mailer: ${s}\r\nTo: ${s}\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${s}\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<a href="http://${s}">${s}</a><form><input name="${s}"></form>${s}\r\n--b--\r\n`, 'utf8'),
  );
  const html = msg.htmls.map((h) => checkHtml(h, 30));
  return ruleInput(msg, html, [...msg.texts.flatMap((t) => extractUrls(t)), ...html.flatMap((h) => h.hrefs), `http://${s.slice(0, 2000)}`]);
};
const phrases = compilePhrases(['未承諾広告', 'free money'], ['v[i1]agra', 'click\\s+here']);
const mail = (head: string, body = 'x') => Buffer.from(`${head}\r\n\r\n${body}`, 'latin1');
const htmlMail = (html: string) =>
  Buffer.from(`From: a@example.test\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}`, 'utf8');
const env = (helo: string, from: string): Envelope =>
  ({ id: 'x', mailFrom: from, rcptTo: [{ address: 'u@example.test', kind: 'local' }], client: { ip: '127.0.0.1', helo }, time: 0 }) as unknown as Envelope;

/** Name → the function fed with one hostile string `s`. */
export const CASES: Record<string, (s: string) => unknown> = {
  'spam/html checkHtml: an HTML part': (s) => checkHtml(s, 30),
  'spam/html checkHtml: link text': (s) => checkHtml(`<a href="http://example.com/">${s}</a>`, 30),
  'spam/html checkHtml: inside a tag': (s) => checkHtml(`<a href="http://e.com/" ${s}>x</a><img ${s}`, 30),
  'spam/html shownHosts': (s) => shownHosts(s, 1_000_000),
  'spam/html decodeEntities': (s) => decodeEntities(s),
  'spam/message parseMessage: From, Subject, Content-Type': (s) => parseMessage(mail(`From: ${s}\r\nSubject: ${s}\r\nContent-Type: text/plain; ${s}`)),
  'spam/message parseMessage: multipart body': (s) => parseMessage(mail(`Content-Type: multipart/mixed; boundary="${s.slice(0, 60)}"`, `--${s}\r\n${s}`)),
  'spam/message addressOf': (s) => addressOf(s),
  'spam/learn messageTokens: text part': (s) => messageTokens(mail(`From: ${s}\r\nSubject: ${s}\r\nMessage-ID: <${s}>\r\nReply-To: ${s}`, s)),
  'spam/learn messageTokens: HTML part': (s) => messageTokens(htmlMail(s)),
  'spam/tokenise words': (s) => words(s, '', new Set(), true),
  'spam/tokenise stripMarkup': (s) => stripMarkup(`<p>${s}`),
  'spam/tokenise capsTokens': (s) => capsTokens([s], new Set()),
  'spam/tokenise urlTokens': (s) => urlTokens(`http://${s}`, hostOf(`http://${s}`), new Set()),
  'spam/url extractUrls': (s) => extractUrls(s, 1_000_000),
  'spam/list-footer listFooterStart': (s) => listFooterStart(`${'_'.repeat(30)}\n${s}\n${'-'.repeat(30)}\n${s}`),
  'spam/phrase match': (s) => phrases.match(s),
  'spam/rules LiteralSet search, fold, views, literalView': (s) => [literals.search(s), viewsOf(fold(s)), literalView(s.slice(0, 200))],
  'spam/rules the default rule set on a whole message': (s) => rules.evaluate(ruleInputOf(s)),
  'spam/rules occursFree (a rule\'s unless_near)': (s) => [occursFree(s, 'a', ['aa', 'a.', 'a-'], 200), occursFree(s, 'あ', ['日本', 'ああ'], 30)],
  'spam/rules every built-in check': (s) => {
    const inp = ruleInputOf(s);
    return Object.values(CHECKS).map((c) => c(inp, rules.ctx, 3));
  },
  'spam/html entityLetters': (s) => entityLetters(s),
  'spam/headers headerLine, authResultsLine': (s) => [headerLine('X-IMAIL-SPAM-X', s), authResultsLine('mx.example.test', [s])],
  'spam/strip-headers stripVerdictHeaders': (s) => stripVerdictHeaders(mail(`X${s}Y: x\r\nAuthentication-Results: ${s}\r\nX-IMAIL-SPAM: ${s}`), 'mx.example.test'),
  'spam/strip-headers authservId': (s) => authservId(s),
  'mime/charset decodeHeaderValue': (s) => decodeMimeHeader(s),
  'mime/charset decodeBytes, detectCharset, decodeIso2022jp': (s) => {
    const b = Buffer.from(s, 'latin1');
    return [decodeBytes(b, 'iso-2022-jp'), decodeBytes(b), detectCharset(b), decodeIso2022jp(b)];
  },
  'imap/mime parseMime, parseHeaders': (s) => {
    const raw = mail(`Content-Type: multipart/mixed; boundary=b; ${s}\r\nFrom: ${s}`, `--b\r\nContent-Type: text/plain; ${s}\r\n\r\n${s}\r\n--b--`);
    return [parseMime(raw), parseHeaders(raw, 0, raw.length)];
  },
  'imap/mime parseContentType, parseDisposition': (s) => [imapContentType(`text/plain; ${s}`), parseDisposition(`attachment; ${s}`)],
  'imap/mime parseAddressList': (s) => parseAddressList(s),
  'imap/mime decoded text': (s) => {
    const raw = mail(`Subject: ${s}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable`, s);
    const root = parseMime(raw);
    return [decodedHeaders(raw, root), decodedBodyText(raw, root), imapHeaderValue(s)];
  },
  'imap/search-query headerMap, Content': (s) => {
    const raw = mail(`Date: ${s}\r\nSubject: ${s}`, s);
    const root = parseMime(raw);
    const c = new Content(raw);
    return [headerMap(root), c.allHeaders(), c.bodyText()];
  },
  'imap/mime fieldValues, headerMatcher (lines without a colon, long keys)': (s) => {
    const raw = mail(`X: ${s}\r\n${'a\n'.repeat(s.length * 2)}Subject: ${s}`, s);
    const end = findBodyStart(raw, 0, raw.length);
    return [fieldValues(raw, 0, end, 'subject'), headerMatcher('subject', imapFold(s.slice(0, 5000)))(raw, 0, end), headerMatcher('subject', 'zz')(raw, 0, end)];
  },
  'policy/address parseAddress': (s) => parseAddress(`<${s}@example.test>`),
  'policy/dnsbl dnsblQueryName': (s) => [
    dnsblQueryName({ query_domain: `${s}.bl.test`, type: 'HELO', hash: 'none' } as never, { ip: '127.0.0.2', helo: s, mailFrom: `${s}@${s}` }),
    dnsblQueryName({ query_domain: 'bl.test', type: 'ADDR', hash: 'none' } as never, { ip: '127.0.0.2', helo: s, mailFrom: `${s}@${s}` }),
    reversedIp(s),
  ],
  'policy/verdict replyText': (s) => replyText(s),
  'smtp/received receivedHeader, returnPathHeader': (s) => [receivedHeader(env(s, `${s}@x`), 'mx.example.test', 'u@example.test'), returnPathHeader(s)],
};

/** In a worker: run one case on every unit repeated to `size` characters, then say so. */
if (!isMainThread && parentPort && (workerData as { linearCase?: string } | null)?.linearCase) {
  const { linearCase, size } = workerData as { linearCase: string; size: number };
  const fn = CASES[linearCase];
  for (const unit of UNITS) {
    parentPort.postMessage({ unit });
    fn(unit.repeat(Math.ceil(size / unit.length)));
  }
  parentPort.postMessage({ done: true });
}
