// The PostgreSQL mailbox store's outage as clients see it, over real sockets: with the database stopped, IMAP
// answers NO [UNAVAILABLE] and POP3 -ERR [SYS/TEMP] and both keep the session; once it is back the same
// sessions and the same store objects work again, and new mail reaches an IMAP IDLE through the store's notices.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { openPgTestStore, type ClosableStore } from '../helpers/store.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { mail, RawClient, startHarness, USER, type Harness } from '../imap/harness.js';
import { startHarness as startPop3Harness, USER as POP_USER, PASSWORD as POP_PASS, type Harness as Pop3Harness } from '../pop3/harness.js';

const skip = postgresUnavailable();

/** A POP3 line client: one command, one status line (multi-line answers read to the dot). */
class Pop3Lines {
  private buf = '';
  private waiting: (() => void)[] = [];
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.waiting.splice(0).forEach((w) => w());
    });
  }
  static async connect(port: number): Promise<Pop3Lines> {
    const s = net.connect(port, '127.0.0.1');
    await new Promise((r, j) => s.once('connect', r).once('error', j));
    const c = new Pop3Lines(s);
    await c.line();
    return c;
  }
  async line(): Promise<string> {
    const end = Date.now() + 30_000;
    while (!this.buf.includes('\r\n')) {
      if (Date.now() > end) throw new Error('no POP3 reply');
      await new Promise<void>((r) => {
        this.waiting.push(r);
        setTimeout(r, 200);
      });
    }
    const i = this.buf.indexOf('\r\n');
    const l = this.buf.slice(0, i);
    this.buf = this.buf.slice(i + 2);
    return l;
  }
  async cmd(c: string): Promise<string> {
    this.socket.write(c + '\r\n');
    return this.line();
  }
  async multi(c: string): Promise<string[]> {
    const first = await this.cmd(c);
    if (!first.startsWith('+OK')) return [first];
    const out = [first];
    for (let l = await this.line(); l !== '.'; l = await this.line()) out.push(l);
    return out;
  }
  close(): void {
    this.socket.destroy();
  }
}

describe('the PostgreSQL store going away, over IMAP and POP3', { skip: skip ?? false }, () => {
  let cluster: PgCluster;
  let imapStore: ClosableStore;
  let popStore: ClosableStore;
  let imap: Harness;
  let pop: Pop3Harness;
  let popPort: number;

  before(async () => {
    cluster = await startPostgres('tegami_outage');
    const url = await cluster.createDatabase('mail');
    // two store objects on one database: the IMAP and POP3 servers are two nodes
    imapStore = await openPgTestStore(url);
    popStore = await openPgTestStore(url);
    imap = await startHarness({ store: () => imapStore });
    pop = await startPop3Harness();
    popPort = (await pop.start({ store: popStore })).port;
  });
  after(async () => {
    await imap?.close();
    await pop?.close();
    await popStore?.close();
    await cluster?.stop();
  });

  test('IMAP: NO [UNAVAILABLE] while the database is down, the same session works after; IDLE hears the other node', async () => {
    await imapStore.append(USER, 'INBOX', mail(['Subject: 停止前', '', 'まえ']));
    const c = await RawClient.connect(imap.plain.port);
    await c.login();
    assert.match((await c.cmd('SELECT INBOX')).status, /^OK/);
    await cluster.halt();
    try {
      assert.match((await c.cmd('FETCH 1 BODY[]')).status, /^NO \[UNAVAILABLE\]/);
      assert.match((await c.cmd('STORE 1 +FLAGS (\\Seen)')).status, /^NO \[UNAVAILABLE\]/);
      assert.match((await c.cmd('STATUS INBOX (MESSAGES)')).status, /^NO \[UNAVAILABLE\]/);
      assert.match((await c.cmd('CREATE Archive')).status, /^NO \[UNAVAILABLE\]/);
      assert.match((await c.cmd('NOOP')).status, /^OK/, 'the session stays');
    } finally {
      await cluster.resume();
    }
    const end = Date.now() + 30_000;
    let fetched = await c.cmd('FETCH 1 BODY[]');
    while (!fetched.status.startsWith('OK') && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      fetched = await c.cmd('FETCH 1 BODY[]');
    }
    assert.match(fetched.status, /^OK/);
    assert.ok(fetched.raw.toString().includes('まえ'));
    // new mail appended by the other node reaches this session's IDLE (NOTIFY on the store's new LISTEN connection)
    c.write('i1 IDLE\r\n');
    assert.match(await c.line(), /^\+ /);
    await popStore.append(USER, 'INBOX', mail(['Subject: 再開後', '', 'あと']));
    for (let l = await c.line(); ; l = await c.line()) if (/^\* 2 EXISTS$/.test(l)) break;
    c.write('DONE\r\n');
    assert.match((await c.until('i1')).status, /^OK/);
    c.close();
  });

  test('POP3: -ERR [SYS/TEMP] at login while the database is down; the same session logs in after', async () => {
    await popStore.append(POP_USER, 'INBOX', mail(['Subject: ポップ', '', '本文']));
    const c = await Pop3Lines.connect(popPort);
    assert.match(await c.cmd(`USER ${POP_USER}`), /^\+OK/);
    await cluster.halt();
    try {
      assert.match(await c.cmd(`PASS ${POP_PASS}`), /^-ERR \[SYS\/TEMP\] Mail store temporarily unavailable/);
    } finally {
      await cluster.resume();
    }
    const end = Date.now() + 30_000;
    let r = '';
    do {
      if (r) await new Promise((res) => setTimeout(res, 200));
      assert.match(await c.cmd(`USER ${POP_USER}`), /^\+OK/);
      r = await c.cmd(`PASS ${POP_PASS}`);
    } while (!r.startsWith('+OK') && Date.now() < end);
    assert.match(r, /^\+OK/);
    const retr = await c.multi('RETR 1');
    assert.ok(retr.some((l) => l.includes('Subject: ')));
    assert.match(await c.cmd('QUIT'), /^\+OK/);
    c.close();
  });
});
