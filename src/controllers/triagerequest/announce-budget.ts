/**
 * How many transition Events one request may announce: a burst, then one per interval (a token bucket
 * per request, like the kubelet's event spam filter). A request that flips faster than that announces
 * its latest state when a token is back: Events never flood, and the last word is never lost.
 */
export class AnnounceBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst = 5,
    private readonly intervalMs = 60_000,
    /** Requests remembered at most; the least recently announced are forgotten first (bounded memory). */
    private readonly capacity = 10_000,
  ) {}

  /** 0 when an Event may be written now (and takes a token), else the milliseconds until one may. */
  take(key: string, nowMs: number): number {
    const bucket = this.buckets.get(key);
    const tokens = bucket === undefined ? this.burst : Math.min(this.burst, bucket.tokens + (nowMs - bucket.at) / this.intervalMs);
    if (tokens < 1) return Math.ceil((1 - tokens) * this.intervalMs);
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: tokens - 1, at: nowMs });
    if (this.buckets.size > this.capacity) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    return 0;
  }
}
