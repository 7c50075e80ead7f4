import { createLogger } from '../logger';
import { Metrics } from '../metrics';
import { ApiError } from './errors';
import { ControllerRunner, type ReconcileContext } from './controller-runner';
import { outcome, type ReconcileOutcome } from './workqueue';

const logger = createLogger('error', { silent: true });

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function metricLines(metrics: Metrics, name: string): Promise<string[]> {
  return (await metrics.registry.metrics()).split('\n').filter((line) => line.startsWith(name));
}

const conflict = new ApiError(409, 'Conflict', 'the object has been modified', 'PATCH', '/x');

describe('ControllerRunner', () => {
  test.each<[string, string, number, ReconcileOutcome | Error]>([
    ['done', 'success', 0, outcome.done],
    ['a timed requeue', 'requeue_after', 0, outcome.requeueAfter(60_000)],
    ['a conflict (a designed requeue)', 'requeue', 0, outcome.retry(conflict)],
    ['a transient error', 'error', 1, outcome.retry(new Error('connection reset'))],
    ['a terminal error', 'error', 1, outcome.terminal(new Error('forbidden'))],
    ['a thrown error', 'error', 1, new Error('bug')],
  ])('%s is counted as result="%s", errors counted %i time(s), time observed', async (_, label, errors, result) => {
    const metrics = new Metrics({ collectProcessMetrics: false });
    let calls = 0;
    const runner = new ControllerRunner({ name: 'c', metrics, logger, expected: (e) => e instanceof ApiError && e.isConflict }, () => {
      calls += 1;
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
    });
    runner.add('ns/a');
    await until(() => calls === 1);
    await runner.stop();
    expect(await metricLines(metrics, 'controller_runtime_reconcile_total')).toEqual([
      `controller_runtime_reconcile_total{controller="c",result="${label}"} 1`,
    ]);
    const errorLines = await metricLines(metrics, 'controller_runtime_reconcile_errors_total');
    expect(errorLines).toEqual(errors === 0 ? [] : [`controller_runtime_reconcile_errors_total{controller="c"} ${errors}`]);
    expect(await metricLines(metrics, 'controller_runtime_reconcile_time_seconds_count')).toEqual([
      'controller_runtime_reconcile_time_seconds_count{controller="c"} 1',
    ]);
  });

  test('each reconcile gets its own id, and the workers gauges say how many run', async () => {
    const metrics = new Metrics({ collectProcessMetrics: false });
    const contexts: ReconcileContext[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const runner = new ControllerRunner({ name: 'c', metrics, logger, concurrency: 3 }, async (_key, context) => {
      contexts.push(context);
      await gate;
      return outcome.done;
    });
    runner.add('ns/a');
    runner.add('ns/b');
    await until(() => contexts.length === 2);
    expect(await metricLines(metrics, 'controller_runtime_active_workers')).toEqual(['controller_runtime_active_workers{controller="c"} 2']);
    expect(await metricLines(metrics, 'controller_runtime_max_concurrent_reconciles')).toEqual([
      'controller_runtime_max_concurrent_reconciles{controller="c"} 3',
    ]);
    release();
    await runner.stop();
    expect(new Set(contexts.map((c) => c.reconcileID)).size).toBe(2);
    expect(await metricLines(metrics, 'controller_runtime_active_workers')).toEqual(['controller_runtime_active_workers{controller="c"} 0']);
  });

  test('stop aborts the reconciles in flight and waits for them', async () => {
    const metrics = new Metrics({ collectProcessMetrics: false });
    let seen: AbortSignal | undefined;
    let finished = false;
    const runner = new ControllerRunner({ name: 'c', metrics, logger }, async (_key, { signal }) => {
      seen = signal;
      await new Promise<void>((resolve) => {
        signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
      });
      finished = true;
      return outcome.done;
    });
    runner.add('ns/a');
    await until(() => seen !== undefined);
    expect(seen?.aborted).toBe(false);
    await runner.stop();
    expect(seen?.aborted).toBe(true);
    expect(finished).toBe(true);
  });
});
