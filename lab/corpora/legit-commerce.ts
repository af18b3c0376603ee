// Legitimate English commercial mail (issue 18, spam13): order confirmations, shipping notices, receipts and
// invoices, password resets, new-sign-in and email-confirmation notices, subscription renewals, sales mail with
// prices, discounts, "free shipping", "order now" and capitals in the subject, HTML-only marketing with images and
// click-tracking links, event invitations, newsletters with deals, and survey requests. Some senders write 2002-era
// HTML (layout tables, <font>, image rollovers by onMouseOver, a <script> for a pop-up or the date, a search or
// poll form), others today's (a style block, a hidden preheader, List-Unsubscribe with One-Click). Each sender owns
// its domain (From, Message-ID, links; some mail leaves through a named ESP). Written from general knowledge of such
// mail for the lab; no SpamAssassin judged-half file (hard_ham included) was read to write it. The no-Bayes weight fit
// reads it as legitimate mail (seed 7007); tests and out-of-fold figures use other seeds. Made-up senders under
// .example; seeded, so the same seed gives the same mail.
import type { LabelledMessage } from './features.js';
import { alternative, single } from './legit-bulk.js';
import { seeded } from './seeded.js';
import * as W from './legit-commerce-text.js';
import type { CommerceKind } from './legit-commerce-text.js';

type Rand = () => number;
type Era = 'classic' | 'modern';
interface Sender { name: string; domain: string; kinds: CommerceKind[]; era: Era; esp?: string; mailer?: string }

const K = {
  shop: ['order', 'shipping', 'sale', 'sale', 'promo', 'digest', 'survey', 'reset', 'verify'] as CommerceKind[],
  service: ['receipt', 'reset', 'signin', 'verify', 'renewal', 'digest', 'event'] as CommerceKind[],
  events: ['event', 'event', 'digest', 'receipt', 'verify'] as CommerceKind[],
  travel: ['receipt', 'sale', 'promo', 'signin', 'reset', 'survey'] as CommerceKind[],
};
const SENDERS: Sender[] = ([
  ['Maple & Finch', 'maplefinch.example', K.shop, 'classic', 'mail.maplefinch.example', 'Lyris ListManager 4.2'],
  ['GadgetBarn', 'gadgetbarn.example', K.shop, 'classic', undefined, 'Microsoft CDO for Windows 2000'],
  ['Brookside Home', 'brooksidehome.example', K.shop, 'modern', 'mta.sendgrove.example'],
  ['Summit Sports Co.', 'summitsports.example', K.shop, 'modern', 'bounce.mailharbor.example'],
  ['PageTurner Books', 'pageturner.example', [...K.shop, 'ezine', 'ezine'], 'classic', 'news.pageturner.example', 'MailKing 4.5'],
  ['TechDepot Direct', 'techdepot-direct.example', [...K.shop, 'ezine', 'ezine'], 'classic', 'em.techdepot-direct.example', 'StrongMail'],
  ['Little Sprouts Kids', 'littlesprouts.example', K.shop, 'modern', 'mta.sendgrove.example'],
  ['Harvest Table', 'harvesttable.example', K.shop, 'modern', 'bounce.mailharbor.example'],
  ['Evergreen Pet Supply', 'evergreenpet.example', [...K.shop, 'ezine', 'ezine'], 'classic', undefined, 'ColdFusion MX Application Server'],
  ['Northgate Tools', 'northgatetools.example', K.shop, 'modern', 'o1.emailrelay.example'],
  ['Crescent Beauty', 'crescentbeauty.example', K.shop, 'modern', 'o1.emailrelay.example'],
  ['Vinyl Vault Records', 'vinylvault.example', [...K.shop, 'ezine', 'ezine'], 'classic', undefined, 'Mailman 2.0.13'],
  ['CloudNest Storage', 'cloudnest.example', K.service, 'modern', 'mail.cloudnest.example'],
  ['StreamBox', 'streambox.example', K.service, 'modern', 'bounce.mailharbor.example'],
  ['PayLoop', 'payloop.example', K.service, 'modern', 'notify.payloop.example'],
  ['Ridgeline Internet', 'ridgeline-isp.example', K.service, 'classic', 'mail.ridgeline-isp.example', 'Microsoft CDO for Windows 2000'],
  ['Bright Energy', 'brightenergy.example', K.service, 'modern', 'o1.emailrelay.example'],
  ['Fitlog', 'fitlog.example', K.service, 'modern', 'mta.sendgrove.example'],
  ['Ledgerly', 'ledgerly.example', K.service, 'modern', 'mail.ledgerly.example'],
  ['Clearview Mobile', 'clearviewmobile.example', K.service, 'classic', undefined, 'Exactarget'],
  ['Civic Theatre', 'civictheatre.example', [...K.events, 'ezine', 'ezine'], 'classic', undefined, 'ColdFusion 5.0 Application Server'],
  ['TicketLine', 'ticketline.example', K.events, 'modern', 'bounce.mailharbor.example'],
  ['Metro Business Expo', 'metroexpo.example', K.events, 'modern', 'o1.emailrelay.example'],
  ['Open Source Conference', 'osconf.example', [...K.events, 'ezine', 'ezine'], 'classic', 'lists.osconf.example'],
  ['SkyHop Airlines', 'skyhop.example', K.travel, 'modern', 'e.skyhop.example'],
  ['Roam Stays', 'roamstays.example', K.travel, 'modern', 'mta.sendgrove.example'],
  ['Getaway Rail', 'getawayrail.example', [...K.travel, 'ezine', 'ezine'], 'classic', undefined, 'SmartMail 2.1'],
  ['Drive Rentals', 'driverentals.example', K.travel, 'classic', 'em.driverentals.example'],
] as [string, string, CommerceKind[], Era, string?, string?][]).map(([name, domain, kinds, era, esp, mailer]) => ({ name, domain, kinds, era, esp, mailer }));

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const some = <T>(r: Rand, xs: readonly T[], n: number): T[] => [...xs].map((x) => [r(), x] as const).sort((a, b) => a[0] - b[0]).slice(0, n).map(([, x]) => x);
const num = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

