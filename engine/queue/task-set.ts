// The worker tasks of acknowledged messages still running, so a graceful stop can wait for them (at most a
// limit) and say how many it left. It starts nothing and cancels nothing.
export class TaskSet {
  private readonly running = new Set<Promise<unknown>>();

  /** Keep `p` until it settles. */
  track(p: Promise<unknown>): void {
    const t = p.finally(() => this.running.delete(t));
    this.running.add(t);
  }

  /** Wait for every task running now, at most `limitMs`: how many there were and how many are still running. */
  async settle(limitMs: number): Promise<{ tasks: number; left: number }> {
    const tasks = this.running.size;
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)));
    await Promise.race([Promise.allSettled([...this.running]), limit]);
    clearTimeout(timer);
    return { tasks, left: this.running.size };
  }
}
