// Legitimate mail that looks spammy, of shapes the lab's other written sets lack (issue 18, spam15): announcement
// lists run by 2002 list software (Mailman, Lyris, ListServ, Majordomo, a web-groups service with sponsor lines),
// software release announcements, conference calls for papers (cross-posted, undisclosed or long recipient lists,
// capitals in the subject, senders' names in raw Latin-1), subscription confirmations and welcomes, airline and
// hotel fare mail, bank newsletters on mortgage rates and retirement sums, health newsletters (weight loss, herbal
// supplements, a new drug), advocacy action alerts ("act now", "call today", "donate"), tech news digests with
// sponsor blurbs, job alerts with pay per hour, software vendors' upgrade offers with free trials and money-back
// guarantees, magazine sweepstakes, providers' security bulletins and fraud warnings, and personal mail from 2002 web
// mail with the provider's tagline. Unusual but legitimate headers now and then: an Outlook X-Mailer without
// X-MimeOLE, a Date held days by a moderator or stamped in the wrong zone, a group To with no address. Written from
// general knowledge of such mail for the lab; no judged-half file (hard_ham included) was read to write it and no
// text was copied from any corpus. Made-up senders under .example (web mail from its real provider's relays);
// seeded, so the same seed gives the same mail. The no-Bayes fit reads seed 8008; out-of-fold figures and tests use others.
import type { LabelledMessage } from './features.js';
import { alternative, single } from './legit-bulk.js';
import { seeded } from './seeded.js';
import { TEXT, WORDS, type ListKind } from './legit-lists-text.js';

type Rand = () => number;
type Soft = 'mailman' | 'lyris' | 'listserv' | 'majordomo' | 'groups' | 'own' | 'webmail';
interface Sender { org: string; domain: string; kinds: ListKind[]; soft: Soft; html: number; mailer?: string }

