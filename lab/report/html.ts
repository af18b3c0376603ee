// Renders a lab Report as one self-contained HTML page: verdict, checks, a figures table with ratios
// between targets, the two plots (inline SVG), per-step tables, probe verdicts, and scenario/machine.
// No external CSS, fonts, scripts or images: the page must open the same offline, years later.
import type { Report, SpamScore, TargetReport } from './model.js';
import type { Check } from './model.js';
import { esc, percentilePlot, throughputPlot, timePlot } from './svg.js';

const n = (v: number | undefined, digits = 1) => (v === undefined ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits }));
const ms = (v: number | undefined) => (v === undefined ? '–' : `${n(v, 3)} ms`);

function figuresTable(targets: TargetReport[]): string {
  const rows = targets
    .map(
      (t) =>
        `<tr data-target="${esc(t.name)}"><th>${esc(t.name)}</th><td class="num msgs">${n(t.msgs_per_s)}</td><td class="num">${ms(t.p50)}</td><td class="num">${ms(t.p99)}</td><td class="num">${ms(t.p999)}</td>` +
        `<td class="num">${n(t.accepted, 0)}</td><td>${esc(Object.entries(t.errors).map(([k, v]) => `${k}×${v}`).join(', ') || 'none')}</td>` +
        `<td class="num">${t.cpu_percent === undefined ? '–' : n(t.cpu_percent) + ' %'}</td><td class="num">${t.max_rss_mb === undefined ? '–' : n(t.max_rss_mb) + ' MB'}</td></tr>`,
    )
    .join('');
  return `<table class="figures"><thead><tr><th>target</th><th>msgs/s</th><th>p50</th><th>p99</th><th>p99.9</th><th>accepted</th><th>errors</th><th>CPU</th><th>max RSS</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function ratioTable(targets: TargetReport[]): string {
  const loaded = targets.filter((t) => t.msgs_per_s > 0);
  if (loaded.length < 2) return '';
  let rows = '';
  for (const a of loaded)
    for (const b of loaded) {
      if (a === b) continue;
      const r = (x: number, y: number) => (y > 0 ? `${(x / y).toFixed(2)}×` : '–');
      rows += `<tr><th>${esc(a.name)} / ${esc(b.name)}</th><td class="num ratio">${r(a.msgs_per_s, b.msgs_per_s)}</td><td class="num">${r(a.p50, b.p50)}</td><td class="num">${r(a.p99, b.p99)}</td></tr>`;
    }
  return `<h2>Ratios between targets</h2><p class="hint">Throughput ratio above 1 means the first target is faster; latency ratio below 1 means it answers sooner.</p><table class="ratios"><thead><tr><th>pair</th><th>msgs/s ratio</th><th>p50 ratio</th><th>p99 ratio</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function stepsTable(t: TargetReport): string {
  if (!t.steps.length) return '';
  const rows = t.steps
    .map((s) => {
      const r = s.result;
      const ph = (k: keyof typeof r.phases) => (r.phases[k] ? ms(r.phases[k]!.p50) : '–');
      return `<tr><th>${esc(s.label)}</th><td class="num">${n(r.msgs_per_s)}</td><td class="num">${ms(r.latency.p50)}</td><td class="num">${ms(r.latency.p99)}</td><td class="num">${ms(r.latency.p999)}</td><td class="num">${ph('connect')}</td><td class="num">${ph('mail')}</td><td class="num">${ph('rcpt')}</td><td class="num">${ph('data')}</td><td class="num">${ph('delivered')}</td><td class="num">${n(r.accepted, 0)}/${n(r.sent, 0)}</td></tr>`;
    })
    .join('');
  return `<h3>${esc(t.name)}: steps</h3><table class="steps"><thead><tr><th>step</th><th>msgs/s</th><th>p50</th><th>p99</th><th>p99.9</th><th>connect p50</th><th>MAIL p50</th><th>RCPT p50</th><th>DATA→250 p50</th><th>accept→delivered p50</th><th>accepted/sent</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function probesTable(t: TargetReport): string {
  if (!t.probes?.length) return '';
  const rows = t.probes
    .map((p) => `<tr class="${p.verdict === 'RELAYED' || p.verdict === 'error' ? 'bad' : ''}"><th>${esc(p.id)}</th><td>${esc(p.title)}</td><td class="verdict">${esc(p.verdict)}${p.proven ? ' (proven)' : ''}</td><td>${esc(p.detail)}</td></tr>`)
    .join('');
  return `<h3>${esc(t.name)}: open-relay probes</h3><table class="probes"><thead><tr><th>probe</th><th>trick</th><th>verdict</th><th>reply</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function spamTable(t: TargetReport): string {
  const s = t.spam;
  if (!s) return '';
  return `<h3>${esc(t.name)}: spam verdicts</h3><table class="spam"><thead><tr><th></th><th>verdict spam</th><th>verdict ham</th></tr></thead><tbody><tr><th>actual spam</th><td class="num">${s.tp}</td><td class="num">${s.fn}</td></tr><tr><th>actual ham</th><td class="num">${s.fp}</td><td class="num">${s.tn}</td></tr></tbody></table><p>precision ${n(s.precision, 3)}, recall ${n(s.recall, 3)}, ham judged spam ${n((s.ham_fp_rate ?? 0) * 100, 2)}%, ${s.unknown} without a verdict, ${s.total} messages.</p>${curveTable(t.name, s)}${groupTable(s)}${(s.protocol ?? []).map((l) => `<p class="hint">${esc(l)}</p>`).join('')}`;
}

/** Recall at ham false-positive rates beside the default verdict, k folds and the reference filters (issue 18). */
function curveTable(name: string, s: SpamScore): string {
  if (s.at_fp_05 === undefined) return '';
  const p = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? '—' : `${n(x * 100, d)}%`);
  const row = (label: string, a: number | null, b: number | null, r: number | null, f: number | null, cls = '') =>
    `<tr class="${cls}"><th>${esc(label)}</th><td class="num">${p(a)}</td><td class="num">${p(b)}</td><td class="num">${r === null ? '—' : `${p(r)} / ${p(f, 2)}`}</td></tr>`;
  const rows = [
    row(`${name} over SMTP${s.split_default ? ', SpamAssassin judged half' : ''}${s.replay ? `, Date order, ${s.replay.corrections} corrections` : ''}`, s.at_fp_05, s.at_fp_1 ?? null, s.split_default?.recall ?? s.recall, s.split_default?.ham_fp_rate ?? s.ham_fp_rate),
    ...(s.kfold ? [row(`${name}, ${s.kfold.k} folds in process (${s.kfold.messages} messages)`, s.kfold.at_fp_05, s.kfold.at_fp_1, s.kfold.recall, s.kfold.ham_fp_rate), row(`${name} Bayes alone, ${s.kfold.k} folds`, s.kfold.bayes_at_fp_05, s.kfold.bayes_at_fp_1, null, null)] : []),
    ...(s.reference ?? []).map((r) => row(`${r.filter} (reference)`, r.at_fp_05, r.at_fp_1, r.default_recall, r.default_fp, 'ref')),
  ].join('');
  return `<table class="spam"><thead><tr><th>filter</th><th>recall at ham FP ≤ 0.5%</th><th>at FP ≤ 1%</th><th>default verdict: recall / ham FP</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderHtml(report: Report): string {
  const targets = Object.values(report.targets);
  const loaded = targets.filter((t) => t.latency);
  const lat = percentilePlot(loaded.map((t) => ({ name: t.name, curve: t.latency!.curve })));
  const thr = throughputPlot(
    loaded.map((t) => {
      let offset = 0;
      const points: Array<{ t: number; v: number }> = [];
      for (const s of t.steps) {
        for (const b of s.result.timeline) points.push({ t: offset + b.t, v: b.accepted });
        offset += Math.max(s.result.timeline.length, 1);
      }
      return { name: t.name, points };
    }),
  );
  const checks = report.checks.map(checkItem).join('');
  const failed = report.checks.filter((c) => !c.ok);
  const verdictLine = failed.length
    ? `${failed.length} of ${report.checks.length} expectations failed: ${failed
        .slice(0, 3)
        .map((c) => c.actual)
        .join('; ')}${failed.length > 3 ? '; …' : ''}`
    : '';
  const m = report.machine;
  const misb = targets
    .filter((t) => t.misbehaviour?.length)
    .map((t) => `<h3>${esc(t.name)}: misbehaving clients</h3><ul>${t.misbehaviour!.map((x) => `<li class="${x.ok ? 'pass' : 'fail'}">${esc(x.summary)}</li>`).join('')}</ul>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(report.scenario.name)} — tegami lab report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222;padding:0 1em}
