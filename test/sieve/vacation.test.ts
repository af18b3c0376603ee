// Vacation (RFC 5230/3834): the reply decision and the reply itself, unit by unit with a fake clock and an
// in-memory history, and differentially against Pigeonhole's sieve-test -e (which really decides and prints
// the reply it would send) over senders × messages × recipients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand } from '../helpers/server.js';
import { evaluate, parseScript, sieveMessage, decodedValue, type SieveMessage, type VacationParams } from '../../engine/sieve/index.js';
import { MemoryVacationHistory, decideVacation, isSystemAddress } from '../../engine/sieve/vacation.js';
import { MESSAGES, messageByName } from './messages.js';
import { Pigeonhole } from './pigeonhole.js';

function vacationOf(script: string, msg: SieveMessage): VacationParams {
  const p = parseScript(script);
  assert.ok(p.ok, JSON.stringify(!p.ok && p.errors));
  const r = evaluate(p.script, msg);
  const v = r.actions.find((a) => a.type === 'vacation');
  assert.ok(v && v.type === 'vacation', 'no vacation action');
  return v;
}

const SCRIPT = 'require "vacation"; vacation :days 7 "I am away.";';
const T0 = Date.UTC(2025, 6, 1, 9, 0, 0);

test('vacation: answers once per sender per period, then again after it', () => {
  const history = new MemoryVacationHistory();
  const msg = sieveMessage(messageByName('en-plain').bytes, { from: 'sender@example.org', to: 'user@example.com' });
  const v = vacationOf(SCRIPT, msg);
  const at = (days: number) => new Date(T0 + days * 86400_000);
  const first = decideVacation(v, { message: msg, recipient: 'user@example.com', now: at(0), history });
  assert.equal(first.send, true);
  assert.deepEqual(decideVacation(v, { message: msg, recipient: 'user@example.com', now: at(6.9), history }), { send: false, reason: 'already-replied' });
  assert.equal(decideVacation(v, { message: msg, recipient: 'user@example.com', now: at(7.01), history }).send, true);
  // another sender is answered at once; a new text (new handle) is answered again
  const other = sieveMessage(messageByName('en-plain').bytes, { from: 'carol@example.net', to: 'user@example.com' });
  assert.equal(decideVacation(v, { message: other, recipient: 'user@example.com', now: at(7.02), history }).send, true);
  const v2 = vacationOf('require "vacation"; vacation "New text.";', msg);
  assert.equal(decideVacation(v2, { message: msg, recipient: 'user@example.com', now: at(7.03), history }).send, true);
});

test('vacation: the safety rules (null sender, system senders, auto-submitted, lists, precedence, spam, not addressed)', () => {
  const now = new Date(T0);
  const cases: [string, string, string, string | null][] = [
    ['en-plain', '', 'user@example.com', 'null-sender'],
    ['en-plain', 'MAILER-DAEMON@example.org', 'user@example.com', 'system-sender'],
    ['en-plain', 'owner-acme@example.org', 'user@example.com', 'system-sender'],
    ['en-plain', 'acme-request@example.org', 'user@example.com', 'system-sender'],
    ['en-plain', 'user@example.com', 'user@example.com', 'own-address'],
    ['spam', 'winner@spam.example', 'user@example.com', 'auto-submitted'],
    ['list', 'acme-users-owner@lists.example.org', 'user@example.com', 'mailing-list'],
    ['en-plain', 'sender@example.org', 'nobody@example.com', 'not-addressed'],
    ['ja-iso2022jp', 'yamada@example.jp', 'user@example.com', null],
  ];
  for (const [name, from, to, want] of cases) {
    const msg = sieveMessage(messageByName(name).bytes, { from, to });
    const d = decideVacation(vacationOf(SCRIPT, msg), { message: msg, recipient: to, now, history: new MemoryVacationHistory() });
    assert.deepEqual(d.send ? null : d.reason, want, `${name} from <${from}> to ${to}`);
  }
  const raw = Buffer.from('From: a@example.org\r\nTo: user@example.com\r\nPrecedence: junk\r\nSubject: x\r\n\r\nx\r\n');
  const m = sieveMessage(raw, { from: 'a@example.org', to: 'user@example.com' });
  assert.deepEqual(decideVacation(vacationOf(SCRIPT, m), { message: m, recipient: 'user@example.com', now, history: new MemoryVacationHistory() }), { send: false, reason: 'bulk-precedence' });
  const ok = sieveMessage(messageByName('en-plain').bytes, { from: 'sender@example.org', to: 'user@example.com' });
  assert.deepEqual(decideVacation(vacationOf(SCRIPT, ok), { message: ok, recipient: 'user@example.com', now, history: new MemoryVacationHistory(), spam: true }), { send: false, reason: 'spam' });
  // :addresses extends who the user is
  const alias = sieveMessage(messageByName('en-plain').bytes, { from: 'sender@example.org', to: 'real@example.com' });
  const withAlias = vacationOf('require "vacation"; vacation :addresses ["User <user@example.com>"] "away";', alias);
  assert.equal(decideVacation(withAlias, { message: alias, recipient: 'real@example.com', now, history: new MemoryVacationHistory() }).send, true);
  assert.equal(isSystemAddress('LISTSERV@example.org'), true);
  assert.equal(isSystemAddress('x-owner@example.org'), false);
});