interface Made { subject: string; heading: string; paras: string[]; items: [string, string][]; cta: [string, string]; service: boolean; foot: string[] }

function make(r: Rand, s: Sender, kind: CommerceKind, to: string, fromaddr: string, link: (p: string) => string, unsub: string): Made {
  if (kind === 'ezine') return ezine(r, s);
  const t = W.TEXT[kind];
  const first = pick(r, W.FIRSTS);
  const sub = num(r, 12, 480) + 0.99;
  const tax = Math.round(sub * 0.0725 * 100) / 100;
  const ship = r() < 0.5 ? 0 : num(r, 4, 12) + 0.95;
  const items = some(r, W.ITEMS, num(r, 1, 4));
  const day = `${pick(r, ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'])}, ${pick(r, W.MONTHS)} ${num(r, 1, 28)}`;
  const fields: Record<string, string> = {
    shop: s.name, shopcaps: s.name.toUpperCase().replace(/[^A-Z ]/g, '').slice(0, 14), domain: s.domain, first, last: pick(r, W.LASTS), to, fromaddr,
    order: `${num(r, 100, 999)}-${num(r, 1000000, 9999999)}`, item: items[0], item2: pick(r, W.ITEMS), cat: pick(r, W.CATEGORIES), pct: String(pick(r, [15, 20, 25, 30, 40, 50, 60])),
    pct2: String(pick(r, [10, 15, 20])), code: `${pick(r, ['SAVE', 'SPRING', 'THANKS', 'VIP', 'EXTRA'])}${num(r, 10, 99)}`, gift: pick(r, W.GIFTS), price: String(num(r, 9, 199)), price2: String(num(r, 200, 349)),
    sub: sub.toFixed(2), tax: tax.toFixed(2), total: (sub + tax + ship).toFixed(2), shipcost: ship ? `$${ship.toFixed(2)}` : 'FREE', card: pick(r, W.CARDS), last4: String(num(r, 1000, 9999)),
    date: `${day}, ${num(r, 1, 12)}:${String(num(r, 0, 59)).padStart(2, '0')} ${pick(r, ['AM', 'PM'])}`, day, carrier: pick(r, W.CARRIERS), tracking: `1Z${num(r, 100, 999)}E${num(r, 10000000, 99999999)}`,
    device: pick(r, W.DEVICES), city: pick(r, W.CITIES), event: pick(r, W.EVENTS), topic: pick(r, W.TOPICS), venue: pick(r, W.VENUES), len: pick(r, ['fun', 'relaxed', 'busy', 'friendly']),
    season: pick(r, W.SEASONS), month: pick(r, W.MONTHS), num: String(num(r, 12, 260)), plan: pick(r, W.PLANS), year: String(pick(r, [2002, 2003, 2019, 2024])),
    street: `${num(r, 10, 9000)} ${pick(r, ['Commerce Way', 'Market Street', 'Industrial Pkwy', 'Main Street', 'Harbor Blvd'])}, ${pick(r, W.CITIES)}`, unsub,
  };
  fields.greet = pick(r, W.GREETS);
  const fill = (x: string) => x.replace(/\{(\w+)\}/g, (_, k: string) => fields[k] ?? '').replace(/\{(\w+)\}/g, (_, k: string) => fields[k] ?? '');
  const rest = t.paras.slice(t.keep);
  const paras = [...t.paras.slice(0, t.keep), ...some(r, rest, Math.min(rest.length, num(r, 2, 5)))].map(fill);
  const priced = kind === 'order' || kind === 'shipping' || kind === 'receipt' || kind === 'sale' || kind === 'promo' || kind === 'digest';
  const itemRows = priced ? items.map((i): [string, string] => [i, kind === 'sale' || kind === 'promo' ? `$${num(r, 9, 299)}.${pick(r, ['99', '95', '00'])}${r() < 0.5 ? ` (was $${num(r, 300, 499)}.99)` : ''}` : `$${num(r, 5, 250)}.${pick(r, ['99', '49', '00'])}`]) : [];
  const ctaPath = { order: 'account/orders', shipping: 'track', receipt: 'billing/invoices', reset: 'account/reset?token=', signin: 'account/security', verify: 'account/confirm?token=', renewal: 'account/plan', sale: 'sale', promo: 'new', event: 'events/register', digest: 'newsletter', survey: 'survey' }[kind];
  const token = Math.floor(r() * 36 ** 10).toString(36);
  const foot = (t.service ? some(r, W.SERVICE_FOOTERS, num(r, 1, 3)) : some(r, W.FOOTERS, num(r, 2, 4))).map(fill);
  return { subject: fill(pick(r, t.subjects)), heading: fill(pick(r, t.headings)), paras, items: itemRows, cta: [fill(pick(r, t.cta)), link(`${ctaPath}${ctaPath.endsWith('=') ? token : ''}`)], service: t.service, foot };
}