h1{margin-bottom:.2em} .verdict-banner{padding:.6em 1em;border-radius:6px;font-weight:bold;display:inline-block}
.ok{background:#dff5df;color:#145214}.notok{background:#fbdada;color:#7a1010}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:14px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums} thead th{background:#f3f3f3}
li.pass b{color:#145214} li.fail b{color:#a01010} .at-a-glance{font-weight:bold} table.details{margin:.3em 0 1em 1.5em;font-size:13px} li .expected{color:#555} tr.bad{background:#fbdada} .hint{color:#666;font-size:13px}
svg.plot{border:1px solid #ddd;margin:.5em 0;max-width:100%;height:auto} dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px} dt{font-weight:bold}
</style></head><body>
<h1>${esc(report.scenario.name)}</h1>
<p>${esc(report.scenario.description)}</p>
<p class="verdict-banner ${report.ok ? 'ok' : 'notok'}" id="verdict">${report.ok ? 'All expectations held' : 'Some expectations failed'}</p>
${verdictLine ? `<p class="at-a-glance">${esc(verdictLine)}</p>` : ''}
<h2>Expectations</h2><ul class="checks">${checks || '<li>none declared</li>'}</ul>
${
  loaded.length
    ? `<h2>Figures</h2>
${loaded[0]?.primary_step ? `<p class="hint">msgs/s and latency of the first step, “${esc(loaded[0].primary_step)}”; accepted, errors, CPU and memory over all steps.</p>` : ''}
${figuresTable(loaded)}
${ratioTable(loaded)}
${stepRatioTable(loaded)}`
    : ''
}
${loaded.length ? `<h2>Plots</h2>${lat}${thr}${resources(loaded)}` : ''}
${targets.map((t) => stepsTable(t) + probesTable(t) + spamTable(t)).join('')}
${misb}
<h2>Run</h2><dl>
<dt>scenario file</dt><dd>${esc(report.scenario.file)}</dd>
<dt>generated</dt><dd>${esc(report.generated_at)} (${n(report.duration_s)} s)</dd>
${targets.map((t) => `<dt>${esc(t.name)}</dt><dd>${esc(t.address)} — ${esc(t.describe)}</dd>`).join('')}
<dt>machine</dt><dd>${esc(m.hostname)}: ${m.cpus} × ${esc(m.cpu_model)}, ${m.mem_gb} GB, ${esc(m.os)}, Node ${esc(m.node)}</dd>
</dl>
${report.notes.length ? `<h2>Notes</h2><ul>${report.notes.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : ''}
${loaded.length ? '' : '<!-- no load in this scenario -->'}<p class="hint"${loaded.length ? '' : ' hidden'}>Latency is per message: from its scheduled start (open loop) or its start (closed loop) to the server's final 250; each load runs from the same client on the same machine as the targets, so figures compare targets, not absolute capacity.</p>
</body></html>
`;
}

function groupTable(s: SpamScore): string {
  if (!s.groups) return '';
  const rows = Object.entries(s.groups)
    .map(([g, v]) => `<tr><th>${esc(g)}</th><td>${v.label}</td><td class="num">${v.total}</td><td class="num">${v.judged_spam}</td><td class="num">${n((v.judged_spam / Math.max(1, v.total)) * 100, 1)}%</td>${s.at_fp_05 === undefined ? '' : `<td class="num">${v.above_fp_05 ?? '—'}</td><td class="num">${v.above_fp_1 ?? '—'}</td>`}</tr>`)
    .join('');
  const cuts = s.at_fp_05 === undefined ? '' : '<th>over the FP ≤ 0.5% cut-off</th><th>over the FP ≤ 1% cut-off</th>';
  return `<table class="spam"><thead><tr><th>corpus group</th><th>kind</th><th>messages</th><th>judged spam</th><th>share</th>${cuts}</tr></thead><tbody>${rows}</tbody></table>`;
}

/** One expectation: PASS/FAIL and its name; a failure adds what was expected, the one-line outcome, and its details table. */
function checkItem(c: Check): string {
  if (c.ok) return `<li class="pass"><b>PASS</b> ${esc(c.name)}</li>`;
  const d = c.details;
  const table = d?.rows.length
    ? `<table class="details"><thead><tr>${d.columns.map((x) => `<th>${esc(x)}</th>`).join('')}</tr></thead><tbody>${d.rows
        .map((r) => `<tr>${r.map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`
    : '';
  return `<li class="fail"><b>FAIL</b> ${esc(c.name)}: <span class="outcome">${esc(c.actual)}</span> <span class="expected">(expected ${esc(c.expected)})</span>${table}</li>`;
}

/** CPU (% of one core, the whole process tree) and RSS over each target's run, steps one after another. */
function resources(targets: TargetReport[]): string {
  const series = (pick: (x: { cpu: number; rssMb: number }) => number) =>
    targets
      .filter((t) => t.steps.some((s) => s.result.process?.samples.length))
      .map((t) => {
        let offset = 0;
        const points: Array<{ t: number; v: number }> = [];
        for (const s of t.steps) {
          const samples = s.result.process?.samples ?? [];
          for (const x of samples) points.push({ t: offset + x.t, v: pick(x) });
          offset += Math.max(s.result.elapsedS, samples[samples.length - 1]?.t ?? 0, 1);
        }
        return { name: t.name, points };
      });
  const cpu = series((x) => x.cpu);
  if (!cpu.length) return '';
  return timePlot('cpu', 'CPU of each target (process tree, % of one core)', '% of one core', cpu) + timePlot('rss', 'Memory of each target (RSS of the process tree)', 'RSS (MB)', series((x) => x.rssMb));
}

/**
 * The first target (the headline: tegami as users run it) against every other target, step by step, all
 * measured in this run: msgs/s above 1 means the headline is faster, p99 below 1 that it answers sooner.
 */
function stepRatioTable(targets: TargetReport[]): string {
  const [head, ...others] = targets.filter((t) => t.steps.length);
  if (!head || !others.length) return '';
  const r = (x: number | undefined, y: number | undefined) => (x !== undefined && y ? `${(x / y).toFixed(2)}×` : '–');
  let rows = '';
  for (const s of head.steps)
    for (const o of others) {
      const os = o.steps.find((x) => x.label === s.label);
      if (!os) continue;
      rows += `<tr data-step="${esc(s.label)}" data-against="${esc(o.name)}"><th>${esc(s.label)}</th><td>${esc(o.name)}</td><td class="num">${n(s.result.msgs_per_s)} / ${n(os.result.msgs_per_s)}</td><td class="num ratio">${r(s.result.msgs_per_s, os.result.msgs_per_s)}</td><td class="num">${r(s.result.latency.p99, os.result.latency.p99)}</td></tr>`;
    }
  if (!rows) return '';
  return `<h2>${esc(head.name)} against each target, step by step</h2><p class="hint">Same run, one target at a time. msgs/s ratio above 1: ${esc(head.name)} is faster; p99 ratio below 1: it answers sooner.</p><table class="step-ratios"><thead><tr><th>step</th><th>against</th><th>msgs/s</th><th>msgs/s ratio</th><th>p99 ratio</th></tr></thead><tbody>${rows}</tbody></table>`;
}
