// Identity, EmailSubmission and VacationResponse over inject(). Submissions go to a stand-in for the queue here
// (test/jmap/e2e.test.ts sends for real): the envelope derived as RFC 8621 §7 says, Bcc: removed, the entry
// point's refusals turned into the SetErrors RFC 8621 names, the implicit Email/set after success. The vacation
// becomes a Sieve script the project's engine accepts and runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScript, evaluate, sieveMessage } from '../../engine/sieve/index.js';
import { vacationSieve } from '../../engine/jmap/vacation-sieve.js';
import { parseMime } from '../../engine/mime/mime-tree.js';
import { reject } from '../../engine/policy/verdict.js';
import type { Submit } from '../../engine/submission/submit.js';
import { jmapFixture, USER, type JmapFixture } from './helpers.js';

let f: JmapFixture;
let boxes: Record<string, string>;
let refuse: Parameters<Submit>[0] extends never ? never : ((s: Parameters<Submit>[0]) => Awaited<ReturnType<Submit>> | null) | null = null;
const sent: Parameters<Submit>[0][] = [];

before(async () => {
  const submit: Submit = async (s) => {
    const r = refuse?.(s);
    if (r) return r;
    sent.push(s);
    return { kind: 'accepted', id: `Q${sent.length}`, delivered: s.rcptTo.every((a) => a.endsWith('@example.jp')), recipients: [] };
  };
  f = await jmapFixture({ submit });
  const list = (await f.call('Mailbox/get', { ids: null, properties: ['role'] })).args.list as { id: string; role: string }[];
  boxes = Object.fromEntries(list.map((b) => [b.role, b.id]));
});
after(() => f.close());

async function draft(extra: Record<string, unknown> = {}): Promise<string> {
  const c = await f.call('Email/set', {
    create: {
      d: {
        mailboxIds: { [boxes.drafts]: true },
        keywords: { $draft: true },
        from: [{ name: '山田 花子', email: USER }],
        to: [{ email: 'friend@remote.example' }],
        cc: [{ email: 'taro@example.jp' }, { email: 'FRIEND@remote.example' }],
        bcc: [{ email: 'hidden@remote.example' }],
        subject: '送信テスト',
        bodyValues: { t: { value: '本文です。' } },
        textBody: [{ partId: 't' }],
        ...extra,
      },
    },
  });
  return (c.args.created as Record<string, { id: string }>).d.id;
}

test('Identity: the account has its own address by default; others only from its aliases (forbiddenFrom)', async () => {
  const g = await f.call('Identity/get', { ids: null });
  const list = g.args.list as { id: string; email: string; name: string; mayDelete: boolean }[];
  assert.equal(list.length, 1);
  assert.deepEqual([list[0].email, list[0].name, list[0].mayDelete], [USER, '山田 花子', false]);
  const st = g.args.state as string;
  const s = await f.call('Identity/set', {
    create: { alias: { email: 'info@example.org', name: '窓口', textSignature: '-- \n窓口' }, bad: { email: 'ceo@example.org' }, wild: { email: '*@example.jp' } },
    update: { [list[0].id]: { email: 'other@example.jp' } },
  });
  const alias = (s.args.created as Record<string, { id: string; mayDelete: boolean }>).alias;
  assert.equal(alias.mayDelete, true);
  const nc = s.args.notCreated as Record<string, { type: string }>;
  assert.deepEqual([nc.bad.type, nc.wild.type], ['forbiddenFrom', 'forbiddenFrom']);
  assert.equal((s.args.notUpdated as Record<string, { type: string }>)[list[0].id].type, 'invalidProperties');
  const nd = await f.call('Identity/set', { destroy: [list[0].id] });
  assert.equal((nd.args.notDestroyed as Record<string, { type: string }>)[list[0].id].type, 'forbidden');
  const ch = await f.call('Identity/changes', { sinceState: st });
  assert.deepEqual(ch.args.created, [alias.id]);
  await f.call('Identity/set', { update: { [alias.id]: { name: 'お問い合わせ窓口' } } });
  const d = await f.call('Identity/set', { destroy: [alias.id] });
  assert.deepEqual(d.args.destroyed, [alias.id]);
});

