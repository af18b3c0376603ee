// A forged bounce to NAME-bounces+TOKEN@ is dropped before its report is parsed (security review 6, left open):
// the old code ran a mailparser pass over any stranger's mail to a token-shaped address and only then checked the
// token's signature. Over real sockets (swaks on port 25): member tokens with a forged signature or of no member
// are logged list-bounce-forged and never list-bounce-read (the event written when a report is
// parsed), and so is a domain token (verp = "domain": NAME-bounces+g-<mac>@) that signs none of the list's member
// domains (the old code parsed the report first, up to 2 MB, to learn the domain); a real bounce (the remote server refuses a member 550 5.1.1) is read and counted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { buildDsn } from '../../engine/outbound/dsn.js';
import { requireCommand } from '../helpers/server.js';
import { cli, listLab, logText, post, swaks, until, type ListLab } from './helpers.js';

let lab: ListLab;

before(async () => {
  lab = await listLab({ sink: { permFail: ['ghost@remote.test'] }, toml: ['[lists]', 'bounce_interval = "0s"'].join('\n') });
  cli(lab.srv, ['list', 'create', 'news@example.test']);
  cli(lab.srv, ['list', 'add', 'news@example.test', 'carol@remote.test', 'ghost@remote.test']);
});

after(async () => {
  await lab?.close();
});

test('forged member tokens are dropped unparsed; a real bounce is read and counted', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  const file = path.join(lab.srv.dir, 'forged.eml');
  const dsn = buildDsn({
    action: 'failed',
    hostname: 'mx.remote.test',
    envelope: { id: 'Q', time: 0, mailFrom: 'news-bounces@example.test', rcptTo: [], client: { ip: '127.0.0.1', helo: 'h', protocol: 'ESMTP', listener: 'smtp' } },
    recipients: [{ address: 'carol@remote.test', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 user unknown', fromRemote: true }],
    original: Buffer.alloc(0),
  })!.raw;
  fs.writeFileSync(file, dsn);
  const forged = [
    ['m1-aaaaaaaaaaaaaaaa', 'token signature does not match'],
    ['m9-bbbbbbbbbbbbbbbb', 'no such member'],
    ['g-cccccccccccccccc', 'the token signs no domain of the list\'s members'],
  ];
  for (const [token, reason] of forged) {
    const out = await swaks(lab.srv, ['--from', '<>', '--to', `news-bounces+${token}@example.test`, '--data', file]);
    assert.match(out, /<- {2}250 /, out);
    await until(`the forgery ${token} logged`, () => new RegExp(`list-bounce-forged[^\\n]*reason="${reason}`).test(logText(lab.srv)) || undefined, 120_000);
  }
  assert.doesNotMatch(logText(lab.srv), /list-bounce-read/, 'no forged report was parsed');
  assert.doesNotMatch(logText(lab.srv), /list-bounce [^\n]*member=carol/, 'nothing counted for carol');

  // a real one: ghost's address is refused by the remote server, tegami's DSN comes back to ghost's VERP address
  await post(lab.srv, 'carol@remote.test', 'news@example.test', 'issue 1');
  await until('the real bounce read', () => /list-bounce-read[^\n]*list=news@example\.test[^\n]*dsn=true/.test(logText(lab.srv)) || undefined, 120_000);
  await until('and counted', () => /list-bounce [^\n]*member=ghost@remote\.test[^\n]*counted=true/.test(logText(lab.srv)) || undefined, 120_000);
});
