// SRS bounces on [storage] backend = "postgres" (security review 9, left open 1): two `tegami serve` nodes on one
// database holding the same keys. A forwarded copy leaves through the shared queue with an SRS address of its own;
// a stranger holding one copy's address floods it on node A until 450 (its copy's allowance, not the sender's);
// the bounce of another copy of the same sender's mail, given to node B, is taken and returned to the sender.
// Each node keeps its own count (docs/outbound.md), so the harvested address gets its allowance again on node B.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { postgresUnavailable } from '../../helpers/postgres.js';
import type { TestServer } from '../../helpers/server.js';
import { cliOk, mail, smtpSend, startRulesLab, until, type RulesLab } from '../../sieve/e2e-helpers.js';
import { pgNodes } from './pg-node.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();

describe('tegami serve on PostgreSQL: SRS bounces are counted per forwarded copy', { skip: skip ?? false }, () => {
  const fx = pgNodes('tegami_serve_srs');
  let lab: RulesLab;
  let b: TestServer;
  // the bound of review 9's lab for the older addresses; a copy's own is the default, 5
  const SRS = '[srs]\nmax_bounces_per_day = 3\n';
  before(async () => {
    lab = await startRulesLab({ users: ['alice@example.test'], listeners: ['smtp'], toml: SRS, start: (opts) => fx.node({ ...opts, name: 'node-a' }) });
    const toml = ['[dns]', `servers = ["${lab.dns.address}"]`, 'timeout = "2s"', '[outbound]', `port = ${lab.sink.port}`, 'connect_timeout = "5s"', '[queue]', 'retry_schedule = ["1s", "2s"]', '[spam]', 'enabled = false', SRS].join('\n');
    b = await fx.node({ name: 'node-b', listeners: ['smtp'], toml });
    cliOk(lab.srv, ['user', 'set', 'alice@example.test', '--forward', 'owner@friend.test']);
  });
  after(async () => {
    await lab?.close();
  });

  /** Send the victim's mail to alice (forwarded off-site) and read the copy's SRS address at the sink. */
  async function forwardedCopy(subject: string): Promise<string> {
    const r = await smtpSend(lab.srv.ports.smtp, 'victim@orig.test', ['alice@example.test'], mail({ from: 'Victim <victim@orig.test>', subject }));
    assert.equal(r.code, 250, r.text);
    const [copy] = await until(`the forwarded copy "${subject}"`, () => {
      const m = lab.sink.messages.filter((x) => x.to.includes('owner@friend.test') && x.raw.toString('latin1').includes(`Subject: ${subject}\r\n`));
      return m.length ? m : null;
    }, 120_000);
    assert.match(copy.from, /^SRS0=[A-Z2-7]{11}=[A-Z2-7]{2}=orig\.test=victim@example\.test$/i);
    return copy.from;
  }

  const bounce = (port: number, to: string, subject: string) => smtpSend(port, '', [to], mail({ from: 'MAILER-DAEMON@friend.test', to, subject }));

  it("a harvested copy's address runs out alone; another copy's bounce, on the other node, reaches the sender", async () => {
    const harvested = await forwardedCopy('harvest pg');
    let accepted = 0;
    for (let n = 1; n <= 10; n++) {
      const r = await bounce(lab.srv.ports.smtp, harvested, `pg flood ${n}`);
      if (r.code !== 250) {
        assert.equal(r.code, 450, r.text);
        assert.match(r.text, /4\.7\.1 .*too many bounces for this forwarded message today/);
        break;
      }
      accepted++;
    }
    assert.equal(accepted, 5);

    const real = await forwardedCopy('the real one pg');
    assert.notEqual(real.toLowerCase(), harvested.toLowerCase());
    const r = await bounce(b.ports.smtp, real, 'Undelivered Mail Returned to Sender (pg real bounce)');
    assert.equal(r.code, 250, r.text);
    await until('the real bounce at the sink', () => lab.sink.messages.some((x) => x.to.includes('victim@orig.test') && /pg real bounce/.test(x.raw.toString('latin1'))) || null, 120_000);
    // node B counts its own: the harvested address verifies there (the key is the cluster's) and has B's allowance
    assert.equal((await bounce(b.ports.smtp, harvested, 'pg flood on b')).code, 250);
  });
});
