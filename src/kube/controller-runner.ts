import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { failureLogging, WorkQueue, type ReconcileOutcome } from './workqueue';

/** What one reconcile is handed besides its key. */
export interface ReconcileContext {
  /** Unique per reconcile, in every log line it writes (controller-runtime's reconcileID). */
  readonly reconcileID: string;
  readonly log: Logger;
  /** Aborted when the controller stops: leadership lost or shutdown. Work in flight stops and writes nothing. */
  readonly signal: AbortSignal;
}

export type Reconcile = (key: string, context: ReconcileContext) => Promise<ReconcileOutcome>;

export interface ControllerRunnerOptions {
  /** The controller's name: the `controller` label of its metrics and log lines. */
  readonly name: string;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** @default 1 */
  readonly concurrency?: number;
  /** Errors that are a designed path (a write conflict after our own write): a requeue, never an error or a warning. */
  readonly expected?: (error: unknown) => boolean;
}

/** controller-runtime's result label: what the reconcile asked for, with errors told apart from designed requeues. */
type Result = 'success' | 'requeue' | 'requeue_after' | 'error';

function resultOf(outcome: ReconcileOutcome, expected: (error: unknown) => boolean): Result {
  switch (outcome.kind) {
    case 'Done':
      return 'success';
    case 'RequeueAfter':
      return 'requeue_after';
    case 'Retry':
      return expected(outcome.error) ? 'requeue' : 'error';
    case 'Terminal':
      return 'error';
  }
}

/**
 * A small controller runner in the shape of controller-runtime's: a keyed work queue whose workers call
 * the reconcile with a reconcile id, a logger carrying it and a signal tied to the controller's life, and
 * record `controller_runtime_*` on every path (one result label per reconcile, errors counted once,
 * time observed whatever the result). The reconcile decides only what to do with its key.
 */
export class ControllerRunner {
  private readonly queue: WorkQueue;
  private readonly expected: (error: unknown) => boolean;

  constructor(
    private readonly options: ControllerRunnerOptions,
    private readonly reconcile: Reconcile,
  ) {
    this.expected = options.expected ?? (() => false);
    const concurrency = options.concurrency ?? 1;
    options.metrics.maxConcurrentReconciles.set({ controller: options.name }, concurrency);
    options.metrics.activeWorkers.set({ controller: options.name }, 0);
    this.queue = new WorkQueue(
      { name: options.name, metrics: options.metrics, concurrency, ...failureLogging(options.logger, options.name, this.expected) },
      (key, signal) => this.run(key, signal),
    );
  }

  add(key: string): void {
    this.queue.add(key);
  }

  /** Stops taking keys, aborts the reconciles in flight and waits for them to return. */
  stop(): Promise<void> {
    return this.queue.shutDown();
  }

  private async run(key: string, signal: AbortSignal): Promise<ReconcileOutcome> {
    const { name, metrics, logger } = this.options;
    const reconcileID = randomUUID();
    const log = logger.child({ controller: name, reconcileID, key });
    metrics.activeWorkers.inc({ controller: name });
    const started = process.hrtime.bigint();
    let outcome: ReconcileOutcome;
    try {
      outcome = await this.reconcile(key, { reconcileID, log, signal });
    } catch (error: unknown) {
      // A reconcile that throws did not classify its error: transient, so the key is never lost.
      outcome = { kind: 'Retry', error };
    } finally {
      metrics.activeWorkers.dec({ controller: name });
    }
    const result = resultOf(outcome, this.expected);
    metrics.reconcileTotal.inc({ controller: name, result });
    if (result === 'error') metrics.reconcileErrors.inc({ controller: name });
    metrics.reconcileTime.observe({ controller: name }, Number(process.hrtime.bigint() - started) / 1e9);
    return outcome;
  }
}
