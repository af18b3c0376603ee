// Differential test: every script of cases.ts on every message of messages.ts, run by tegami and by Pigeonhole's
// sieve-test; the actions (normal form of pigeonhole.ts) must be equal, except for the cases marked `differs`,
// which are checked against their documented expectation. Skips without sieve-test, fails in CI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand } from '../helpers/server.js';
import { CAPABILITIES, evaluate, parseScript, sieveMessage, type SieveEnv } from '../../engine/sieve/index.js';
import { CASES, UPLOAD_CASES, type SieveCase } from './cases.js';
import { MESSAGES } from './messages.js';
import { ENVELOPE, Pigeonhole, normaliseTegami } from './pigeonhole.js';

function tegami(c: SieveCase, bytes: Buffer): string[] {
  const env: SieveEnv = {
    extensions: CAPABILITIES,
    mailboxExists: (n) => n === 'INBOX',
    loadScript: (name, location) => (location === 'personal' ? c.personal : c.global)?.[name] ?? null,
  };
  const p = parseScript(c.script, env);
  if (!p.ok) return normaliseTegami({ compileErrors: true });
  return normaliseTegami(evaluate(p.script, sieveMessage(bytes, ENVELOPE), env));
}

const messagesOf = (c: SieveCase) => MESSAGES.filter((m) => (c.messages ? c.messages.includes(m.name) : !m.explicit));

test('Sieve: tegami takes the same actions as Pigeonhole on the whole table', (t) => {
  if (!requireCommand(t, 'sieve-test')) return;
  const ph = new Pigeonhole();
  const mismatches: string[] = [];
  let compared = 0;
  try {
    for (const c of CASES.filter((x) => !x.differs)) {
      ph.setIncludes(c.personal, c.global);
      for (const m of messagesOf(c)) {
        const ours = tegami(c, m.bytes);
        const theirs = ph.run(c.script, m.bytes);
        compared++;
        if (JSON.stringify(ours) !== JSON.stringify(theirs.normal)) {
          mismatches.push(`${c.name} × ${m.name}\n  tegami:     ${JSON.stringify(ours)}\n  pigeonhole: ${JSON.stringify(theirs.normal)}${theirs.normal[0] === 'compile-error' || theirs.normal[0] === 'runtime-error' ? `\n  (${theirs.stderr.split('\n').filter((l) => /error/.test(l)).join(' | ')})` : ''}`);
        }
      }
    }
  } finally {
    ph.close();
  }
  assert.ok(compared > 200, `only ${compared} comparisons`);
  assert.equal(mismatches.length, 0, `${mismatches.length} of ${compared} differ:\n${mismatches.join('\n')}`);
});

test('Sieve: documented differences from Pigeonhole hold on tegami', () => {
  for (const c of CASES.filter((x) => x.differs)) {
    for (const m of messagesOf(c)) {
      const want = c.expect?.[m.name] ?? c.expect?.['*'];
      assert.ok(want, `${c.name}: no expectation for ${m.name}`);
      assert.deepEqual(tegami(c, m.bytes), want, `${c.name} × ${m.name}`);
    }
  }
});

test('Sieve: Pigeonhole still differs where the table says it does', (t) => {
  if (!requireCommand(t, 'sieve-test')) return;
  const ph = new Pigeonhole();
  try {
    for (const c of CASES.filter((x) => x.differs)) {
      ph.setIncludes(c.personal, c.global);
      for (const m of messagesOf(c)) {
        const r = ph.run(c.script, m.bytes);
        assert.notDeepEqual(r.normal, tegami(c, m.bytes), `${c.name}: Pigeonhole now agrees; move it into the differential table`);
      }
    }
  } finally {
    ph.close();
  }
});

test('Sieve: scripts accepted or refused at upload alike by tegami and Pigeonhole', (t) => {
  if (!requireCommand(t, 'sieve-test')) return;
  const ph = new Pigeonhole();
  const msg = Buffer.from('From: a@example.org\r\nSubject: x\r\n\r\nx\r\n');
  const mismatches: string[] = [];
  try {
    for (const s of UPLOAD_CASES) {
      const ours = parseScript(s, { extensions: CAPABILITIES });
      const theirs = ph.run(s, msg).normal[0] !== 'compile-error';
      if (ours.ok !== theirs) mismatches.push(`${JSON.stringify(s)}: tegami ${ours.ok ? 'accepts' : `refuses (${ours.errors[0].message})`}, Pigeonhole ${theirs ? 'accepts' : 'refuses'}`);
    }
  } finally {
    ph.close();
  }
  assert.equal(mismatches.length, 0, mismatches.join('\n'));
});
