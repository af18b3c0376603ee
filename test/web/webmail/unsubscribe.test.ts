// RFC 8058 one-click unsubscribe over real sockets: with [lists] one_click_url, each member's copy of a post
// carries its own https link first in List-Unsubscribe and List-Unsubscribe-Post, both covered by the list
// domain's DKIM signature (verified with mailauth against the lab DNS); on the webmail listener a GET of the link
// changes nothing, a POST without the one-click body or with a tampered token changes nothing, and a POST
// (form-encoded, or multipart as RFC 8058 also allows; curl as the mail provider) removes exactly that member; a
// made-up link answers alike for a list that exists and one that does not.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand, run } from '../../helpers/server.js';
import { atSink, cli, dkimResults, header, listLab, mailOf, post, until, type ListLab } from '../../lists/helpers.js';

let lab: ListLab;
const LIST = 'news@example.test';

before(async () => {
  lab = await listLab({
    users: [{ address: 'alice@example.test', password: 'alice-secret-1' }],
    listeners: ['smtp', 'webmail'],
    toml: '[lists]\none_click_url = "https://mail.example.test:8383"',
  });
  cli(lab.srv, ['list', 'create', LIST, '--post', 'anyone']);
  cli(lab.srv, ['list', 'add', LIST, 'alice@example.test', 'carol@remote.test', 'dave@remote.test']);
});

after(async () => {
  await lab?.close();
});

const members = () => cli(lab.srv, ['list', 'members', LIST]);

/** curl to the webmail listener (its self-signed certificate), for the path of a one-click link. */
async function curl(link: string, args: string[]): Promise<{ status: number; body: string }> {
  const url = link.replace('https://mail.example.test:8383', `https://127.0.0.1:${lab.srv.ports.webmail}`);
  const r = await run('curl', ['-sk', '-o', '-', '-w', '\n%{http_code}', ...args, url]);
  const lines = r.stdout.split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}

test('each copy carries its own signed one-click link; GET and bad POSTs change nothing; the POST unsubscribes that member', async (t) => {
  if (!requireCommand(t, 'swaks') || !requireCommand(t, 'curl')) return;
  await post(lab.srv, 'someone@remote.test', LIST, 'one click news');
  const copies = await until('two remote copies', () => {
    const got = atSink(lab.sink, /one click news/);
    return got.length >= 2 ? got : null;
  }, 60_000);
  const links = new Map<string, string>();
  for (const m of copies) {
    const raw = m.raw.toString('latin1');
    const lu = header(raw, 'List-Unsubscribe')!;
    const match = /^<(https:\/\/mail\.example\.test:8383\/lists\/unsubscribe\/news%40example\.test\/u[0-9a-z]+-[a-z2-7]{16})>, <mailto:news-request@example\.test\?subject=unsubscribe>$/.exec(lu);
    assert.ok(match, lu);
    links.set(m.to[0], match[1]);
    assert.equal(header(raw, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
    const sig = header(raw, 'DKIM-Signature')!;
    const h = /\bh=([^;]+)/.exec(sig)![1].replace(/\s+/g, '').toLowerCase().split(':');
    assert.ok(h.includes('list-unsubscribe') && h.includes('list-unsubscribe-post'), `both fields signed: ${h.join(':')}`);
    assert.deepEqual(await dkimResults(lab.dns, m.raw), [{ result: 'pass', domain: 'example.test' }]);
  }
  assert.notEqual(links.get('carol@remote.test'), links.get('dave@remote.test'), 'one link per member');
  const carol = links.get('carol@remote.test')!;

  // a GET (a link scanner, a prefetch) only shows the button
  const get = await curl(carol, []);
  assert.equal(get.status, 200);
  assert.match(get.body, /carol@remote\.test/);
  assert.match(members(), /carol@remote\.test/);
  // a POST without the one-click body, or with another member's id under carol's mac: nothing happens
  assert.equal((await curl(carol, ['-X', 'POST', '-d', 'List-Unsubscribe=Something'])).status, 400);
  const tampered = carol.replace(/\/u([0-9a-z]+)-/, (_m, id: string) => `/u${(parseInt(id, 36) + 1).toString(36)}-`);
  assert.equal((await curl(tampered, ['-X', 'POST', '-d', 'List-Unsubscribe=One-Click'])).status, 404);
  assert.equal((await curl(carol.replace(/news%40/, 'other%40'), ['-X', 'POST', '-d', 'List-Unsubscribe=One-Click'])).status, 404);
  assert.match(members(), /carol@remote\.test/);
  assert.match(members(), /dave@remote\.test/);

  // the mail provider's one-click POST (form-encoded, no cookie, no CSRF token)
  const done = await curl(carol, ['-X', 'POST', '-H', 'Content-Type: application/x-www-form-urlencoded', '-d', 'List-Unsubscribe=One-Click']);
  assert.equal(done.status, 200, done.body);
  assert.doesNotMatch(members(), /carol@remote\.test/);
  assert.match(members(), /dave@remote\.test/, 'only that member');
  // again: still a 200, nothing more to do
  assert.equal((await curl(carol, ['-X', 'POST', '-d', 'List-Unsubscribe=One-Click'])).status, 200);
  // a made-up link (no member has its id) answers alike whether its list exists or not, and names no list: the
  // links tell a stranger nothing about which lists there are (security review 12; before, 200 here and 404 there)
  const madeUp = (list: string) => `https://mail.example.test:8383/lists/unsubscribe/${encodeURIComponent(list)}/uzzzzzzzz-aaaaaaaaaaaaaaaa`;
  const section = (body: string) => /<section class="unsubscribe">[\s\S]*?<\/section>/.exec(body)?.[0] ?? body;
  for (const args of [[], ['-X', 'POST', '-d', 'List-Unsubscribe=One-Click']]) {
    const known = await curl(madeUp(LIST), args);
    const unknown = await curl(madeUp('no-such-list@example.test'), args);
    assert.deepEqual([unknown.status, section(unknown.body)], [known.status, section(known.body)], `made-up links ${args.join(' ')}`);
    assert.doesNotMatch(section(known.body), /news|example/, 'the list is not named');
  }
  assert.doesNotMatch(section((await curl(carol, [])).body), /news/, 'nor after the member left');

  // multipart/form-data, from the local member's copy
  const local = await until("alice's copy", () => mailOf(lab.srv, 'alice@example.test').find((m) => m.includes('one click news')) ?? null, 120_000);
  const aliceLink = /<(https:[^>]+)>/.exec(header(local, 'List-Unsubscribe')!)![1];
  assert.equal((await curl(aliceLink, ['-F', 'List-Unsubscribe=One-Click'])).status, 200);
  assert.doesNotMatch(members(), /alice@example\.test/);
});
