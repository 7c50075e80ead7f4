import PQueue from 'p-queue';
import type { Metrics } from '../metrics';

/** What a reconcile asks of the queue when it returns. */
export type ReconcileOutcome =
  | { readonly kind: 'Done' }
  | { readonly kind: 'RequeueAfter'; readonly delayMs: number }
  /** Transient: retried with per-key exponential backoff. */
  | { readonly kind: 'Retry'; readonly error: unknown }
  /** Bad input or a permanent failure: reported, never retried until the key is added again. */
  | { readonly kind: 'Terminal'; readonly error: unknown };

export const outcome = {
  done: { kind: 'Done' } as const,
  requeueAfter: (delayMs: number): ReconcileOutcome => ({ kind: 'RequeueAfter', delayMs }),
  retry: (error: unknown): ReconcileOutcome => ({ kind: 'Retry', error }),
  terminal: (error: unknown): ReconcileOutcome => ({ kind: 'Terminal', error }),
};

export interface WorkQueueOptions {
  readonly name: string;
  readonly metrics: Metrics;
  /** @default 2 */
  readonly concurrency?: number;
  /** First retry delay; doubles per consecutive failure of the same key. @default 500 */
  readonly baseRetryDelayMs?: number;
  /** @default 300000 */
  readonly maxRetryDelayMs?: number;
  /** Told of every failed reconcile, so none goes unlogged. */
  readonly onFailure?: (key: string, kind: 'Retry' | 'Terminal', error: unknown) => void;
}

/**
 * A queue of keys in the style of client-go's workqueue, on p-queue workers:
 * - a key waiting is never queued twice (adds collapse);
 * - a key is never processed by two workers at once: added while in flight, it runs again after;
 * - failures back off per key; success forgets the key's failures.
 */
export class WorkQueue {
  private readonly workers: PQueue;
  private readonly waiting: string[] = [];
  private readonly dirty = new Map<string, number>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private shuttingDown = false;

  constructor(
    private readonly options: WorkQueueOptions,
    private readonly handler: (key: string) => Promise<ReconcileOutcome>,
  ) {
    this.workers = new PQueue({ concurrency: options.concurrency ?? 2 });
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.set(key, Date.now());
    this.options.metrics.queueAdds.inc({ name: this.options.name });
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  /** Adds the key after a delay; an earlier pending add of the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending !== undefined && pending.at <= at) return;
    if (pending !== undefined) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { at, timer });
  }

  depth(): number {
    return this.waiting.length;
  }

  /** Stops taking keys, cancels delayed adds, and waits for in-flight work to finish. */
  async shutDown(): Promise<void> {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.waiting.length = 0;
    // A key added while its reconcile was in flight must not run again after the drain.
    this.dirty.clear();
    this.workers.clear();
    await this.workers.onIdle();
  }

  private enqueue(key: string): void {
    this.waiting.push(key);
    this.options.metrics.queueDepth.set({ name: this.options.name }, this.waiting.length);
    void this.workers.add(() => this.processNext());
  }

  private async processNext(): Promise<void> {
    const key = this.waiting.shift();
    if (key === undefined) return;
    const { name, metrics } = this.options;
    metrics.queueDepth.set({ name }, this.waiting.length);
    const addedAt = this.dirty.get(key) ?? Date.now();
    this.dirty.delete(key);
    this.processing.add(key);
    metrics.queueWait.observe({ name }, (Date.now() - addedAt) / 1000);
    const started = Date.now();
    let result: ReconcileOutcome;
    try {
      result = await this.handler(key);
    } catch (error: unknown) {
      // A handler that throws did not classify its error: treat it as transient, never lose the key.
      result = outcome.retry(error);
    }
    metrics.queueWork.observe({ name }, (Date.now() - started) / 1000);
    this.processing.delete(key);
    this.settle(key, result);
    if (!this.shuttingDown && this.dirty.has(key) && !this.waiting.includes(key)) this.enqueue(key);
  }

  private settle(key: string, result: ReconcileOutcome): void {
    switch (result.kind) {
      case 'Done':
        this.failures.delete(key);
        return;
      case 'Terminal':
        this.failures.delete(key);
        this.options.onFailure?.(key, 'Terminal', result.error);
        return;
      case 'RequeueAfter':
        this.failures.delete(key);
        this.addAfter(key, result.delayMs);
        return;
      case 'Retry': {
        const failures = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, failures);
        this.options.metrics.queueRetries.inc({ name: this.options.name });
        this.options.onFailure?.(key, 'Retry', result.error);
        const base = this.options.baseRetryDelayMs ?? 500;
        this.addAfter(key, Math.min(this.options.maxRetryDelayMs ?? 300_000, base * 2 ** (failures - 1)));
        return;
      }
    }
  }
}