function ezine(r: Rand, s: Sender): Made {
  const sponsor = pick(r, W.EZINE.sponsorNames);
  const f: Record<string, string> = {
    shop: s.name, domain: s.domain, num: String(num(r, 12, 260)), month: pick(r, W.MONTHS), year: String(pick(r, [2002, 2003])), topic: pick(r, W.TOPICS), item: pick(r, W.ITEMS),
    item2: pick(r, W.ITEMS), day: `${pick(r, W.MONTHS)} ${num(r, 1, 28)}`, city: pick(r, W.CITIES), event: pick(r, W.EVENTS), price: String(num(r, 9, 99)), price2: String(num(r, 100, 199)),
    sponsor, sponsorurl: `http://www.${sponsor.toLowerCase().replace(/[^a-z]/g, '')}.example/?ref=${s.domain.split('.')[0]}`, pct: String(pick(r, [10, 20, 25])),
  };
  const fill = (x: string) => x.replace(/\{(\w+)\}/g, (_, k: string) => f[k] ?? '');
  const arts = some(r, W.EZINE.articles, num(r, 3, 5)).map(fill);
  arts.splice(num(r, 1, arts.length - 1), 0, fill(pick(r, W.EZINE.sponsors)));
  return { subject: fill(pick(r, W.EZINE.subjects)), heading: fill(`${s.name.toUpperCase()} - ISSUE #{num}`), paras: arts, items: [], cta: ['Read past issues', `http://www.${s.domain}/ezine/archive`], service: false, foot: some(r, W.EZINE.footers, num(r, 2, 3)).map(fill) };
}

