// Reading V8 .cpuprofile files (node --cpu-prof) for the bench reports: self and total time per function,
// grouped by where the code lives (tegami, smtp-server, other node_modules, node internals, GC/idle), and an
// inline-SVG flame graph (icicle) of the whole profile. Pure functions over parsed JSON; no I/O here.

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface FrameTime {
  frame: string;
  /** Where it lives: tegami file, package name, node:internal, or (program)/(garbage collector)/(idle). */
  area: string;
  selfMs: number;
  totalMs: number;
}

const SPECIAL = new Set(['(program)', '(garbage collector)', '(idle)', '(root)']);

export function areaOf(url: string, fn: string): string {
  if (SPECIAL.has(fn) && !url) return fn;
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  const own = /\/dist\/((?:engine|workers|lab|bin)\/[^?#]+)/.exec(url);
  if (own) return `tegami ${own[1].replace(/\.js$/, '.ts')}`;
  return url.replace(/^file:\/\//, '');
}

function frameName(n: CpuProfileNode): string {
  const f = n.callFrame;
  const file = f.url ? f.url.replace(/^file:\/\/.*\/(node_modules|dist)\//, '$1/').replace(/^file:\/\//, '') : '';
  return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
}

/** ms per sample-node id (self time). */
function selfTimes(p: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  if (p.samples && p.timeDeltas) {
    for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0) / 1000);
  } else {
    const total = p.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0) || 1;
    const ms = (p.endTime - p.startTime) / 1000;
    for (const n of p.nodes) self.set(n.id, ((n.hitCount ?? 0) / total) * ms);
  }
  return self;
}

/** Per function (name + file + line): self ms, and total ms counted once per stack (recursion not double-counted). */
export function topFrames(p: CpuProfile): { frames: FrameTime[]; areas: Array<{ area: string; selfMs: number }>; wallMs: number; busyMs: number } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = selfTimes(p);
  const frames = new Map<string, FrameTime>();
  const areas = new Map<string, number>();
  const walk = (id: number, onStack: Set<string>): number => {
    const n = byId.get(id)!;
    const key = frameName(n);
    const mine = self.get(id) ?? 0;
    let total = mine;
    const fresh = !onStack.has(key);
    if (fresh) onStack.add(key);
    for (const c of n.children ?? []) total += walk(c, onStack);
    if (fresh) onStack.delete(key);
    let f = frames.get(key);
    if (!f) {
      f = { frame: key, area: areaOf(n.callFrame.url, n.callFrame.functionName), selfMs: 0, totalMs: 0 };
      frames.set(key, f);
    }
    f.selfMs += mine;
    if (fresh) f.totalMs += total;
    areas.set(f.area, (areas.get(f.area) ?? 0) + mine);
    return total;
  };
  const root = p.nodes[0];
  walk(root.id, new Set());
  const wallMs = (p.endTime - p.startTime) / 1000;
  const idle = areas.get('(idle)') ?? 0;
  return {
    frames: [...frames.values()].filter((f) => f.frame !== '(root)').sort((a, b) => b.selfMs - a.selfMs),
    areas: [...areas.entries()].map(([area, selfMs]) => ({ area, selfMs })).sort((a, b) => b.selfMs - a.selfMs),
    wallMs,
    busyMs: wallMs - idle,
  };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** An icicle flame graph (root at the top, width = total time), frames under 0.2% of the time left out. */
export function flameSvg(p: CpuProfile, title: string): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = selfTimes(p);
  const totals = new Map<number, number>();
  const total = (id: number): number => {
    const n = byId.get(id)!;
    let t = self.get(id) ?? 0;
    for (const c of n.children ?? []) t += total(c);
    totals.set(id, t);
    return t;
  };
  const root = p.nodes[0];
  const all = total(root.id) || 1;
  const W = 1200;
  const ROW = 16;
  const rects: string[] = [];
  let depthMax = 0;
  const colour = (area: string) => {
    if (area.startsWith('tegami')) return '#e8a33d';
    if (area === 'node internals') return '#8fb8de';
    if (area.startsWith('(')) return '#cccccc';
    if (area === 'smtp-server') return '#d9534f';
    return '#9bcf8f';
  };
  const place = (id: number, x: number, depth: number) => {
    const n = byId.get(id)!;
    const w = (totals.get(id)! / all) * W;
    if (w < W * 0.002) return;
    depthMax = Math.max(depthMax, depth);
    const name = frameName(n);
    const area = areaOf(n.callFrame.url, n.callFrame.functionName);
    const label = w > 40 ? esc(name.slice(0, Math.floor(w / 6.5))) : '';
    rects.push(
      `<g><title>${esc(name)} — ${((totals.get(id)! / all) * 100).toFixed(1)}% (${area})</title><rect x="${x.toFixed(1)}" y="${depth * ROW + 24}" width="${Math.max(0.5, w - 0.5).toFixed(1)}" height="${ROW - 1}" fill="${colour(area)}"/>` +
        (label ? `<text x="${(x + 3).toFixed(1)}" y="${depth * ROW + 24 + 12}" font-size="11">${label}</text>` : '') +
        '</g>',
    );
    let cx = x;
    for (const c of n.children ?? []) {
      place(c, cx, depth + 1);
      cx += (totals.get(c)! / all) * W;
    }
  };
  place(root.id, 0, 0);
  const H = (depthMax + 1) * ROW + 34;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="monospace"><rect width="100%" height="100%" fill="#fff"/><text x="4" y="16" font-size="13" font-weight="bold">${esc(title)}</text>${rects.join('')}</svg>\n`;
}
