// fuzz: a bounded, seeded protocol fuzzer (lab/fuzz) against SMTP, and POP3 and IMAP where the target has
// them (a lab-started tegami gets both listeners and a second, fuzzed mailbox). Judged by the oracle after
// every session, reply syntax and timing, the process staying up with bounded RSS, and no oracle mail lost.
import { parseHostPort } from '../../targets/common.js';
import { runFuzz, type FuzzTarget } from '../../fuzz/runner.js';
import type { Protocol } from '../../fuzz/plan.js';
import { readMaildirTree } from './mailbox.js';
import type { RunContext, LabTarget } from '../context.js';

async function delivered(t: LabTarget, user: string, markers: string[], waitMs: number): Promise<number> {
  const want = new Set(markers);
  const deadline = Date.now() + waitMs;
  let found = 0;
  for (;;) {
    found = 0;
    for (const d of readMaildirTree(t.maildir!(user))) {
      const m = /^X-Fuzz-Oracle: (\S+)/m.exec(d.raw.subarray(0, 4096).toString('latin1'));
      if (m && want.has(m[1])) found++;
    }
    if (found >= want.size || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function fuzz(ctx: RunContext): Promise<() => Promise<void>> {
  const s = ctx.scenario;
  const f = s.fuzz;
  const labTegami = !ctx.opts.targets?.length && s.targets.start.includes('tegami');
  if (labTegami) {
    // port 0: the system chooses, the target reports the ports it bound
    if (f.protocols.includes('pop3')) ctx.tegamiListen.pop3 = 0;
    if (f.protocols.includes('imap')) ctx.tegamiListen.imap = 0;
    ctx.tegamiUsers.push({ address: f.user, password: f.password });
    // every wrong password the fuzzer sends would otherwise slow down and then block the oracle's logins
    ctx.tegamiToml.push('[auth]\nthrottle_after = 0\nblock_after = 0\naccount_throttle_after = 0');
  }
  return async () => {
    for (const t of ctx.targets) {
      ctx.say(`== ${t.name} (${t.host}:${t.port})`);
      const own = t.local && t.name === 'tegami';
      const ports: FuzzTarget['ports'] = { smtp: t.port };
      if (own) for (const p of ['pop3', 'imap'] as const) if (p in ctx.tegamiListen && t.listeners?.[p]) ports[p] = t.listeners[p];
      else
        for (const [p, spec] of [['pop3', f.pop3_target], ['imap', f.imap_target]] as const) {
          const hp = spec ? parseHostPort(spec) : undefined;
          if (hp) ports[p] = hp.port;
        }
      const protocols = f.protocols.filter((p) => ports[p as Protocol]) as Protocol[];
      const skipped = f.protocols.filter((p) => !protocols.includes(p));
      if (skipped.length) ctx.notes.push(`${t.name}: ${skipped.join(', ')} not fuzzed (no listener given: fuzz.pop3_target / fuzz.imap_target)`);
      const auth = ctx.authFor(t);
      if (!auth) {
        ctx.check(`${t.name}: fuzz needs a login`, false, 'a lab-started tegami or --auth user:password', 'no credentials');
        continue;
      }
      const domain = ctx.domain;
      const fuzzAcc = own ? { user: f.user, password: f.password } : auth;
      const r = await runFuzz(
        { host: t.host, ports, pid: own ? t.pid : undefined },
        {
          seed: f.seed,
          sessions: ctx.opts.quick ? Math.max(10, Math.round(f.sessions / 10)) : f.sessions,
          protocols,
          replyBoundMs: f.reply_bound,
          sessionBudgetMs: f.session_budget,
          deadlineMs: f.deadline,
          maxRssGrowthMb: f.max_rss_growth_mb,
          fuzz: { ...fuzzAcc, sink: own ? f.user : auth.user, domain },
          oracle: auth,
          replay: f.replay,
          minimize: f.minimize,
          say: (l) => ctx.say(l),
          progress: (l) => ctx.progress(l),
        },
      );
      ctx.progressDone();
      const rep = ctx.report(t);
      rep.misbehaviour = [];
      for (const p of protocols) {
        const st = r.protocols[p];
        if (!st) continue;
        const summary = `${st.sessions} sessions (${st.mutated} mutated, ${st.closedByServer} closed by the server), ${st.oracleRuns} oracle runs, slowest planned reply ${st.slowestMs} ms, ${st.failures.length} failing`;
        const ok = st.sessions > 0 && st.failures.length <= s.expect.max_fuzz_failures;
        rep.misbehaviour.push({ kind: `fuzz-${p}`, summary, ok });
        const first = st.failures[0];
        ctx.check(
          `${t.name}: ${p} fuzz (${f.replay.length ? 'replay' : `seed ${f.seed}`}): well-formed, right and timely replies; oracle held after every session`,
          ok,
          `at most ${s.expect.max_fuzz_failures} failing sessions`,
          first ? `${summary}; first: replay "${first.replay}": ${first.failures.map((x) => `${x.kind}: ${x.detail}`).join('; ').slice(0, 600)}` : summary,
        );
      }
      for (const n of r.stoppedEarly) ctx.notes.push(`${t.name}: ${n}`);
      ctx.notes.push(`${t.name}: fuzz seed ${f.seed}, ${(r.ms / 1000).toFixed(1)} s, target offers CHUNKING=${r.offers.chunking} LITERAL+=${r.offers.literalPlus}`);
      if (own && t.pid) {
        ctx.check(`${t.name}: the server process survived the fuzz`, !r.crashed, 'alive', r.crashed ?? 'alive');
        if (r.rss) {
          const mb = (kb: number) => (kb / 1024).toFixed(0);
          const growth = (r.rss.afterKb - r.rss.midKb) / 1024;
          rep.max_rss_mb = Math.round(r.rss.peakKb / 1024);
          ctx.check(
            `${t.name}: no leak: RSS growth over the second half of the fuzz within ${f.max_rss_growth_mb} MB`,
            growth <= f.max_rss_growth_mb,
            `≤ ${f.max_rss_growth_mb} MB from half-way to the end`,
            `start ${mb(r.rss.beforeKb)} MB, half-way ${mb(r.rss.midKb)} MB, end ${mb(r.rss.afterKb)} MB (peak ${mb(r.rss.peakKb)} MB)`,
          );
        }
        if (t.maildir && r.oracleMarkers.length) {
          const n = await delivered(t, auth.user, r.oracleMarkers, 60_000);
          ctx.check(`${t.name}: every oracle mail accepted during the fuzz was delivered`, n === r.oracleMarkers.length, `${r.oracleMarkers.length} delivered`, `${n} delivered`);
        }
      }
    }
  };
}
