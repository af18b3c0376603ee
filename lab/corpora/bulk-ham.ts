// Legitimate commercial bulk mail written for the lab (issue 18): newsletters, sale announcements, travel deals and
// product news from shops and services that own their sending domain (List-Unsubscribe, Message-ID, Return-Path and
// Received on it), in English, HTML with a text alternative. A validation set for the fitting options (bench/spam-fit
// --dev): the learn half has no such mail, and the judged half's hard_ham must not be used to choose. Never learnt,
// never fitted on. Written from scratch with a seeded generator; all domains are under .example.
import type { LabelledMessage } from './features.js';
import { seeded } from './seeded.js';


interface Sender {
  name: string;
  domain: string;
  kind: 'shop' | 'travel' | 'software' | 'media' | 'bank';
  /** The ESP or mail host its mail leaves from (on its own domain or a named ESP's). */
  host: string;
}

const SENDERS: Sender[] = [
  { name: 'Northwind Outfitters', domain: 'northwind-outfitters.example', kind: 'shop', host: 'mail1.northwind-outfitters.example' },
  { name: 'Harbor Books', domain: 'harborbooks.example', kind: 'shop', host: 'news.harborbooks.example' },
  { name: 'Bluefin Air', domain: 'bluefinair.example', kind: 'travel', host: 'mta3.em.bluefinair.example' },
  { name: 'Stayaway Hotels', domain: 'stayaway.example', kind: 'travel', host: 'smtp.mailer.stayaway.example' },
  { name: 'Quillsoft', domain: 'quillsoft.example', kind: 'software', host: 'bulk.quillsoft.example' },
  { name: 'Datagrid Systems', domain: 'datagrid.example', kind: 'software', host: 'mx-out.datagrid.example' },
  { name: 'The Weekly Ledger', domain: 'weeklyledger.example', kind: 'media', host: 'lists.weeklyledger.example' },
  { name: 'Cinema Street', domain: 'cinemastreet.example', kind: 'media', host: 'out.cinemastreet.example' },
  { name: 'Greenbank', domain: 'greenbank.example', kind: 'bank', host: 'notify.greenbank.example' },
];

const SUBJECTS: Record<Sender['kind'], string[]> = {
  shop: ['Our summer sale starts today', 'New arrivals for the season', '20% off jackets this weekend', 'Members save more this month', 'Last chance: clearance ends Sunday', 'Gift ideas for everyone on your list'],
  travel: ['Fares from $99 to 30 cities', 'Your weekend getaway deals', 'Book by Friday and save', 'New routes this autumn', 'Hotel deals in Europe this spring', 'Earn double miles on every trip'],
  software: ['Version 4.2 is here', 'New features in your account', 'Upgrade pricing for existing customers', 'Webinar: getting more from reports', 'Product update for administrators', 'Your annual plan: save 25%'],
  media: ['This week: markets, tech and the election', 'Top stories you may have missed', 'Subscriber offer: a year for half price', 'New releases this Friday', 'Weekend reading', 'Tickets on sale now'],
  bank: ['Your quarterly savings update', 'New card features', 'Rates are changing: what it means for you', 'Tips to budget for the holidays', 'Introducing mobile deposits', 'Your rewards summary'],
};

const LINES: Record<Sender['kind'], string[]> = {
  shop: ['Shop the new collection of jackets, boots and bags.', 'Free shipping on orders over $50.', 'Use the code SAVE20 at checkout.', 'Prices shown include the discount.', 'Visit any of our stores or order online.', 'Our bestsellers are back in stock.', 'See the full catalog on our website.', 'Sale prices end Sunday at midnight.'],
  travel: ['Fly to Lisbon, Rome or Dublin from $199 round trip.', 'Fares are per person and include taxes.', 'Seats are limited and may not be available on all flights.', 'Book online or call our reservations center.', 'Hotel rates start at $89 per night.', 'Travel between October 1 and December 15.', 'Members earn bonus points on every booking.', 'Check the latest schedule before you travel.'],
  software: ['The new release adds faster search and shared dashboards.', 'Existing customers can upgrade at a reduced price.', 'Read the release notes for the full list of changes.', 'Register for our free webinar next Tuesday.', 'Our support team is ready to help with the upgrade.', 'Download the new version from your account page.', 'Annual plans now include priority support.', 'Try the new reports free for 30 days.'],
  media: ['Read the top stories of the week on our site.', 'Our critics pick the best new films and albums.', 'Subscribers get early access to tickets.', 'Listen to the new episode of our podcast.', 'The full schedule is on our website.', 'Save half on a one-year subscription.', 'Share this newsletter with a friend.', 'Thank you for reading.'],
  bank: ['Your savings rate is now 2.1% APY.', 'Deposit checks from your phone with our app.', 'Set up alerts to track your spending.', 'Our branches are open Saturdays until 1 pm.', 'Learn more about our new rewards card.', 'We will never ask for your password by email.', 'Log in to online banking to see your statements.', 'Questions? Call the number on the back of your card.'],
};

