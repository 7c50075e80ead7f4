/**
 * Lease-based leader election, a port of client-go's `tools/leaderelection` (client-node ships none).
 *
 * Followers never compare the Lease's timestamps with their own clock: they only notice that the
 * record changed and time its silence on their local clock, so the algorithm tolerates arbitrary
 * clock skew between replicas (not arbitrary skew *rate*: keep leaseDuration/renewDeadline > 1).
 * Like client-go it gives no fencing: a paused leader may act briefly after losing the lease.
 */
import type { V1Lease } from '@kubernetes/client-node';
import { setTimeout as delay } from 'node:timers/promises';
import { microTime } from './micro-time';

/** client-go's JitterFactor: acquire retries wait retryPeriod × (1 + JITTER_FACTOR × random). */
export const JITTER_FACTOR = 1.2;

export interface LeaderElectionConfig {
  /** Namespace of the Lease. */
  readonly namespace: string;
  /** Name of the Lease shared by all replicas. */
  readonly name: string;
  /** Unique identity of this replica (e.g. the pod name); written to spec.holderIdentity. */
  readonly identity: string;
  /**
   * How long followers wait, after last seeing the record change, before taking over. Whole seconds.
   * @default 15000
   */
  readonly leaseDurationMs?: number;
  /**
   * How long the leader keeps retrying a renew, from its last successful one, before stepping down.
   * @default 10000
   */
  readonly renewDeadlineMs?: number;
  /**
   * Interval between attempts to acquire or renew.
   * @default 2000
   */
  readonly retryPeriodMs?: number;
  /**
   * Grace past leaseDuration before healthy() reports a leader that stopped renewing (client-go's HealthzAdaptor timeout).
   * @default 20000
   */
  readonly healthzToleranceMs?: number;
}

export type ResolvedLeaderElectionConfig = Required<LeaderElectionConfig>;

/** Injected time source, so the algorithm is testable without real timers. */
export interface Clock {
  /** Wall time: written into the Lease. */
  now(): Date;
  /** Milliseconds from an arbitrary origin that never jumps (an NTP step does not move it): deadlines are measured on it. */
  monotonicMs(): number;
  /** Resolves after `ms`, or early once `signal` aborts (rejecting on abort is tolerated too). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The API port: the only calls the algorithm makes. Give requests a timeout: a leader's renewals
 * are raced against renewDeadline anyway, but a hung call while campaigning stalls the campaign.
 */
export interface LeaseClient {
  /** Resolves undefined on 404. */
  get(namespace: string, name: string): Promise<V1Lease | undefined>;
  /** Rejects with LeaseConflictError on 409. */
  create(namespace: string, lease: V1Lease): Promise<V1Lease>;
  /** Must send metadata.resourceVersion; rejects with LeaseConflictError on 409. */
  replace(namespace: string, name: string, lease: V1Lease): Promise<V1Lease>;
}

export interface LeaderElectionLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface LeaderElectorDependencies {
  readonly client: LeaseClient;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Jitter source returning [0, 1). @default Math.random */
  readonly random?: () => number;
  /** @default a logger that discards everything */
  readonly logger?: LeaderElectionLogger;
}

export interface LeaderCallbacks {
  /** Start the guarded work; `signal` aborts (reason: LeadershipEndedError) the moment leadership ends. */
  onStartedLeading(signal: AbortSignal): void;
  /** Called once after leading ended; never called if this replica never led. */
  onStoppedLeading(): void;
  /** Called with each newly observed holder, including this replica; a released (empty) holder is not reported. */
  onNewLeader?(identity: string): void;
}

/** Why the leading signal aborted. */
export type StepDownReason = 'renew-deadline-exceeded' | 'lease-taken' | 'shutdown' | 'elector-failed';

/** 409 from the apiserver: someone else wrote the Lease first. */
export class LeaseConflictError extends Error {
  override readonly name = 'LeaseConflictError';
}

export class LeaderElectionConfigError extends Error {
  override readonly name = 'LeaderElectionConfigError';

