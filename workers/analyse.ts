// Worker task "analyse": judge one spooled message (content filters, scores, action, headers) for the
// SMTP session or the delivery worker. Reads the spool file from bodyOffset (or takes the bytes it is given);
// never writes the message, never replies to the client, never delivers.
import fsp from 'node:fs/promises';
import { workerData } from 'node:worker_threads';
import { workerConfig } from '../engine/settings/worker-config.js';
import { Analyser } from '../engine/spam/pipeline.js';
import type { AnalyseResult, AnalyseTask } from '../engine/spam/types.js';

export type { AnalyseTask, AnalyseResult, AnalyseEnvelope, ConnectionResult, SpamAction, Tag } from '../engine/spam/types.js';

const analysers = new Map<string, { version: number; analyser: Analyser }>();

/** The config in force and its settings version, as workerConfig answers. */
export type ConfigInForce = ReturnType<typeof workerConfig>;

/**
 * The analyser for the config in force; rebuilt when the settings version moves (the old one closes later).
 * `current`: the config and version the caller read for this same task (workers/process.ts), so the settings
 * version is read once per task, not twice.
 */
function analyserFor(configPath: string | undefined, current?: ConfigInForce): Analyser {
  const key = configPath ?? '';
  const dataDir = (workerData as { dataDir?: string } | null)?.dataDir;
  const { version, config } = current ?? workerConfig(configPath, dataDir);
  const cached = analysers.get(key);
  if (cached && cached.version === version) return cached.analyser;
  // analyses in flight on this thread may still use the old one: close it once they are surely done
  if (cached) setTimeout(() => void cached.analyser.close().catch(() => {}), 120_000).unref();
  const a = new Analyser(config);
  analysers.set(key, { version, analyser: a });
  return a;
}

async function readRaw(task: AnalyseTask): Promise<Buffer> {
  if (task.raw) return Buffer.isBuffer(task.raw) ? task.raw : Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
  const all = await fsp.readFile(task.spoolPath);
  return all.subarray(task.bodyOffset);
}

export default async function analyse(task: AnalyseTask, current?: ConfigInForce): Promise<AnalyseResult> {
  const a = analyserFor(task.configPath, current);
  return a.analyse(await readRaw(task), task.envelope, task.connection);
}

export { analyse };

/** Tests and shutdown: close the cached analysers (databases, log files). */
export async function closeAnalysers(): Promise<void> {
  await Promise.all([...analysers.values()].map((a) => a.analyser.close()));
  analysers.clear();
}