function text(m: Made): string {
  const rows = m.items.map(([a, b]) => `  ${a.padEnd(34)}${b}`);
  return [m.heading, '', ...m.paras.flatMap((p) => [p, '']), ...rows, ...(rows.length ? [''] : []), `${m.cta[0]}:`, m.cta[1], '', '--', ...m.foot].join('\n') + '\n';
}

function html(r: Rand, s: Sender, m: Made, link: (p: string) => string, unsub: string, pixel: string): string {
  const img = (n: string, w: number, h: number, alt: string) => `<img src="http://${r() < 0.5 ? 'images' : 'img'}.${s.domain}/email/${n}" width="${w}" height="${h}" border="0" alt="${alt}">`;
  const footer = m.foot.map((f) => f.replace(unsub, `<a href="${unsub}">${r() < 0.5 ? unsub : 'unsubscribe'}</a>`)).join('<br>');
  const hasItems = m.items.length > 0;
  if (s.era === 'classic') {
    const over = r() < 0.5;
    const btn = (n: string, href: string, alt: string) =>
      `<a href="${href}"${over ? ` onMouseOver="document.images['${n}'].src='http://images.${s.domain}/email/${n}_on.gif'" onMouseOut="document.images['${n}'].src='http://images.${s.domain}/email/${n}.gif'"` : ''}><img name="${n}" src="http://images.${s.domain}/email/${n}.gif" border="0" alt="${alt}"></a>`;
    const script = r() < 0.25 ? pick(r, [
      `<script language="JavaScript"><!--\nfunction openWin(u){window.open(u,'info','width=400,height=300,scrollbars=yes');}\n//--></script>`,
      `<script language="JavaScript"><!--\nvar d=new Date();document.write(d.getFullYear());\n//--></script>`,
      `<script type="text/javascript">var mmImages=new Array();function preload(){for(var i=0;i<arguments.length;i++){mmImages[i]=new Image();mmImages[i].src=arguments[i];}}</script>`,
    ]) : '';
    const form = r() < 0.3 ? pick(r, [
      `<form method="get" action="http://www.${s.domain}/search"><font face="Arial" size="1">Search our store:</font> <input type="text" name="q" size="15"> <input type="submit" value="Go"></form>`,
      `<form method="post" action="http://www.${s.domain}/poll"><font face="Arial" size="2">Which would you like to see more of?<br><input type="radio" name="vote" value="1"> Deals<br><input type="radio" name="vote" value="2"> Tips<br><input type="submit" value="Vote"></font></form>`,
      `<form method="get" action="http://www.${s.domain}/stores"><font face="Arial" size="1">Find a store near you: ZIP</font> <input type="text" name="zip" size="6"> <input type="submit" value="Find"></form>`,
      `<form method="post" action="http://www.${s.domain}/friend"><font face="Arial" size="1">Send this to a friend - their email:</font> <input type="text" name="friend_email"> <input type="submit" value="Send"></form>`,
    ]) : '';
    const rows = hasItems ? `<table width="100%" cellpadding="3" cellspacing="0" border="0">${m.items.map(([a, b]) => `<tr><td>${r() < 0.6 ? img(`p${num(r, 1000, 99999)}.jpg`, 90, 90, a) : ''}</td><td><font face="Arial" size="2"><a href="${link('product')}">${a}</a></font></td><td align="right"><font face="Arial" size="2" color="#cc0000"><b>${b}</b></font></td></tr>`).join('\n')}</table>` : '';
    return `<html><head><title>${m.subject}</title>${script}</head>\n<body bgcolor="#ffffff" marginwidth="0" marginheight="0"${over ? ` onLoad="preload && preload('http://images.${s.domain}/email/shop_on.gif')"` : ''}>\n` +
      `<table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td align="center">\n<table width="600" border="0" cellspacing="0" cellpadding="0">\n` +
      `<tr><td><a href="${link('')}">${img('logo.gif', 600, num(r, 50, 110), s.name)}</a></td></tr>\n` +
      `<tr><td><table width="100%" cellpadding="8" cellspacing="0" border="0"><tr><td valign="top"><font face="Verdana, Arial" size="2"><b>${m.heading}</b><br><br>${m.paras.join('<br><br>\n')}</font><br><br>${rows}<br><center>${btn('shop', m.cta[1], m.cta[0])}</center><br>${form}</td></tr></table></td></tr>\n` +
      `<tr><td bgcolor="#eeeeee"><font face="Arial" size="1" color="#666666">${footer}</font></td></tr>\n</table>${pixel}\n</td></tr></table></body></html>\n`;
  }
  const rows = hasItems ? `<table role="presentation" width="100%" cellspacing="0" cellpadding="6">${m.items.map(([a, b]) => `<tr><td width="100">${img(`products/${num(r, 1000, 99999)}.jpg`, 100, 100, a)}</td><td><a href="${link('p')}" style="color:#222">${a}</a><br><strong>${b}</strong></td></tr>`).join('\n')}</table>` : '';
  const banner = !m.service && r() < 0.5 ? `<tr><td><a href="${m.cta[1]}">${img(`hero-${num(r, 1, 40)}.jpg`, 600, 300, m.heading)}</a></td></tr>\n` : '';
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${m.subject}</title>` +
    `<style>body{margin:0;padding:0;background:#f2f2f2}.wrap{max-width:600px;margin:0 auto;background:#fff}.btn{display:inline-block;background:#0b6efd;color:#fff;padding:12px 24px;border-radius:4px;text-decoration:none}.foot{font-size:12px;color:#888}@media only screen and (max-width:480px){.wrap{width:100%!important}}</style></head>\n<body>` +
    `<div style="display:none;font-size:1px;color:#f2f2f2;line-height:1px;max-height:0;overflow:hidden">${m.paras[0].replace(/<[^>]*>/g, '')}</div>\n` +
    `<table role="presentation" width="100%" cellspacing="0" cellpadding="0"><tr><td align="center"><table role="presentation" class="wrap" width="600" cellspacing="0" cellpadding="0">\n` +
    `<tr><td style="padding:16px"><a href="${link('')}">${img('logo.png', 140, 40, s.name)}</a></td></tr>\n${banner}` +
    `<tr><td style="padding:0 24px;font-family:Helvetica,Arial,sans-serif;font-size:15px;line-height:22px;color:#333"><h1 style="font-size:22px">${m.heading}</h1>${m.paras.map((p) => `<p>${p}</p>`).join('\n')}${rows}<p><a class="btn" href="${m.cta[1]}">${m.cta[0]}</a></p></td></tr>\n` +
    `<tr><td class="foot" style="padding:24px;font-family:Helvetica,Arial,sans-serif">${footer}<br><a href="${unsub}">Unsubscribe</a> &middot; <a href="${link('preferences')}">Email preferences</a> &middot; <a href="${link('view')}">View in browser</a></td></tr>\n` +
    `</table></td></tr></table>${pixel}</body></html>\n`;
}

/** `count` messages (default 400) of legitimate English commercial mail; the fit reads seed 7007. */
export function legitCommerce(opts: { count?: number; seed?: number } = {}): LabelledMessage[] {
  const seed = opts.seed ?? 7007;
  const r = seeded(seed);
  const out: LabelledMessage[] = [];
  for (let i = 0; i < (opts.count ?? 400); i++) {
    const s = pick(r, SENDERS);
    const kind = pick(r, s.kinds);
    const id = `legit-commerce-${seed.toString(36)}-${i}`;
    const first = pick(r, W.FIRSTS).toLowerCase();
    const to = `${first}${r() < 0.5 ? `.${pick(r, W.LASTS).toLowerCase()}` : num(r, 1, 99)}@${pick(r, ['example.net', 'example.org', 'mail.example.com'])}`;
    const local = W.TEXT[kind].service ? pick(r, ['no-reply', 'noreply', 'account', 'orders', 'billing', 'security', 'support']) : pick(r, ['news', 'deals', 'offers', 'hello', 'email', 'events']);
    const fromaddr = `${local}@${r() < 0.75 ? s.domain : `${pick(r, ['e', 'mail', 'em'])}.${s.domain}`}`;
    const uid = Math.floor(r() * 36 ** 9).toString(36);
    const campaign = String(num(r, 100000, 999999));
    const espLinks = s.esp && !W.TEXT[kind].service && r() < 0.6;
    const link = (p: string) => (espLinks ? `http://${pick(r, ['click', 'links', 'trk'])}.${s.esp!.split('.').slice(-2).join('.')}/ls/click?u=${uid}&c=${campaign}&d=${encodeURIComponent(`http://www.${s.domain}/${p}`)}` : `http://www.${s.domain}/${p}${r() < 0.5 ? `${p.includes('?') ? '&' : '?'}utm_source=email&utm_campaign=${campaign}` : ''}`);
    const unsub = `http://www.${s.domain}/${pick(r, ['unsubscribe', 'email/unsub', 'preferences'])}?u=${uid}`;
    const m = make(r, s, kind, to, fromaddr, link, unsub);
    const pixel = r() < 0.6 ? `<img src="http://${espLinks ? s.esp : `www.${s.domain}`}/o/${campaign}/${uid}.gif" width="1" height="1" alt="" border="0">` : '';
    const shape = kind === 'ezine' ? 'text' : m.service ? pick(r, ['text', 'alt', 'alt', 'html'] as const) : pick(r, ['html', 'html', 'html', 'alt', 'alt', 'text'] as const);
    const cte = pick(r, ['7bit', '7bit', 'quoted-printable', 'quoted-printable', 'base64'] as const);
    const body = shape === 'text' ? single('text/plain', text(m), cte) : shape === 'html' ? single('text/html', html(r, s, m, link, unsub, pixel), cte) : alternative(id, text(m), html(r, s, m, link, unsub, pixel), cte);
    const modern = s.era === 'modern';
    const year = modern ? pick(r, [2021, 2023, 2024, 2025]) : 2002;
    const date = `${pick(r, ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'])}, ${num(r, 1, 28)} ${pick(r, ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'])} ${year} ${String(num(r, 0, 23)).padStart(2, '0')}:${String(num(r, 0, 59)).padStart(2, '0')}:${String(num(r, 0, 59)).padStart(2, '0')} ${pick(r, ['-0400', '-0500', '-0700', '-0800', '+0000'])}`;
    const relay = s.esp ?? `smtp${num(r, 1, 4)}.${s.domain}`;
    const marketing = !m.service;
    const head = [
      `Return-Path: <${s.esp ? `bounce-${uid}@${s.esp}` : `mailer-daemon@${s.domain}`}>`,
      `Received: from ${relay} (${relay} [203.0.113.${num(r, 2, 250)}]) by mx.example.net with ESMTP id ${uid}; ${date}`,
      `From: ${r() < 0.85 ? `"${s.name}${m.service && r() < 0.3 ? pick(r, [' Support', ' Billing', ' Security', ' Orders']) : ''}" ` : ''}<${fromaddr}>`,
      `To: ${r() < 0.6 ? to : `${first[0].toUpperCase()}${first.slice(1)} <${to}>`}`,
      `Subject: ${m.subject}`,
      `Date: ${date}`,
      `Message-ID: <${uid}.${campaign}.${i}@${r() < 0.5 && s.esp ? s.esp : s.domain}>`,
      ...(r() < 0.25 ? [`Reply-To: ${pick(r, ['support', 'help', 'customerservice'])}@${s.domain}`] : []),
      ...(marketing && (modern ? r() < 0.9 : r() < 0.25) ? [`List-Unsubscribe: <${unsub}>${r() < 0.5 ? `, <mailto:unsub-${uid}@${s.esp ?? s.domain}>` : ''}`, ...(modern ? ['List-Unsubscribe-Post: List-Unsubscribe=One-Click'] : [])] : []),
      ...(marketing && r() < 0.3 ? ['Precedence: bulk'] : []),
      ...(s.mailer && r() < 0.8 ? [`X-Mailer: ${s.mailer}`] : []),
      ...(modern && r() < 0.5 ? [`Feedback-ID: ${campaign}:${s.domain.split('.')[0]}:${kind}`] : []),
      'MIME-Version: 1.0',
      body.head,
      `X-Lab-Corpus-Id: ${id}`,
    ].join('\r\n');
    out.push({ id, group: 'legit-commerce', label: 'ham', raw: Buffer.from(`${head}\r\n\r\n${body.body}`, 'latin1') });
  }
  return out;
}
