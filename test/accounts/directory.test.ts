// The account model in the directory (A2, A5, A8): admin rights as rows with the old booleans derived, domain
// defaults copied into new accounts (explicit settings win), quota overrides over the domain's default, the one
// password change path ("cannot change password" refused to the owner, allowed to an admin), disabled accounts
// resolving as unknown, and where postmaster@/root@ go.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { AccountError } from '../../engine/accounts/sqlite-directory.js';
import { tempDirectory, type TempDirectory } from './helpers.js';

let t: TempDirectory;
beforeEach(() => {
  t = tempDirectory();
});
afterEach(() => t.close());

const column = (t: TempDirectory, address: string, col: string) => (t.db.prepare(`SELECT ${col} AS v FROM users WHERE address = ?`).get(address) as { v: number }).v;

describe('admin rights', () => {
  it('are rows: host admin of one domain, list admin of named lists, system admin; the old columns follow', async () => {
    const d = t.directory;
    await d.addUser({ address: 'hana@example.test', password: 'pw-1234' });
    d.updateUser('hana@example.test', { hostAdminOf: ['other.test'], listAdminOf: ['team@MAIL.example.test'] });
    let u = d.user('hana@example.test')!;
    assert.deepEqual(u.hostAdminOf, ['other.test'], 'the domain it was given, not its own');
    assert.deepEqual(u.listAdminOf, ['team@example.test'], 'a list named through a host alias is stored canonical');
    assert.equal(u.hostAdmin, true);
    assert.equal(u.listAdmin, true);
    assert.equal(u.systemAdmin, false);
    assert.equal(column(t, 'hana@example.test', 'host_admin'), 1, 'derived column');
    d.updateUser('hana@example.test', { revoke: { host: ['other.test'] }, systemAdmin: true });
    u = d.user('hana@example.test')!;
    assert.deepEqual(u.hostAdminOf, []);
    assert.equal(u.systemAdmin, true);
    assert.equal(column(t, 'hana@example.test', 'host_admin'), 0);
    assert.equal(column(t, 'hana@example.test', 'system_admin'), 1);
    // the old boolean spellings keep working
    d.updateUser('hana@example.test', { hostAdmin: true });
    assert.deepEqual(d.user('hana@example.test')!.hostAdminOf, ['example.test'], 'hostAdmin: true = its own domain');
    d.updateUser('hana@example.test', { hostAdmin: false, listAdmin: false });
    assert.deepEqual([d.user('hana@example.test')!.hostAdminOf, d.user('hana@example.test')!.listAdminOf], [[], []]);
    assert.throws(() => d.updateUser('hana@example.test', { listAdmin: true }), /name the lists/);
    assert.throws(() => d.updateUser('hana@example.test', { hostAdminOf: ['nowhere.test'] }), /not a local domain: nowhere\.test/);
    assert.throws(() => d.updateUser('hana@example.test', { listAdminOf: ['team@nowhere.test'] }), /must be in a local domain/);
  });

  it('a system admin made with addUser is one; the first enabled system admin takes postmaster mail', async () => {
    const d = t.directory;
    await d.addUser({ address: 'boss@example.test', password: 'pw-1234', systemAdmin: true });
    assert.equal(d.user('boss@example.test')!.systemAdmin, true);
    assert.deepEqual(d.rights.holders('system'), ['boss@example.test']);
    const r = d.resolve('postmaster@other.test');
    assert.deepEqual(r, { kind: 'postmaster', address: 'postmaster@other.test', forwardTo: 'boss@example.test' });
  });

  it('go with the account: a new account under a deleted address starts with none', async () => {
    const d = t.directory;
    await d.addUser({ address: 'hana@example.test', password: 'pw-1234', systemAdmin: true, hostAdminOf: ['other.test'], quota: { bytes: 1000 } });
    d.deleteUser('hana@example.test');
    await d.addUser({ address: 'hana@example.test', password: 'pw-1234' });
    const u = d.user('hana@example.test')!;
    assert.equal(u.systemAdmin, false);
    assert.deepEqual(u.hostAdminOf, []);
    assert.deepEqual(u.quota, { bytes: 0, messages: 0 });
  });
});

