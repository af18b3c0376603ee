// The settings override layer: overrides merge over the TOML file, a key the file sets is refused (and
// ignored at start), every change is validated against the whole config by the zod schema before anything is
// written, a refused change writes nothing, the live config sections are swapped at once, a stored setting
// that no longer validates is dropped at start instead of stopping the server, and a worker thread's config
// follows the settings version.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRawConfig, type RawConfig } from '../../engine/config/load.js';
import { openDatabase, type Db } from '../../engine/db/database.js';
import { checkChange, effectiveConfig, tomlKeys } from '../../engine/settings/effective.js';
import { LiveSettings, startupConfig } from '../../engine/settings/live.js';
import { SETTINGS } from '../../engine/settings/registry.js';
import { SettingsStore } from '../../engine/settings/store.js';
import { workerConfig } from '../../engine/settings/worker-config.js';
import { openContext } from '../../engine/context.js';

describe('settings override layer', () => {
  let dir: string;
  let file: string;
  let db: Db;
  let raw: RawConfig;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-settings-'));
    file = path.join(dir, 'tegami.toml');
    fs.writeFileSync(file, `hostname = "mx.example.test"\ndata_dir = "data"\n[log]\nstdout = false\n[spam]\nphrases = ["未承諾広告"]\n[[dnsbl]]\nname = "zen"\nquery_domain = "zen.example.test"\n`);
    raw = readRawConfig(file);
    db = openDatabase(path.join(dir, 'data'));
  });
  after(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('every setting in the registry is a key the schema knows (a typo would never validate)', () => {
    for (const d of SETTINGS) {
      const r = checkChange({ raw: {}, text: '' }, {}, { [d.key]: null });
      assert.ok(r.ok, `${d.key}: ${JSON.stringify(!r.ok && r.errors)}`);
    }
    const bad = checkChange({ raw: {}, text: '' }, {}, { 'spam.spam_treshold': 3 });
    assert.ok(!bad.ok && bad.errors[0].code === 'unknown-key');
  });

  it('keys the TOML file sets are the file\'s: read-only, overrides refused', () => {
    assert.deepEqual([...tomlKeys(raw.raw)].sort(), ['dnsbl', 'spam.phrases']);
    const s = new LiveSettings(effectiveConfig(raw, {}).config, raw, db);
    const r = s.set({ 'spam.phrases': ['x'], 'spam.spam_threshold': 3 }, 'boss@example.test');
    assert.ok(!r.ok);
    assert.deepEqual(r.errors.map((e) => [e.key, e.code]), [['spam.phrases', 'in-toml']]);
    assert.equal(s.version(), 0, 'nothing was written: not even the valid half');
    assert.equal(s.list().find((v) => v.key === 'spam.phrases')!.readOnly, true);
  });

  it('validates the whole merged config: an open relay needs its acknowledgement, bad ranges and tags are refused', () => {
    const s = new LiveSettings(effectiveConfig(raw, {}).config, raw, db);
    const open = s.set({ 'relay.mode': 'anyone' }, 'boss');
    assert.ok(!open.ok);
    assert.equal(open.errors[0].code, 'open-relay');
    for (const [changes, code] of [
      [{ 'relay.allow_ips': ['10.0.0.0/33'] }, 'not-ip'],
      [{ 'relay.allow_ips': ['not an ip'] }, 'not-ip'],
      [{ 'spam.connection_reject': ['SPF_FAIL', 'NO_SUCH_TAG'] }, 'not-tag'],
      [{ 'smtp.max_recipients': 0 }, 'range'],
      [{ 'smtp.max_recipients': 2.5 }, 'type'],
      [{ 'spam.spam_threshold': '5' }, 'type'],
      [{ 'spam.sender_whitelist': ['a b@c'] }, 'not-sender'],
      [{ 'spam.trusted_ips': ['192.0.2.1', '192.0.2.1'] }, 'duplicate'],
      [{ 'relay.mode': 'sometimes' }, 'choice'],
    ] as const) {
      const r = s.set(changes as Record<string, unknown>, 'boss');
      assert.ok(!r.ok, JSON.stringify(changes));
      assert.equal(r.errors[0].code, code, JSON.stringify(changes));
    }
    // operator run 2: the API said `Not a valid value ` (the detail empty) for a value of the wrong type
    const typed = s.set({ 'spam.spam_threshold': 'six' }, 'boss');
    assert.ok(!typed.ok);
    assert.deepEqual([typed.errors[0].code, typed.errors[0].detail], ['type', '"six"']);
    assert.equal(s.version(), 0);
    // the acknowledgement and the mode together are accepted
    const ok = s.set({ 'relay.mode': 'anyone', 'relay.i_understand_this_is_an_open_relay': true }, 'boss');
    assert.ok(ok.ok);
    assert.equal(s.config.relay.mode, 'anyone');
    assert.ok(s.set({ 'relay.mode': null, 'relay.i_understand_this_is_an_open_relay': null }, 'boss').ok);
    assert.equal(s.config.relay.mode, 'none');
  });

  it('applies a change to the live config at once (new section objects) and tells subscribers', () => {
    const config = effectiveConfig(raw, {}).config;
    const s = new LiveSettings(config, raw, db);
    const before = config.spam;
    const seen: string[][] = [];
    s.onChange((_c, keys) => seen.push(keys));
    const r = s.set({ 'spam.spam_threshold': 2.5, 'relay.allow_ips': ['10.1.0.0/16'] }, 'boss@example.test');
    assert.ok(r.ok);
    assert.equal(config.spam.spam_threshold, 2.5);
    assert.notEqual(config.spam, before, 'a new object: caches keyed by the old section are not reused');
    assert.deepEqual(config.spam.phrases, ['未承諾広告'], 'what the file sets stays');
    assert.deepEqual(config.relay.allow_ips, ['10.1.0.0/16']);
    assert.deepEqual(seen, [['spam.spam_threshold', 'relay.allow_ips']]);
    const v = s.list().find((x) => x.key === 'spam.spam_threshold')!;
    assert.equal(v.source, 'override');
    assert.equal(v.updatedBy, 'boss@example.test');
    // unchanged value written again is still one override; null goes back to the default
    assert.ok(s.set({ 'spam.spam_threshold': null }, 'boss').ok);
    assert.equal(config.spam.spam_threshold, 5);
    assert.equal(s.list().find((x) => x.key === 'spam.spam_threshold')!.source, 'default');
  });

  it('survives a restart: openContext merges the stored overrides; one the file now fixes, or that no longer validates, is ignored', () => {
    const store = new SettingsStore(db);
    store.write({ 'spam.spam_threshold': 3.5, 'smtp.max_recipients': 7 }, 'boss');
    const ctx = openContext(file);
    try {
      assert.equal(ctx.config.spam.spam_threshold, 3.5);
      assert.equal(ctx.config.smtp.max_recipients, 7);
      assert.deepEqual(ctx.settingsIgnored, []);
    } finally {
      ctx.close();
    }
    // the operator now writes the threshold into the file, and a stored value went bad (written by hand)
    db.prepare("INSERT OR REPLACE INTO settings (key, value, updated, updated_by) VALUES ('relay.allow_ips', '[\"999.1.1.1\"]', 0, 'x')").run();
    fs.appendFileSync(file, '');
    const text = fs.readFileSync(file, 'utf8').replace('[spam]\n', '[spam]\nspam_threshold = 8\n');
    fs.writeFileSync(file, text);
    const e = startupConfig(readRawConfig(file), db);
    assert.equal(e.config.spam.spam_threshold, 8, 'the file wins');
    assert.equal(e.config.smtp.max_recipients, 7);
    assert.deepEqual(e.config.relay.allow_ips, [], 'the bad stored value is dropped, the server still starts');
    assert.deepEqual(e.ignored.map((i) => i.key).sort(), ['relay.allow_ips', 'spam.spam_threshold']);
    db.prepare("DELETE FROM settings WHERE key = 'relay.allow_ips'").run();
  });

  it('a worker thread reloads its config when the settings version moves, not before', () => {
    const store = new SettingsStore(db);
    const dataDir = path.join(dir, 'data');
    const a = workerConfig(file, dataDir);
    const again = workerConfig(file, dataDir);
    assert.equal(again.config, a.config, 'same version: the same object, nothing re-read');
    store.write({ 'smtp.max_recipients': 9 }, 'boss');
    const b = workerConfig(file, dataDir);
    assert.notEqual(b.version, a.version);
    assert.equal(b.config.smtp.max_recipients, 9);
  });
});
