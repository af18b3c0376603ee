// A counting semaphore with a bounded queue: at most `max` tasks run at once, at most `maxQueued` wait, and a
// task beyond that is refused at once ('busy') instead of waiting without end. The login flow runs every
// password hash through one (each scrypt takes 16 MB and a thread of the shared libuv pool).

export class Semaphore {
  private running = 0;
  private queue: (() => void)[] = [];

  constructor(
    private readonly max: number,
    private readonly maxQueued: number,
  ) {}

  /** Run `task` when a slot is free; 'busy' when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T | 'busy'> {
    if (this.running >= this.max) {
      if (this.queue.length >= this.maxQueued) return 'busy';
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else this.running++;
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else this.running--;
    }
  }

  get state(): { running: number; queued: number } {
    return { running: this.running, queued: this.queue.length };
  }
}
