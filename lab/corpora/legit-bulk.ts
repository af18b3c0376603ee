// Legitimate bulk mail as real senders send it, for the validation of the fitting options (issue 18, spam8):
// HTML-only and multipart newsletters with layout tables, tracking pixels, click-tracking links and "click here to be
// removed" footers, List-Unsubscribe/List-Id/Precedence headers, order confirmations, shipping notices, statements
// (no credentials asked), event announcements, release mail and opted-in sale mail, English here and Japanese in
// legit-bulk-ja.ts. Written from general knowledge of such mail for this purpose; the judged half (hard_ham included)
// was NOT read to write it. Never learnt, never fitted on. Made-up senders under .example; seeded, so deterministic.
import type { LabelledMessage } from './features.js';
import { legitBulkJa } from './legit-bulk-ja.js';
import { seeded } from './seeded.js';

type Kind = 'news' | 'sale' | 'order' | 'shipping' | 'statement' | 'event' | 'release' | 'travel';
type Rand = () => number;
interface Sender { name: string; domain: string; kinds: Kind[]; esp: string; mailer?: string }

const ESPS = ['em.sendwave.example', 'mailer.bluehornet.example', 'clicks.listcast.example', 'e.responsys-mail.example', 'lists.mailpost.example'];
const MAILERS = ['Lyris ListManager 6.0', 'MailKing 4.5', 'Exactarget', 'SmartMail 2.1', 'Microsoft CDO for Windows 2000', 'StrongMail', 'Mailman 2.0.13', 'ColdFusion 5.0 Application Server'];
const SENDERS: Sender[] = [
  ['Pinecrest Outdoor', 'pinecrest-outdoor.example', ['sale', 'order', 'shipping']],
  ['Marigold Kitchen Supply', 'marigoldkitchen.example', ['sale', 'order', 'shipping']],
  ['Copperleaf Electronics', 'copperleaf.example', ['sale', 'order', 'shipping', 'news']],
  ['Tidewater Books', 'tidewaterbooks.example', ['sale', 'news', 'order']],
  ['Lumen Music', 'lumenmusic.example', ['sale', 'news', 'event']],
  ['Silverline Airways', 'silverline-air.example', ['travel', 'order']],
  ['Coastal Rail', 'coastalrail.example', ['travel', 'order']],
  ['Harbourview Hotels', 'harbourview.example', ['travel', 'sale']],
  ['First Meridian Bank', 'firstmeridian.example', ['statement', 'news']],
  ['Atlas Card Services', 'atlascard.example', ['statement', 'news']],
  ['Brightwater Credit Union', 'brightwatercu.example', ['statement', 'event']],
  ['Orchard Mobile', 'orchardmobile.example', ['statement', 'news']],
  ['Kestrel Software', 'kestrelsoft.example', ['release', 'news', 'event']],
  ['Netfold Hosting', 'netfold.example', ['release', 'statement', 'news']],
  ['Openframe Project', 'openframe.example', ['release', 'event']],
  ['The Morning Dispatch', 'morningdispatch.example', ['news']],
  ['Circuit Weekly', 'circuitweekly.example', ['news', 'event']],
  ['Gardeners Monthly', 'gardenersmonthly.example', ['news', 'sale']],
  ['Westfield Arts Centre', 'westfieldarts.example', ['event', 'news']],
  ['City Marathon', 'citymarathon.example', ['event']],
  ['DevSummit', 'devsummit.example', ['event', 'news']],
  ['Parcelway', 'parcelway.example', ['shipping']],
  ['QuickShip Logistics', 'quickship.example', ['shipping']],
  ['Fennel & Fig', 'fennelfig.example', ['sale', 'order', 'news']],
  ['Starling Photo', 'starlingphoto.example', ['sale', 'order', 'release']],
  ['Alumni Association of Riverbend University', 'riverbend-alumni.example', ['event', 'news']],
].map(([name, domain, kinds], i) => ({ name: name as string, domain: domain as string, kinds: kinds as Kind[], esp: ESPS[i % ESPS.length], mailer: i % 3 === 0 ? undefined : MAILERS[i % MAILERS.length] }));