  constructor(
    readonly field: keyof LeaderElectionConfig,
    reason: string,
  ) {
    super(`leader election config: ${field} ${reason}`);
  }
}

/** run() was called while a previous run() is still in progress. */
export class LeaderElectorBusyError extends Error {
  override readonly name = 'LeaderElectorBusyError';
}

/** The abort reason of the leading signal. */
export class LeadershipEndedError extends Error {
  override readonly name = 'LeadershipEndedError';

  constructor(readonly reason: StepDownReason) {
    super(`leadership ended: ${reason}`);
  }
}

export const systemClock: Clock = {
  now: () => new Date(),
  monotonicMs: () => performance.now(),
  sleep: async (ms, signal) => {
    try {
      await delay(ms, undefined, { signal });
    } catch (error) {
      // An abort means "wake up early", which the Clock contract reports by resolving.
      if (!signal?.aborted) throw error;
    }
  },
};

const DEFAULTS = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  healthzToleranceMs: 20_000,
} as const;

/** Applies the defaults and validates like client-go's NewLeaderElector; throws LeaderElectionConfigError. */
export function resolveLeaderElectionConfig(config: LeaderElectionConfig): ResolvedLeaderElectionConfig {
  const resolved: ResolvedLeaderElectionConfig = {
    namespace: config.namespace,
    name: config.name,
    identity: config.identity,
    leaseDurationMs: config.leaseDurationMs ?? DEFAULTS.leaseDurationMs,
    renewDeadlineMs: config.renewDeadlineMs ?? DEFAULTS.renewDeadlineMs,
    retryPeriodMs: config.retryPeriodMs ?? DEFAULTS.retryPeriodMs,
    healthzToleranceMs: config.healthzToleranceMs ?? DEFAULTS.healthzToleranceMs,
  };
  validateNames(resolved);
  validateDurations(resolved);
  return resolved;
}

function validateNames(config: ResolvedLeaderElectionConfig): void {
  for (const field of ['namespace', 'name', 'identity'] as const) {
    if (config[field] === '') throw new LeaderElectionConfigError(field, 'must not be empty');
  }
}

function validateDurations(config: ResolvedLeaderElectionConfig): void {
  for (const field of ['leaseDurationMs', 'renewDeadlineMs', 'retryPeriodMs'] as const) {
    if (!Number.isSafeInteger(config[field]) || config[field] <= 0) {
      throw new LeaderElectionConfigError(field, 'must be a positive integer');
    }
  }
  if (!Number.isSafeInteger(config.healthzToleranceMs) || config.healthzToleranceMs < 0) {
    throw new LeaderElectionConfigError('healthzToleranceMs', 'must be a non-negative integer');
  }
  // The Lease stores whole seconds; a fraction would make followers and the leader disagree.
  if (config.leaseDurationMs % 1000 !== 0) {
    throw new LeaderElectionConfigError('leaseDurationMs', 'must be a whole number of seconds');
  }
  if (config.leaseDurationMs <= config.renewDeadlineMs) {
    throw new LeaderElectionConfigError('leaseDurationMs', 'must be greater than renewDeadlineMs');
  }
  if (config.renewDeadlineMs <= JITTER_FACTOR * config.retryPeriodMs) {
    throw new LeaderElectionConfigError('renewDeadlineMs', `must be greater than retryPeriodMs × ${JITTER_FACTOR}`);
  }
}

/** client-go's LeaderElectionRecord: the spec fields whose change proves the holder is alive. */
interface LeaderRecord {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: string | undefined;
  readonly renewTime: string | undefined;
  readonly leaseTransitions: number;
}

type LeaseSpec = NonNullable<V1Lease['spec']>;
type MicroTimeField = NonNullable<LeaseSpec['renewTime']>;

const TIMED_OUT: unique symbol = Symbol('timed out');

