import type { V1Lease } from '@kubernetes/client-node';
import { setImmediate as drainMicrotasks } from 'node:timers/promises';
import {
  type Clock,
  type LeaderCallbacks,
  LeaderElectionConfigError,
  LeaderElector,
  LeaderElectorBusyError,
  type LeaseClient,
  LeaseConflictError,
  LeadershipEndedError,
  resolveLeaderElectionConfig,
} from './leader-election';
import { microTime } from './micro-time';

const NAMESPACE = 'triage-system';
const NAME = 'triage-operator';
const START = new Date(Date.UTC(2026, 10, 21, 15, 4, 5, 7));
const HOUR_MS = 3_600_000;
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

interface Timer {
  readonly at: number;
  readonly wake: () => void;
}

/** Time moves only when the test calls advance(); due sleeps resolve in order. */
class FakeClock implements Clock {
  private current: number;
  /** How far the wall clock was stepped (NTP) away from the monotonic one. */
  private wallOffset = 0;
  private timers: Timer[] = [];

  constructor(start: Date) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current + this.wallOffset);
  }

  monotonicMs(): number {
    return this.current;
  }

  stepWallClock(ms: number): void {
    this.wallOffset += ms;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const timer: Timer = {
        at: this.current + ms,
        wake: () => {
          this.timers = this.timers.filter((t) => t !== timer);
          signal?.removeEventListener('abort', timer.wake);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener('abort', timer.wake, { once: true });
    });
  }

  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (let next = await this.nextDue(target); next !== undefined; next = await this.nextDue(target)) {
      this.current = next.at;
      next.wake();
    }
    this.current = target;
    await drainMicrotasks();
  }

  private async nextDue(target: number): Promise<Timer | undefined> {
    await drainMicrotasks();
    const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at);
    return due[0];
  }
}

/** Advances several replicas' clocks together in small steps, so their loops interleave. */
async function advanceAll(ms: number, ...clocks: FakeClock[]): Promise<void> {
  const step = 100;
  for (let elapsed = 0; elapsed < ms; elapsed += step) {
    for (const clock of clocks) await clock.advance(Math.min(step, ms - elapsed));
  }
}

type Operation = 'get' | 'create' | 'replace';

/**
 * One Lease per key with the apiserver's optimistic concurrency: every write bumps a numeric
 * resourceVersion and a write carrying a stale one is rejected with LeaseConflictError.
 */
class InMemoryLeaseClient implements LeaseClient {
  /** Runs before each call; may throw (transient error), never settle (hung request) or write (race). */
  before: ((operation: Operation) => Promise<void>) | undefined;
  readonly calls: Operation[] = [];
  private readonly leases = new Map<string, V1Lease>();
  private version = 0;

  async get(namespace: string, name: string): Promise<V1Lease | undefined> {
    await this.intercept('get');
    const stored = this.leases.get(`${namespace}/${name}`);
    return stored === undefined ? undefined : structuredClone(stored);
  }

  async create(namespace: string, lease: V1Lease): Promise<V1Lease> {
    await this.intercept('create');
    const key = `${namespace}/${lease.metadata?.name ?? ''}`;
    if (this.leases.has(key)) throw new LeaseConflictError(`${key} already exists`);
    return this.store(key, lease);
  }

  async replace(namespace: string, name: string, lease: V1Lease): Promise<V1Lease> {
    await this.intercept('replace');
    const key = `${namespace}/${name}`;
    const stored = this.leases.get(key);
    if (stored === undefined) throw new Error(`${key} not found`);
    if (lease.metadata?.resourceVersion !== stored.metadata?.resourceVersion) {
      throw new LeaseConflictError(`${key} was modified`);
    }
    return this.store(key, lease);
  }

  /** The stored Lease as the test sees it. */
  lease(): V1Lease | undefined {
    return this.leases.get(`${NAMESPACE}/${NAME}`);
  }

  /** Writes behind every elector's back, like another replica would. */
  seed(spec: NonNullable<V1Lease['spec']>): void {
    this.store(`${NAMESPACE}/${NAME}`, { metadata: { namespace: NAMESPACE, name: NAME }, spec });
  }