const PRODUCTS = ['Trail Runner Shoes', 'Down Jacket', 'Cast Iron Skillet', 'Chef Knife Set', 'Wireless Headphones', 'USB Keyboard', '17" LCD Monitor', 'Digital Camera 4MP', 'Hardcover Atlas', 'Paperback Classics Box', 'Jazz Anthology CD', 'Rain Shell', 'Wool Socks (3 pack)', 'Espresso Maker', 'Tripod', 'Memory Card 256MB', 'Garden Gloves', 'Seed Starter Kit', 'Camping Stove', 'Backpack 40L', 'Olive Oil Gift Set', 'DVD Box Set'];
const CITIES = ['Boston', 'Chicago', 'Denver', 'Seattle', 'Dublin', 'London', 'Lisbon', 'Rome', 'Toronto', 'Vancouver', 'Orlando', 'Phoenix', 'San Diego', 'Amsterdam'];
const NAMES = ['Chris', 'Pat', 'Jordan', 'Sam', 'Alex', 'Morgan', 'Taylor', 'Robin', 'Jamie', 'Lee'];

const money = (r: Rand) => (5 + Math.floor(r() * 400) + (r() < 0.7 ? 0.99 : 0)).toFixed(2);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const some = <T>(r: Rand, xs: readonly T[], n: number): T[] => [...xs].sort(() => r() - 0.5).slice(0, n);

interface Content { subject: string; heading: string; paras: string[]; items: [string, string][]; cta: [string, string]; transactional: boolean }

