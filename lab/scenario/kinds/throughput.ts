// throughput: the same bounded load steps against every target, one after another (never at once, so
// targets do not steal each other's CPU); per-step and per-target figures, ratios in the report.
import { runLoad, type LoadSpec } from '../../load/generator.js';
import { maildirObserver } from '../../load/observers.js';
import { summarizeTarget, summaryLine, type StepReport } from '../../report/model.js';
import type { RunContext } from '../context.js';

export function stepLabel(s: { mode: string; connections: number; size: number; new_connection_per_message: boolean; rate?: number; label?: string }): string {
  if (s.label) return s.label;
  const size = s.size >= 1024 ? `${Math.round(s.size / 1024)} KB` : `${s.size} B`;
  return `${size} × ${s.connections} conn, ${s.mode === 'open' ? `open loop ${s.rate}/s` : 'closed loop'}${s.new_connection_per_message ? ', new connection per message' : ''}`;
}

export async function throughput(ctx: RunContext): Promise<() => Promise<void>> {
  const s = ctx.scenario;
  return async () => {
    if (!s.load.length) throw new Error('a throughput scenario needs at least one [[load]] step');
    const steps = new Map<string, StepReport[]>();
    for (const [i, step] of s.load.entries()) {
      for (const t of ctx.targets) {
        const label = stepLabel(step);
        const rcpt = t.name === 'smtp-sink' ? `sink@${ctx.domain}` : ctx.opts.auth?.user ?? s.targets.user;
        const observer = t.local && t.maildir && t.name !== 'smtp-sink' ? maildirObserver(t.maildir(rcpt)) : undefined;
        const q = ctx.opts.quick;
        const spec: LoadSpec = {
          mode: step.mode,
          connections: step.connections,
          messages: step.messages === undefined ? undefined : q ? Math.max(20, Math.ceil(step.messages / 10)) : step.messages,
          durationMs: step.duration === undefined ? undefined : q ? Math.max(1000, Math.ceil(step.duration / 10)) : step.duration,
          rate: step.rate,
          size: step.size,
          newConnectionPerMessage: step.new_connection_per_message,
          // a sender per message: no per-sender cache of a filtering target hides its connection checks
          from: `load-{n}@lab.example.test`,
          to: [rcpt],
          onProgress: (p) => ctx.progress(`${t.name} step ${i + 1}/${s.load.length}: ${p.accepted}/${p.sent} accepted, ${p.rate} msgs/s, ${p.errors} errors`),
        };
        const res = await runLoad({ name: t.name, host: t.host, port: t.port, pid: t.local ? t.pid : undefined, pids: t.local ? t.pids : undefined, observer }, spec);
        ctx.progressDone();
        ctx.say(`${t.name.padEnd(10)} ${label.padEnd(44)} ${String(res.msgs_per_s).padStart(8)} msgs/s  p50 ${res.latency.p50} ms  p99 ${res.latency.p99} ms  errors ${JSON.stringify(res.errors)}${res.phases.delivered ? `  delivered p50 ${res.phases.delivered.p50} ms` : ''}`);
        const list = steps.get(t.name) ?? [];
        list.push({ label, result: res });
        steps.set(t.name, list);
        const errs = res.sent - res.accepted;
        const rate = res.sent ? errs / res.sent : 0;
        if (rate > s.expect.max_error_rate)
          ctx.check(
            `${t.name}: ${label}: error rate ≤ ${s.expect.max_error_rate}`,
            false,
            `≤ ${s.expect.max_error_rate}`,
            summaryLine(errs, res.sent, 'messages failed', Object.entries(res.errors).map(([k, v]) => `${k}×${v}`)),
            { columns: ['reply or failure', 'messages'], rows: Object.entries(res.errors).map(([k, v]) => [k, String(v)]) },
          );
        if (res.deliveredMissing) ctx.notes.push(`${t.name}: ${label}: ${res.deliveredMissing} accepted message(s) not seen delivered within 10 s`);
      }
    }
    for (const t of ctx.targets) {
      const rep = summarizeTarget(t.name, `${t.host}:${t.port}`, t.describe, steps.get(t.name) ?? []);
      ctx.reports.set(t.name, { ...ctx.report(t), ...rep });
      const errs = rep.steps.reduce((a, st) => a + st.result.sent - st.result.accepted, 0);
      const sent = rep.steps.reduce((a, st) => a + st.result.sent, 0);
      const failing = rep.steps.filter((st) => st.result.sent > st.result.accepted);
      ctx.check(
        `${t.name}: every step ran with error rate ≤ ${s.expect.max_error_rate}`,
        sent > 0 && errs / sent <= s.expect.max_error_rate,
        `≤ ${s.expect.max_error_rate} of ${sent}`,
        summaryLine(errs, sent, 'messages failed', failing.map((st) => st.label), 3),
        { columns: ['step', 'failed', 'by reply'], rows: failing.map((st) => [st.label, `${st.result.sent - st.result.accepted} of ${st.result.sent}`, Object.entries(st.result.errors).map(([k, v]) => `${k}×${v}`).join(', ')]) },
      );
      if (s.expect.min_msgs_per_s !== undefined) ctx.check(`${t.name}: at least ${s.expect.min_msgs_per_s} msgs/s`, rep.msgs_per_s >= s.expect.min_msgs_per_s, `≥ ${s.expect.min_msgs_per_s}`, `${rep.msgs_per_s}`);
      if (s.expect.max_p99_ms !== undefined) ctx.check(`${t.name}: p99 ≤ ${s.expect.max_p99_ms} ms`, rep.p99 <= s.expect.max_p99_ms, `≤ ${s.expect.max_p99_ms} ms`, `${rep.p99} ms`);
    }
  };
}