test('EmailSubmission/set sends the draft: envelope from the headers (deduplicated, Bcc included), Bcc: removed, then moved to Sent', async () => {
  const id = await draft();
  const identity = ((await f.call('Identity/get', { ids: null })).args.list as { id: string }[])[0].id;
  sent.length = 0;
  const { responses } = await f.api([
    [
      'EmailSubmission/set',
      {
        accountId: f.accountId,
        create: { s1: { identityId: identity, emailId: id } },
        onSuccessUpdateEmail: { '#s1': { [`mailboxIds/${boxes.drafts}`]: null, [`mailboxIds/${boxes.sent}`]: true, 'keywords/$draft': null, 'keywords/$seen': true } },
      },
      'c',
    ],
    ['Email/get', { accountId: f.accountId, ids: [id], properties: ['mailboxIds', 'keywords'] }, 'g'],
  ]);
  assert.deepEqual(responses.map((r) => r[0]), ['EmailSubmission/set', 'Email/set', 'Email/get'], 'the implicit Email/set answers under the same call id');
  assert.equal(responses[1][2], 'c');
  const created = (responses[0][1].created as Record<string, { id: string; undoStatus: string; envelope: { mailFrom: { email: string }; rcptTo: { email: string }[] } }>).s1;
  assert.equal(created.undoStatus, 'final');
  assert.deepEqual(created.envelope.mailFrom.email, USER);
  assert.deepEqual(created.envelope.rcptTo.map((r) => r.email), ['friend@remote.example', 'taro@example.jp', 'hidden@remote.example']);
  assert.equal(sent.length, 1);
  const s = sent[0];
  assert.deepEqual([s.mailFrom, s.rcptTo, s.user.address, s.client.listener], [USER, ['friend@remote.example', 'taro@example.jp', 'hidden@remote.example'], USER, 'jmap']);
  const raw = (s.message as Buffer).toString('latin1');
  assert.doesNotMatch(raw, /^Bcc:/im, 'Bcc: is removed before the message leaves');
  assert.doesNotMatch(raw, /hidden@remote\.example/);
  assert.match(raw, /^To: friend@remote\.example/m);
  const e = (responses[2][1].list as { mailboxIds: Record<string, true>; keywords: Record<string, true> }[])[0];
  assert.deepEqual(e.mailboxIds, { [boxes.sent]: true });
  assert.deepEqual(e.keywords, { $seen: true });
  const g = await f.call('EmailSubmission/get', { ids: [created.id] });
  assert.equal((g.args.list as { emailId: string }[])[0].emailId, id);
  const q = await f.call('EmailSubmission/query', { filter: { emailIds: [id] } });
  assert.deepEqual(q.args.ids, [created.id]);
  const u = await f.call('EmailSubmission/set', { update: { [created.id]: { undoStatus: 'canceled' } } });
  assert.equal((u.args.notUpdated as Record<string, { type: string }>)[created.id].type, 'cannotUnsend');
});

test('the entry point refusals come back as RFC 8621 SetErrors; a given envelope is used as it is', async () => {
  const identity = ((await f.call('Identity/get', { ids: null })).args.list as { id: string }[])[0].id;
  const id = await draft();
  const cases: [string, Awaited<ReturnType<Submit>>][] = [
    ['forbiddenMailFrom', { kind: 'refused', stage: 'sender', refusal: reject(553, '5.7.1', 'Sender address not owned') }],
    ['forbiddenFrom', { kind: 'refused', stage: 'author', refusal: reject(550, '5.7.1', 'From: not owned') }],
    ['invalidRecipients', { kind: 'refused', stage: 'recipients', refusal: reject(550, '5.1.1', 'User unknown'), recipients: [{ address: 'friend@remote.example', refusal: reject(550, '5.1.1', 'x') }] }],
    ['tooLarge', { kind: 'refused', stage: 'size', refusal: reject(552, '5.3.4', 'too big') }],
    ['forbiddenToSend', { kind: 'refused', stage: 'busy', refusal: reject(451, '4.3.2', 'queue full') }],
  ];
  for (const [type, outcome] of cases) {
    refuse = () => outcome;
    const r = await f.call('EmailSubmission/set', { create: { s: { identityId: identity, emailId: id } } });
    const err = (r.args.notCreated as Record<string, { type: string; invalidRecipients?: string[]; maxSize?: number }>).s;
    assert.equal(err.type, type);
    if (type === 'invalidRecipients') assert.deepEqual(err.invalidRecipients, ['friend@remote.example']);
    if (type === 'tooLarge') assert.equal(typeof err.maxSize, 'number');
  }
  refuse = null;
  const bad = await f.call('EmailSubmission/set', {
    create: {
      noId: { identityId: 'Inope', emailId: id },
      noEmail: { identityId: identity, emailId: 'Mnope' },
      empty: { identityId: identity, emailId: id, envelope: { mailFrom: { email: USER }, rcptTo: [] } },
      params: { identityId: identity, emailId: id, envelope: { mailFrom: { email: USER, parameters: { SIZE: '10' } }, rcptTo: [{ email: 'a@b.example' }] } },
      badRcpt: { identityId: identity, emailId: id, envelope: { mailFrom: { email: USER }, rcptTo: [{ email: 'not an address' }] } },
    },
  });
  const nc = bad.args.notCreated as Record<string, { type: string }>;
  assert.deepEqual(Object.fromEntries(Object.entries(nc).map(([k, v]) => [k, v.type])), { noId: 'invalidProperties', noEmail: 'invalidProperties', empty: 'noRecipients', params: 'invalidProperties', badRcpt: 'invalidRecipients' });
  sent.length = 0;
  const given = await f.call('EmailSubmission/set', { create: { g: { identityId: identity, emailId: id, envelope: { mailFrom: { email: 'info@example.org' }, rcptTo: [{ email: 'only@remote.example' }] } } } });
  assert.ok((given.args.created as object | null) !== null);
  assert.deepEqual([sent[0].mailFrom, sent[0].rcptTo], ['info@example.org', ['only@remote.example']]);
});

