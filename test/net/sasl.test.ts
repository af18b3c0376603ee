// The SASL mechanisms and the exchange that drives them, without sockets: RFC 7677 §3's SCRAM-SHA-256 test
// vector step by step, the stored verifier derived from the same password and salt, strict base64, "*" and
// "=" (RFC 4422/4954), the PLAIN rule, LOGIN's prompts, CRAM-MD5 without an initial response, SASLprep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { formatScram, parseScram, saslPrep, scramKeys, type ScramKeys } from '../../engine/accounts/password.js';
import type { User } from '../../engine/accounts/directory.js';
import { decodeBase64, SaslExchange } from '../../engine/net/sasl/exchange.js';
import type { Credentials, LoginResult } from '../../engine/net/sasl/mechanism.js';
import { CramMd5Mechanism } from '../../engine/net/sasl/cram-md5.js';
import { LoginMechanism } from '../../engine/net/sasl/login.js';
import { PlainMechanism } from '../../engine/net/sasl/plain.js';
import { ScramSha256Mechanism } from '../../engine/net/sasl/scram-sha-256.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const text = (b64text: string) => Buffer.from(b64text, 'base64').toString('utf8');
const USER = { address: 'user@example.test' } as User;

/** Credentials that record what the mechanisms asked, over one account with `password` (or `keys` for SCRAM). */
function credentials(o: { password?: string; keys?: ScramKeys } = {}) {
  const asked: string[] = [];
  const c: Credentials = {
    hostname: 'mx.example.test',
    async password(login, password): Promise<LoginResult> {
      asked.push(`password ${login} ${password}`);
      return password && password === o.password ? { kind: 'ok', user: USER } : { kind: 'failed' };
    },
    async cramMd5(login, challenge, digest): Promise<LoginResult> {
      asked.push(`cram ${login}`);
      const expected = crypto.createHmac('md5', o.password ?? '').update(challenge).digest('hex');
      return digest === expected ? { kind: 'ok', user: USER } : { kind: 'failed' };
    },
    async scramStart(login) {
      asked.push(`scram-start ${login}`);
      return { lookup: { user: USER, keys: o.keys! } };
    },
    async scramFinish(login, user): Promise<LoginResult> {
      asked.push(`scram-finish ${login} ${user ? 'matched' : 'no match'}`);
      return user ? { kind: 'ok', user } : { kind: 'failed' };
    },
    sameAccount: (a, b) => a.toLowerCase() === b.toLowerCase(),
  };
  return { c, asked };
}