  private store(key: string, lease: V1Lease): V1Lease {
    this.version += 1;
    const stored = structuredClone(lease);
    stored.metadata ??= {};
    stored.metadata.resourceVersion = String(this.version);
    this.leases.set(key, stored);
    return structuredClone(stored);
  }

  private async intercept(operation: Operation): Promise<void> {
    this.calls.push(operation);
    await this.before?.(operation);
  }
}

/** Spec fields read as the wire values they are (client-node types MicroTime as Date). */
function specOf(client: InMemoryLeaseClient): Record<string, unknown> {
  const spec = client.lease()?.spec;
  if (spec === undefined) return {};
  const { holderIdentity, leaseDurationSeconds, leaseTransitions } = spec;
  const acquireTime: unknown = spec.acquireTime;
  const renewTime: unknown = spec.renewTime;
  return { holderIdentity, leaseDurationSeconds, acquireTime, renewTime, leaseTransitions };
}

class Replica {
  readonly clock: FakeClock;
  readonly elector: LeaderElector;
  readonly stop = new AbortController();
  readonly events: string[] = [];
  leadingSignal: AbortSignal | undefined;
  done: Promise<void> | undefined;
  finished = false;

  constructor(
    readonly identity: string,
    client: LeaseClient,
    start: Date = START,
  ) {
    this.clock = new FakeClock(start);
    this.elector = new LeaderElector({ namespace: NAMESPACE, name: NAME, identity }, { client, clock: this.clock, random: () => 0 });
  }

  run(): void {
    const callbacks: LeaderCallbacks = {
      onStartedLeading: (signal) => {
        this.leadingSignal = signal;
        this.events.push('started');
      },
      onStoppedLeading: () => this.events.push('stopped'),
      onNewLeader: (identity) => this.events.push(`leader:${identity}`),
    };
    this.done = this.elector.run(callbacks, this.stop.signal).then(() => {
      this.finished = true;
    });
  }
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

const never = (): Promise<void> => new Promise<void>(() => undefined);

describe('resolveLeaderElectionConfig', () => {
  const base = { namespace: NAMESPACE, name: NAME, identity: 'a' };

  test('applies the client-go defaults', () => {
    expect(resolveLeaderElectionConfig(base)).toEqual({
      ...base,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      healthzToleranceMs: 20_000,
    });
  });

  test.each([
    [{ leaseDurationMs: 10_000 }, 'leaseDurationMs'],
    [{ renewDeadlineMs: 2_400 }, 'renewDeadlineMs'],
    [{ retryPeriodMs: 0 }, 'retryPeriodMs'],
    [{ leaseDurationMs: 15_500 }, 'leaseDurationMs'],
    [{ identity: '' }, 'identity'],
    [{ namespace: '' }, 'namespace'],
  ])('rejects %o', (override, field) => {
    const error = thrownBy(() => resolveLeaderElectionConfig({ ...base, ...override }));
    expect(error).toBeInstanceOf(LeaderElectionConfigError);
    expect(error).toMatchObject({ field });
  });

  test('accepts renewDeadline just above retryPeriod × 1.2', () => {
    expect(resolveLeaderElectionConfig({ ...base, renewDeadlineMs: 2_401, retryPeriodMs: 2_000 }).renewDeadlineMs).toBe(2_401);
  });

  test('the constructor validates too', () => {
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 5_000 }, { client: new InMemoryLeaseClient() })).toThrow(LeaderElectionConfigError);
  });
});

