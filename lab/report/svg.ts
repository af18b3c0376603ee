// Inline SVG plots for lab reports: a latency-by-percentile plot (both axes log scale, one line per target)
// and a throughput-over-time plot. Strings in, strings out; every label is escaped; no scripts, no fetches.

export const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const W = 720;
const H = 360;
const M = { l: 70, r: 150, t: 30, b: 50 };
const PW = W - M.l - M.r;
const PH = H - M.t - M.b;

function frame(kind: string, title: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="plot" data-plot="${esc(kind)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">` +
    `<title>${esc(title)}</title><rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>` +
    `<text x="${M.l}" y="18" font-size="14" font-weight="bold">${esc(title)}</text>${body}</svg>`
  );
}

function legend(names: string[]): string {
  return names
    .map((n, i) => {
      const y = M.t + 10 + i * 20;
      const c = COLORS[i % COLORS.length];
      return `<line x1="${W - M.r + 15}" y1="${y}" x2="${W - M.r + 40}" y2="${y}" stroke="${c}" stroke-width="3"/><text x="${W - M.r + 45}" y="${y + 4}" font-size="12" class="legend">${esc(n)}</text>`;
    })
    .join('');
}

function fmtMs(v: number): string {
  if (v >= 1000) return `${v / 1000}s`;
  if (v >= 1) return `${v}ms`;
  return `${Math.round(v * 1000)}µs`;
}

/** Percentile (0..100) → x position on a "1/(1-p)" log axis, from 0% to 99.999%. */
function px(p: number): number {
  const capped = Math.min(p, 99.999);
  const v = Math.log10(1 / (1 - capped / 100)); // 0 .. 5
  return M.l + (v / 5) * PW;
}

export function percentilePlot(series: Array<{ name: string; curve: Array<{ p: number; ms: number }> }>): string {
  const all = series.flatMap((s) => s.curve.map((c) => c.ms)).filter((v) => v > 0);
  if (!all.length) return frame('latency', 'Latency by percentile (no data)', '');
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all) * 1.0001)));
  const decades = Math.max(1, Math.log10(hi / lo));
  const py = (ms: number) => M.t + PH - (Math.log10(Math.max(ms, lo) / lo) / decades) * PH;
  let body = '';
  for (let d = 0; d <= decades; d++) {
    const v = lo * Math.pow(10, d);
    const y = py(v);
    body += `<line x1="${M.l}" y1="${y}" x2="${M.l + PW}" y2="${y}" stroke="#ddd"/><text x="${M.l - 6}" y="${y + 4}" font-size="11" text-anchor="end">${esc(fmtMs(Number(v.toPrecision(3))))}</text>`;
  }
  for (const [p, label] of [[0, '0%'], [90, '90%'], [99, '99%'], [99.9, '99.9%'], [99.99, '99.99%'], [99.999, '99.999%']] as const) {
    const x = px(p);
    body += `<line x1="${x}" y1="${M.t}" x2="${x}" y2="${M.t + PH}" stroke="#eee"/><text x="${x}" y="${M.t + PH + 16}" font-size="11" text-anchor="middle">${label}</text>`;
  }
  body += `<text x="${M.l + PW / 2}" y="${H - 8}" font-size="12" text-anchor="middle">percentile (log scale)</text>`;
  body += `<text x="14" y="${M.t + PH / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${M.t + PH / 2})">latency (log scale)</text>`;
  series.forEach((s, i) => {
    const pts = s.curve.filter((c) => c.ms > 0).map((c) => `${px(c.p).toFixed(1)},${py(c.ms).toFixed(1)}`);
    if (pts.length) body += `<polyline class="series" data-target="${esc(s.name)}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2.5" points="${pts.join(' ')}"/>`;
  });
  body += `<rect x="${M.l}" y="${M.t}" width="${PW}" height="${PH}" fill="none" stroke="#333"/>`;
  return frame('latency', 'Message latency by percentile', body + legend(series.map((s) => s.name)));
}

export function throughputPlot(series: Array<{ name: string; points: Array<{ t: number; v: number }> }>): string {
  return timePlot('throughput', 'Throughput over time', 'messages/s', series);
}

/** A value over time, one line per target (throughput, CPU, RSS). */
export function timePlot(kind: string, title: string, yLabel: string, series: Array<{ name: string; points: Array<{ t: number; v: number }> }>): string {
  const maxT = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.t)));
  const maxV = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.v)));
  const mag = Math.pow(10, Math.floor(Math.log10(maxV)));
  const top = Math.ceil(maxV / mag) * mag;
  const x = (t: number) => M.l + (t / maxT) * PW;
  const y = (v: number) => M.t + PH - (v / top) * PH;
  let body = '';
  for (let i = 0; i <= 5; i++) {
    const v = (top / 5) * i;
    body += `<line x1="${M.l}" y1="${y(v)}" x2="${M.l + PW}" y2="${y(v)}" stroke="#ddd"/><text x="${M.l - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${esc(Number(v.toPrecision(3)))}</text>`;
  }
  const stepT = Math.max(1, Math.ceil(maxT / 8));
  for (let t = 0; t <= maxT; t += stepT) body += `<text x="${x(t)}" y="${M.t + PH + 16}" font-size="11" text-anchor="middle">${t}s</text>`;
  body += `<text x="${M.l + PW / 2}" y="${H - 8}" font-size="12" text-anchor="middle">time into the target's run (s)</text>`;
  body += `<text x="14" y="${M.t + PH / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${M.t + PH / 2})">${esc(yLabel)}</text>`;
  series.forEach((s, i) => {
    const pts = s.points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
    if (pts.length) body += `<polyline class="series" data-target="${esc(s.name)}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${pts.join(' ')}"/>`;
  });
  body += `<rect x="${M.l}" y="${M.t}" width="${PW}" height="${PH}" fill="none" stroke="#333"/>`;
  return frame(kind, title, body + legend(series.map((s) => s.name)));
}
