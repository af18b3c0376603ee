// Reading Prometheus text in tests: one sample's value by metric name and labels, and polling a scrape.

/** The value of the sample `name{labels}` (labels in any order, all of them given), or undefined. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const p of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[p[1]] = p[2];
    if (Object.keys(got).length !== Object.keys(labels).length) continue;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

export async function scrape(port: number, path = '/metrics'): Promise<{ status: number; text: string; type: string | null }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, text: await r.text(), type: r.headers.get('content-type') };
}

/** Scrape until `ok(text)` holds (30 s by default); the last text either way. */
export async function scrapeUntil(port: number, ok: (text: string) => boolean, ms = 30_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const { text } = await scrape(port);
    if (ok(text) || Date.now() > end) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
}
