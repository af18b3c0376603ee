// `tegami list …` as an operator runs it (bin/tegami, a config file, no server): every subcommand, its
// output, and bad input refused saying what is wrong and changing nothing — exit 2 for bad usage (unknown
// options, the valid ones named; a size that is not a size; a bad --admin or line of --file), exit 1 for a
// refusal as every command (README): a list address that is a user, no such list, a member that is not an
// address, loops of lists (itself, each other, through an alias); user add / alias add of a list address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from '../helpers/server.js';

let dir: string;
let config: string;

function tegami(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, '--config', config], { input, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(args: string[], input?: string): string {
  const r = tegami(args, input);
  assert.equal(r.status, 0, `tegami ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Bad usage: exit 2. */
function bad(args: string[], message: RegExp, status = 2): void {
  const r = tegami(args);
  assert.equal(r.status, status, `tegami ${args.join(' ')} should be refused with ${status}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, message);
  assert.equal(r.stdout, '');
}

/** A refusal of a well-formed request: exit 1, as for every command. */
function refused(args: string[], message: RegExp): void {
  bad(args, message, 1);
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-list-cli-'));
  config = path.join(dir, 'tegami.toml');
  fs.writeFileSync(config, `hostname = "mx.example.test"\ndata_dir = "data"\n[domains]\nlocal = ["example.test"]\n[log]\nstdout = false\n`);
  ok(['user', 'add', 'alice@example.test', '--password-stdin'], 'alice-secret-1\n');
  ok(['alias', 'add', 'sales@example.test', 'alice@example.test']);
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('create, show, set and the defaults', () => {
  assert.match(ok(['list', 'create', 'dev@example.test']), /created list dev@example\.test/);
  const show = JSON.parse(ok(['list', 'show', 'dev@example.test', '--json']));
  assert.equal(show.post, 'members');
  assert.equal(show.moderated, false);
  assert.equal(show.replyTo, 'sender');
  assert.equal(show.archive, false);
  assert.equal(show.digest, false);
  assert.equal(show.dmarcRewrite, 'policy');
  assert.equal(show.subjectPrefix, '[dev]');
  ok(['list', 'set', 'dev@example.test', '--post', 'moderators', '--moderated', '--admin', 'alice@example.test', '--admin', 'boss@remote.test', '--subject-prefix', '[開発]', '--reply-to', 'list', '--max-size', '2M', '--digest', '--archive', '--dmarc-rewrite', 'always', '--private']);
  const s = JSON.parse(ok(['list', 'show', 'dev@example.test', '--json']));
  assert.deepEqual(
    { post: s.post, moderated: s.moderated, admins: s.admins, prefix: s.subjectPrefix, replyTo: s.replyTo, maxSize: s.maxSize, digest: s.digest, archive: s.archive, dmarc: s.dmarcRewrite, private: s.private },
    { post: 'moderators', moderated: true, admins: ['alice@example.test', 'boss@remote.test'], prefix: '[開発]', replyTo: 'list', maxSize: 2 * 1024 * 1024, digest: true, archive: true, dmarc: 'always', private: true },
  );
  ok(['list', 'set', 'dev@example.test', '--unmoderated', '--no-digest', '--no-archive', '--public', '--remove-admin', 'boss@remote.test', '--post', 'anyone']);
  const t = JSON.parse(ok(['list', 'show', 'dev@example.test', '--json']));
  assert.deepEqual([t.moderated, t.digest, t.archive, t.private, t.admins, t.post], [false, false, false, false, ['alice@example.test'], 'anyone']);
  const text = ok(['list', 'show', 'dev@example.test']);
  assert.match(text, /^post\s+anyone$/m);
  assert.match(text, /^admins\s+alice@example\.test$/m);
  assert.match(ok(['list', 'list']), /^dev@example\.test\t0 member\(s\)$/m);
});

test('add, members, remove, and members from a CSV file', () => {
  ok(['list', 'create', 'team@example.test']);
  assert.match(ok(['list', 'add', 'team@example.test', 'Bob@Remote.test', 'alice@example.test']), /added 2 member/);
  const again = tegami(['list', 'add', 'team@example.test', 'bob@remote.test']);
  assert.equal(again.status, 0);
  assert.match(again.stderr, /already a member: bob@remote\.test/);
  const csv = path.join(dir, 'members.csv');
  fs.writeFileSync(csv, 'address,mode\r\ncarol@remote.test,digest\r\n"dave@other.test",regular\r\n# a comment\r\n\r\n');
  assert.match(ok(['list', 'add', 'team@example.test', '--file', csv]), /added 2 member/);
  assert.equal(ok(['list', 'members', 'team@example.test']), 'alice@example.test\nbob@remote.test\ncarol@remote.test\tdigest\ndave@other.test\n');
  const json = JSON.parse(ok(['list', 'members', 'team@example.test', '--json'])) as { address: string; digest: boolean }[];
  assert.deepEqual(json.map((m) => [m.address, m.digest]), [['alice@example.test', false], ['bob@remote.test', false], ['carol@remote.test', true], ['dave@other.test', false]]);
  assert.match(ok(['list', 'remove', 'team@example.test', 'bob@remote.test', '--file', csv]), /removed 3 member/);
  assert.equal(ok(['list', 'members', 'team@example.test']), 'alice@example.test\n');
});

test('pending, approve and reject', () => {
  ok(['list', 'create', 'quiet@example.test']);
  assert.equal(ok(['list', 'pending', 'quiet@example.test']), '', 'nothing held: no output at all');
  assert.equal(ok(['list', 'pending', 'quiet@example.test', '--json']), '[]\n');
  refused(['list', 'approve', 'quiet@example.test', 'abcdefghij'], /no held post abcdefghij on quiet@example\.test/);
  bad(['list', 'reject', 'quiet@example.test'], /missing argument/);
});

test('bad input: exit 2 for bad usage, 1 for a refusal, what is wrong, nothing changed', () => {
  refused(['list', 'create', 'alice@example.test'], /alice@example\.test is a user already/);
  refused(['list', 'create', 'sales@example.test'], /sales@example\.test is an alias already/);
  refused(['list', 'create', 'x@nowhere.test'], /nowhere\.test is not a local domain/);
  refused(['list', 'create', 'dev@example.test'], /list dev@example\.test exists/);
  refused(['list', 'create', 'ops-request@example.test'], /may not end in -request/);
  refused(['list', 'add', 'team@example.test', 'erin@remote.test', 'not-an-address'], /not an address: not-an-address/);
  assert.ok(!ok(['list', 'members', 'team@example.test']).includes('erin@remote.test'), 'the good address was not added either');
  const csv = path.join(dir, 'bad.csv');
  fs.writeFileSync(csv, 'frank@remote.test\nbroken line@\n');
  bad(['list', 'add', 'team@example.test', '--file', csv], /not an address: broken line@ \(.*bad\.csv line 2\)/);
  bad(['list', 'set', 'team@example.test', '--max-size', 'lots'], /not a size: lots/);
  bad(['list', 'set', 'team@example.test', '--max-size=-5'], /not a size: -5/);
  bad(['list', 'set', 'team@example.test', '--max-size'], /--max-size.* argument/);
  bad(['list', 'set', 'team@example.test', '--post', 'everyone'], /--post must be members, anyone, moderators: everyone/);
  bad(['list', 'set', 'team@example.test', '--reply-to', 'nobody'], /--reply-to must be list, sender/);
  bad(['list', 'set', 'team@example.test', '--dmarc-rewrite', 'sometimes'], /--dmarc-rewrite must be always, policy, never/);
  bad(['list', 'set', 'team@example.test', '--digest', '--no-digest'], /--digest and --no-digest together/);
  bad(['list', 'set', 'team@example.test', '--admin', 'nobody'], /--admin: not an address: nobody/);
  bad(['list', 'create', 'fresh@example.test', '--admin', 'nobody'], /--admin: not an address: nobody/);
  refused(['list', 'show', 'fresh@example.test'], /no such list: fresh@example\.test/);
  bad(['list', 'set', 'team@example.test', '--moderate'], /Unknown option '--moderate'; valid options: --post VALUE, --moderated, --unmoderated, --admin VALUE/);
  bad(['list', 'members', 'team@example.test', '--file', 'x'], /Unknown option '--file'; valid options: --json/);
  refused(['list', 'show', 'nosuch@example.test'], /no such list: nosuch@example\.test/);
  bad(['list', 'frobnicate'], /unknown subcommand "frobnicate"/);
  assert.equal(JSON.parse(ok(['list', 'show', 'team@example.test', '--json'])).maxSize, 0, 'no bad value got in');
});

test('a list never contains itself, directly, through another list, or through an alias', () => {
  ok(['list', 'create', 'outer@example.test']);
  ok(['list', 'create', 'inner@example.test']);
  refused(['list', 'add', 'outer@example.test', 'outer@example.test'], /would make outer@example\.test contain itself/);
  ok(['list', 'add', 'outer@example.test', 'inner@example.test']);
  refused(['list', 'add', 'inner@example.test', 'outer@example.test'], /inner@example\.test → outer@example\.test → inner@example\.test/);
  ok(['alias', 'add', 'everyone@example.test', 'outer@example.test']);
  refused(['list', 'add', 'inner@example.test', 'everyone@example.test'], /contain itself/);
  // NAME-request@ of another list is not a distribution: allowed
  ok(['list', 'add', 'inner@example.test', 'outer-request@example.test']);
});

test('user add and alias add of a list address are refused', () => {
  const u = tegami(['user', 'add', 'dev-bounces@example.test', '--password-stdin'], 'secret-123\n');
  assert.notEqual(u.status, 0);
  assert.match(u.stderr, /dev-bounces@example\.test is the bounces address of the mailing list dev@example\.test/);
  const a = tegami(['alias', 'add', 'dev@example.test', 'alice@example.test']);
  assert.notEqual(a.status, 0);
  assert.match(a.stderr, /dev@example\.test is a mailing list/);
  const b = tegami(['alias', 'add', 'dev-request+x@example.test', 'alice@example.test']);
  assert.notEqual(b.status, 0);
  assert.match(b.stderr, /request address of the mailing list/);
  // deleting the list frees its addresses
  assert.match(ok(['list', 'del', 'dev@example.test']), /deleted list dev@example\.test/);
  ok(['alias', 'add', 'dev@example.test', 'alice@example.test']);
});