export class LeaderElector {
  readonly config: ResolvedLeaderElectionConfig;
  private readonly client: LeaseClient;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: LeaderElectionLogger;
  private observed: LeaderRecord | undefined;
  /** Local time at which `observed` last changed: the only clock followers trust. */
  private observedAtMs: number | undefined;
  /** Last Lease read or written, whose resourceVersion guards the next optimistic write. */
  private lastLease: V1Lease | undefined;
  /** Local time at the start of the last successful acquire or renew. */
  private lastRenewMs: number | undefined;
  private reportedLeader = '';
  private leading: AbortController | undefined;
  private running = false;

  constructor(config: LeaderElectionConfig, dependencies: LeaderElectorDependencies) {
    this.config = resolveLeaderElectionConfig(config);
    this.client = dependencies.client;
    this.clock = dependencies.clock ?? systemClock;
    this.random = dependencies.random ?? (() => Math.random());
    this.logger = dependencies.logger ?? { info: () => undefined, warn: () => undefined };
  }

  /**
   * Campaigns until elected, then leads until leadership is lost or `signal` aborts.
   *
   * On loss (no successful renew within renewDeadline, or another holder seen) the leading signal
   * aborts, onStoppedLeading runs and this resolves without releasing: another replica may already
   * lead, so the safe reaction is to stop all guarded work — in practice, exit the process.
   * When `signal` aborts (SIGTERM) a leader aborts the leading signal, releases the Lease so a
   * follower takes over on its next retry, then calls onStoppedLeading.
   */
  async run(callbacks: LeaderCallbacks, signal: AbortSignal): Promise<void> {
    if (this.running) throw new LeaderElectorBusyError('run() is already in progress');
    this.running = true;
    try {
      if (!(await this.acquire(callbacks, signal))) return;
      // Won the Lease just as shutdown began: hand it back without starting any work.
      if (signal.aborted) await this.release();
      else await this.lead(callbacks, signal);
    } finally {
      this.running = false;
    }
  }

  /** True between onStartedLeading and the abort of its signal. */
  isLeader(): boolean {
    return this.leading !== undefined;
  }

  /** Holder of the last observed record (undefined if none or released); for logs and metrics. */
  leader(): string | undefined {
    const holder = this.observed?.holderIdentity;
    return holder === undefined || holder === '' ? undefined : holder;
  }

  /**
   * For /healthz, like client-go's HealthzAdaptor: false once the last record we saw names us but
   * has not been renewed for leaseDuration + tolerance — we should have exited by then (stuck loop).
   */
  healthy(): boolean {
    if (!this.holdsLease() || this.observedAtMs === undefined) return true;
    const silentMs = this.clock.monotonicMs() - this.observedAtMs;
    return silentMs <= this.config.leaseDurationMs + this.config.healthzToleranceMs;
  }

