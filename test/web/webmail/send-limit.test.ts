// The webmail's compose page when the account's sending limit refuses the message (JMAP rateLimit from the real
// SendGate over an in-memory ledger, one message an hour): the page says so in the reader's language (English,
// Japanese), with the server's reply, and the message stays in Drafts; nothing is counted for the refused one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryDatabase } from '../../../engine/db/database.js';
import { configSchema } from '../../../engine/config/schema.js';
import type { LoadedConfig } from '../../../engine/config/load.js';
import { nullLogger } from '../../../engine/log/logger.js';
import { SendGate } from '../../../engine/submission/send-gate.js';
import { SqliteSendLedger } from '../../../engine/submission/send-ledger.js';
import type { Submit } from '../../../engine/submission/submit.js';
import { jmapFixture, OTHER, PASSWORD, USER, type JmapFixture } from '../../jmap/helpers.js';
import { Browser } from '../helpers.js';

describe('webmail: the sending limit', () => {
  let f: JmapFixture;
  const gate = new SendGate(new SqliteSendLedger(openMemoryDatabase()), configSchema.parse({ limits: { send_messages_per_hour: 1 } }) as LoadedConfig, nullLogger);
  let n = 0;
  const submit: Submit = async (s) => {
    const id = `Q${++n}`;
    const out = await gate.counted(s.user.address, id, s.rcptTo.length, s.sid, async () => ({ kind: 'accepted' as const }), 'jmap');
    if ('refusal' in out) return { kind: 'refused', stage: 'limit', refusal: out.refusal };
    return { kind: 'accepted', id, delivered: false, recipients: s.rcptTo.map((a) => ({ address: a, kind: 'remote' as const })) };
  };
  before(async () => {
    f = await jmapFixture({ webmail: true, submit });
  });
  after(() => f?.close());

  const send = async (lang: 'en' | 'ja', subject: string) => {
    const b = new Browser(f.app, { 'accept-language': lang });
    assert.equal((await b.login(USER, PASSWORD)).statusCode, 303);
    const page = await b.get('/compose');
    const identity = /<select id="c-from" name="from"><option value="([^"]+)"/.exec(page.body)![1];
    return b.post('/compose', { from: identity, to: OTHER, subject, body: '本文です。', op: 'send' });
  };
  const drafts = async () => {
    const boxes = (await f.call('Mailbox/get', { ids: null })).args.list as { id: string; role: string | null }[];
    const q = await f.call('Email/query', { filter: { inMailbox: boxes.find((m) => m.role === 'drafts')!.id } });
    const got = await f.call('Email/get', { ids: q.args.ids, properties: ['subject'] });
    return (got.args.list as { subject: string }[]).map((e) => e.subject);
  };

  it('the first message goes; the next is refused with the reason in English and in Japanese, kept in Drafts', async () => {
    assert.equal((await send('en', 'first')).statusCode, 303);
    const en = await send('en', 'second');
    assert.equal(en.statusCode, 400);
    assert.match(en.body, /your account has reached its sending limit\. It is kept in Drafts; send it again later\. \(451 4\.7\.1 Sending limit reached for &lt;hanako@example\.jp&gt;: 1 messages per hour \(1 used\); try again later\)/);
    const ja = await send('ja', '三通目');
    assert.equal(ja.statusCode, 400);
    assert.match(ja.body, /このアカウントの送信数の上限に達しました。下書きに保存してあります。/);
    assert.deepEqual((await drafts()).sort(), ['second', '三通目'].sort());
    assert.equal((await gate.ledger.usage(USER, Date.now())).messagesHour, 1);
  });
});