describe('tryAcquireOrRenew', () => {
  test('creates an absent Lease with MicroTime timestamps', async () => {
    const client = new InMemoryLeaseClient();
    const a = new Replica('a', client);

    await expect(a.elector.tryAcquireOrRenew()).resolves.toBe(true);

    expect(client.lease()?.metadata).toMatchObject({ namespace: NAMESPACE, name: NAME });
    expect(specOf(client)).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: '2026-11-21T15:04:05.007000Z',
      renewTime: '2026-11-21T15:04:05.007000Z',
      leaseTransitions: 0,
    });
    expect(a.elector.leader()).toBe('a');
  });

  test('renews on the last resourceVersion without a GET while the lease is valid', async () => {
    const client = new InMemoryLeaseClient();
    const a = new Replica('a', client);
    await a.elector.tryAcquireOrRenew();
    await a.clock.advance(2_000);
    client.calls.length = 0;

    await expect(a.elector.tryAcquireOrRenew()).resolves.toBe(true);

    expect(client.calls).toEqual(['replace']);
    expect(specOf(client)).toMatchObject({
      acquireTime: '2026-11-21T15:04:05.007000Z',
      renewTime: '2026-11-21T15:04:07.007000Z',
      leaseTransitions: 0,
    });
  });

  test('a 409 on replace means not acquired this round', async () => {
    const client = new InMemoryLeaseClient();
    client.seed({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 3 });
    const b = new Replica('b', client);
    client.before = (operation) => {
      // Another replica wins the race between our GET and our PUT.
      if (operation === 'replace') client.seed({ holderIdentity: 'c', leaseDurationSeconds: 15, leaseTransitions: 4 });
      return Promise.resolve();
    };

    await expect(b.elector.tryAcquireOrRenew()).resolves.toBe(false);

    expect(specOf(client)).toMatchObject({ holderIdentity: 'c', leaseTransitions: 4 });
    expect(b.elector.leader()).toBeUndefined();
  });

  test('a 409 on create means not acquired this round', async () => {
    const client = new InMemoryLeaseClient();
    const b = new Replica('b', client);
    client.before = (operation) => {
      if (operation === 'create') client.seed({ holderIdentity: 'c', leaseDurationSeconds: 15, leaseTransitions: 0 });
      return Promise.resolve();
    };

    await expect(b.elector.tryAcquireOrRenew()).resolves.toBe(false);

    expect(specOf(client)).toMatchObject({ holderIdentity: 'c' });
  });

  test('a transient error fails the round without throwing', async () => {
    const client = new InMemoryLeaseClient();
    client.before = () => Promise.reject(new Error('connection reset'));
    const a = new Replica('a', client);

    await expect(a.elector.tryAcquireOrRenew()).resolves.toBe(false);

    expect(client.lease()).toBeUndefined();
  });

  test('judges expiry by its own observation time, never by the renewTime written in the Lease', async () => {
    const client = new InMemoryLeaseClient();
    // The holder's clock is an hour behind: comparing renewTime with our clock would call it long expired.
    client.seed({ holderIdentity: 'x', leaseDurationSeconds: 15, renewTime: microTime(new Date(START.getTime() - HOUR_MS)) as unknown as Date });
    const b = new Replica('b', client);

    await expect(b.elector.tryAcquireOrRenew()).resolves.toBe(false);
    await b.clock.advance(14_999);
    await expect(b.elector.tryAcquireOrRenew()).resolves.toBe(false);
    await b.clock.advance(1);
    await expect(b.elector.tryAcquireOrRenew()).resolves.toBe(true);

    expect(specOf(client)).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1, acquireTime: microTime(b.clock.now()) });
  });

  test('honours the lease duration written by the holder', async () => {
    const client = new InMemoryLeaseClient();
    client.seed({ holderIdentity: 'x', leaseDurationSeconds: 60 });
    const b = new Replica('b', client);
    await b.elector.tryAcquireOrRenew();

    await b.clock.advance(59_000);
    await expect(b.elector.tryAcquireOrRenew()).resolves.toBe(false);
    await b.clock.advance(1_000);
    await expect(b.elector.tryAcquireOrRenew()).resolves.toBe(true);
  });
});

