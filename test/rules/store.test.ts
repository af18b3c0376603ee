// The rules store on a real SQLite database (the migration), the vacation record as the CLI and JMAP see it,
// and the delivery plan's rules that are not Sieve's: the spam verdict's default folder, folder names mapped as
// the IMAP store maps them, flags, and who may be sent a rejection notice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../engine/db/database.js';
import { SqliteRulesStore } from '../../engine/rules/sqlite-store.js';
import { ownerKey, scriptNameProblem, VACATION_HANDLE, type VacationInput } from '../../engine/rules/store.js';
import { checkVacation, dayBoundary, setVacationResponse, vacationActive, vacationParams, vacationResponse } from '../../engine/rules/vacation-settings.js';
import { defaultFolder, flagLetters, folderRoom, maildirFolderCount, planFrom, senderVerified } from '../../engine/rules/plan.js';
import type { Envelope } from '../../engine/spool/envelope.js';
import type { SieveResult } from '../../engine/sieve/index.js';

function store(): SqliteRulesStore {
  return new SqliteRulesStore(openDatabase(fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-rules-'))));
}

const VAC: VacationInput = { enabled: true, subject: null, text: '休暇中です', html: null, from: null, until: null, days: null, addresses: [], sender: null };

test('scripts: one active per owner, the active one is not deleted, renames keep it active, owners are separate', () => {
  const s = store();
  s.putScript('Alice@Example.test', 'a', 'keep;');
  s.putScript('alice@example.test', 'b', 'discard;');
  s.putScript('@example.test', 'a', 'keep;');
  assert.equal(s.setActive('alice@example.test', 'a'), true);
  assert.equal(s.setActive('alice@example.test', 'b'), true);
  assert.deepEqual(s.listScripts('alice@example.test').map((x) => [x.name, x.active]), [['a', false], ['b', true]]);
  assert.equal(s.activeScript('@example.test'), null);
  assert.equal(s.setActive('alice@example.test', 'missing'), false);
  assert.equal(s.activeScript('alice@example.test')!.name, 'b', 'a failed SETACTIVE changes nothing');
  assert.equal(s.deleteScript('alice@example.test', 'b'), 'active');
  assert.equal(s.renameScript('alice@example.test', 'b', 'a'), 'exists');
  assert.equal(s.renameScript('alice@example.test', 'b', 'c'), 'ok');
  assert.equal(s.activeScript('alice@example.test')!.name, 'c');
  const before = s.getScript('alice@example.test', 'a')!.updated;
  s.putScript('alice@example.test', 'a', 'stop;');
  assert.ok(s.getScript('alice@example.test', 'a')!.updated > before, 'a put moves the update time (the parse cache key)');
  assert.equal(s.deleteScript('alice@example.test', 'a'), 'ok');
  assert.equal(s.deleteScript('alice@example.test', 'a'), 'missing');
  assert.equal(scriptNameProblem('仕事'), null);
  assert.match(scriptNameProblem('a\u0085b')!, /control/);
  assert.match(scriptNameProblem('')!, /empty/);
  assert.equal(ownerKey('@Example.TEST'), '@example.test');
  assert.equal(ownerKey('not an address'), null);
});

test('vacation: the history is cleared when the text or the dates change, not when only the period does', () => {
  const s = store();
  s.setVacation('alice@example.test', { ...VAC });
  s.recordReply('alice@example.test', 'bob@orig.test', VACATION_HANDLE, 1000);
  s.setVacation('alice@example.test', { ...VAC, days: 3 });
  assert.equal(s.lastReply('alice@example.test', 'bob@orig.test', VACATION_HANDLE), 1000);
  s.setVacation('alice@example.test', { ...VAC, days: 3, until: Date.UTC(2030, 0, 1) });
  assert.equal(s.lastReply('alice@example.test', 'bob@orig.test', VACATION_HANDLE), null);
  s.recordReply('alice@example.test', 'bob@orig.test', VACATION_HANDLE, 2000);
  s.setVacation('alice@example.test', { ...VAC, days: 3, until: Date.UTC(2030, 0, 1), text: 'new text' });
  assert.equal(s.lastReply('alice@example.test', 'bob@orig.test', VACATION_HANDLE), null);
  assert.equal(s.disableVacation('alice@example.test'), true);
  assert.equal(s.getVacation('alice@example.test')!.text, 'new text', 'off keeps the text for next time');
  assert.equal(vacationActive(s.getVacation('alice@example.test'), Date.now()), false);
  assert.equal(s.disableVacation('nobody@example.test'), false);
});

test('vacation: dates, checks and the Sieve parameters delivery uses', () => {
  const from = dayBoundary('2026-08-01', 'start')!;
  const until = dayBoundary('2026-08-15', 'end')!;
  assert.equal(until - from, 15 * 86_400_000 + (new Date(2026, 7, 16).getTimezoneOffset() - new Date(2026, 7, 1).getTimezoneOffset()) * 60_000);
  assert.equal(dayBoundary('2026-02-30', 'start'), null);
  assert.equal(dayBoundary('26-2-3', 'start'), null);
  const v = { ...VAC, from, until, updated: 0 };
  assert.equal(vacationActive(v, from - 1), false);
  assert.equal(vacationActive(v, from), true);
  assert.equal(vacationActive(v, until - 1), true, '--until is inclusive: the whole last day');
  assert.equal(vacationActive(v, until), false);
  assert.equal(checkVacation({ ...VAC, from: until, until: from }).ok, false);
  assert.equal(checkVacation({ ...VAC, subject: 'a\r\nBcc: x' }).ok, false);
  const p = vacationParams({ ...v, days: null }, { minMs: 86_400_000, defaultMs: 7 * 86_400_000 });
  assert.equal(p.seconds, 7 * 86400);
  assert.equal(p.handle, VACATION_HANDLE);
  assert.equal(vacationParams({ ...v, days: 0 as unknown as number }, { minMs: 86_400_000, defaultMs: 1 }).seconds, 86400, 'never below the minimum');
  const html = vacationParams({ ...v, html: '<p>休暇中</p>' }, { minMs: 1, defaultMs: 1 });
  assert.equal(html.mime, true);
  assert.match(html.reason, /^Content-Type: multipart\/alternative; boundary=/);
});

test('JMAP VacationResponse/get and /set read and write the same one record', () => {
  const s = store();
  assert.deepEqual(vacationResponse(s, 'alice@example.test'), { id: 'singleton', isEnabled: false, fromDate: null, toDate: null, subject: null, textBody: null, htmlBody: null });
  const r = setVacationResponse(s, 'alice@example.test', { isEnabled: true, textBody: 'Away', toDate: '2030-01-01T00:00:00Z', subject: '不在' });
  assert.ok(r.ok);
  assert.deepEqual(r.ok && r.value, { id: 'singleton', isEnabled: true, fromDate: null, toDate: '2030-01-01T00:00:00Z', subject: '不在', textBody: 'Away', htmlBody: null });
  assert.equal(s.getVacation('alice@example.test')!.until, Date.UTC(2030, 0, 1), 'the CLI sees what JMAP set');
  const bad = setVacationResponse(s, 'alice@example.test', { fromDate: 'tomorrow' });
  assert.deepEqual(bad, { ok: false, invalid: ['fromDate'] });
  const backwards = setVacationResponse(s, 'alice@example.test', { fromDate: '2031-01-01T00:00:00Z' });
  assert.deepEqual(backwards, { ok: false, invalid: ['toDate'] });
  assert.ok(setVacationResponse(s, 'alice@example.test', { isEnabled: false }).ok);
  assert.equal(s.getVacation('alice@example.test')!.text, 'Away');
});

test('auto-replies: set, disable, history cleared on a new text', () => {
  const s = store();
  s.setAutoReply({ address: 'Info@example.test', enabled: true, subject: null, text: 'Thanks', intervalMs: 3_600_000 });
  s.recordReply('info@example.test', 'c@orig.test', 'autoreply', 5);
  s.setAutoReply({ address: 'info@example.test', enabled: true, subject: null, text: 'Thanks', intervalMs: 60_000 });
  assert.equal(s.lastReply('info@example.test', 'c@orig.test', 'autoreply'), 5);
  s.setAutoReply({ address: 'info@example.test', enabled: true, subject: null, text: 'New text', intervalMs: 60_000 });
  assert.equal(s.lastReply('info@example.test', 'c@orig.test', 'autoreply'), null);
  assert.equal(s.listAutoReplies()[0].intervalMs, 60_000);
  assert.equal(s.repliesSince('info@example.test', 0), 0);
  s.recordReply('info@example.test', 'd@orig.test', 'autoreply', 10);
  assert.equal(s.repliesSince('info@example.test', 10), 1);
  assert.equal(s.repliesSince('info@example.test', 11), 0);
});

function result(actions: SieveResult['actions'], implicitKeep: SieveResult['implicitKeep'] = null): SieveResult {
  return { actions, implicitKeep, headerEdits: [], errors: [], warnings: [], stopped: false };
}

test('fileinto :create makes no folder past [accounts] max_folders: the message is kept in the default folder, with a note', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-plan-'));
  for (const d of ['.Work', '.Drafts']) fs.mkdirSync(path.join(root, d));
  fs.mkdirSync(path.join(root, 'cur'));
  assert.equal(maildirFolderCount(root), 2, 'Maildir++ folders only');
  assert.equal(maildirFolderCount(path.join(root, 'absent')), 0);
  // INBOX + 2 folders, max 4: one new folder fits, the second does not; an existing one and Spam always do
  const into = (...names: string[]) => result(names.map((mailbox) => ({ type: 'fileinto' as const, mailbox, flags: [], create: true, copy: false })));
  const plan = planFrom(into('From-a', 'From-b', 'Work', 'Spam'), root, 'INBOX', undefined, folderRoom(4, () => maildirFolderCount(root)));
  assert.deepEqual(plan.stores.map((x) => x.folder), ['From-a', 'INBOX', 'Work', 'Spam']);
  assert.match(plan.notes.join('\n'), /folder "From-b" not made: the account is at \[accounts\] max_folders/);
  // without a room check (the old call) every :create is made
  assert.deepEqual(planFrom(into('From-a', 'From-b'), root, 'INBOX').stores.map((x) => x.folder), ['From-a', 'From-b']);
});

test('the plan: spam goes to Spam unless a fileinto says otherwise; unsafe or missing folders fall back; flags', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-plan-'));
  fs.mkdirSync(path.join(root, '.Work'));
  assert.equal(defaultFolder('spam', true), 'Spam');
  assert.equal(defaultFolder('reject', true), 'Spam');
  assert.equal(defaultFolder('spam', false), 'INBOX');
  assert.equal(defaultFolder('inbox', true), 'INBOX');
  const spam = defaultFolder('spam', true);
  assert.deepEqual(planFrom(null, root, spam).stores.map((x) => x.folder), ['Spam']);
  assert.deepEqual(planFrom(result([], { flags: [] }), root, spam).stores.map((x) => x.folder), ['Spam']);
  assert.deepEqual(planFrom(result([{ type: 'fileinto', mailbox: 'Work', flags: [], create: false, copy: false }]), root, spam).stores.map((x) => x.folder), ['Work']);
  const missing = planFrom(result([{ type: 'fileinto', mailbox: 'Nowhere', flags: [], create: false, copy: false }]), root, 'INBOX');
  assert.deepEqual(missing.stores.map((x) => x.folder), ['INBOX']);
  assert.match(missing.notes[0], /no folder "Nowhere"/);
  const unsafe = planFrom(result([{ type: 'fileinto', mailbox: '../../etc', flags: [], create: true, copy: false }]), root, 'INBOX');
  assert.deepEqual(unsafe.stores.map((x) => x.dir), [root]);
  assert.match(unsafe.notes[0], /cannot be stored/);
  const flagged = planFrom(result([{ type: 'keep', flags: ['\\Seen', '$Label1', '\\flagged'] }]), root, 'INBOX');
  assert.equal(flagged.stores[0].info, 'FS');
  assert.match(flagged.notes[0], /\$Label1/);
  assert.deepEqual(flagLetters(['\\Answered', '\\Deleted', '\\Draft']), { info: 'DRT', keywords: [] });
  const rejected = planFrom(result([{ type: 'reject', reason: 'no', extended: false }]), root, 'INBOX');
  assert.equal(rejected.stores.length, 0);
  assert.deepEqual(rejected.reject, { reason: 'no', extended: false });
  const both = planFrom(result([{ type: 'reject', reason: 'no', extended: false }], { flags: [] }), root, 'INBOX');
  assert.equal(both.reject, null, 'never both refused and kept');
});

