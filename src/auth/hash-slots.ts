/**
 * At most `size` tasks at once; the rest wait in arrival order. Registration hashes passwords
 * through one of these so a burst of sign-ups (argon2id: 19 MiB and tens of ms of a libuv thread
 * each) cannot take every thread of the pool and starve logins' password checks.
 */
export class HashSlots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