test('vacation: the reply carries Auto-Submitted, In-Reply-To/References and an "Auto:" subject; null envelope sender by default', () => {
  const raw = Buffer.from('From: a@example.org\r\nTo: user@example.com\r\nSubject: =?UTF-8?B?' + Buffer.from('会議の件').toString('base64') + '?=\r\nMessage-ID: <m1@x>\r\nReferences: <m0@x>\r\n\r\nbody\r\n');
  const msg = sieveMessage(raw, { from: 'a@example.org', to: 'user@example.com' });
  const now = new Date(T0);
  const d = decideVacation(vacationOf('require "vacation"; vacation "休暇中です。\nback on Monday";', msg), { message: msg, recipient: 'user@example.com', now, history: new MemoryVacationHistory(), hostname: 'mx.example.com' });
  assert.ok(d.send);
  const h = Object.fromEntries(d.reply.headers.map(([k, v]) => [k.toLowerCase(), v]));
  assert.equal(decodedValue(h.subject.replace(/\r\n/g, '')), 'Auto: 会議の件');
  assert.equal(h['in-reply-to'], '<m1@x>');
  assert.equal(h.references, '<m0@x> <m1@x>');
  assert.match(h['auto-submitted'], /^auto-replied/);
  assert.equal(h.to, '<a@example.org>');
  assert.equal(d.reply.envelopeFrom, '');
  assert.ok(/^[\x00-\x7f]*$/.test(d.reply.raw.toString('latin1')), 'reply is 7-bit clean');
  const body = d.reply.raw.toString('latin1').split('\r\n\r\n')[1];
  assert.equal(Buffer.from(body, 'base64').toString('utf8'), '休暇中です。\r\nback on Monday');
  // :subject and :from win; the user's address as envelope sender when configured
  const d2 = decideVacation(vacationOf('require "vacation"; vacation :subject "Away" :from "User <user@example.com>" "x";', msg), { message: msg, recipient: 'user@example.com', now, history: new MemoryVacationHistory(), envelopeFrom: 'user' });
  assert.ok(d2.send);
  assert.equal(d2.reply.headers.find(([k]) => k === 'Subject')?.[1], 'Away');
  assert.equal(d2.reply.headers.find(([k]) => k === 'From')?.[1], 'User <user@example.com>');
  assert.equal(d2.reply.envelopeFrom, 'user@example.com');
});

test('vacation: the decision equals Pigeonhole sieve-test -e over senders × messages × recipients', (t) => {
  if (!requireCommand(t, 'sieve-test')) return;
  const ph = new Pigeonhole();
  const senders = ['sender@example.org', 'MAILER-DAEMON@example.org', 'owner-acme@example.org', 'acme-request@example.org', 'majordomo@example.org', 'x-owner@example.org', 'user@example.com'];
  const recipients = ['user@example.com', 'other@example.com'];
  const scripts = [SCRIPT, 'require "vacation"; vacation :addresses ["user@example.com"] "away";'];
  const mismatches: string[] = [];
  let n = 0;
  try {
    for (const m of MESSAGES)
      for (const from of senders)
        for (const to of recipients)
          for (const script of scripts) {
            const msg = sieveMessage(m.bytes, { from, to });
            const ours = decideVacation(vacationOf(script, msg), { message: msg, recipient: to, now: new Date(), history: new MemoryVacationHistory() });
            const r = ph.run(script, m.bytes, { from, to, execute: true });
            const theirs = /sent vacation response/.test(r.stderr);
            n++;
            if (ours.send !== theirs) mismatches.push(`${m.name} from ${from} to ${to} [${script}]: tegami ${ours.send ? 'sends' : `skips (${(ours as { reason: string }).reason})`}, Pigeonhole ${theirs ? 'sends' : 'skips'}: ${r.stderr.split('\n').find((l) => /vacation action/.test(l)) ?? ''}`);
          }
  } finally {
    ph.close();
  }
  assert.ok(n >= 200);
  assert.equal(mismatches.length, 0, mismatches.join('\n'));
});
