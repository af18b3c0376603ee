// The lab report as a reader meets it: a failed expectation is one line ("19 of 27 probes relayed: plain,
// …") with its details in a table below; CPU/RSS of each target are plotted; the headline target is
// compared with every other target step by step. Load figures come from real runs against a lab sink (1.3 s
// each, so CPU/RSS are sampled).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { runLoad } from '../../lab/load/generator.js';
import { renderHtml } from '../../lab/report/html.js';
import { machineInfo, summarizeTarget, summaryLine, type Report, type StepReport } from '../../lab/report/model.js';

test('summaryLine: a count, a verb and the first names, cut with …', () => {
  assert.equal(summaryLine(0, 27, 'probes relayed', []), '0 of 27 probes relayed');
  assert.equal(summaryLine(2, 27, 'probes relayed', ['plain', 'percent-hack']), '2 of 27 probes relayed: plain, percent-hack');
  const names = ['plain', 'percent-hack', 'bang-path', 'source-route', 'quoted', 'ipv6-literal', 'uucp', 'null'];
  assert.equal(summaryLine(8, 27, 'probes relayed', names), '8 of 27 probes relayed: plain, percent-hack, bang-path, source-route, quoted, ipv6-literal, …');
  assert.equal(summaryLine(8, 27, 'probes relayed', names, 2), '8 of 27 probes relayed: plain, percent-hack, …');
  // long names: the line stays short, whatever the list holds
  const long = Array.from({ length: 10 }, (_, i) => `${'x'.repeat(50)}-${i}`);
  const line = summaryLine(10, 10, 'sessions failed', long);
  assert.ok(line.length < 200, `${line.length}: ${line}`);
  assert.match(line, /^10 of 10 sessions failed: x+-0, x+-1, x+-2, …$/);
  const one = summaryLine(1, 1, 'sessions failed', ['y'.repeat(400)]);
  assert.ok(one.length < 200 && one.endsWith('…'), one);
});

let sink: Sink;
const steps = new Map<string, StepReport[]>();
before(async () => {
  sink = await startSink({ tls: 'none' });
  for (const name of ['tegami', 'postfix', 'smtp-sink'])
    for (const [label, size] of [['5 KB', 5120], ['20 KB', 20_480]] as const) {
      const result = await runLoad({ name, host: '127.0.0.1', port: sink.port, pid: process.pid }, { mode: 'open', rate: 40, durationMs: 1300, connections: 2, size, from: 'load-{n}@lab.example.test', to: ['a@example.test'] });
      steps.set(name, [...(steps.get(name) ?? []), { label, result }]);
    }
});
after(() => sink?.close());

function report(checks: Report['checks']): Report {
  const targets = Object.fromEntries([...steps].map(([name, s]) => [name, summarizeTarget(name, '127.0.0.1', `${name} (a lab sink)`, s)]));
  return { kind: 'tegami-lab-report', version: 1, scenario: { name: 'throughput', file: 'x.toml', description: 'd' }, generated_at: new Date().toISOString(), duration_s: 1, machine: machineInfo(), ok: checks.every((c) => c.ok), checks, targets, notes: [] };
}

test('a failed expectation: one line at a glance, its details as a table, hostile text escaped', () => {
  const html = renderHtml(
    report([
      { name: 'tegami: every relay probe refused', ok: false, expected: 'refused for every probe', actual: '2 of 27 probes relayed: plain, percent-hack', details: { columns: ['probe', 'verdict', 'reply'], rows: [['plain', 'RELAYED', '250 <script>x</script>'], ['percent-hack', 'RELAYED', '250 ok']] } },
      { name: 'tegami: error rate ≤ 0', ok: true, expected: '≤ 0', actual: '0 failed' },
    ]),
  );
  const glance = /<p class="at-a-glance">([^<]*)<\/p>/.exec(html);
  assert.ok(glance, 'the at-a-glance line');
  assert.equal(glance[1], '1 of 2 expectations failed: 2 of 27 probes relayed: plain, percent-hack');
  assert.match(html, /<li class="fail"><b>FAIL<\/b> tegami: every relay probe refused: <span class="outcome">2 of 27 probes relayed: plain, percent-hack<\/span> <span class="expected">\(expected refused for every probe\)<\/span><table class="details">/);
  assert.match(html, /<tr><td>plain<\/td><td>RELAYED<\/td><td>250 &lt;script&gt;x&lt;\/script&gt;<\/td><\/tr>/);
  assert.ok(!html.includes('<script>'), 'nothing from a reply runs');
  assert.match(html, /<li class="pass"><b>PASS<\/b> tegami: error rate ≤ 0<\/li>/);
  assert.equal((html.match(/<table class="details">/g) ?? []).length, 1, 'a passing check has no details table');

  const clean = renderHtml(report([{ name: 'ok', ok: true, expected: 'x', actual: 'x' }]));
  assert.ok(!clean.includes('class="at-a-glance"'), 'no line when everything held');
});

test('CPU and RSS of each target are plotted, one line per target', () => {
  const html = renderHtml(report([]));
  for (const kind of ['cpu', 'rss']) {
    const svg = new RegExp(`<svg[^>]*data-plot="${kind}"[\\s\\S]*?</svg>`).exec(html);
    assert.ok(svg, `${kind} plot`);
    const lines = [...svg[0].matchAll(/<polyline class="series" data-target="([^"]+)"[^>]*points="([^"]*)"/g)];
    assert.deepEqual(lines.map((l) => l[1]).sort(), ['postfix', 'smtp-sink', 'tegami']);
    for (const l of lines) for (const pt of l[2].split(' ')) assert.match(pt, /^\d+(\.\d)?,\d+(\.\d)?$/, `${kind} ${l[1]}: ${pt}`);
  }
  // without process samples (an outside --target) there is nothing to plot
  const bare = report([]);
  for (const t of Object.values(bare.targets)) for (const s of t.steps) s.result = { ...s.result, process: undefined };
  assert.ok(!/data-plot="cpu"/.test(renderHtml(bare)));
});

test('the headline target against each other target, step by step, from the same run', () => {
  const rep = report([]);
  const html = renderHtml(rep);
  const rows = [...html.matchAll(/<tr data-step="([^"]+)" data-against="([^"]+)"><th>[^<]*<\/th><td>[^<]*<\/td><td class="num">[^<]*<\/td><td class="num ratio">([^<]*)<\/td>/g)];
  assert.deepEqual(
    rows.map((r) => `${r[1]} ${r[2]}`),
    ['5 KB postfix', '5 KB smtp-sink', '20 KB postfix', '20 KB smtp-sink'],
  );
  const t = rep.targets;
  for (const r of rows) {
    const step = (name: string) => t[name].steps.find((s) => s.label === r[1])!.result.msgs_per_s;
    assert.equal(r[3], `${(step('tegami') / step(r[2])).toFixed(2)}×`);
  }
  assert.match(html, /<h2>tegami against each target, step by step<\/h2>/);
});