test('a rejection notice goes only to a sender that cannot be forged', () => {
  const env = (o: Partial<Envelope> & { spf?: { result: string; domain: string } }): Envelope => ({
    id: 'X1',
    time: 0,
    mailFrom: o.mailFrom ?? 'bob@orig.test',
    rcptTo: [],
    client: { ip: '192.0.2.1', helo: 'h', protocol: 'ESMTP', listener: 'smtp', ...(o.client ?? {}) },
    connection: o.spf ? { tags: [], headers: [], authResults: [], spf: o.spf } : undefined,
  });
  assert.equal(senderVerified(env({}), [], null), false);
  assert.equal(senderVerified(env({ mailFrom: '' }), [], null), false);
  assert.equal(senderVerified(env({ client: { ip: '192.0.2.1', helo: 'h', protocol: 'ESMTPSA', listener: 'submission', user: 'bob@example.test' } }), [], null), true);
  assert.equal(senderVerified(env({ spf: { result: 'pass', domain: 'orig.test' } }), [], null), true);
  assert.equal(senderVerified(env({ spf: { result: 'pass', domain: 'other.test' } }), [], null), false, 'SPF for another domain says nothing');
  assert.equal(senderVerified(env({ spf: { result: 'softfail', domain: 'orig.test' } }), [], null), false);
  assert.equal(senderVerified(env({}), ['DMARC_PASS'], 'orig.test'), true);
  assert.equal(senderVerified(env({}), ['DMARC_PASS'], 'mail.orig.test'), true);
  assert.equal(senderVerified(env({}), ['DMARC_PASS'], 'elsewhere.test'), false, 'DMARC for a From: not aligned with MAIL FROM');
  assert.equal(senderVerified(env({}), ['DKIM_PASS'], 'orig.test'), false);
});
