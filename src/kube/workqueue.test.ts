import { Metrics } from '../metrics';
import { failureLogging, WorkQueue, outcome, type QueueTimers, type ReconcileOutcome } from './workqueue';

const metrics = new Metrics({ collectProcessMetrics: false });

function deferred() {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('WorkQueue', () => {
  test('collapses adds of a key that is still waiting', async () => {
    const gate = deferred();
    const seen: string[] = [];
    const queue = new WorkQueue({ name: 't1', metrics, concurrency: 1 }, async (key) => {
      seen.push(key);
      if (key === 'blocker') await gate.promise;
      return outcome.done;
    });
    queue.add('blocker');
    await until(() => seen.length === 1);
    queue.add('a');
    queue.add('a');
    queue.add('a');
    expect(queue.depth()).toBe(1);
    gate.resolve();
    await until(() => seen.length === 2);
    await queue.shutDown();
    expect(seen).toEqual(['blocker', 'a']);
  });

  test('never runs one key twice at once, and re-runs it once when it was added while in flight', async () => {
    const gate = deferred();
    let inFlight = 0;
    let maxInFlight = 0;
    let runs = 0;
    const queue = new WorkQueue({ name: 't2', metrics, concurrency: 4 }, async () => {
      runs += 1;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (runs === 1) await gate.promise;
      inFlight -= 1;
      return outcome.done;
    });
    queue.add('k');
    await until(() => runs === 1);
    queue.add('k');
    queue.add('k');
    gate.resolve();
    await until(() => runs === 2);
    await new Promise((r) => setTimeout(r, 20));
    await queue.shutDown();
    expect(runs).toBe(2);
    expect(maxInFlight).toBe(1);
  });

  test('retries transient failures with growing delays and forgets them on success', async () => {
    const attempts: number[] = [];
    const results: ReconcileOutcome[] = [outcome.retry(new Error('1')), outcome.retry(new Error('2')), outcome.done];
    const queue = new WorkQueue({ name: 't3', metrics, baseRetryDelayMs: 10, random: () => 1 }, () => {
      attempts.push(Date.now());
      return Promise.resolve(results[attempts.length - 1] ?? outcome.done);
    });
    queue.add('k');
    await until(() => attempts.length === 3);
    await queue.shutDown();
    const [first = 0, second = 0, third = 0] = attempts;
    expect(second - first).toBeGreaterThanOrEqual(9);
    expect(third - second).toBeGreaterThanOrEqual(19);
  });

  test('does not retry terminal failures', async () => {
    let runs = 0;
    const queue = new WorkQueue({ name: 't4', metrics, baseRetryDelayMs: 1 }, () => {
      runs += 1;
      return Promise.resolve(outcome.terminal(new Error('bad spec')));
    });
    queue.add('k');
    await until(() => runs === 1);
    await new Promise((r) => setTimeout(r, 30));
    await queue.shutDown();
    expect(runs).toBe(1);
  });

  test('a handler that throws is retried rather than dropped', async () => {
    let runs = 0;
    const queue = new WorkQueue({ name: 't5', metrics, baseRetryDelayMs: 1 }, () => {
      runs += 1;
      if (runs === 1) throw new Error('unexpected');
      return Promise.resolve(outcome.done);
    });
    queue.add('k');
    await until(() => runs === 2);
    await queue.shutDown();
    expect(runs).toBe(2);
  });

  test('keeps the earliest of several delayed adds', async () => {
    const seen: number[] = [];
    const queue = new WorkQueue({ name: 't6', metrics }, () => {
      seen.push(Date.now());
      return Promise.resolve(outcome.done);
    });
    const start = Date.now();
    queue.addAfter('k', 500);
    queue.addAfter('k', 20);
    queue.addAfter('k', 400);
    await until(() => seen.length === 1);
    expect((seen[0] ?? 0) - start).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 30));
    await queue.shutDown();
    expect(seen).toHaveLength(1);
  });
  test('a key added while in flight does not run again once shutdown has begun', async () => {
    const gate = deferred();
    const seen: string[] = [];
    const queue = new WorkQueue({ name: 't-shutdown', metrics }, async (key) => {
      seen.push(key);
      if (seen.length === 1) await gate.promise;
      return outcome.done;
    });
    queue.add('a');
    await until(() => seen.length === 1);
    queue.add('a');
    const drained = queue.shutDown();
    gate.resolve();
    await drained;
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['a']);
  });

  test('reports every failed reconcile, thrown errors included', async () => {
    const failures: [string, string, string][] = [];
    let calls = 0;
    const queue = new WorkQueue(
      { name: 't-failures', metrics, baseRetryDelayMs: 1, onFailure: (key, kind, error) => void failures.push([key, kind, String(error)]) },
      (key): Promise<ReconcileOutcome> => {
        calls += 1;
        if (key === 'bad') return Promise.resolve(outcome.terminal(new Error('invalid')));
        if (calls <= 2) return Promise.reject(new Error('boom'));
        return Promise.resolve(outcome.done);
      },
    );
    queue.add('flaky');
    await until(() => calls === 3);
    queue.add('bad');
    await until(() => failures.length === 3);
    await queue.shutDown();
    expect(failures).toEqual([
      ['flaky', 'Retry', 'Error: boom'],
      ['flaky', 'Retry', 'Error: boom'],
      ['bad', 'Terminal', 'Error: invalid'],
    ]);
  });

  test('after a minute of failures a key is retried within 10 s, and the streak logs one warning and one recovery', async () => {
    const timers = new ManualTimers();
    const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const logging = failureLogging({ log: (level, message, fields) => lines.push({ level, message, fields }) }, 'test');
    let calls = 0;
    // The apiserver is down for the first 60 s of the clock: every reconcile before that fails.
    const queue = new WorkQueue({ name: 't-outage', metrics, timers, random: () => 1, ...logging }, () => {
      calls += 1;
      return Promise.resolve(timers.now() < 60_000 ? outcome.retry(new Error('connect ECONNREFUSED')) : outcome.done);
    });
    queue.add('ns/request');
    const delays: number[] = [];
    for (;;) {
      const expected = delays.length + 1;
      await until(() => calls === expected);
      await until(() => timers.pending() === 1 || lines.some((line) => line.message === 'Reconcile recovered'));
      if (timers.pending() === 0) break;
      delays.push(timers.fireNext());
    }
    await queue.shutDown();

    expect(Math.max(...delays)).toBeLessThanOrEqual(10_000);
    // Back within one capped retry of the apiserver's return.
    expect(timers.now() - 60_000).toBeLessThanOrEqual(10_000);
    expect(lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    expect(lines.filter((line) => line.level === 'debug')).toHaveLength(delays.length - 1);
    expect(lines.filter((line) => line.level === 'info')).toEqual([
      { level: 'info', message: 'Reconcile recovered', fields: { controller: 'test', key: 'ns/request', failures: delays.length, downMs: timers.now() } },
    ]);
  });

  test('a designed-path failure (quiet) never warns, and its recovery is not news', () => {
    const lines: string[] = [];
    const logging = failureLogging({ log: (level, message) => lines.push(`${level} ${message}`) }, 'test', () => true);
    logging.onFailure('k', 'Retry', new Error('conflict'), 1);
    logging.onRecovered('k', 1, 5);
    logging.onFailure('k', 'Terminal', new Error('invalid'), 1);
    expect(lines).toEqual(['debug Reconcile failed, retrying', 'debug Reconcile recovered', 'error Reconcile failed, not retrying']);
  });
});

/** A clock that moves only when a test fires the next timer. */
class ManualTimers implements QueueTimers {
  private clock = 0;
  private timers: { at: number; callback: () => void }[] = [];

  now(): number {
    return this.clock;
  }

  schedule(callback: () => void, delayMs: number): () => void {
    const timer = { at: this.clock + delayMs, callback };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  pending(): number {
    return this.timers.length;
  }

  /** Moves the clock to the earliest timer and runs it; returns how far the clock moved. */
  fireNext(): number {
    const next = [...this.timers].sort((a, b) => a.at - b.at)[0];
    if (next === undefined) throw new Error('no timer pending');
    this.timers = this.timers.filter((t) => t !== next);
    const moved = next.at - this.clock;
    this.clock = next.at;
    next.callback();
    return moved;
  }
}