const FOOTERS = [
  'You are receiving this email because you signed up at {domain}.',
  'You received this message because you are a registered customer of {name}.',
  'To stop receiving these emails, visit https://www.{domain}/unsubscribe or reply with "unsubscribe".',
  'Update your email preferences at https://www.{domain}/preferences.',
  '{name}, 100 Main Street, Springfield. All rights reserved.',
  'Please do not reply to this message; this mailbox is not monitored.',
];

/** `count` messages (default 120), deterministic for a seed. */
export function bulkHam(opts: { count?: number; seed?: number } = {}): LabelledMessage[] {
  const r = seeded(opts.seed ?? 2024);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const out: LabelledMessage[] = [];
  for (let i = 0; i < (opts.count ?? 120); i++) {
    const s = SENDERS[i % SENDERS.length];
    const id = `bulk-${(opts.seed ?? 2024).toString(36)}-${i}`;
    const subject = pick(SUBJECTS[s.kind]);
    const lines = Array.from({ length: 4 + Math.floor(r() * 4) }, () => pick(LINES[s.kind]));
    const foot = [pick(FOOTERS), pick(FOOTERS)].map((f) => f.replaceAll('{domain}', s.domain).replaceAll('{name}', s.name));
    const uid = Math.floor(r() * 1e9).toString(36);
    const campaign = `c${Math.floor(r() * 1e5)}`;
    const link = (path: string) => `https://www.${s.domain}/${path}?utm_source=email&utm_campaign=${campaign}`;
    const text = [`${s.name}`, '', subject, '', ...lines, '', `See more: ${link('offers')}`, '', '--', ...foot].join('\n') + '\n';
    const html =
      `<html><body><table width="600" align="center"><tr><td><a href="${link('')}"><img src="https://img.${s.domain}/logo.png" alt="${s.name}"></a></td></tr>` +
      `<tr><td><h1>${subject}</h1>${lines.map((l) => `<p>${l}</p>`).join('')}<p><a href="${link('offers')}">See the offers</a></p></td></tr>` +
      `<tr><td><font size="1">${foot.join('<br>')}<br><a href="https://www.${s.domain}/unsubscribe?u=${uid}">Unsubscribe</a></font></td></tr></table></body></html>\n`;
    const b = `----=_NextPart_${id}`;
    const day = 1 + (i % 28);
    const head = [
      `Return-Path: <bounce-${uid}@${s.host.split('.').slice(1).join('.')}>`,
      `Received: from ${s.host} (${s.host} [192.0.2.${10 + (i % 200)}]) by mx.example.net with ESMTP id ${uid}; ${`Tue, ${String(day).padStart(2, '0')} Sep 2002 0${i % 10}:15:00 -0400`}`,
      `From: "${s.name}" <news@${s.domain}>`,
      'To: customer@example.net',
      `Subject: ${subject}`,
      `Date: Tue, ${String(day).padStart(2, '0')} Sep 2002 0${i % 10}:14:00 -0400`,
      `Message-ID: <${campaign}.${uid}@${s.host}>`,
      `List-Unsubscribe: <https://www.${s.domain}/unsubscribe?u=${uid}>, <mailto:unsubscribe-${uid}@${s.domain}>`,
      'Precedence: bulk',
      'MIME-Version: 1.0',
      `Content-Type: multipart/alternative; boundary="${b}"`,
      `X-Lab-Corpus-Id: ${id}`,
    ].join('\r\n');
    const body = `--${b}\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${text.replace(/\n/g, '\r\n')}--${b}\r\nContent-Type: text/html; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${html.replace(/\n/g, '\r\n')}--${b}--\r\n`;
    out.push({ id, group: 'bulk-ham', label: 'ham', raw: Buffer.from(`${head}\r\n\r\n${body}`, 'latin1') });
  }
  return out;
}
