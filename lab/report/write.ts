// Writes a lab Report as <scenario>-<timestamp>.json and .html into a directory (reports/ by default),
// and re-renders the HTML from a JSON file. It writes only those two files and never deletes anything.
import fs from 'node:fs';
import path from 'node:path';
import type { Report } from './model.js';
import { renderHtml } from './html.js';

export function reportBaseName(scenario: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${scenario.replace(/[^A-Za-z0-9_.-]/g, '_')}-${stamp}`;
}

export function writeReport(report: Report, dir: string): { json: string; html: string } {
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, reportBaseName(report.scenario.name, new Date(report.generated_at)));
  const json = `${base}.json`;
  const html = `${base}.html`;
  fs.writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(html, renderHtml(report));
  return { json, html };
}

export type ReadResult = { ok: true; report: Report } | { ok: false; reason: string };

export function readReport(file: string): ReadResult {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return { ok: false, reason: `${file}: ${(e as Error).message}` };
  }
  const r = data as Partial<Report>;
  if (r?.kind !== 'tegami-lab-report' || typeof r.targets !== 'object') return { ok: false, reason: `${file}: not a tegami lab report` };
  return { ok: true, report: r as Report };
}

/** `tegami lab report FILE.json`: write FILE.html next to it. */
export function rerender(file: string): { ok: true; html: string } | { ok: false; reason: string } {
  const r = readReport(file);
  if (!r.ok) return r;
  const html = file.replace(/\.json$/i, '') + '.html';
  fs.writeFileSync(html, renderHtml(r.report));
  return { ok: true, html };
}
