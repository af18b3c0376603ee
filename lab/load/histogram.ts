// Latency histograms for the lab: hdr-histogram-js recording microseconds, summarised in milliseconds
// (p50/p90/p99/p999, and a percentile curve for the report's log-scale plot). Values only, no I/O.
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export interface HistSummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** Percentile → latency (ms), for plotting; percentiles spaced for a log "1/(1-p)" axis. */
  curve: Array<{ p: number; ms: number }>;
  /** The histogram itself, compressed (hdr-histogram's base64 format), so a report can be re-rendered. */
  hdr?: string;
}

export function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

/** Record a duration given in milliseconds (stored as µs). */
export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.max(1, Math.round(ms * 1000)));
}

const CURVE = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100];
const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function summarize(h: Histogram, withHdr = true): HistSummary {
  const n = h.totalCount;
  // a percentile is the top of its bucket (HDR's highest equivalent value), which can pass the exact maximum when
  // both fall in one bucket: no percentile is shown above the largest value really recorded
  const at = (p: number) => (n ? r3(Math.min(h.getValueAtPercentile(p), h.maxValue) / 1000) : 0);
  return {
    count: n,
    min: n ? r3(h.minNonZeroValue / 1000) : 0,
    mean: n ? r3(h.mean / 1000) : 0,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: n ? r3(h.maxValue / 1000) : 0,
    curve: n ? CURVE.map((p) => ({ p, ms: at(p) })) : [],
    hdr: withHdr && n ? hdr.encodeIntoCompressedBase64(h) : undefined,
  };
}
