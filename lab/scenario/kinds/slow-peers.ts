// slow-peers: misbehaving clients (slowloris, garbage, pipelining abuse, NUL bytes, 1 MB lines, early
// talkers) against each target, which must refuse or cut them off and keep serving a polite client; and,
// behind a lab-started tegami, remote MTAs that are slow, temp-fail every recipient, or greylist.
import { performance } from 'node:perf_hooks';
import { misbehave, type MisbehaveResult } from '../../peers/clients.js';
import { startSink, type Sink } from '../../peers/sink.js';
import { SmtpClient } from '../../smtp/client.js';
import type { RunContext, LabTarget } from '../context.js';

const PEERS = {
  slow: 'slow.peers.lab.example.test',
  tempfail: 'tempfail.peers.lab.example.test',
  greylist: 'greylist.peers.lab.example.test',
};

/** Did the server handle the abuse: refused it (4xx/5xx) or closed, and never said 250 to the garbage itself? */
function handled(r: MisbehaveResult): boolean {
  const after = r.replies.slice(r.kind === 'early-talker' ? 0 : 1).filter((x) => x.code > 0);
  switch (r.kind) {
    case 'early-talker':
      return r.closedByServer || (after.length > 0 && after[0].code >= 400);
    case 'garbage':
    case 'long-line':
      return r.closedByServer || after.some((x) => x.code >= 500);
    case 'nul-bytes':
      return after.slice(1, 3).every((x) => x.code >= 400) || r.closedByServer;
    case 'pipelining':
      return after.length > 0 || r.closedByServer; // answered (in order) or hung up; judged further by the polite check
    case 'slowloris':
      return true; // judged separately (closed within the expected time, when the scenario sets one)
  }
}

async function polite(t: LabTarget, rcpt: string): Promise<string> {
  const c = await SmtpClient.connect(t.host, t.port, { timeoutMs: 10_000 });
  const steps = [await c.reply(), await c.ehlo('polite.lab.example.test'), await c.cmd('MAIL FROM:<polite@lab.example.test>'), await c.cmd(`RCPT TO:<${rcpt}>`)];
  const end = (await c.data('Subject: polite client after the abuse\r\n\r\nstill serving\r\n')).end;
  await c.quit();
  return [...steps, end].map((r) => r.code).join(',');
}

export async function slowPeers(ctx: RunContext): Promise<() => Promise<void>> {
  const s = ctx.scenario;
  const sinks: Partial<Record<keyof typeof PEERS, Sink>> = {};
  if (s.slow.remote_peers && !ctx.opts.targets?.length && s.targets.start.includes('tegami')) {
    sinks.slow = await startSink({ tls: 'none', delays: { greeting: 1500, mail: 500, rcpt: 500, data: 1500 } });
    sinks.tempfail = await startSink({ tls: 'none', tempFail: 'all' });
    sinks.greylist = await startSink({ tls: 'none', greylist: true });
    for (const [k, sink] of Object.entries(sinks)) {
      ctx.onCleanup(() => sink!.close());
      ctx.tegamiToml.push(`[[route]]\ndomain = "${PEERS[k as keyof typeof PEERS]}"\nto = "127.0.0.1:${sink!.port}"`);
    }
    ctx.tegamiToml.push('[queue]\nretry_schedule = ["1s", "2s", "3s", "5s"]');
  }
  return async () => {
    for (const t of ctx.targets) {
      ctx.say(`== ${t.name} (${t.host}:${t.port})`);
      const rep = ctx.report(t);
      rep.misbehaviour = [];
      for (const kind of s.slow.misbehaviours) {
        ctx.progress(`${t.name}: ${kind}`);
        const r = await misbehave(kind, { host: t.host, port: t.port, maxMs: kind === 'slowloris' ? s.slow.slowloris_time : 5000, domain: ctx.domain });
        let ok = handled(r);
        if (kind === 'slowloris' && s.expect.slowloris_closed_within !== undefined) ok = r.closedByServer && (r.closedAfterMs ?? Infinity) <= s.expect.slowloris_closed_within;
        ctx.progressDone();
        ctx.say(`${ok ? 'ok  ' : 'BAD '} ${r.summary}`);
        rep.misbehaviour.push({ kind, summary: r.summary, ok });
        ctx.check(`${t.name}: ${kind} client refused or cut off`, ok, kind === 'slowloris' ? `closed within ${s.expect.slowloris_closed_within} ms` : '4xx/5xx replies or a closed connection', r.summary);
      }
      const rcpt = t.name === 'smtp-sink' ? `sink@${ctx.domain}` : ctx.opts.auth?.user ?? s.targets.user;
      const codes = await polite(t, rcpt).catch((e: Error) => `error: ${e.message}`);
      ctx.check(`${t.name}: still serves a polite client after the abuse`, codes === '220,250,250,250,250', '220,250,250,250,250', codes);

      if (!t.local || t.name !== 'tegami' || !sinks.slow) continue;
      const auth = ctx.authFor(t)!;
      const t0 = performance.now();
      for (const [k, domain] of Object.entries(PEERS)) {
        const c = await SmtpClient.connect(t.host, t.port, { timeoutMs: 10_000 });
        await c.reply();
        await c.ehlo();
        await c.authPlain(auth.user, auth.password);
        await c.cmd(`MAIL FROM:<${auth.user}>`);
        await c.cmd(`RCPT TO:<peer-${k}@${domain}>`);
        const end = (await c.data(`Subject: to the ${k} remote MTA\r\nX-Lab-Peer: ${k}\r\n\r\nhello ${k}\r\n`)).end;
        await c.quit();
        ctx.check(`${t.name}: accepts a message for the ${k} remote MTA`, end.code === 250, '250', `${end.code} ${end.text}`);
      }
      const wait = async (sink: Sink) => sink.waitFor(1, s.slow.remote_wait).then(() => true, () => false);
      const [slowOk, greyOk] = await Promise.all([wait(sinks.slow), wait(sinks.greylist!)]);
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      ctx.check(`${t.name}: delivers to the slow remote MTA (1.5 s greeting, slow stages)`, slowOk, `delivered within ${s.slow.remote_wait} ms`, slowOk ? `delivered (${secs} s)` : 'not delivered');
      const greyAttempts = sinks.greylist!.events.filter((e) => e.stage === 'rcpt').map((e) => e.code);
      ctx.check(`${t.name}: retries the greylisting MTA and delivers`, greyOk && greyAttempts[0] === 451, 'first 451 4.7.1, then delivered', `attempts ${greyAttempts.join(',')}; ${greyOk ? 'delivered' : 'not delivered'}`);
      const tf = sinks.tempfail!.events.filter((e) => e.stage === 'rcpt').map((e) => e.code);
      ctx.check(`${t.name}: keeps temp-failed mail queued (tries, never drops or delivers)`, tf.length >= 1 && sinks.tempfail!.messages.length === 0, 'at least one attempt answered 451, no message delivered', `attempts ${tf.join(',') || 'none'}, messages ${sinks.tempfail!.messages.length}`);
    }
  };
}