test('VacationResponse: the singleton, its state, its refusals, and the Sieve script it becomes', async () => {
  const g = await f.call('VacationResponse/get', { ids: null });
  assert.deepEqual(g.args.list, [{ id: 'singleton', isEnabled: false, fromDate: null, toDate: null, subject: null, textBody: null, htmlBody: null }]);
  const st = g.args.state as string;
  const s = await f.call('VacationResponse/set', {
    ifInState: st,
    update: { singleton: { isEnabled: true, fromDate: '2025-08-01T00:00:00Z', toDate: '2025-08-15T00:00:00Z', subject: '夏季休暇のお知らせ', textBody: '8月15日まで休暇をいただいております。\n"急ぎ"の方は \\ 代表へ。' } },
    create: { x: { isEnabled: true } },
  });
  assert.deepEqual(s.args.updated, { singleton: null });
  assert.equal((s.args.notCreated as Record<string, { type: string }>).x.type, 'singleton');
  const d = await f.call('VacationResponse/set', { destroy: ['singleton'] });
  assert.equal((d.args.notDestroyed as Record<string, { type: string }>).singleton.type, 'singleton');
  assert.notEqual(s.args.newState, st);
  const bad = await f.call('VacationResponse/set', { update: { singleton: { fromDate: 'tomorrow' }, other: { isEnabled: false } } });
  const nu = bad.args.notUpdated as Record<string, { type: string }>;
  assert.deepEqual([nu.singleton.type, nu.other.type], ['invalidProperties', 'notFound']);
  const v = f.svc.vacation.get(USER);
  const script = vacationSieve(v, { from: USER })!;
  const parsed = parseScript(script);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors));
  const msg = sieveMessage(Buffer.from(`From: a@remote.example\r\nTo: ${USER}\r\nSubject: hi\r\n\r\nhello\r\n`), { from: 'a@remote.example', to: USER });
  const during = evaluate(parsed.ok ? parsed.script : (null as never), msg, { now: () => new Date('2025-08-05T12:00:00Z'), zone: '+0900' });
  const vac = during.actions.find((a) => a.type === 'vacation') as { reason: string; subject: string; seconds: number } | undefined;
  assert.ok(vac, 'answers during the vacation');
  assert.equal(vac!.subject, '夏季休暇のお知らせ');
  assert.equal(vac!.reason.replace(/\r\n/g, '\n'), '8月15日まで休暇をいただいております。\n"急ぎ"の方は \\ 代表へ。');
  const afterwards = evaluate(parsed.ok ? parsed.script : (null as never), msg, { now: () => new Date('2025-08-16T00:00:00Z'), zone: '+0900' });
  assert.equal(afterwards.actions.find((a) => a.type === 'vacation'), undefined, 'not after toDate');
  const html = vacationSieve({ ...v, fromDate: null, toDate: null, textBody: null, htmlBody: '<p>休暇中です</p>' })!;
  const ph = parseScript(html);
  assert.ok(ph.ok);
  const withHtml = evaluate(ph.ok ? ph.script : (null as never), msg, {});
  const hv = withHtml.actions.find((a) => a.type === 'vacation') as { reason: string; mime: boolean };
  assert.equal(hv.mime, true);
  assert.match(hv.reason, /multipart\/alternative/);
  const entity = parseMime(Buffer.from(hv.reason, 'utf8'));
  assert.deepEqual([entity.type, entity.subtype, ...entity.children.map((c) => c.subtype)], ['multipart', 'alternative', 'plain', 'html'], 'the rules store\'s entity: text, then HTML');
  assert.equal(vacationSieve({ ...v, isEnabled: false }), null);
});