const SENDERS: Sender[] = ([
  ['Tarn Project', 'tarn-project.example', ['release', 'confirm'], 'mailman', 0, 'Mutt/1.4i'],
  ['Owlbase Developers', 'owlbase.example', ['release', 'security'], 'majordomo', 0],
  ['Larkspur Software', 'larkspursoft.example', ['release', 'vendor', 'vendor'], 'lyris', 0.5, 'Lyris ListManager 5.0'],
  ['Briar Utilities', 'briarutil.example', ['vendor', 'release'], 'own', 0.7, 'ColdFusion 5.0 Application Server'],
  ['Association for Open Systems', 'aos-conf.example', ['cfp', 'cfp', 'confirm'], 'listserv', 0],
  ['Dept. of Computer Science, Lakeview University', 'cs.lakeview.example', ['cfp', 'cfp'], 'own', 0, 'Microsoft Outlook IMO, Build 9.0.2416 (9.0.2910.0)'],
  ['Applied Networking Society', 'appnet-society.example', ['cfp', 'confirm', 'technews'], 'mailman', 0.2],
  ['Blue Heron Air', 'blueheron-air.example', ['fares', 'fares', 'confirm'], 'own', 0.6, 'SmartMail 2.1'],
  ['Northstar Airlines', 'northstar-air.example', ['fares', 'fares', 'security'], 'lyris', 0.4],
  ['Lakeshore Savings', 'lakeshoresavings.example', ['finance', 'finance', 'security'], 'own', 0.6],
  ['Granite Trust', 'granitetrust.example', ['finance', 'finance'], 'lyris', 0.5, 'Lyris ListManager 6.0'],
  ['Riverside Medical Center', 'riversidemed.example', ['health', 'health'], 'own', 0.6],
  ['WellPath', 'wellpath.example', ['health', 'health', 'contest'], 'lyris', 0.7],
  ['Friends of Wild Rivers', 'wildrivers.example', ['advocacy', 'advocacy', 'confirm'], 'own', 0.5, 'Convio Mailer'],
  ['Library Advocates Network', 'libadvocates.example', ['advocacy', 'advocacy'], 'majordomo', 0],
  ['NetWeek', 'netweek.example', ['technews', 'technews', 'contest'], 'own', 0.6],
  ['ByteLine', 'byteline.example', ['technews', 'technews', 'confirm'], 'lyris', 0.4],
  ['CareerPath Online', 'careerpath.example', ['jobs', 'jobs'], 'own', 0.5],
  ['Homestead Magazine', 'homestead-mag.example', ['contest', 'technews'], 'groups', 0.3],
  ['Ridgeline Internet', 'ridgeline-net.example', ['security', 'security'], 'own', 0.3, 'Microsoft CDO for Windows 2000'],
  ['Gardening Circle', 'gardencircle.example', ['health', 'contest', 'advocacy'], 'groups', 0],
  ['Hotmail', 'hotmail.com', ['webmail'], 'webmail', 0.3],
  ['Yahoo', 'yahoo.com', ['webmail'], 'webmail', 0],
  ['University mail', 'mail.lakeview.example', ['webmail'], 'webmail', 0, 'Microsoft Outlook Express Macintosh Edition - 5.01 (1630)'],
] as [string, string, ListKind[], Soft, number, string?][]).map(([org, domain, kinds, soft, html, mailer]) => ({ org, domain, kinds, soft, html, mailer }));

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const some = <T>(r: Rand, xs: readonly T[], n: number): T[] => [...xs].map((x) => [r(), x] as const).sort((a, b) => a[0] - b[0]).slice(0, n).map(([, x]) => x);
const num = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const hex = (r: Rand, n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ACCENTED = ['Jos\u00e9 Mart\u00ednez', 'Fran\u00e7ois Lef\u00e8vre', 'J\u00fcrgen M\u00fcller', 'S\u00f8ren Kj\u00e6r', 'In\u00e9s Pe\u00f1a', 'Ren\u00e9e Dub\u00e9'];

/** The footer each list program adds, and the header fields it writes. */
function listShape(r: Rand, s: Sender, list: string, to: string): { foot: string[]; head: string[] } {
  const lists = `lists.${s.domain}`;
  switch (s.soft) {
    case 'mailman':
      return {
        foot: ['_______________________________________________', `${list} mailing list`, `${list}@${lists}`, `http://${lists}/mailman/listinfo/${list}`],
        head: [`Sender: ${list}-admin@${lists}`, `Errors-To: ${list}-admin@${lists}`, `X-BeenThere: ${list}@${lists}`, 'X-Mailman-Version: 2.0.13', 'Precedence: bulk',
          ...(r() < 0.85 ? [`List-Help: <mailto:${list}-request@${lists}?subject=help>`, `List-Post: <mailto:${list}@${lists}>`, `List-Unsubscribe: <http://${lists}/mailman/listinfo/${list}>,\r\n\t<mailto:${list}-request@${lists}?subject=unsubscribe>`, `List-Id: ${s.org} announcements <${list}.${lists}>`] : [])],
      };
    case 'lyris': {
      const n = num(r, 10000, 99999);
      return {
        foot: ['---', `You are currently subscribed to ${list} as: ${to}`, `To unsubscribe send a blank email to leave-${list}-${n}X@${lists}`],
        head: [`List-Unsubscribe: <mailto:leave-${list}-${n}X@${lists}>`, ...(r() < 0.5 ? ['Precedence: bulk'] : []), ...(s.mailer ? [] : ['X-Mailer: Lyris ListManager 4.2'])],
      };
    }
    case 'listserv': {
      const L = list.toUpperCase();
      const host = `LISTSERV.${s.domain.toUpperCase()}`;
      return { foot: [`To unsubscribe, send mail to LISTSERV@${host} with the command SIGNOFF ${L} in the body of the message.`], head: [`Sender: ${s.org} <${L}@${host}>`, `Reply-To: ${L}-REQUEST@${host}`, ...(r() < 0.3 ? [`Comments: To: ${L}@${host}`] : [])] };
    }
    case 'majordomo':
      return { foot: [`To unsubscribe from this list, send the line "unsubscribe ${list}" in the body of a message to majordomo@${s.domain}.`], head: [`Sender: owner-${list}@${s.domain}`, 'Precedence: bulk'] };
    case 'groups':
      return {
        foot: [`------------------------ Groups Sponsor ---------------------~-->`, pick(r, ['Save 20% on printer ink this week. Click here: http://sponsor.groupsmail.example/ink', 'Free shipping on flowers for Mother\'s Day! Click here to order: http://sponsor.groupsmail.example/fl', 'Get a free credit report online - http://sponsor.groupsmail.example/cr']), '---------------------------------------------------------------------~->', '', `To unsubscribe from this group, send an email to: ${list}-unsubscribe@groups.groupsmail.example`],
        head: [`Mailing-List: list ${list}@groups.groupsmail.example; contact ${list}-owner@groups.groupsmail.example`, `Delivered-To: mailing list ${list}@groups.groupsmail.example`, 'Precedence: bulk', `List-Unsubscribe: <mailto:${list}-unsubscribe@groups.groupsmail.example>`],
      };
    default:
      return { foot: [], head: [] };
  }
}

function htmlOf(r: Rand, s: Sender, title: string, paras: string[], foot: string[]): string {
  const linked = (p: string) => p.replace(/(https?:\/\/[^\s<]+)/g, '<a href="$1">$1</a>').replace(/click here/i, (m) => `<a href="http://www.${s.domain}/go?${num(r, 100, 999)}">${m}</a>`).replace(/\n/g, '<br>\n');
  return `<html><head><title>${title}</title></head><body bgcolor="#ffffff"><table width="600" cellpadding="0" cellspacing="0" border="0" align="center"><tr><td>` +
    `<a href="http://www.${s.domain}/"><img src="http://www.${s.domain}/images/masthead.gif" width="600" height="${num(r, 50, 90)}" border="0" alt="${s.org}"></a></td></tr>` +
    `<tr><td><table cellpadding="8" cellspacing="0" border="0"><tr><td><font face="Arial, Helvetica" size="2">${paras.map(linked).join('<br><br>\n')}</font></td></tr></table></td></tr>` +
    `<tr><td bgcolor="#eeeeee"><font face="Arial" size="1" color="#555555">${foot.map(linked).join('<br>')}</font></td></tr></table></body></html>\n`;
}

/** `count` messages (default 400) of legitimate mail of list, newsletter and 2002 web-mail shapes; the fit reads seed 8008. */
export function legitLists(opts: { count?: number; seed?: number } = {}): LabelledMessage[] {
  const seed = opts.seed ?? 8008;
  const r = seeded(seed);
  const out: LabelledMessage[] = [];
  for (let i = 0; i < (opts.count ?? 400); i++) {
    const s = pick(r, SENDERS);
    const kind = pick(r, s.kinds);
    const id = `legit-lists-${seed.toString(36)}-${i}`;
    const first = pick(r, WORDS.firsts);
    const to = `${first.toLowerCase()}${r() < 0.5 ? num(r, 1, 99) : ''}@${pick(r, ['example.net', 'example.org', 'mail.example.com', 'cs.example.edu'])}`;
    const list = `${s.domain.split('.')[0].replace(/-.*/, '')}-${pick(r, ['announce', 'news', 'list', 'l'])}`;
    const proj = pick(r, WORDS.projects);
    const major = num(r, 0, 3);
    const minor = num(r, 1, 9);
    const prov = s.domain === 'hotmail.com' ? ['MSN Hotmail', 'msn.com'] : s.domain === 'yahoo.com' ? ['Yahoo!', 'yahoo.com'] : undefined;
    const webUser = `${first.toLowerCase()}_${pick(r, ['k', 'm', 'b', 'r'])}${r() < 0.5 ? num(r, 60, 82) : ''}`;
    const f: Record<string, string> = {
      proj, projl: proj.toLowerCase(), ver: `${major}.${minor}.${num(r, 0, 6)}`, oldver: `${major}.${minor - 1}.${num(r, 0, 4)}`, what: pick(r, WORDS.what), licence: pick(r, WORDS.licences),
      domain: s.domain, domain2: pick(r, ['home.example.net', 'members.example.org', 'people.example.com']), hex: hex(r, 32), hex2: hex(r, 32), conf: pick(r, WORDS.confs), confl: pick(r, ['ios', 'san', 'cos', 'wle']),
      year: '2002', month: pick(r, WORDS.months), month2: pick(r, WORDS.months), day: String(num(r, 1, 14)), day2: String(num(r, 15, 28)), city: pick(r, WORDS.cities), city2: pick(r, WORDS.cities),
      city3: pick(r, WORDS.cities), city4: pick(r, WORDS.cities), topic: pick(r, WORDS.topics), topic2: pick(r, WORDS.health), topic3: pick(r, WORDS.chat), person: pick(r, WORDS.people), person2: pick(r, WORDS.people),
      org: s.org, org2: pick(r, ['Harbor Foods', 'Metro Transit', 'Crestline Insurance', 'Summit Retail']), list, lists: `lists.${s.domain}`, to, pw: hex(r, 6), pct: String(pick(r, [10, 15, 20, 25, 30])),
      price: String(num(r, 39, 149)), price2: String(num(r, 79, 199)), price3: String(num(r, 99, 299)), airline: s.org, bank: s.org, rate: (5.5 + r()).toFixed(2), rate2: (5 + r()).toFixed(2),
      cause: pick(r, WORDS.causes), pub: s.org, headline: pick(r, WORDS.headlines), num: String(num(r, 1000, 99999)), num2: String(num(r, 1000, 99999)), sponsor: pick(r, WORDS.sponsors),
      n: String(num(r, 3, 40)), job: pick(r, WORDS.jobs), season: pick(r, WORDS.seasons), wday: pick(r, WORDS.wdays), first, user: webUser, me: pick(r, WORDS.firsts),
    };
    const fill = (x: string) => x.replace(/\{(\w+)\}/g, (_, k: string) => f[k] ?? '');
    const t = TEXT[kind];
    const rest = t.paras.slice(t.keep);
    const paras = [...t.paras.slice(0, t.keep), ...some(r, rest, Math.min(rest.length, num(r, 2, 5)))].map(fill);
    if (kind === 'confirm' && r() < 0.6) paras.push(`http://lists.${s.domain}/confirm/${f.hex.slice(0, 16)}`);
    const shape = listShape(r, s, list, to);
    const foot = [...shape.foot, ...(prov ? ['', '__________________________________________________', fill(pick(r, WORDS.taglines)).replaceAll('{prov}', prov[0]).replaceAll('{provd}', prov[1])] : [])];
    const subject = fill(pick(r, t.subjects));
    const body = [...paras, '', ...foot].join('\n\n').replace(/\n{3,}/g, '\n\n') + '\n';
    const html = r() < s.html ? htmlOf(r, s, subject, paras, foot) : '';
    const cte = pick(r, ['7bit', '7bit', '7bit', 'quoted-printable', 'base64'] as const);
    const mime = !html ? single('text/plain', body, cte === 'base64' && r() < 0.7 ? '7bit' : cte) : r() < 0.5 ? single('text/html', html, cte) : alternative(id, body, html, cte);
    // the Date: usually as sent; a moderator's hold of days, or a clock in the wrong zone, now and then
    const sent = Date.UTC(2002, num(r, 0, 11), num(r, 1, 28), num(r, 0, 23), num(r, 0, 59), num(r, 0, 59));
    const quirk = r();
    const seen = sent + (quirk < 0.04 && s.soft !== 'webmail' && s.soft !== 'own' ? num(r, 5, 9) * 86400_000 : num(r, 5, 900) * 1000);
    const zoneHours = pick(r, [-5, -4, -7, -8, 0, 1, 2]);
    const shown = quirk > 0.97 ? zoneHours + 14 : zoneHours;
    const stamp = (ms: number, h: number) => {
      const d = new Date(ms + h * 3600_000);
      const z = `${h < 0 ? '-' : '+'}${String(Math.abs(h)).padStart(2, '0')}00`;
      return `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')} ${z}`;
    };
    const date = quirk > 0.97 ? stamp(sent, zoneHours).replace(/[+-]\d{4}$/, '+0000') : stamp(sent, shown);
    const accented = (kind === 'cfp' || kind === 'webmail') && r() < 0.2;
    const fromName = kind === 'webmail' ? (accented ? pick(r, ACCENTED) : `${f.me} ${pick(r, ['Walsh', 'Brennan', 'Ortiz', 'Nakamura', 'Fischer'])}`) : accented ? pick(r, ACCENTED) : s.org;
    const fromAddr = kind === 'webmail' ? `${webUser}@${s.domain}` : s.soft === 'own' || s.soft === 'lyris' ? `${pick(r, ['news', 'announce', 'info', 'alerts', 'editor'])}@${s.domain}` : `${pick(r, ['announce', 'admin', 'editor', 'chair'])}@${s.domain}`;
    const relay = prov ? (prov[1] === 'msn.com' ? `hotmail.com (${num(r, 60, 99)}.${num(r, 1, 250)}.${num(r, 1, 250)}.${num(r, 1, 250)})` : `web${num(r, 10000, 21000)}.mail.yahoo.com`) : `mail.${s.domain}`;
    const toLine = kind === 'cfp' && r() < 0.45 ? 'undisclosed-recipients:;' : kind === 'cfp' && r() < 0.25
      ? Array.from({ length: num(r, 10, 18) }, () => `${pick(r, WORDS.firsts).toLowerCase()}@${pick(r, ['cs.example.edu', 'ee.example.ac.uk', 'informatik.example.de', 'lab.example.org'])}`).join(', ')
      : s.soft === 'own' && kind !== 'webmail' && r() < 0.05 ? `${s.org} subscribers:;` : s.soft === 'mailman' || s.soft === 'majordomo' || s.soft === 'groups' ? `${list}@${s.soft === 'groups' ? 'groups.groupsmail.example' : `lists.${s.domain}`}` : to;
    const reply = kind === 'webmail' && subject.startsWith('Re:') && r() < 0.7 ? [`In-Reply-To: <${hex(r, 12)}@example.net>`] : [];
    // Outlook on Windows names its MIME library (X-MimeOLE); the Macintosh edition of Outlook Express does not
    const mailer = s.mailer && r() < 0.8 ? [`X-Mailer: ${s.mailer}`, ...(/Outlook (?:IMO|CWS)/.test(s.mailer) ? ['X-MimeOLE: Produced By Microsoft MimeOLE V5.50.4522.1200'] : [])] : [];
    const head = [
      `Return-Path: <${s.soft === 'lyris' ? `bounce-${list}-${num(r, 1000, 9999)}@lists.${s.domain}` : s.soft === 'mailman' ? `${list}-admin@lists.${s.domain}` : fromAddr}>`,
      `Received: from ${relay} by mx.example.net (8.11.6/8.11.6) with ESMTP id g${hex(r, 10).toUpperCase()}; ${stamp(seen, -4)}`,
      ...(prov?.[1] === 'msn.com' ? [`Received: from mail pickup service by hotmail.com with Microsoft SMTPSVC; ${stamp(seen - 2000, -7)}`, `X-Originating-IP: [${num(r, 60, 220)}.${num(r, 1, 250)}.${num(r, 1, 250)}.${num(r, 1, 250)}]`] : []),
      ...(prov?.[1] === 'yahoo.com' ? [`Received: from [${num(r, 60, 220)}.${num(r, 1, 250)}.${num(r, 1, 250)}.${num(r, 1, 250)}] by web${num(r, 10000, 21000)}.mail.yahoo.com via HTTP; ${stamp(seen - 2000, -7)}`] : []),
      `From: ${fromName.includes(' ') || accented ? `"${fromName}"` : fromName} <${fromAddr}>`,
      `To: ${toLine}`,
      ...(kind === 'cfp' && r() < 0.2 ? [`Cc: ${pick(r, ['dbworld', 'seworld', 'netlist'])}@lists.example.edu`] : []),
      `Subject: ${subject}`,
      `Date: ${date}`,
      `Message-ID: <${prov ? `${hex(r, 8).toUpperCase()}.${num(r, 1000, 9999)}` : `${hex(r, 12)}.${i}`}@${prov ? (prov[1] === 'msn.com' ? 'hotmail.com' : 'web.mail.yahoo.com') : s.domain}>`,
      ...reply,
      ...shape.head,
      ...mailer,
      ...(s.soft === 'listserv' && r() < 0.1 ? [] : ['MIME-Version: 1.0']),
      mime.head,
      `X-Lab-Corpus-Id: ${id}`,
    ].join('\r\n');
    out.push({ id, group: 'legit-lists', label: 'ham', raw: Buffer.from(`${head}\r\n\r\n${mime.body}`, 'latin1') });
  }
  return out;
}