function content(r: Rand, s: Sender, kind: Kind, name: string, url: (p: string) => string): Content {
  const order = `${Math.floor(100 + r() * 899)}-${Math.floor(1e6 + r() * 8999999)}`;
  const items = some(r, PRODUCTS, 1 + Math.floor(r() * 4)).map((p): [string, string] => [p, `$${money(r)}`]);
  const pct = pick(r, [10, 15, 20, 25, 30, 40, 50]);
  const city = pick(r, CITIES);
  const when = `${pick(r, ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'])}, ${pick(r, ['March', 'April', 'May', 'June', 'September', 'October', 'November'])} ${1 + Math.floor(r() * 28)}`;
  switch (kind) {
    case 'sale':
      return {
        subject: pick(r, [`${pct}% off everything this weekend`, `Our biggest sale of the season starts now`, `FREE SHIPPING on all orders - this week only!`, `${name}, your member discount is inside`, `Last day: up to ${pct}% off`, `New arrivals + ${pct}% off for subscribers`, `Clearance: prices cut again`, `Gift ideas under $50`]),
        heading: pick(r, [`Save ${pct}% storewide`, 'The Season Sale', 'Just for our subscribers', 'Fresh picks for you']),
        paras: some(r, [`As a valued customer, you get ${pct}% off your next order with code SAVE${pct} at checkout.`, 'Free shipping on orders over $75. Offer ends Sunday at midnight.', 'Shop our new arrivals, now in stores and online.', 'Limited quantities. While supplies last.', 'Prices good through the end of the month. Not valid on previous purchases.', 'Our customer service team is available 7 days a week at 1-800-555-0199.', `Visit our ${city} store for in-store specials.`, 'Can\'t see the images? View this message in your browser.'], 3 + Math.floor(r() * 3)),
        items,
        cta: ['Shop now', url('sale')],
        transactional: false,
      };
    case 'order':
      return {
        subject: pick(r, [`Your ${s.name} order confirmation #${order}`, `Thank you for your order (${order})`, `Order received: ${order}`, `We've received your order`]),
        heading: 'Thank you for your order!',
        paras: [`Hi ${name},`, `We've received your order #${order} and are getting it ready. We'll send you another email when it ships.`, `Order date: ${when}`, `Shipping to: ${name} ${pick(r, ['Smith', 'Jones', 'Garcia', 'Brown'])}, ${Math.floor(10 + r() * 900)} ${pick(r, ['Oak', 'Elm', 'Maple', 'Main'])} St, ${city}`, 'You can check the status of your order at any time in Your Account.', 'Questions about your order? Reply to this email or call us.'],
        items,
        cta: ['View your order', url(`account/orders/${order}`)],
        transactional: true,
      };
    case 'shipping':
      return {
        subject: pick(r, [`Your order has shipped`, `Shipment notification for order ${order}`, `Your package is on its way`, `Delivery scheduled for ${when}`]),
        heading: 'Your package is on the way',
        paras: [`Hello ${name},`, `Good news! Your order ${order} shipped on ${when}.`, `Carrier: ${pick(r, ['UPS Ground', 'FedEx Home', 'USPS Priority Mail', 'DHL'])}`, `Tracking number: 1Z${Math.floor(r() * 1e9)}${Math.floor(r() * 1e7)}`, 'Please allow 24 hours for tracking information to become available.', 'Some items in your order may arrive in separate packages.'],
        items,
        cta: ['Track your package', url(`track?o=${order}`)],
        transactional: true,
      };
    case 'statement':
      return {
        subject: pick(r, ['Your monthly statement is ready', 'Your e-statement is now available', `Your ${s.name} account summary`, 'Your bill is ready to view', 'Important information about your account terms']),
        heading: 'Your statement is available',
        paras: [`Dear ${name},`, `Your statement for the period ending ${when} is now available online.`, `Statement balance: $${money(r)}  Minimum payment due: $${(10 + Math.floor(r() * 40)).toFixed(2)}`, `Payment due date: ${when}`, 'To view your statement, sign in to Online Banking at our website.', 'For your security, we will never ask you to send your password, PIN or account number by email.', 'If you have set up automatic payments, no action is needed.'],
        items: [],
        cta: ['Sign in to view', url('online')],
        transactional: true,
      };
    case 'event':
      return {
        subject: pick(r, [`You're invited: ${s.name} ${pick(r, ['Spring', 'Autumn', 'Annual'])} ${pick(r, ['Gala', 'Open House', 'Conference', 'Meetup'])}`, `Tickets on sale now`, `Join us in ${city} on ${when}`, `Early registration ends Friday`, `This month at ${s.name}`]),
        heading: pick(r, ['Save the date', 'You are invited', 'Upcoming events']),
        paras: some(r, [`Join us on ${when} at the ${city} Convention Center.`, 'Doors open at 6:30 pm. Light refreshments will be served.', 'Early registration is $49 until the end of the month, $69 after.', 'Members attend free; bring a guest for half price.', 'Speakers include authors, engineers and local business leaders.', 'Space is limited, so please reserve your seat early.', 'Parking is available in the garage on 3rd Street.', 'Download the full program from our website.'], 3 + Math.floor(r() * 3)),
        items: [],
        cta: ['Register now', url('events/register')],
        transactional: false,
      };
    case 'release':
      return {
        subject: pick(r, [`[ANNOUNCE] ${s.name.split(' ')[0]} ${1 + Math.floor(r() * 5)}.${Math.floor(r() * 10)}.${Math.floor(r() * 10)} released`, `What's new in version ${2 + Math.floor(r() * 6)}.${Math.floor(r() * 10)}`, 'Scheduled maintenance this weekend', 'Product update: new features for your account', 'Security update available']),
        heading: 'Release notes',
        paras: some(r, ['This release fixes several bugs reported since the last version and improves performance on large files.', 'New: export to CSV and PDF from every report.', 'Fixed: a crash when opening files with long names.', 'Fixed: the installer now detects existing configuration files.', 'Upgrading is recommended for all users. Your settings are kept.', 'Source tarballs and binary packages are available from the download page and mirrors.', 'Checksums (MD5) are listed on the download page.', 'Thanks to everyone who tested the beta and sent patches.', 'Scheduled maintenance: the service will be unavailable Saturday from 2:00 to 4:00 am EST.'], 4 + Math.floor(r() * 3)),
        items: [],
        cta: ['Download', url('download')],
        transactional: false,
      };
    case 'travel':
      return {
        subject: pick(r, [`Fares from $${49 + Math.floor(r() * 150)} - book by ${when.split(',')[0]}`, `This week's travel deals`, `Weekend getaways from ${city}`, `Your itinerary for ${when}`, `Earn double points this month`]),
        heading: pick(r, ['Travel deals', 'Fly for less', 'Getaways']),
        paras: some(r, [`Round-trip fares to ${city} from $${99 + Math.floor(r() * 200)}.`, 'Fares are each way, based on round-trip purchase, and include taxes.', 'Seats are limited and may not be available on all flights or days.', 'Book online to earn bonus miles.', `Hotel packages in ${pick(r, CITIES)} start at $89 per night.`, 'Travel must be completed by the end of the season. Blackout dates apply.', 'Members: check your miles balance in My Account.'], 3 + Math.floor(r() * 3)),
        items: some(r, CITIES, 3 + Math.floor(r() * 4)).map((c): [string, string] => [`${city} to ${c}`, `$${49 + Math.floor(r() * 300)}`]),
        cta: ['Book now', url('deals')],
        transactional: false,
      };
    case 'news':
    default:
      return {
        subject: pick(r, [`${s.name}: ${pick(r, ['This week', 'Top stories', 'Weekly roundup', 'The newsletter'])} - ${when}`, `In this issue: ${pick(r, ['new columns', 'reader mail', 'tips and tricks', 'the year in review'])}`, `${s.name} Newsletter #${10 + Math.floor(r() * 200)}`, `News and updates from ${s.name}`]),
        heading: pick(r, ['In this issue', 'This week', 'Headlines']),
        paras: some(r, ['Our editors pick the stories you may have missed this week.', 'Reader question: how do I back up my files before upgrading?', 'Five tips for a greener garden this spring.', `A look back at the year in ${pick(r, ['technology', 'music', 'books', 'travel'])}.`, 'Letters from readers, and our replies.', 'Interview: the team behind the new library downtown.', 'Coming next week: our annual buyers\' guide.', 'Thanks for reading, and see you next week.', 'Forward this newsletter to a friend who might enjoy it.'], 4 + Math.floor(r() * 3)),
        items: some(r, ['Feature story', 'Reviews', 'Tips', 'Events calendar', 'Classifieds', 'Opinion'], 3).map((t): [string, string] => [t, 'Read more']),
        cta: ['Read the full issue', url('newsletter')],
        transactional: false,
      };
  }
}

