// `tegami spam learn` through the real CLI: files, directories, mbox, per user, bad usage.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BayesStore } from '../../engine/spam/bayes.js';
import { rawMail } from './mail.js';
import { tempDir, removeTempDirs } from './helpers.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/tegami');
after(removeTempDirs);

test('spam learn --spam DIR, --ham FILE, mbox, --user; counts land in bayes.db', () => {
  const dir = tempDir();
  const cfg = path.join(dir, 'tegami.toml');
  fs.writeFileSync(cfg, `data_dir = ${JSON.stringify(path.join(dir, 'data'))}\n`);
  const spamDir = path.join(dir, 'spam', 'cur');
  fs.mkdirSync(spamDir, { recursive: true });
  for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(spamDir, `m${i}`), rawMail({ subject: `buy ${i}`, body: `cheap pills ${i}` }));
  fs.writeFileSync(path.join(dir, 'spam', 'cmds'), 'not a message');
  const ham = path.join(dir, 'ham.eml');
  fs.writeFileSync(ham, rawMail({ subject: 'meeting', body: 'agenda' }));
  const mbox = path.join(dir, 'ham.mbox');
  fs.writeFileSync(mbox, Buffer.concat([Buffer.from('From a@b Fri Nov 27 10:00:00 2026\n'), rawMail({ subject: 'one', body: 'x\n>From here\n' }), Buffer.from('\nFrom a@b Fri Nov 27 10:00:01 2026\n'), rawMail({ subject: 'two', body: 'y' })]));

  const o1 = execFileSync(bin, ['spam', 'learn', '--spam', path.join(dir, 'spam'), '--config', cfg], { encoding: 'utf8' });
  assert.match(o1, /learnt 3 message\(s\) as spam for the server/);
  const o2 = execFileSync(bin, ['spam', 'learn', '--ham', ham, mbox, '--config', cfg], { encoding: 'utf8' });
  assert.match(o2, /learnt 3 message\(s\) as ham/);
  const o3 = execFileSync(bin, ['spam', 'learn', '--spam', path.join(dir, 'spam'), '--config', cfg], { encoding: 'utf8' });
  assert.match(o3, /learnt 0 message\(s\) as spam for the server, 3 already known/);
  const o4 = execFileSync(bin, ['spam', 'learn', '--ham', ham, '--user', 'Mura@Example.jp', '--config', cfg], { encoding: 'utf8' });
  assert.match(o4, /for mura@example\.jp/);

  const store = new BayesStore(path.join(dir, 'data'));
  try {
    assert.deepEqual(store.totals(''), { spam: 3, ham: 3 });
    assert.deepEqual(store.totals('mura@example.jp'), { spam: 0, ham: 1 });
  } finally {
    store.close();
  }
  const bad = spawnSync(bin, ['spam', 'learn', '--spam', '--ham', ham, '--config', cfg], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /exactly one of --spam or --ham/);
  const missing = spawnSync(bin, ['spam', 'learn', '--spam', path.join(dir, 'nope'), '--config', cfg], { encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no such file or directory/);
});

test('spam learn --ham on a user\'s whole Maildir reads cur/ and new/ and the user\'s folders, never Spam, Trash, tmp/ or the index', () => {
  const dir = tempDir();
  const cfg = path.join(dir, 'tegami.toml');
  fs.writeFileSync(cfg, `data_dir = ${JSON.stringify(path.join(dir, 'data'))}\n`);
  // a mailbox as tegami keeps it: data/mail/DOMAIN/USER/Maildir with Maildir++ folders and the store's index
  const md = path.join(dir, 'Maildir');
  const put = (folder: string, name: string, subject: string) => {
    fs.mkdirSync(path.join(md, folder), { recursive: true });
    fs.writeFileSync(path.join(md, folder, name), rawMail({ subject, body: `${subject} 本文` }));
  };
  for (const sub of ['cur', 'new', 'tmp', '.Spam/cur', '.Spam/new', '.Spam/tmp', '.Trash/cur', '.Trash/new', '.Trash/tmp', '.Work/cur', '.Work/new', '.Work/tmp']) fs.mkdirSync(path.join(md, sub), { recursive: true });
  put('cur', '1.vm:2,S', '会議の議事録');
  put('new', '2.vm', 'lunch');
  put('.Work/cur', '3.vm:2,S', '見積書');
  put('tmp', '4.vm', 'half written');
  put('.Spam/new', '5.vm', '未承諾広告 激安');
  put('.Trash/cur', '6.vm:2,ST', 'deleted');
  fs.writeFileSync(path.join(md, 'tegami-index.sqlite'), Buffer.from('SQLite format 3\0' + 'x'.repeat(4000)));
  fs.writeFileSync(path.join(md, 'tegami-index.sqlite-wal'), Buffer.alloc(4096, 7));
  fs.writeFileSync(path.join(md, 'maildirsize'), '0S,0C\n1234 3\n');

  const o = execFileSync(bin, ['spam', 'learn', '--ham', md, '--config', cfg], { encoding: 'utf8' });
  assert.match(o, /learnt 3 message\(s\) as ham for the server\n/);
  assert.ok(o.includes(`not read (a Maildir's spam and trash folders; give one on its own to learn from it): ${path.join(md, '.Spam')}, ${path.join(md, '.Trash')}`), o);
  // the Spam folder given on its own is read, as spam
  const s = execFileSync(bin, ['spam', 'learn', '--spam', path.join(md, '.Spam'), '--config', cfg], { encoding: 'utf8' });
  assert.match(s, /learnt 1 message\(s\) as spam for the server\n/);
  const store = new BayesStore(path.join(dir, 'data'));
  try {
    assert.deepEqual(store.totals(''), { spam: 1, ham: 3 });
  } finally {
    store.close();
  }
});