  /** One round of client-go's tryAcquireOrRenew; any API error fails the round (resolves false). */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const startedMs = this.clock.monotonicMs();
    const succeeded = (await this.tryOptimisticRenew(now)) || (await this.tryThroughGet(now));
    if (succeeded) this.lastRenewMs = startedMs;
    return succeeded;
  }

  private async acquire(callbacks: LeaderCallbacks, signal: AbortSignal): Promise<boolean> {
    this.logger.info(`attempting to acquire leader lease ${this.describe()}`);
    while (!signal.aborted) {
      const acquired = await this.tryAcquireOrRenew();
      this.reportNewLeader(callbacks);
      if (acquired) return true;
      await this.pause(this.jitteredRetryMs(), signal);
    }
    return false;
  }

  private async lead(callbacks: LeaderCallbacks, signal: AbortSignal): Promise<void> {
    const leading = new AbortController();
    this.leading = leading;
    this.logger.info(`became leader of ${this.describe()}`);
    let reason: StepDownReason = 'elector-failed';
    try {
      callbacks.onStartedLeading(leading.signal);
      reason = await this.renewWhileLeading(callbacks, signal);
      // Abort before releasing, so work is told to stop before a successor can start.
      this.stepDown(reason);
      if (reason === 'shutdown') await this.release();
    } finally {
      this.stepDown(reason);
      callbacks.onStoppedLeading();
    }
  }

  private async renewWhileLeading(callbacks: LeaderCallbacks, signal: AbortSignal): Promise<StepDownReason> {
    for (;;) {
      const deadlineMs = (this.lastRenewMs ?? 0) + this.config.renewDeadlineMs;
      await this.pause(Math.min(this.config.retryPeriodMs, deadlineMs - this.nowMs()), signal);
      if (signal.aborted) return 'shutdown';
      const remainingMs = deadlineMs - this.nowMs();
      if (remainingMs <= 0) return 'renew-deadline-exceeded';
      // Racing the deadline: a hung request must not keep us leading past it.
      const outcome = await this.withinDeadline(this.tryAcquireOrRenew(), remainingMs);
      this.reportNewLeader(callbacks);
      if (outcome === TIMED_OUT) return 'renew-deadline-exceeded';
      if (!outcome && this.heldByOther()) return 'lease-taken';
    }
  }

  private stepDown(reason: StepDownReason): void {
    const leading = this.leading;
    if (leading === undefined) return;
    this.leading = undefined;
    leading.abort(new LeadershipEndedError(reason));
    this.logger.info(`stopped leading ${this.describe()}: ${reason}`);
  }

  /** client-go's fast path: a valid leader writes on top of its last known resourceVersion, skipping the GET. */
  private async tryOptimisticRenew(now: Date): Promise<boolean> {
    const observed = this.observed;
    const base = this.lastLease;
    if (observed === undefined || base === undefined || !this.holdsLease() || !this.isLeaseValid()) return false;
    try {
      await this.replace(base, this.renewalOf(observed, now));
      return true;
    } catch (error) {
      this.logger.warn(`optimistic renew of ${this.describe()} failed, falling back to GET: ${messageOf(error)}`);
      return false;
    }
  }

  private async tryThroughGet(now: Date): Promise<boolean> {
    try {
      const current = await this.client.get(this.config.namespace, this.config.name);
      if (current === undefined) {
        await this.create(this.newTerm(now, 0));
        return true;
      }
      return await this.takeOrRenew(current, now);
    } catch (error) {
      this.logger.warn(`acquire or renew of ${this.describe()} failed: ${messageOf(error)}`);
      return false;
    }
  }

  private async takeOrRenew(current: V1Lease, now: Date): Promise<boolean> {
    this.lastLease = current;
    const record = recordOf(current);
    this.observe(record);
    if (record.holderIdentity !== '' && !this.holdsLease() && this.isLeaseValid()) return false;
    const next = this.holdsLease() ? this.renewalOf(record, now) : this.newTerm(now, record.leaseTransitions + 1);
    await this.replace(current, next);
    return true;
  }

  /** client-go's release: empty holder and a 1 s duration, written on our last resourceVersion so it never clobbers a successor. */
  private async release(): Promise<void> {
    const observed = this.observed;
    const base = this.lastLease;
    if (observed === undefined || base === undefined || !this.holdsLease()) return;
    const released: LeaderRecord = { ...this.newTerm(this.clock.now(), observed.leaseTransitions), holderIdentity: '', leaseDurationSeconds: 1 };
    const write = this.replace(base, released).then(
      () => true,
      (error: unknown) => {
        this.logger.warn(`release of ${this.describe()} failed: ${messageOf(error)}`);
        return false;
      },
    );
    if ((await this.withinDeadline(write, this.config.renewDeadlineMs)) === true) {
      this.logger.info(`released ${this.describe()}`);
    }
  }

  private async create(record: LeaderRecord): Promise<void> {
    const lease = leaseOf({ metadata: {} }, this.config, record);
    this.lastLease = await this.client.create(this.config.namespace, lease);
    this.setObserved(record);
  }

  private async replace(base: V1Lease, record: LeaderRecord): Promise<void> {
    const lease = leaseOf(base, this.config, record);
    this.lastLease = await this.client.replace(this.config.namespace, this.config.name, lease);
    this.setObserved(record);
  }

  private newTerm(now: Date, leaseTransitions: number): LeaderRecord {
    const at = microTime(now);
    return { holderIdentity: this.config.identity, leaseDurationSeconds: this.leaseDurationSeconds(), acquireTime: at, renewTime: at, leaseTransitions };
  }

  private renewalOf(record: LeaderRecord, now: Date): LeaderRecord {
    return { ...this.newTerm(now, record.leaseTransitions), acquireTime: record.acquireTime };
  }

  private observe(record: LeaderRecord): void {
    if (this.observed === undefined || !sameRecord(this.observed, record)) this.setObserved(record);
  }

  private setObserved(record: LeaderRecord): void {
    this.observed = record;
    this.observedAtMs = this.clock.monotonicMs();
  }

  /** client-go's isLeaseValid: judged by the record's own duration, from when we last saw it change. */
  private isLeaseValid(): boolean {
    if (this.observed === undefined || this.observedAtMs === undefined) return false;
    return this.observedAtMs + this.observed.leaseDurationSeconds * 1000 > this.clock.monotonicMs();
  }

  /** client-go's IsLeader: the last observed record names us (stays true after a loss, which healthy() relies on). */
  private holdsLease(): boolean {
    return this.observed?.holderIdentity === this.config.identity;
  }

  private heldByOther(): boolean {
    const holder = this.leader();
    return holder !== undefined && holder !== this.config.identity;
  }

  private reportNewLeader(callbacks: LeaderCallbacks): void {
    const holder = this.leader();
    if (holder === undefined || holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    callbacks.onNewLeader?.(holder);
  }

  private async withinDeadline<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
    const timer = new AbortController();
    const timedOut = (): typeof TIMED_OUT => TIMED_OUT;
    const expiry = this.clock.sleep(ms, timer.signal).then(timedOut, timedOut);
    try {
      return await Promise.race([work, expiry]);
    } finally {
      timer.abort();
    }
  }

  private async pause(ms: number, signal: AbortSignal): Promise<void> {
    if (ms <= 0 || signal.aborted) return;
    await this.clock.sleep(ms, signal).catch((error: unknown) => {
      // Clocks built on timers/promises reject on abort; that is a wake-up, not a failure.
      if (!signal.aborted) throw error;
    });
  }

  private jitteredRetryMs(): number {
    return this.config.retryPeriodMs * (1 + JITTER_FACTOR * this.random());
  }

  private leaseDurationSeconds(): number {
    return this.config.leaseDurationMs / 1000;
  }

  private nowMs(): number {
    return this.clock.monotonicMs();
  }

  private describe(): string {
    return `${this.config.namespace}/${this.config.name}`;
  }
}

