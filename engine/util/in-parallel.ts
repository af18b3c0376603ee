// Bounded concurrency for many small file operations: each runs on the libuv thread pool, so a few dozen at
// once finish far sooner than one after another, and a cap keeps one big folder from taking the whole pool.

/** Run fn over items with at most `limit` running at once; results in the items' order. */
export async function inParallel<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, limit = 16): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
