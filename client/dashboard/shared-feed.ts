/**
 * One poller shared by every subscriber: it runs only while someone listens, never more often than its interval,
 * never two polls at once, and hands each new value to all listeners (a new listener gets the last value at once).
 * However many browser tabs watch, the source is asked once per interval.
 */

export type Listener<T> = (value: T) => void;

export interface SharedFeedOptions<T> {
  /** Produces the next value; a rejection is reported through `onError` and the feed keeps its last value. */
  readonly poll: () => Promise<T>;
  /** Time between the end of one poll and the start of the next. */
  readonly intervalMs: number;
  /** Values that serialize alike are not sent again. @default JSON.stringify */
  readonly key?: (value: T) => string;
  readonly onError?: (err: unknown) => void;
}

export class SharedFeed<T> {
  private readonly listeners = new Set<Listener<T>>();
  private last: { value: T; key: string } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private closed = false;
  private polledAt = 0;

  constructor(private readonly opts: SharedFeedOptions<T>) {}

  /** The last value, or null before the first poll answered. */
  get current(): T | null {
    return this.last?.value ?? null;
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Adds a listener (polling starts with the first); returns the function that removes it. */
  subscribe(listener: Listener<T>): () => void {
    if (this.closed) throw new Error('the feed is closed');
    this.listeners.add(listener);
    if (this.last) listener(this.last.value);
    if (this.listeners.size === 1 && this.polling === null && this.timer === null) this.tick();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
    };
  }

  /**
   * The value no older than the interval: the last one when it is fresh (a one-off reader such as GET /api/… costs no
   * extra poll), else after polling now. `force` polls now regardless (after the user changed something).
   */
  async refresh(force = false): Promise<T | null> {
    if (!force && this.last && Date.now() - this.polledAt < this.opts.intervalMs) return this.current;
    if (this.polling) await this.polling;
    else {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      await this.run();
    }
    return this.current;
  }

  /** Hands `value` to the listeners as if a poll had produced it (e.g. a value another feed already has). */
  push(value: T): void {
    const key = (this.opts.key ?? JSON.stringify)(value);
    if (this.last?.key === key) return;
    this.last = { value, key };
    for (const l of [...this.listeners]) l(value);
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private tick(): void {
    this.timer = null;
    void this.run();
  }

  private run(): Promise<void> {
    this.polling = (async () => {
      try {
        const value = await this.opts.poll();
        this.polledAt = Date.now();
        this.push(value);
      } catch (err) {
        this.opts.onError?.(err);
      } finally {
        this.polling = null;
        if (!this.closed && this.listeners.size > 0 && this.timer === null) {
          this.timer = setTimeout(() => this.tick(), this.opts.intervalMs);
          this.timer.unref();
        }
      }
    })();
    return this.polling;
  }
}