describe('run', () => {
  test('the first replica acquires an absent Lease and keeps renewing it', async () => {
    const client = new InMemoryLeaseClient();
    const a = new Replica('a', client);
    a.run();
    await a.clock.advance(0);

    expect(a.events).toEqual(['leader:a', 'started']);
    expect(a.elector.isLeader()).toBe(true);
    await a.clock.advance(60_000);

    expect(specOf(client)).toMatchObject({
      holderIdentity: 'a',
      acquireTime: microTime(START),
      renewTime: microTime(a.clock.now()),
      leaseTransitions: 0,
    });
    expect(a.leadingSignal?.aborted).toBe(false);
    expect(a.elector.healthy()).toBe(true);
  });

  test('a second replica, even with a skewed clock, does not acquire while the first renews', async () => {
    const client = new InMemoryLeaseClient();
    const a = new Replica('a', client);
    const b = new Replica('b', client, new Date(START.getTime() + HOUR_MS));
    a.run();
    b.run();

    await advanceAll(120_000, a.clock, b.clock);

    expect(b.events).toEqual(['leader:a']);
    expect(b.elector.isLeader()).toBe(false);
    expect(specOf(client)).toMatchObject({ holderIdentity: 'a', leaseTransitions: 0 });
  });

  test('after the leader crashes, the follower takes over once leaseDuration passed on its own clock', async () => {
    const client = new InMemoryLeaseClient();
    const a = new Replica('a', client);
    // b's clock is an hour ahead: comparing a's renewTime with it would call the Lease expired at once.
    const b = new Replica('b', client, new Date(START.getTime() + HOUR_MS));
    a.run();
    await a.clock.advance(500);
    b.run();
    // a renews at 2 … 10 s; b, half a second behind, retries at 0, 2 … s of its own clock.
    await advanceAll(9_600, a.clock, b.clock);
    expect(specOf(client)).toMatchObject({ holderIdentity: 'a', renewTime: microTime(new Date(START.getTime() + 10_000)) });

    // The crash: a's clock stops, so it never renews again. b sees the last change at its 10 s retry.
    await b.clock.advance(16_300);
    expect(b.elector.isLeader()).toBe(false);
    expect(specOf(client)).toMatchObject({ holderIdentity: 'a', leaseTransitions: 0 });
    await b.clock.advance(100);

    expect(b.events).toEqual(['leader:a', 'leader:b', 'started']);
    expect(specOf(client)).toMatchObject({
      holderIdentity: 'b',
      leaseTransitions: 1,
      acquireTime: microTime(new Date(START.getTime() + HOUR_MS + 26_000)),
    });
  });

  test('a graceful stop releases the Lease and the follower takes it on its next retry', async () => {
    const client = new InMemoryLeaseClient();
    const a = new Replica('a', client);
    const b = new Replica('b', client);
    a.run();
    await a.clock.advance(500);
    b.run();
    await advanceAll(5_000, a.clock, b.clock);

    a.stop.abort();
    await a.done;

    expect(a.events).toEqual(['leader:a', 'started', 'stopped']);
    expect(b.elector.isLeader()).toBe(false);
    expect(a.leadingSignal?.reason).toEqual(new LeadershipEndedError('shutdown'));
    expect(a.elector.isLeader()).toBe(false);
    expect(specOf(client)).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: microTime(a.clock.now()),
      renewTime: microTime(a.clock.now()),
      leaseTransitions: 0,
    });

    await b.clock.advance(2_000);
    expect(b.elector.isLeader()).toBe(true);
    expect(b.events).toEqual(['leader:a', 'leader:b', 'started']);
    expect(specOf(client)).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  test('renew failures beyond renewDeadline abort the leading signal and stop leading', async () => {
    const client = new InMemoryLeaseClient();
    const a = new Replica('a', client);
    a.run();
    await a.clock.advance(0);
    client.before = () => Promise.reject(new Error('apiserver unavailable'));

    await a.clock.advance(9_999);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.leadingSignal?.aborted).toBe(false);
    await a.clock.advance(1);

    expect(a.finished).toBe(true);
    expect(a.events).toEqual(['leader:a', 'started', 'stopped']);
    expect(a.leadingSignal?.reason).toEqual(new LeadershipEndedError('renew-deadline-exceeded'));
    expect(a.elector.isLeader()).toBe(false);
    expect(specOf(client)).toMatchObject({ holderIdentity: 'a' });
  });

  test('a wall clock stepped back (NTP) does not extend leading past renewDeadline', async () => {
    const client = new InMemoryLeaseClient();
    const a = new Replica('a', client);
    a.run();
    await a.clock.advance(0);
    client.before = () => Promise.reject(new Error('apiserver unavailable'));
    a.clock.stepWallClock(-60_000);

    await a.clock.advance(10_000);
    expect(a.finished).toBe(true);
    expect(a.leadingSignal?.reason).toEqual(new LeadershipEndedError('renew-deadline-exceeded'));
  });

  test('a renew request that hangs cannot keep the replica leading past renewDeadline', async () => {
    const client = new InMemoryLeaseClient();
    const a = new Replica('a', client);
    a.run();
    await a.clock.advance(0);
    client.before = never;

    await a.clock.advance(10_000);

    expect(a.finished).toBe(true);
    expect(a.leadingSignal?.reason).toEqual(new LeadershipEndedError('renew-deadline-exceeded'));
  });

  test('steps down at once on seeing another holder', async () => {
    const client = new InMemoryLeaseClient();
    const a = new Replica('a', client);
    a.run();
    await a.clock.advance(0);
    client.seed({ holderIdentity: 'c', leaseDurationSeconds: 15 });

    await a.clock.advance(2_000);

    expect(a.events).toEqual(['leader:a', 'started', 'leader:c', 'stopped']);
    expect(a.leadingSignal?.reason).toEqual(new LeadershipEndedError('lease-taken'));
  });

  test('keeps campaigning through transient errors', async () => {
    const client = new InMemoryLeaseClient();
    client.before = () => Promise.reject(new Error('connection refused'));
    const a = new Replica('a', client);
    a.run();
    await a.clock.advance(5_000);
    expect(a.elector.isLeader()).toBe(false);

    client.before = undefined;
    await a.clock.advance(2_000);

    expect(a.elector.isLeader()).toBe(true);
  });

  test('stopping a follower returns without callbacks or writes', async () => {
    const client = new InMemoryLeaseClient();
    client.seed({ holderIdentity: 'x', leaseDurationSeconds: 15 });
    const b = new Replica('b', client);
    b.run();
    await b.clock.advance(1_000);

    b.stop.abort();
    await b.done;

    expect(b.events).toEqual(['leader:x']);
    expect(client.lease()?.metadata?.resourceVersion).toBe('1');
  });

  test('a Lease won just as shutdown began is released without starting work', async () => {
    const client = new InMemoryLeaseClient();
    const a = new Replica('a', client);
    client.before = (operation) => {
      if (operation === 'create') a.stop.abort();
      return Promise.resolve();
    };
    a.run();
    await a.done;

    expect(a.events).toEqual(['leader:a']);
    expect(specOf(client)).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
  });

  test('refuses a second concurrent run', async () => {
    const a = new Replica('a', new InMemoryLeaseClient());
    a.run();

    await expect(a.elector.run({ onStartedLeading: () => undefined, onStoppedLeading: () => undefined }, a.stop.signal)).rejects.toThrow(
      LeaderElectorBusyError,
    );
    a.stop.abort();
    await a.clock.advance(0);
  });
});

describe('healthy', () => {
  test('reports a leader whose last renew is older than leaseDuration + 20 s', async () => {
    const a = new Replica('a', new InMemoryLeaseClient());
    await a.elector.tryAcquireOrRenew();

    await a.clock.advance(35_000);
    expect(a.elector.healthy()).toBe(true);
    await a.clock.advance(1);
    expect(a.elector.healthy()).toBe(false);
  });

  test('a follower is always healthy', async () => {
    const client = new InMemoryLeaseClient();
    client.seed({ holderIdentity: 'x', leaseDurationSeconds: 15 });
    const b = new Replica('b', client);
    await b.elector.tryAcquireOrRenew();

    await b.clock.advance(HOUR_MS);
    expect(b.elector.healthy()).toBe(true);
  });
});

test('every written timestamp is a MicroTime with six fractional digits', async () => {
  const client = new InMemoryLeaseClient();
  const a = new Replica('a', client);
  a.run();
  await a.clock.advance(2_123);
  const renewed = specOf(client);
  a.stop.abort();
  await a.done;
  const released = specOf(client);

  for (const value of [renewed.acquireTime, renewed.renewTime, released.acquireTime, released.renewTime]) {
    expect(value).toMatch(MICRO_TIME);
  }
});