describe('domain defaults and quotas', () => {
  it('a new account takes its domain defaults; settings given explicitly win; other domains are untouched', async () => {
    const d = t.directory;
    d.defaults.set('other.test', { replyTo: 'help@other.test', webAccess: false, cannotChangePassword: true, keepCopy: false, forward: ['archive@other.test'], quotaBytes: 5000, quotaMessages: 10 });
    await d.addUser({ address: 'taro@other.test', password: 'pw-1234' });
    await d.addUser({ address: 'jiro@other.test', password: 'pw-1234', webAccess: true, replyTo: 'jiro@elsewhere.test', forward: ['x@elsewhere.test'], quota: { bytes: 0 } });
    await d.addUser({ address: 'hana@example.test', password: 'pw-1234' });
    const taro = d.user('taro@other.test')!;
    assert.equal(taro.replyTo, 'help@other.test');
    assert.equal(taro.webAccess, false);
    assert.equal(taro.cannotChangePassword, true);
    assert.equal(taro.keepCopy, false);
    assert.deepEqual(taro.forward, ['archive@other.test']);
    assert.deepEqual(taro.quota, { bytes: 5000, messages: 10 });
    const jiro = d.user('jiro@other.test')!;
    assert.equal(jiro.webAccess, true);
    assert.equal(jiro.replyTo, 'jiro@elsewhere.test');
    assert.deepEqual(jiro.forward, ['x@elsewhere.test']);
    assert.deepEqual(jiro.quota, { bytes: 0, messages: 10 }, 'an override of 0 is unlimited; the count still the domain\'s');
    const hana = d.user('hana@example.test')!;
    assert.deepEqual([hana.replyTo, hana.webAccess, hana.keepCopy], ['', true, true]);
    // the domain's quota is read live; the copied settings are not
    d.defaults.set('other.test', { quotaBytes: 9000, webAccess: true });
    assert.deepEqual(d.user('taro@other.test')!.quota, { bytes: 9000, messages: 10 });
    assert.equal(d.user('taro@other.test')!.webAccess, false);
    d.updateUser('taro@other.test', { quota: { bytes: 100 } });
    assert.deepEqual(d.quotaOf('taro@other.test'), { bytes: 100, messages: 10 });
    d.updateUser('taro@other.test', { quota: { bytes: null } });
    assert.deepEqual(d.quotaOverride('taro@other.test'), { bytes: null, messages: null });
    assert.deepEqual(d.quotaOf('postmaster@other.test'), { bytes: 0, messages: 0 }, 'a postmaster box without an account has no limit');
  });

  it('a domain whose new accounts start disabled: explicit enabling wins, and a bad setting creates nothing', async () => {
    const d = t.directory;
    d.defaults.set('example.test', { disabled: true });
    await d.addUser({ address: 'taro@example.test', password: 'pw-1234' });
    await d.addUser({ address: 'jiro@example.test', password: 'pw-1234', disabled: false });
    assert.equal(d.user('taro@example.test')!.disabled, true);
    assert.equal(d.user('jiro@example.test')!.disabled, false);
    await assert.rejects(d.addUser({ address: 'saburo@example.test', password: 'pw-1234', replyTo: 'not an address' }), AccountError);
    assert.equal(d.user('saburo@example.test'), undefined, 'nothing was created');
  });
});

describe('changePassword', () => {
  it('refuses the owner when the account may not change its password, and lets an admin', async () => {
    const d = t.directory;
    await d.addUser({ address: 'taro@example.test', password: 'old-pass', cannotChangePassword: true });
    const self = await d.changePassword('taro@example.test', 'old-pass', 'new-pass', { by: 'self' });
    assert.deepEqual(self.ok ? 'ok' : self.reason, 'not-allowed');
    assert.ok(await d.authenticate('taro@example.test', 'old-pass'), 'unchanged');
    const admin = await d.changePassword('taro@example.test', null, 'new-pass', { by: 'admin' });
    assert.equal(admin.ok, true);
    assert.ok(await d.authenticate('taro@example.test', 'new-pass'));
    d.updateUser('taro@example.test', { cannotChangePassword: false });
    const wrong = await d.changePassword('taro@example.test', 'not-it', 'other-pass', { by: 'self' });
    assert.equal(wrong.ok ? 'ok' : wrong.reason, 'wrong-password');
    const bad = await d.changePassword('taro@example.test', 'new-pass', 'x', { by: 'self' });
    assert.equal(bad.ok ? 'ok' : bad.reason, 'invalid');
    const ok = await d.changePassword(d.user('taro@example.test')!, 'new-pass', 'newer-pass', { by: 'self' });
    assert.equal(ok.ok, true);
    assert.ok(await d.authenticate('taro@example.test', 'newer-pass'));
    d.updateUser('taro@example.test', { disabled: true });
    const disabled = await d.changePassword('taro@example.test', 'newer-pass', 'newest-pass', { by: 'self' });
    assert.equal(disabled.ok ? 'ok' : disabled.reason, 'not-allowed');
  });
});

describe('resolution', () => {
  it('a disabled account resolves as no account at all', async () => {
    const d = t.directory;
    await d.addUser({ address: 'gone@example.test', password: 'pw-1234', disabled: true });
    assert.deepEqual(d.resolve('gone@example.test'), { kind: 'unknown' });
    assert.deepEqual(d.resolve('nobody@example.test'), { kind: 'unknown' });
  });

  it('root@ and abuse@ follow postmaster@; postmaster@ goes to [accounts] postmaster, the first admin, or its own box', async () => {
    const conf = tempDirectory({ postmaster: 'chief@example.test' });
    try {
      const d = conf.directory;
      // the configured target does not exist yet: the first admin, else the box of its own
      assert.deepEqual(d.resolve('root@other.test'), { kind: 'postmaster', address: 'postmaster@other.test' });
      await d.addUser({ address: 'boss@example.test', password: 'pw-1234', systemAdmin: true });
      assert.deepEqual(d.resolve('root@other.test'), { kind: 'postmaster', address: 'postmaster@other.test', forwardTo: 'boss@example.test' });
      await d.addUser({ address: 'chief@example.test', password: 'pw-1234' });
      for (const a of ['postmaster@other.test', 'ROOT@other.test', 'abuse@mail.example.test']) {
        const r = d.resolve(a);
        assert.equal(r.kind, 'postmaster', a);
        assert.equal(r.kind === 'postmaster' && r.forwardTo, 'chief@example.test', a);
      }
      d.updateUser('chief@example.test', { disabled: true });
      assert.equal((d.resolve('root@other.test') as { forwardTo?: string }).forwardTo, 'boss@example.test', 'a disabled target is passed over');
      d.updateUser('boss@example.test', { disabled: true });
      assert.deepEqual(d.resolve('root@other.test'), { kind: 'postmaster', address: 'postmaster@other.test' });
      // an account named postmaster@ takes root@ too; a disabled root@ account does not stop root@
      await d.addUser({ address: 'postmaster@other.test', password: 'pw-1234' });
      assert.equal(d.resolve('root@other.test').kind, 'mailbox');
      await d.addUser({ address: 'root@example.test', password: 'pw-1234', disabled: true });
      assert.equal(d.resolve('root@example.test').kind, 'postmaster');
    } finally {
      conf.close();
    }
  });
});
