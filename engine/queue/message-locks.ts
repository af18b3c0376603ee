// Per-message serialisation of queue state updates: every read-modify-write of one message's <id>.state
// (delivery outcomes, local retries, expiry sweeps, operator actions) runs after the previous one ends.
// It never touches files itself, and a failed update never blocks the next one.
export class MessageLocks {
  private tails = new Map<string, Promise<unknown>>();

  /** Run `fn` once every earlier update of message `id` has settled. */
  run<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(id) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    const tail = next.catch(() => {});
    this.tails.set(id, tail);
    // (tail never rejects: the .catch above turned every failure into a value)
    tail
      .then(() => {
        if (this.tails.get(id) === tail) this.tails.delete(id);
      })
      .catch(() => {});
    return next;
  }
}
