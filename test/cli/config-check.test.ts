// `tegami config check`: what an operator runs after changing the config or renewing a certificate, before the
// restart that tegami needs to read either (operator-run-1: a renewed certificate beside the old key stopped a node
// at its restart). The real CLI on files made here: a good pair is described (subject, names, expiry) with exit 0
// and nothing written into the data dir; a certificate beside another key, an expired certificate and a missing
// key file each exit 1 naming the file; a pair within 14 days of its end is a warning (exit 0); a bad key in the
// TOML names the file and line; an unknown subcommand is a usage error. On the code before, `config` was an
// unknown command (exit 2). The admin's [spam] rules_file is compiled with the shipped rules, as serve does at start:
// a rule of its own without the LOCAL_ prefix, a misspelt tag in `disable` (it disabled nothing, silently), or a TOML error, names the file (line) and exits 1; on the code
// before, `config check` said ok and the restart failed.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import selfsigned from 'selfsigned';
import { BIN } from '../helpers/server.js';

const DAY = 86_400_000;

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('tegami config check', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-config-check-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A certificate for `cn` valid from `from` to `to` (ms from now), written as NAME.crt and NAME.key. */
  async function pair(name: string, cn: string, from: number, to: number): Promise<{ cert: string; key: string }> {
    const now = Date.now();
    const pems = await selfsigned.generate([{ name: 'commonName', value: cn }], {
      keySize: 2048,
      notBeforeDate: new Date(now + from),
      notAfterDate: new Date(now + to),
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: cn }] }],
    } as never);
    const cert = path.join(dir, `${name}.crt`);
    const key = path.join(dir, `${name}.key`);
    fs.writeFileSync(cert, pems.cert);
    fs.writeFileSync(key, pems.private, { mode: 0o600 });
    return { cert, key };
  }
  const config = (name: string, tls: string) => {
    const file = path.join(dir, `${name}.toml`);
    fs.writeFileSync(file, `hostname = "mx.example.test"\ndata_dir = ${JSON.stringify(path.join(dir, `${name}-data`))}\n[listen]\nsmtp = "127.0.0.1:2525"\nimaps = "127.0.0.1:2993"\n[log]\nstdout = false\n${tls}\n`);
    return file;
  };
  const tlsTable = (p: { cert: string; key: string }) => `[tls]\ncert = ${JSON.stringify(p.cert)}\nkey = ${JSON.stringify(p.key)}`;

  it('describes a good pair and exits 0, writing nothing', async () => {
    const good = await pair('good', 'mx.example.test', -DAY, 90 * DAY);
    const file = config('good', tlsTable(good));
    const r = cli(['config', 'check', '--config', file]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /good\.toml: ok \(hostname mx\.example\.test/);
    assert.match(r.out, /smtp +127\.0\.0\.1:2525/);
    assert.match(r.out, /tls +\[tls\] \S+good\.crt: CN=mx\.example\.test \(DNS:mx\.example\.test\), expires \S+ \((89|90) day\(s\)\)/);
    assert.equal(r.err, '');
    assert.equal(fs.existsSync(path.join(dir, 'good-data')), false, 'a check writes nothing');
    const j = cli(['config', 'check', '--json', '--config', file]);
    assert.equal(j.code, 0, j.err);
    const doc = JSON.parse(j.out) as { ok: boolean; certificates: { subject: string; days_left: number }[]; errors: string[] };
    assert.equal(doc.ok, true);
    assert.equal(doc.certificates[0].subject, 'CN=mx.example.test');
    assert.deepEqual(doc.errors, []);
  });

  it('refuses a certificate beside another key, an expired one and a missing key, naming the files', async () => {
    const one = await pair('one', 'mx.example.test', -DAY, 90 * DAY);
    const two = await pair('two', 'mx.example.test', -DAY, 90 * DAY);
    let r = cli(['config', 'check', '--config', config('mismatch', tlsTable({ cert: one.cert, key: two.key }))]);
    assert.equal(r.code, 1);
    assert.match(r.err, /tegami config: \[tls\] cert \S+one\.crt with key \S+two\.key: the key does not belong to the certificate \(replace both files together\)/);
    assert.match(r.out, /mismatch\.toml: would not start/);

    const old = await pair('old', 'mx.example.test', -400 * DAY, -DAY);
    r = cli(['config', 'check', '--config', config('expired', tlsTable(old))]);
    assert.equal(r.code, 1);
    assert.match(r.err, /tegami config: \[tls\] cert \S+old\.crt: expired on \d{4}-\d\d-\d\dT/);

    r = cli(['config', 'check', '--config', config('nokey', tlsTable({ cert: one.cert, key: path.join(dir, 'gone.key') }))]);
    assert.equal(r.code, 1);
    assert.match(r.err, /\[tls\] key \S+gone\.key: cannot read it \(ENOENT\)/);

    // a [[tls.domain]] pair is checked the same way
    r = cli(['config', 'check', '--config', config('domain', `${tlsTable(one)}\n[[tls.domain]]\ndomain = "example.co.jp"\ncert = ${JSON.stringify(two.cert)}\nkey = ${JSON.stringify(one.key)}`)]);
    assert.equal(r.code, 1);
    assert.match(r.err, /\[\[tls\.domain\]\] example\.co\.jp cert \S+two\.crt with key \S+one\.key: the key does not belong/);
  });

  it('warns of a certificate near its end, and names the line of a bad key', async () => {
    const soon = await pair('soon', 'mx.example.test', -80 * DAY, 5 * DAY);
    let r = cli(['config', 'check', '--config', config('soon', tlsTable(soon))]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /tegami config: warning: \[tls\] cert \S+soon\.crt: expires in [45] day\(s\)/);

    const bad = path.join(dir, 'bad.toml');
    fs.writeFileSync(bad, 'hostname = "mx.example.test"\n[smtp]\nmax_recipients = "many"\n');
    r = cli(['config', 'check', '--config', bad]);
    assert.equal(r.code, 1);
    assert.match(r.err, /bad\.toml:3: smtp\.max_recipients/);

    r = cli(['config', 'frob']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown subcommand "frob"/);
  });

  it("compiles the admin's spam rules file with the shipped rules, and names its mistakes", () => {
    const rules = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, `${name}-rules.toml`), text);
      return config(`${name}-r`, `[spam]\nrules_file = "${name}-rules.toml"`);
    };
    let r = cli(['config', 'check', '--config', rules('good', 'disable = ["EN_FREE_OFFER", "VALHELO"]\n[[rule]]\ntag = "LOCAL_RIVAL"\nin = "body"\nany = ["rival.example", "競合他社"]\nscore = 3\n')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /spam rules +\S+good-rules\.toml: \d+ rule\(s\) with the shipped ones, 2 disabled/);
    const j = JSON.parse(cli(['config', 'check', '--json', '--config', path.join(dir, 'good-r.toml')]).out) as { spam_rules: { disabled: number } };
    assert.equal(j.spam_rules.disabled, 2);

    r = cli(['config', 'check', '--config', rules('own', '[[rule]]\ntag = "RIVAL"\nin = "body"\nany = ["rival.example"]\n')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /tegami config: \[spam\] rules_file: \S+own-rules\.toml: rule\.tag: RIVAL: a rule of your own needs a tag starting with LOCAL_/);
    assert.match(r.out, /own-r\.toml: would not start/);

    r = cli(['config', 'check', '--config', rules('broken', '[[rule]]\ntag = "LOCAL_X"\nin = "body"\nany = "not a list"\n')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /broken-rules\.toml:4: rule\.any/);

    r = cli(['config', 'check', '--config', rules('typo', 'disable = ["EN_FREE_OFER"]\n')]);
    assert.equal(r.code, 1, 'a misspelt tag in disable disabled nothing, silently');
    assert.match(r.err, /typo-rules\.toml: disable: EN_FREE_OFER: unknown tag/);

    r = cli(['config', 'check', '--config', config('missing-r', '[spam]\nrules_file = "nowhere.toml"')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /nowhere\.toml: cannot read/);
  });
});