function recordOf(lease: V1Lease): LeaderRecord {
  const spec: LeaseSpec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: timeText(spec.acquireTime),
    renewTime: timeText(spec.renewTime),
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

/** client-node hands MicroTime back as the wire string despite its Date type; accept both. */
function timeText(value: unknown): string | undefined {
  if (value instanceof Date) return microTime(value);
  return typeof value === 'string' ? value : undefined;
}

function sameRecord(a: LeaderRecord, b: LeaderRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/** A copy of `base` (keeping resourceVersion, labels, owners: PUT replaces the whole object) with a new spec. */
function leaseOf(base: V1Lease, config: ResolvedLeaderElectionConfig, record: LeaderRecord): V1Lease {
  const lease = structuredClone(base);
  lease.apiVersion = 'coordination.k8s.io/v1';
  lease.kind = 'Lease';
  lease.metadata ??= {};
  lease.metadata.namespace = config.namespace;
  lease.metadata.name = config.name;
  lease.spec = leaseSpecOf(record);
  return lease;
}

/**
 * The one place MicroTime strings enter client-node's Date-typed fields: its serializer passes an
 * unknown-typed value through verbatim, keeping the 6 fractional digits the apiserver requires.
 */
function leaseSpecOf(record: LeaderRecord): LeaseSpec {
  const asMicroTime = (text: string | undefined) => text as unknown as MicroTimeField | undefined;
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    acquireTime: asMicroTime(record.acquireTime),
    renewTime: asMicroTime(record.renewTime),
    leaseTransitions: record.leaseTransitions,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
