// Where spam learning runs: in the worker pool of the server that owns the data dir (the queue registers itself
// here), so parsing a hostile message never stalls the main thread's protocols. The message's bytes are moved
// to the worker, not copied. Without a registered pool (a store-only test, a tool) the caller learns in-thread.

export type LearnKind = 'spam' | 'ham';

/** Runs one learn task; resolves with whether the counts changed. */
export type PoolLearner = (raw: Uint8Array, kind: LearnKind, owner: string) => Promise<boolean>;

const pools = new Map<string, PoolLearner>();

/** Register (or with null remove) the pool that learns for the mailboxes under `dataDir`. */
export function registerLearnPool(dataDir: string, learner: PoolLearner | null): void {
  if (learner) pools.set(dataDir, learner);
  else pools.delete(dataDir);
}

export function learnPoolFor(dataDir: string): PoolLearner | undefined {
  return pools.get(dataDir);
}

/** The bytes in an ArrayBuffer of their own, so they can be transferred (a Buffer may be a slice of a shared pool). */
export function ownBytes(raw: Uint8Array): Uint8Array {
  if (raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength && raw.buffer instanceof ArrayBuffer) return raw;
  return new Uint8Array(raw);
}