const FOOTERS = [
  'You are receiving this email because you opted in to receive updates from {name} at {domain}.',
  'If you no longer wish to receive these emails, click here to unsubscribe: {unsub}',
  'To be removed from our mailing list, reply to this message with "remove" in the subject line.',
  'To unsubscribe or change your subscription, visit {unsub}',
  'If you prefer not to receive promotional email from {name}, you may opt out at {unsub}',
  'This email was sent to {to}. To ensure delivery to your inbox, please add {from} to your address book.',
  'We respect your privacy. Read our privacy policy at http://www.{domain}/privacy.',
  'Copyright (c) 2002 {name}, Inc. All rights reserved. {street}',
  'Please do not reply to this e-mail; this mailbox is not monitored. For help, visit http://www.{domain}/help.',
  'You received this message because you are subscribed to the {name} mailing list. To remove yourself from this list, click here.',
  'Prices and availability subject to change without notice.',
  '{name} | {street}',
];
const TX_FOOTERS = [
  'This is a service message about your account. You will receive it even if you have opted out of marketing email.',
  'Please do not reply to this e-mail. For help, visit http://www.{domain}/help or call 1-800-555-0142.',
  'Copyright (c) 2002 {name}. All rights reserved. {street}',
  'To protect your privacy, we do not include your full account number in email.',
];

