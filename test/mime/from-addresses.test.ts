// fromAddresses answers a plain From: mailbox ("Name <local@domain>", "<local@domain>", "local@domain") without
// running its three readers; for every value, plain or one character away from plain, its answer must be what
// the readers find (readingsOfFields), so DMARC judges the same domains either way (engine/spam/auth.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromAddresses, readingsOfFields } from '../../engine/mime/author-readings.js';
import { headerFields } from '../../engine/mime/address-list.js';

const NAMES = ['', 'Lab Load', 'A', 'a b\tc', '"Lab, Load"', 'Lab.Load', 'Lab@Load', 'x@evil.example', '(comment)', '=?UTF-8?B?5bGx55Sw?=', '\xef\xbc\xac\xef\xbd\x81', '\x1b$B;3ED\x1b(B', 'info@bank.example,'];
const ADDRS = [
  'a@b.cc',
  'A.B+c@Ex-ample.co.jp',
  'load-17@lab.example.test',
  'a..b@c.de',
  'a@-b.cd',
  'a@b-.cd',
  'a@b--c.de',
  'a@b',
  '"q"@b.cd',
  '"a b"@c.de',
  'a@[192.0.2.1]',
  'a@b.cd.',
  'a@b..cd',
  '-a@b.cd',
  '_@b.cd',
  '.a@b.cd',
  'a.@b.cd',
  'a@b.c_d',
  'a@xn--r8jz45g.jp',
  '\xe5\xb1\xb1@b.cd',
];
const FORMS = [
  (n: string, a: string) => `${n} <${a}>`,
  (n: string, a: string) => `${n}<${a}>`,
  (_n: string, a: string) => `<${a}>`,
  (_n: string, a: string) => a,
  (n: string, a: string) => `${a} (${n})`,
  (n: string, a: string) => `${n} <${a}>, me@attacker.example`,
  (n: string, a: string) => `g: ${n} <${a}>;`,
  (n: string, a: string) => `${n} <${a}`,
  (n: string, a: string) => `${n} ${a}>`,
  (n: string, a: string) => `<${a}> ${n}`,
];
const SPACES = ['', ' ', '\t', '  '];

function check(value: string, extra = ''): void {
  const raw = Buffer.from(`From:${value}\r\n${extra}To: u@example.test\r\nSubject: s\r\n\r\nbody\r\n`, 'latin1');
  const head = raw.subarray(0, raw.indexOf('\r\n\r\n') + 4);
  assert.deepEqual(fromAddresses(raw), readingsOfFields(headerFields(head, ['from'])), JSON.stringify(value + extra));
}

test('a plain From: mailbox gives what the three readers give, and so does every near miss', () => {
  let n = 0;
  for (const name of NAMES) {
    for (const addr of ADDRS) {
      for (const form of FORMS) {
        for (const sp of SPACES) {
          check(`${sp}${form(name, addr)}${sp}`);
          n++;
        }
      }
    }
  }
  assert.ok(n > 10_000);
});

test('folded, doubled and odd From: fields are left to the readers and read as they read them', () => {
  check(' Lab\r\n Load <a@b.cc>');
  check(' Lab Load\r\n\t<a@b.cc>');
  check(' a@b.cc', 'From: c@d.ee\r\n');
  check(' Lab Load <a@b.cc>\rX-Hidden: 1');
  check(' <a@b.cc>\r\n <c@d.ee>');
  check(' a@b.cc\x00');
  check(' ' + 'a'.repeat(600) + '@b.cc');
  assert.deepEqual(fromAddresses(Buffer.from('From: Lab Load <Load-1@Lab.Example.TEST>\r\n\r\n')), ['load-1@lab.example.test']);
  assert.deepEqual(fromAddresses(Buffer.from('From: "Bank" <info@bank.example>, me@attacker.example\r\n\r\n')).sort(), ['info@bank.example', 'me@attacker.example']);
});

test('the shortcut takes linear time on long near-plain values (no backtracking blow-up)', () => {
  // a value that almost matches, many times over, read in one go: finishes (no timing asserted, only that it ends)
  for (const v of [' ' + 'a-'.repeat(200) + '@' + 'b-'.repeat(100), ' x@' + 'a.'.repeat(200), ' ' + 'w '.repeat(200) + '<a@b'])
    check(v);
});
