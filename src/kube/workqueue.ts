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

/** The queue's clock and timer; tests inject one they advance by hand. */
export interface QueueTimers {
  now(): number;
  /** Runs `callback` after `delayMs`; returns a function that cancels it. */
  schedule(callback: () => void, delayMs: number): () => void;
}

const realTimers: QueueTimers = {
  now: () => Date.now(),
  schedule: (callback, delayMs) => {
    const timer = setTimeout(callback, delayMs);
    return () => {
      clearTimeout(timer);
    };
  },
};

export interface WorkQueueOptions {
  readonly name: string;
  readonly metrics: Metrics;
  /** @default 2 */
  readonly concurrency?: number;
  /** First retry delay; doubles per consecutive failure of the same key. @default 500 */
  readonly baseRetryDelayMs?: number;
  /** Transient failures retry at least this often, so work resumes seconds after an outage ends. @default 10000 */
  readonly maxRetryDelayMs?: number;
  /** Told of every failed reconcile, with the key's consecutive failures so far (1 for the first). */
  readonly onFailure?: (key: string, kind: 'Retry' | 'Terminal', error: unknown, failures: number) => void;
  /** Told when a key that had failed (`failures` times in a row, for `downMs`) reconciles again. */
  readonly onRecovered?: (key: string, failures: number, downMs: number) => void;
  /** Jitter for retry delays (each is scaled by 0.5..1). @default Math.random */
  readonly random?: () => number;
  readonly timers?: QueueTimers;
}

/** The subset of a winston logger the retry log lines need. */
export interface LevelLogger {
  log(level: 'error' | 'warn' | 'info' | 'debug', message: string, fields: Record<string, unknown>): unknown;
}

/**
 * Log lines for a queue's failures, one story per key: its first transient failure at warn, repeats at
 * debug, and one 'Reconcile recovered' line (info when it had warned) once it succeeds again; terminal
 * failures at error. `quiet` failures (designed paths, e.g. a conflict) never warn.
 */
export function failureLogging(
  logger: LevelLogger,
  controller: string,
  quiet: (error: unknown) => boolean = () => false,
): Required<Pick<WorkQueueOptions, 'onFailure' | 'onRecovered'>> {
  // Keys whose current failure streak was logged at warn: their recovery is worth an info line.
  const warned = new Set<string>();
  return {
    onFailure: (key, kind, error, failures) => {
      const message = error instanceof Error ? error.message : String(error);
      if (kind === 'Terminal') {
        warned.delete(key);
        logger.log('error', 'Reconcile failed, not retrying', { controller, key, error: message });
        return;
      }
      const warn = !warned.has(key) && !quiet(error);
      if (warn) warned.add(key);
      logger.log(warn ? 'warn' : 'debug', 'Reconcile failed, retrying', { controller, key, failures, error: message });
    },
    onRecovered: (key, failures, downMs) => {
      logger.log(warned.delete(key) ? 'info' : 'debug', 'Reconcile recovered', { controller, key, failures, downMs });
    },
  };
}

/**
 * A queue of keys in the style of client-go's workqueue, on p-queue workers:
 * - a key waiting is never queued twice (adds collapse);
 * - a key is never processed by two workers at once: added while in flight, it runs again after;
 * - failures back off per key (jittered, capped at seconds); success forgets the key's failures.
 */
export class WorkQueue {
  private readonly workers: PQueue;
  private readonly waiting: string[] = [];
  private readonly dirty = new Map<string, number>();
  private readonly processing = new Set<string>();
  /** Consecutive failures of a key, and when the first of them happened. */
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly delayed = new Map<string, { at: number; cancel: () => void }>();
  private readonly timers: QueueTimers;
  private shuttingDown = false;
  /** Aborted at shutdown: a reconcile in flight stops rather than write what no one will own (leadership lost). */
  private readonly stopping = new AbortController();

  constructor(
    private readonly options: WorkQueueOptions,
    private readonly handler: (key: string, signal: AbortSignal) => Promise<ReconcileOutcome>,
  ) {
    this.workers = new PQueue({ concurrency: options.concurrency ?? 2 });
    this.timers = options.timers ?? realTimers;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.set(key, this.timers.now());
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
    const at = this.timers.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending !== undefined && pending.at <= at) return;
    if (pending !== undefined) pending.cancel();
    const cancel = this.timers.schedule(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { at, cancel });
  }

  depth(): number {
    return this.waiting.length;
  }

  /** Stops taking keys, cancels delayed adds, tells in-flight work to stop, and waits for it to finish. */
  async shutDown(): Promise<void> {
    this.shuttingDown = true;
    this.stopping.abort();
    for (const { cancel } of this.delayed.values()) cancel();
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
    const addedAt = this.dirty.get(key) ?? this.timers.now();
    this.dirty.delete(key);
    this.processing.add(key);
    metrics.queueWait.observe({ name }, (this.timers.now() - addedAt) / 1000);
    const started = this.timers.now();
    let result: ReconcileOutcome;
    try {
      result = await this.handler(key, this.stopping.signal);
    } catch (error: unknown) {
      // A handler that throws did not classify its error: treat it as transient, never lose the key.
      result = outcome.retry(error);
    }
    metrics.queueWork.observe({ name }, (this.timers.now() - started) / 1000);
    this.processing.delete(key);
    this.settle(key, result);
    if (!this.shuttingDown && this.dirty.has(key) && !this.waiting.includes(key)) this.enqueue(key);
  }

  private settle(key: string, result: ReconcileOutcome): void {
    switch (result.kind) {
      case 'Done':
        this.recovered(key);
        return;
      case 'Terminal': {
        const failures = (this.failures.get(key)?.count ?? 0) + 1;
        this.failures.delete(key);
        this.options.onFailure?.(key, 'Terminal', result.error, failures);
        return;
      }
      case 'RequeueAfter':
        this.recovered(key);
        this.addAfter(key, result.delayMs);
        return;
      case 'Retry': {
        const previous = this.failures.get(key);
        const failures = { count: (previous?.count ?? 0) + 1, since: previous?.since ?? this.timers.now() };
        this.failures.set(key, failures);
        this.options.metrics.queueRetries.inc({ name: this.options.name });
        this.options.onFailure?.(key, 'Retry', result.error, failures.count);
        this.addAfter(key, this.retryDelayMs(failures.count));
        return;
      }
    }
  }

  /** Exponential per key, capped low: after an outage every key is retried within the cap of the apiserver's return. */
  private retryDelayMs(failures: number): number {
    const base = this.options.baseRetryDelayMs ?? 500;
    const capped = Math.min(this.options.maxRetryDelayMs ?? 10_000, base * 2 ** (failures - 1));
    // Jitter spreads the keys an outage failed together, so they do not all retry in the same instant.
    return Math.round(capped * (0.5 + (this.options.random ?? Math.random)() / 2));
  }

  private recovered(key: string): void {
    const failures = this.failures.get(key);
    if (failures === undefined) return;
    this.failures.delete(key);
    this.options.onRecovered?.(key, failures.count, this.timers.now() - failures.since);
  }
}
