// relay-abuse: every open-relay probe against every target, with the probe's own sink watching for relayed
// mail (a lab-started tegami routes the relay domain to that sink, so a relay would be proven).
import { startSink } from '../../peers/sink.js';
import { runRelayProbes, formatProbeLine } from '../../probes/relay.js';
import type { RunContext } from '../context.js';
import { summaryLine } from '../../report/model.js';

export async function relayAbuse(ctx: RunContext): Promise<() => Promise<void>> {
  const s = ctx.scenario;
  const sink = await startSink({ tls: 'none', hostname: s.relay.relay_domain });
  ctx.onCleanup(() => sink.close());
  ctx.tegamiToml.push(`[[route]]\ndomain = ${JSON.stringify(s.relay.relay_domain)}\nto = "127.0.0.1:${sink.port}"`);
  return async () => {
    for (const t of ctx.targets) {
      ctx.say(`== ${t.name} (${t.host}:${t.port}), local domain ${ctx.domain}`);
      const results = await runRelayProbes({
        host: t.host,
        port: t.port,
        localDomain: ctx.domain,
        relayDomain: s.relay.relay_domain,
        sink,
        auth: ctx.authFor(t),
        only: s.relay.only,
        proofWaitMs: s.relay.proof_wait,
        onResult: (r) => ctx.progress(`${t.name}: ${r.id} ${r.verdict}`),
      });
      ctx.progressDone();
      for (const r of results) ctx.say(formatProbeLine(r));
      const rep = ctx.report(t);
      rep.probes = results.map((r) => (r.verdict === 'refused' || r.verdict === 'skipped' ? { ...r, transcript: undefined } : r));
      const bad = results.filter((r) => r.verdict === 'RELAYED' || r.verdict === 'error');
      const skipped = results.filter((r) => r.verdict === 'skipped').length;
      if (s.expect.probes === 'refused') {
        ctx.check(
          `${t.name}: every relay probe refused (${results.length - skipped} run, ${skipped} skipped)`,
          bad.length === 0,
          'refused for every probe',
          summaryLine(bad.length, results.length - skipped, `probes ${bad.every((r) => r.verdict === 'error') ? 'unanswered' : bad.every((r) => r.verdict === 'RELAYED') ? 'relayed' : 'relayed or unanswered'}`, bad.map((r) => r.id)),
          { columns: ['probe', 'verdict', 'reply'], rows: bad.map((r) => [r.id, `${r.verdict}${r.proven ? ' (proven: the sink received it)' : ''}`, r.detail]) },
        );
        for (const r of bad) ctx.say(`transcript of ${r.id}:\n    ${r.transcript.join('\n    ')}`);
      } else ctx.notes.push(`${t.name}: ${bad.length} probe(s) not refused (expectation "any")`);
    }
  };
}
