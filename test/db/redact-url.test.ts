// A database URL as tegami status shows it (engine/db/redact-url.ts): the password of the user part and of any
// password-like parameter replaced by ***, whatever characters it holds (percent-encoded ones too); the rest kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactedUrl } from '../../engine/db/redact-url.js';

test('passwords are shown as ***, the rest as written', () => {
  assert.equal(redactedUrl('postgres://tegami:s3cr%2Ft%40pw@db.example.jp:5432/tegami'), 'postgres://tegami:***@db.example.jp:5432/tegami');
  assert.equal(redactedUrl('postgresql://tegami@10.0.0.5/mail?sslmode=require'), 'postgresql://tegami@10.0.0.5/mail?sslmode=require', 'no password: unchanged');
  const q = redactedUrl('postgres://tegami@db/mail?password=hunter2&sslpassword=keypass&application_name=tegami');
  assert.ok(!q.includes('hunter2') && !q.includes('keypass'), q);
  assert.match(q, /password=\*\*\*&sslpassword=\*\*\*&application_name=tegami$/);
  assert.equal(redactedUrl('postgres://u:p@[bad'), '(a URL that does not parse: not shown)');
});
