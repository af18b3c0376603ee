// Issue 18 (spam15), a new install on legitimate mail that looks spammy: nothing learnt, content rules alone.
// Announcements through 2002 list software (Mailman, Lyris, ListServ, Majordomo, a web-groups service with sponsor
// lines), release announcements, calls for papers sent to undisclosed or long recipient lists, subscription
// confirmations, fare sales, bank newsletters on mortgage rates, health newsletters on weight loss and a new drug,
// advocacy alerts ("act now", "call today"), job alerts with pay per hour, vendors' upgrade offers, magazine
// sweepstakes, fraud warnings and web-mail letters with the provider's tagline must stay in INBOX. The mail comes from
// the lab's writer (lab/corpora/legit-lists.ts) with a seed the weight fit never reads (the fit reads 8008); sent with
// Python's smtplib from this machine (local_networks: no connection checks, so the content decides), next to
// unsolicited English spam of the same topics that must still be filed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startTestServer, requireCommand, type TestServer } from '../helpers/server.js';
import { sendAndSort } from './fresh-install.js';
import { legitLists } from '../../lab/corpora/legit-lists.js';

const SPAM_BODIES = [
  ['LOWEST MORTGAGE RATES IN 40 YEARS!!!', 'Dear Homeowner, refinance now! Rates as low as 3.9%. Bad credit? No credit check, pre-approved in minutes. Our lenders compete for your home loan. Act now, limited time! Click here: http://203.0.113.77/refi.html. To be removed, reply with remove in the subject.'],
  ['Lose 30 lbs in 30 days - GUARANTEED', 'Dear Friend, this miracle herbal diet pill burns fat without dieting. Weight loss is 100% guaranteed or your money back. No prescription needed, order now! Click here: http://198.51.100.9/diet. This is not spam; reply REMOVE to be taken off our list.'],
  ['Work from home - $5,000 per week!!', 'Make money from home! Extra income, financial freedom, be your own boss. No experience needed. Thousands of dollars per week guaranteed income. Call now, act today! Click here: http://192.0.2.44/cash. This message is sent in compliance with bill s.1618 title iii.'],
];
const SPAM = (i: number) =>
  Buffer.from(
    [
      `From: "Account Services" <offers${48210 + i}@hotmail.com>`,
      'To: undisclosed-recipients:;',
      `Subject: ${SPAM_BODIES[i][0]}        ${7300 + i}`,
      'Date: Wed, 19 Jun 2002 03:12:44 -1900',
      'MIME-Version: 1.0',
      'Content-Type: text/html; charset=us-ascii',
      `X-Lab-Corpus-Id: en-list-spam-${i}`,
      '',
      `<p>${SPAM_BODIES[i][1]}</p>`,
      '',
    ].join('\r\n'),
    'latin1',
  );

describe('a fresh install judging list, newsletter and web mail by content alone', { timeout: 300_000 }, () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ users: [{ address: 'user@example.test', password: 'secret-pass' }] });
  });
  after(async () => {
    await srv?.stop();
    if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
  });

  it('keeps announcements, calls for papers, newsletters and web-mail letters in INBOX and files spam of the same topics', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const ham = legitLists({ count: 160, seed: 17 });
    const spam = [0, 1, 2].map((i) => ({ id: `en-list-spam-${i}`, raw: SPAM(i) }));
    const folderOf = await sendAndSort(srv, { name: 'lists', rcpt: 'user@example.test', sender: 'owner@lists.example', messages: [...ham, ...spam] });
    const lost = ham.filter((m) => folderOf.get(m.id)?.folder !== 'INBOX').map((m) => `${m.id}: ${folderOf.get(m.id)?.status}`);
    t.diagnostic(`list and newsletter mail in INBOX: ${ham.length - lost.length}/${ham.length}`);
    assert.deepEqual(lost, [], 'no list or newsletter mail in Spam');
    for (const m of spam) assert.equal(folderOf.get(m.id)?.folder, 'Spam', `${m.id}: ${folderOf.get(m.id)?.status}`);
  });
});