test('SCRAM-SHA-256: RFC 7677 §3 test vector, from the keys stored for "pencil" with its salt', async () => {
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  const keys = (await scramKeys('pencil', 4096, salt))!;
  assert.deepEqual(parseScram(formatScram(keys)), keys, 'the stored form reads back');
  const { c, asked } = credentials({ keys });
  const x = new SaslExchange('SCRAM-SHA-256', new ScramSha256Mechanism(c, () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0'));
  const first = await x.start(b64('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
  assert.deepEqual(first.kind === 'challenge' && text(first.data), 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
  const final = await x.respond(b64('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='));
  assert.deepEqual(final.kind === 'challenge' && text(final.data), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  assert.deepEqual(await x.respond(''), { kind: 'done', result: { kind: 'ok', user: USER } });
  assert.deepEqual(asked, ['scram-start user', 'scram-finish user matched']);
});

test('SCRAM-SHA-256: a wrong proof, a replayed nonce or a channel-binding request fails; bad syntax is malformed', async () => {
  const keys = (await scramKeys('pencil', 4096))!;
  const run = async (clientFirst: string, clientFinal?: (nonce: string) => string) => {
    const x = new SaslExchange('SCRAM-SHA-256', new ScramSha256Mechanism(credentials({ keys }).c));
    const s1 = await x.start(b64(clientFirst));
    if (s1.kind !== 'challenge' || !clientFinal) return s1;
    return x.respond(b64(clientFinal(/r=([^,]+)/.exec(text(s1.data))![1])));
  };
  const proof = b64('x'.repeat(32));
  assert.deepEqual(await run('n,,n=user,r=abc', (n) => `c=biws,r=${n},p=${proof}`), { kind: 'done', result: { kind: 'failed' } });
  assert.deepEqual(await run('n,,n=user,r=abc', () => `c=biws,r=abcOTHER,p=${proof}`), { kind: 'done', result: { kind: 'failed' } });
  assert.equal((await run('p=tls-unique,,n=user,r=abc')).kind, 'malformed');
  assert.equal((await run('n,,m=ext,n=user,r=abc')).kind, 'malformed');
  assert.equal((await run('n,,n=us=er,r=abc')).kind, 'malformed', '"=" must be =2C or =3D');
  assert.deepEqual(await run('n,a=someone.else,n=user,r=abc'), { kind: 'done', result: { kind: 'failed' } }, 'acting for another account');
});

test('the exchange: strict base64 is a syntax error (not a failed login), "*" cancels, "=" is an empty initial response', async () => {
  for (const bad of ['%%%', 'dXNlcg', 'dXNlcg=', 'ab=c', ' d XNl']) assert.equal(decodeBase64(bad), null, bad);
  assert.equal(decodeBase64('')?.length, 0);
  const login = () => new SaslExchange('LOGIN', new LoginMechanism(credentials({ password: 'pw' }).c));
  const x = login();
  assert.deepEqual(await x.start(), { kind: 'challenge', data: b64('Username:') });
  assert.deepEqual(await x.respond('not base64!'), { kind: 'malformed', text: 'Invalid base64 in SASL response' });
  assert.ok(x.done, 'a malformed response ends the exchange');
  const y = login();
  await y.start();
  assert.deepEqual(await y.respond('*'), { kind: 'cancelled' });
  const z = login();
  assert.deepEqual(await z.start(b64('user')), { kind: 'challenge', data: b64('Password:') }, 'a user name as initial response');
  assert.deepEqual(await z.respond(b64('pw')), { kind: 'done', result: { kind: 'ok', user: USER } });
  const p = new SaslExchange('PLAIN', new PlainMechanism(credentials().c));
  assert.equal((await p.start('=')).kind, 'malformed', 'an empty PLAIN message has no authcid');
});

test('PLAIN: authzid empty or the same account in any case; another account or an empty password fails without a hash', async () => {
  const plain = async (message: string) => {
    const { c, asked } = credentials({ password: 'pw' });
    const r = await new SaslExchange('PLAIN', new PlainMechanism(c)).start(b64(message));
    return { r: r.kind === 'done' ? r.result.kind : r.kind, asked };
  };
  assert.equal((await plain('\0user\0pw')).r, 'ok');
  assert.equal((await plain('USER\0user\0pw')).r, 'ok');
  const other = await plain('admin\0user\0pw');
  assert.equal(other.r, 'failed');
  assert.deepEqual(other.asked, ['password user '], 'checked as an empty password: counted, never hashed');
  assert.equal((await plain('\0user\0')).r, 'failed');
  assert.equal((await plain('\0\0pw')).r, 'malformed');
  assert.equal((await plain('a\0b\0c\0d')).r, 'malformed');
});

test('CRAM-MD5: the server speaks first (an initial response is malformed); the digest is checked by the credentials', async () => {
  const { c } = credentials({ password: 'tanstaaftanstaaf' });
  assert.equal((await new SaslExchange('CRAM-MD5', new CramMd5Mechanism(c)).start(b64('x'))).kind, 'malformed');
  const x = new SaslExchange('CRAM-MD5', new CramMd5Mechanism(c));
  const ch = await x.start();
  assert.ok(ch.kind === 'challenge');
  const challenge = text(ch.data);
  assert.match(challenge, /^<\d+\.[0-9a-f]+\.\d+@mx\.example\.test>$/);
  const digest = crypto.createHmac('md5', 'tanstaaftanstaaf').update(challenge).digest('hex');
  assert.deepEqual(await x.respond(b64(`tim ${digest}`)), { kind: 'done', result: { kind: 'ok', user: USER } });
});

test('SASLprep: non-ASCII spaces become SPACE, invisible characters vanish, NFKC applies, controls are refused', () => {
  assert.equal(saslPrep('pass\u3000word'), 'pass word');
  assert.equal(saslPrep('I\u00adX'), 'IX');
  assert.equal(saslPrep('\u2168'), 'IX');
  assert.equal(saslPrep('ｶﾀｶﾅ'), 'カタカナ');
  assert.equal(saslPrep('日本語のパスワード'), '日本語のパスワード');
  assert.equal(saslPrep('a\u0007b'), null);
});