export function legitBulkEn(opts: { count?: number; seed?: number } = {}): LabelledMessage[] {
  const seed = opts.seed ?? 5005;
  const r = seeded(seed);
  const out: LabelledMessage[] = [];
  for (let i = 0; i < (opts.count ?? 300); i++) {
    const s = SENDERS[Math.floor(r() * SENDERS.length)];
    const kind = pick(r, s.kinds);
    const id = `legit-bulk-${seed.toString(36)}-${i}`;
    const name = pick(r, NAMES);
    const to = `${name.toLowerCase()}${Math.floor(r() * 99)}@example.net`;
    const uid = Math.floor(r() * 36 ** 8).toString(36);
    const campaign = `${Math.floor(r() * 1e6)}`;
    const tracked = r() < 0.55;
    const url = (p: string) => (tracked ? `http://${s.esp}/ct?c=${campaign}&u=${uid}&l=${encodeURIComponent(`http://www.${s.domain}/${p}`)}` : `http://www.${s.domain}/${p}${r() < 0.5 ? `?cid=${campaign}` : ''}`);
    const c = content(r, s, kind, name, url);
    const unsub = `http://www.${s.domain}/unsubscribe?e=${encodeURIComponent(to)}&c=${campaign}`;
    const street = `${Math.floor(100 + r() * 8000)} ${pick(r, ['Commerce', 'Market', 'Harbor', 'Industrial', 'Park'])} ${pick(r, ['Drive', 'Street', 'Avenue', 'Way'])}, ${pick(r, CITIES)}`;
    const fill = (f: string) => f.replaceAll('{name}', s.name).replaceAll('{domain}', s.domain).replaceAll('{unsub}', unsub).replaceAll('{to}', to).replaceAll('{from}', `news@${s.domain}`).replaceAll('{street}', street);
    const foot = (c.transactional ? some(r, TX_FOOTERS, 2) : some(r, FOOTERS, 2 + Math.floor(r() * 3))).map(fill);
    const shape = kind === 'release' && r() < 0.7 ? 'text' : c.transactional ? pick(r, ['alt', 'alt', 'html', 'text'] as const) : pick(r, ['html', 'html', 'alt', 'alt', 'text'] as const);
    const text = plain(c, foot);
    const html = shape === 'text' ? '' : htmlOf(r, s, c, foot, unsub, uid, campaign, url);
    const cte = pick(r, ['7bit', 'quoted-printable', 'quoted-printable', 'base64'] as const);
    const mime = shape === 'text' ? single('text/plain', text, cte === 'base64' ? '7bit' : cte) : shape === 'html' ? single('text/html', html, cte) : alternative(id, text, html, cte);
    const day = 1 + Math.floor(r() * 28);
    const month = pick(r, ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']);
    const hh = String(Math.floor(r() * 24)).padStart(2, '0');
    const date = `${pick(r, ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'])}, ${day} ${month} 2002 ${hh}:${String(Math.floor(r() * 60)).padStart(2, '0')}:${String(Math.floor(r() * 60)).padStart(2, '0')} ${pick(r, ['-0500', '-0400', '-0800', '-0700', '+0000', '+0100'])}`;
    const espHost = `mta${1 + Math.floor(r() * 9)}.${s.esp}`;
    const head = [
      `Return-Path: <${r() < 0.6 ? `bounce-${campaign}-${uid}@${s.esp}` : `news-return@${s.domain}`}>`,
      `Received: from ${espHost} (${espHost} [198.51.100.${1 + Math.floor(r() * 250)}]) by mx.example.net (8.11.6/8.11.6) with ESMTP id g${uid.toUpperCase()}; ${date}`,
      `From: ${r() < 0.8 ? `"${s.name}" ` : ''}<${pick(r, ['news', 'offers', 'info', 'orders', 'noreply', 'newsletter', 'service'])}@${r() < 0.8 ? s.domain : `e.${s.domain}`}>`,
      `To: ${r() < 0.5 ? to : `${name} <${to}>`}`,
      `Subject: ${c.subject}`,
      `Date: ${date}`,
      `Message-ID: <${campaign}.${uid}.${i}@${r() < 0.5 ? espHost : s.domain}>`,
      ...(r() < 0.3 ? [`Reply-To: ${pick(r, ['support', 'reply', 'customerservice'])}@${s.domain}`] : []),
      ...(!c.transactional && r() < 0.6 ? [`List-Unsubscribe: <${unsub}>${r() < 0.5 ? `, <mailto:unsubscribe-${uid}@${s.esp}>` : ''}`] : []),
      ...(!c.transactional && r() < 0.3 ? [`List-Id: ${s.name} <${kind}.${s.domain}>`] : []),
      ...(!c.transactional && r() < 0.45 ? ['Precedence: bulk'] : []),
      ...(s.mailer && r() < 0.7 ? [`X-Mailer: ${s.mailer}`] : []),
      ...(r() < 0.25 ? [`X-Campaign-ID: ${campaign}`] : []),
      ...(r() < 0.15 ? [`Errors-To: bounces@${s.esp}`] : []),
      'MIME-Version: 1.0',
      mime.head,
      `X-Lab-Corpus-Id: ${id}`,
    ].join('\r\n');
    out.push({ id, group: 'legit-bulk', label: 'ham', raw: Buffer.from(`${head}\r\n\r\n${mime.body}`, 'latin1') });
  }
  return out;
}

/** The written legitimate bulk mail: `en` English (default 300) and `ja` Japanese (default 100) messages. */
export function legitBulk(opts: { en?: number; ja?: number; seed?: number } = {}): LabelledMessage[] {
  return [...legitBulkEn({ count: opts.en, seed: opts.seed }), ...legitBulkJa({ count: opts.ja, seed: (opts.seed ?? 5005) + 1 })];
}

function plain(c: Content, foot: string[]): string {
  const items = c.items.map(([a, b]) => `  ${a}${' '.repeat(Math.max(2, 32 - a.length))}${b}`);
  return [c.heading.toUpperCase(), '', ...c.paras, '', ...items, ...(items.length ? [''] : []), `${c.cta[0]}: ${c.cta[1]}`, '', '-----', ...foot].join('\n') + '\n';
}

function htmlOf(r: Rand, s: Sender, c: Content, foot: string[], unsub: string, uid: string, campaign: string, url: (p: string) => string): string {
  const pixel = r() < 0.7 ? `<img src="http://${s.esp}/open.gif?c=${campaign}&u=${uid}" width="1" height="1" border="0" alt="">` : '';
  const items = c.items.length
    ? `<table width="100%" cellpadding="4" cellspacing="0" border="0">${c.items.map(([a, b]) => `<tr><td>${r() < 0.5 ? `<img src="http://images.${s.domain}/p/${Math.floor(r() * 1e5)}.jpg" width="80" height="80" alt="">` : ''}</td><td><font face="Arial" size="2"><a href="${url('item')}">${a}</a></font></td><td align="right"><font face="Arial" size="2"><b>${b}</b></font></td></tr>`).join('')}</table>`
    : '';
  const footer = foot.map((f) => f.replace(/click here/i, `<a href="${unsub}">click here</a>`).replace(/(https?:\/\/\S+)/, (u) => (u.includes('<a') ? u : `<a href="${u}">${u}</a>`))).join('<br><br>');
  if (r() < 0.6) {
    // table layout, font tags, small print (the 2002 kind)
    const showHost = r() < 0.4 ? `<a href="${url('')}">www.${s.domain}</a>` : '';
    return `<html><head><title>${c.subject}</title></head><body bgcolor="#ffffff" topmargin="0" leftmargin="0"><table width="100%" bgcolor="#eeeeee" cellpadding="0" cellspacing="0" border="0"><tr><td align="center">` +
      `<table width="600" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff"><tr><td><a href="${url('')}"><img src="http://images.${s.domain}/header.gif" width="600" height="${60 + Math.floor(r() * 60)}" border="0" alt="${s.name}"></a></td></tr>` +
      `<tr><td><table cellpadding="10" cellspacing="0" border="0"><tr><td><font face="Verdana, Arial, Helvetica" size="${pick(r, ['2', '3'])}" color="#333333"><b>${c.heading}</b><br><br>${c.paras.join('<br><br>')}</font><br><br>${items}<br><center><a href="${c.cta[1]}"><img src="http://images.${s.domain}/btn_${c.cta[0].toLowerCase().replace(/\W+/g, '_')}.gif" border="0" alt="${c.cta[0]}"></a><br>${showHost}</center></td></tr></table></td></tr>` +
      `<tr><td bgcolor="#f4f4f4"><font face="Arial" size="1" color="#666666">${footer}</font></td></tr></table>${pixel}</td></tr></table></body></html>\n`;
  }
  // div/table hybrid with a style block and a hidden preheader (the later kind)
  return `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"><html><head><style type="text/css">body{margin:0;font-family:Arial,sans-serif} .btn{background:#2a7ae2;color:#fff;padding:10px 18px;text-decoration:none} .small{font-size:11px;color:#777}</style></head><body>` +
    `<div style="display:none;max-height:0;overflow:hidden">${c.paras[0] ?? c.heading}</div>` +
    `<table role="presentation" width="100%" cellspacing="0" cellpadding="0"><tr><td align="center"><table width="600" cellspacing="0" cellpadding="0"><tr><td style="padding:20px"><img src="http://images.${s.domain}/logo.png" alt="${s.name}" width="160"></td></tr>` +
    `<tr><td style="padding:0 20px"><h2>${c.heading}</h2>${c.paras.map((p) => `<p>${p}</p>`).join('')}${items}<p><a class="btn" href="${c.cta[1]}">${c.cta[0]}</a></p></td></tr>` +
    `<tr><td class="small" style="padding:20px;font-size:11px;color:#777777">${footer}<br><a href="${unsub}">Unsubscribe</a> | <a href="${url('preferences')}">Update preferences</a> | <a href="${url('view')}">View in browser</a></td></tr></table></td></tr></table>${pixel}</body></html>\n`;
}

export function encode(body: string, cte: '7bit' | 'quoted-printable' | 'base64'): string {
  const crlf = body.replace(/\r?\n/g, '\r\n');
  if (cte === 'base64') return Buffer.from(crlf, 'latin1').toString('base64').replace(/.{1,76}/g, '$&\r\n');
  if (cte === 'quoted-printable')
    return crlf
      .split('\r\n')
      .map((l) => {
        let out = '';
        let len = 0;
        for (const ch of l) {
          const enc = ch === '=' || ch.charCodeAt(0) > 126 ? `=${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : ch;
          if (len + enc.length > 75) {
            out += '=\r\n';
            len = 0;
          }
          out += enc;
          len += enc.length;
        }
        return out;
      })
      .join('\r\n');
  return crlf;
}

export function single(type: string, body: string, cte: '7bit' | 'quoted-printable' | 'base64'): { head: string; body: string } {
  return { head: `Content-Type: ${type}; charset="${body.length % 2 ? 'iso-8859-1' : 'us-ascii'}"\r\nContent-Transfer-Encoding: ${cte}`, body: encode(body, cte) };
}

export function alternative(id: string, text: string, html: string, cte: '7bit' | 'quoted-printable' | 'base64'): { head: string; body: string } {
  const b = `----=_Part_${id.replace(/\W/g, '')}`;
  const part = (type: string, body: string, e: typeof cte) => `--${b}\r\nContent-Type: ${type}; charset="iso-8859-1"\r\nContent-Transfer-Encoding: ${e}\r\n\r\n${encode(body, e)}\r\n`;
  return { head: `Content-Type: multipart/alternative;\r\n\tboundary="${b}"`, body: `This is a multi-part message in MIME format.\r\n\r\n${part('text/plain', text, cte === 'base64' ? '7bit' : cte)}${part('text/html', html, cte)}--${b}--\r\n` };
}
