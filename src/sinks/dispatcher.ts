import { Counter, Gauge, type Registry } from 'prom-client';
import type { Transition, TransitionListener } from '../controllers/triagerequest/transitions';
import { setCondition } from '../controllers/conditions';
import type { Condition, Verdict } from '../crds/triage-request';
import { isAllowedSinkUrl, TriageSinkSpec, type TriageSinkStatus } from '../crds/triage-sink';
import { selectorMatches } from '../triage/label-selector';
import { buildPayload, idempotencyKey, slackMessage, type TriageTransitionPayload } from './payload';

/** A TriageSink as the dispatcher reads it (from the informer cache). */
export interface SinkObject {
  readonly metadata: { readonly name?: string; readonly generation?: number };
  readonly spec?: unknown;
  readonly status?: TriageSinkStatus;
}

/** What reading the sink's Secret gave: the value, or why there is none (becomes the Ready condition's reason). */
export type SecretRead =
  { readonly kind: 'Value'; readonly value: string } | { readonly kind: 'SecretNotFound' | 'SecretForbidden' | 'SecretKeyMissing' | 'SecretUnreadable' };

/** The cluster behind the dispatcher: small so tests can hand it plain functions. */
export interface SinkCluster {
  sinks(): readonly SinkObject[];
  /** The labels of a namespace, undefined when it is not cached. */
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  /** Reads one key of one Secret in the operator's namespace, by name (never a list). */
  readSecret(name: string, key: string): Promise<SecretRead>;
  writeStatus(name: string, status: TriageSinkStatus): Promise<void>;
}

export interface DispatcherOptions {
  /** Jobs kept per sink; the oldest is dropped (and counted) when a new one arrives at the limit. */
  readonly queueLimit: number;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly timeoutMs: number;
  /** How long a Secret value read is reused before it is read again. */
  readonly secretTtlMs: number;
}

export const DEFAULT_DISPATCHER_OPTIONS: DispatcherOptions = {
  queueLimit: 500,
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  timeoutMs: 10_000,
  secretTtlMs: 30_000,
};

/** Request uids whose last verdict is remembered (for previousVerdict): bounded, least recently told forgotten first. */
const VERDICT_MEMORY = 10_000;

interface Job {
  readonly transition: Transition;
  readonly previousVerdict: Verdict | undefined;
}

/** Why one attempt failed, and whether another attempt may succeed. */
class DeliveryError extends Error {
  constructor(
    message: string,
    readonly reason: 'InvalidSpec' | 'InvalidURL' | 'DeliveryFailed' | SecretRead['kind'],
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** One sink's FIFO and its single worker: per-sink order, and a dead sink delays only itself. */
class SinkLane {
  readonly jobs: Job[] = [];
  running = false;
  consecutiveFailures: number | undefined;
}

/** Backoff before attempt `attempt + 1`: exponential from base, capped, with jitter in [delay/2, delay]. */
export function backoffMs(attempt: number, options: Pick<DispatcherOptions, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const delay = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(delay / 2 + (random() * delay) / 2);
}

/**
 * Delivers each transition to every TriageSink that selects it: `notify` only queues (it never blocks
 * the reconcile), one worker per sink POSTs with a timeout, retries with backoff and jitter up to
 * maxAttempts, and records the outcome in metrics and the sink's status.
 */
export class SinkDispatcher implements TransitionListener {
  readonly name = 'sinks';
  private readonly lanes = new Map<string, SinkLane>();
  private readonly verdicts = new Map<string, Verdict>();
  private readonly secrets = new Map<string, { readonly read: SecretRead; readonly until: number }>();
  private readonly stopping = new AbortController();
  private readonly running = new Set<Promise<void>>();
  private readonly deliveries: Counter<'sink' | 'result'>;
  private readonly retries: Counter<'sink'>;
  private readonly queueLength: Gauge<'sink'>;
  private readonly options: DispatcherOptions;

  constructor(
    private readonly cluster: SinkCluster,
    private readonly deps: {
      readonly registry: Registry;
      readonly log: (level: 'info' | 'warn', message: string, fields: Record<string, unknown>) => void;
      readonly now: () => Date;
      /** --cluster-name, carried in every payload. */
      readonly cluster?: string;
      readonly options?: Partial<DispatcherOptions>;
    },
  ) {
    this.options = { ...DEFAULT_DISPATCHER_OPTIONS, ...deps.options };
    // Sink names are cluster-scoped objects only admins create: a bounded label set.
    this.deliveries = new Counter({
      name: 'triage_sink_deliveries_total',
      help: 'Transition payloads by sink and how their delivery ended: Delivered, Failed (every attempt failed or a permanent error) or Dropped (queue full).',
      labelNames: ['sink', 'result'] as const,
      registers: [deps.registry],
    });
    this.retries = new Counter({
      name: 'triage_sink_retries_total',
      help: 'Delivery attempts after a failed one, by sink.',
      labelNames: ['sink'] as const,
      registers: [deps.registry],
    });
    this.queueLength = new Gauge({
      name: 'triage_sink_queue_length',
      help: 'Payloads waiting for delivery (the one in flight included), by sink.',
      labelNames: ['sink'] as const,
      registers: [deps.registry],
    });
  }

  notify(transition: Transition): void {
    try {
      const previousVerdict = this.rememberVerdict(transition);
      if (this.stopping.signal.aborted) return;
      const sinks = this.cluster.sinks();
      this.forgetDeleted(sinks);
      for (const sink of sinks) {
        const name = sink.metadata.name ?? '';
        if (name === '' || !this.selects(sink, transition, previousVerdict)) continue;
        this.enqueue(name, { transition, previousVerdict });
      }
    } catch (error: unknown) {
      // notify must never throw into the reconcile: a bug here costs a delivery, not a status write.
      this.deps.log('warn', 'Sink dispatch failed', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Stops delivering: waits attempts in flight are aborted; queued payloads are dropped (and counted). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.running]);
    for (const [name, lane] of this.lanes) {
      if (lane.jobs.length > 0) this.deliveries.inc({ sink: name, result: 'Dropped' }, lane.jobs.length);
      lane.jobs.length = 0;
      this.queueLength.set({ sink: name }, 0);
    }
  }

  /** Resolves when every queue is empty and nothing is in flight (tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Lanes (and their gauge series) of sinks deleted since: idle ones go, busy ones go when they drain. */
  private forgetDeleted(sinks: readonly SinkObject[]): void {
    if (sinks.length >= this.lanes.size) return;
    const names = new Set(sinks.map((s) => s.metadata.name));
    for (const [name, lane] of this.lanes) {
      if (names.has(name) || lane.running) continue;
      this.lanes.delete(name);
      this.queueLength.remove({ sink: name });
    }
  }

  private rememberVerdict(transition: Transition): Verdict | undefined {
    const uid = transition.request.uid;
    const previous = this.verdicts.get(uid);
    this.verdicts.delete(uid);
    if (transition.status.verdict !== undefined) this.verdicts.set(uid, transition.status.verdict);
    if (this.verdicts.size > VERDICT_MEMORY) this.verdicts.delete(this.verdicts.keys().next().value ?? '');
    return previous;
  }

  private selects(sink: SinkObject, transition: Transition, previousVerdict: Verdict | undefined): boolean {
    const parsed = TriageSinkSpec.safeParse(sink.spec);
    // An invalid spec is still queued: the delivery fails at once and says why on the sink.
    if (!parsed.success) return true;
    const { verdicts, namespaceSelector } = parsed.data;
    if (verdicts !== undefined && !verdicts.some((v) => v === transition.status.verdict || v === previousVerdict)) return false;
    if (namespaceSelector === undefined) return true;
    const labels = this.cluster.namespaceLabels(transition.request.namespace);
    return labels !== undefined && selectorMatches(namespaceSelector, labels);
  }

  private enqueue(name: string, job: Job): void {
    const lane = this.lanes.get(name) ?? new SinkLane();
    this.lanes.set(name, lane);
    if (lane.jobs.length >= this.options.queueLimit) {
      // The oldest waiting payload goes; the one in flight (the front, while running) finishes.
      const [dropped] = lane.jobs.splice(lane.running ? 1 : 0, 1);
      this.deliveries.inc({ sink: name, result: 'Dropped' });
      if (dropped !== undefined) this.deps.log('warn', 'Sink queue full: oldest payload dropped', { sink: name, key: idempotencyKey(dropped.transition) });
    }
    lane.jobs.push(job);
    this.queueLength.set({ sink: name }, lane.jobs.length);
    if (!lane.running) {
      lane.running = true;
      const run = this.drain(name, lane).finally(() => {
        lane.running = false;
        this.running.delete(run);
      });
      this.running.add(run);
    }
  }

  private async drain(name: string, lane: SinkLane): Promise<void> {
    for (let job = lane.jobs[0]; job !== undefined && !this.stopping.signal.aborted; job = lane.jobs[0]) {
      try {
        await this.deliver(name, lane, job);
      } catch (error: unknown) {
        // A job that cannot even be built (a status from another version) must not block the sink's later payloads.
        this.deliveries.inc({ sink: name, result: 'Failed' });
        this.deps.log('warn', 'Sink payload not delivered', {
          sink: name,
          key: idempotencyKey(job.transition),
          error: error instanceof Error ? error.name : 'Error',
        });
      }
      // Stopped mid-delivery: the job stays queued, and stop() counts it as dropped.
      if (this.stopped) break;
      lane.jobs.shift();
      this.queueLength.set({ sink: name }, lane.jobs.length);
    }
    // A sink deleted while its lane was busy: forget the lane and its gauge.
    if (lane.jobs.length === 0 && !this.cluster.sinks().some((s) => s.metadata.name === name)) {
      this.lanes.delete(name);
      this.queueLength.remove({ sink: name });
    }
  }

  private async deliver(name: string, lane: SinkLane, job: Job): Promise<void> {
    const key = idempotencyKey(job.transition);
    const payload = buildPayload(job.transition, job.previousVerdict, this.deps.now, this.deps.cluster);
    let attempts = 0;
    let failure: DeliveryError | undefined;
    for (;;) {
      attempts += 1;
      const sink = this.cluster.sinks().find((s) => s.metadata.name === name);
      // Deleted since it was queued: nothing to deliver to, nothing to report on.
      if (sink === undefined) return;
      try {
        await this.attempt(sink, payload, key);
        failure = undefined;
        break;
      } catch (error: unknown) {
        failure = error instanceof DeliveryError ? error : new DeliveryError(error instanceof Error ? error.name : 'unknown error', 'DeliveryFailed', true);
      }
      // An attempt aborted by stop() is neither a failure nor a success: the caller leaves it queued.
      if (this.stopped) return;
      if (!failure.retryable || attempts >= this.options.maxAttempts) break;
      this.retries.inc({ sink: name });
      // Stopped during the wait: the payload stays queued and stop() counts it as dropped.
      if (!(await this.sleep(backoffMs(attempts, this.options)))) return;
    }
    const result = failure === undefined ? 'Delivered' : 'Failed';
    this.deliveries.inc({ sink: name, result });
    if (failure !== undefined) this.deps.log('warn', 'Sink delivery failed', { sink: name, key, attempts, reason: failure.reason, error: failure.message });
    await this.report(name, lane, { key, attempts, failure });
  }

  private async attempt(sink: SinkObject, payload: TriageTransitionPayload, key: string): Promise<void> {
    const parsed = TriageSinkSpec.safeParse(sink.spec);
    if (!parsed.success) throw new DeliveryError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), 'InvalidSpec', false);
    const spec = parsed.data;
    let url = spec.url;
    let token: string | undefined;
    if (spec.secretRef !== undefined) {
      const read = await this.secret(spec.secretRef.name, spec.secretRef.key);
      if (read.kind !== 'Value') throw new DeliveryError(`Secret ${spec.secretRef.name} key ${spec.secretRef.key}: ${read.kind}`, read.kind, true);
      if (spec.secretRef.use === 'URL') url = spec.url ?? read.value.trim();
      else token = read.value.trim();
    }
    // A URL read from the Secret passes the same rule as one in the spec; its text is never logged (it is the credential).
    if (url === undefined || !isAllowedSinkUrl(url))
      throw new DeliveryError('the webhook URL is not allowed (https, or http to loopback or a cluster-local Service)', 'InvalidURL', false);
    const body = JSON.stringify(spec.format === 'Slack' ? slackMessage(payload) : payload);
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.options.timeoutMs)]);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        // A redirect would carry the bearer token to a host the admin did not name: 3xx is a failure.
        redirect: 'manual',
        signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'triage-operator',
          'idempotency-key': key,
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        body,
      });
    } catch (error: unknown) {
      // Only the error's kind: a fetch error's text can carry the URL, and a Secret's URL is a credential.
      const cause = error instanceof Error && error.cause instanceof Error ? ` (${(error.cause as NodeJS.ErrnoException).code ?? error.cause.name})` : '';
      throw new DeliveryError(`${error instanceof Error ? error.name : 'error'}${cause}`, 'DeliveryFailed', true);
    }
    // The body is never read: a receiver cannot make the operator buffer anything.
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return;
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    throw new DeliveryError(`HTTP ${response.status}`, 'DeliveryFailed', retryable);
  }

  private async secret(name: string, key: string): Promise<SecretRead> {
    const cacheKey = `${name}\u0000${key}`;
    const cached = this.secrets.get(cacheKey);
    const now = Date.now();
    if (cached !== undefined && cached.until > now) return cached.read;
    let read: SecretRead;
    try {
      read = await this.cluster.readSecret(name, key);
    } catch {
      read = { kind: 'SecretUnreadable' };
    }
    // Only a value is reused: a Secret created or a Role granted after a failure counts at the next attempt.
    if (read.kind !== 'Value') return read;
    // Bounded: one entry per (name, key) some sink names; expired entries are replaced, not accumulated past the sinks.
    if (this.secrets.size > 256) this.secrets.clear();
    this.secrets.set(cacheKey, { read, until: now + this.options.secretTtlMs });
    return read;
  }

  private async report(name: string, lane: SinkLane, outcome: { key: string; attempts: number; failure: DeliveryError | undefined }): Promise<void> {
    const sink = this.cluster.sinks().find((s) => s.metadata.name === name);
    if (sink === undefined) return;
    const now = this.deps.now();
    const { failure } = outcome;
    lane.consecutiveFailures = failure === undefined ? 0 : (lane.consecutiveFailures ?? sink.status?.consecutiveFailures ?? 0) + 1;
    const ready: Omit<Condition, 'lastTransitionTime'> =
      failure === undefined
        ? { type: 'Ready', status: 'True', reason: 'Delivered', message: `delivered ${outcome.key}`, observedGeneration: sink.metadata.generation ?? 0 }
        : {
            type: 'Ready',
            status: 'False',
            reason: failure.reason,
            message: failure.message.slice(0, 1024),
            observedGeneration: sink.metadata.generation ?? 0,
          };
    const status: TriageSinkStatus = {
      observedGeneration: sink.metadata.generation ?? 0,
      lastDelivery: {
        time: now.toISOString(),
        result: failure === undefined ? 'Delivered' : 'Failed',
        idempotencyKey: outcome.key,
        attempts: outcome.attempts,
        ...(failure === undefined ? {} : { message: failure.message.slice(0, 1024) }),
      },
      consecutiveFailures: lane.consecutiveFailures,
      conditions: setCondition(sink.status?.conditions ?? [], ready, now),
    };
    try {
      await this.cluster.writeStatus(name, status);
    } catch (error: unknown) {
      this.deps.log('info', 'Sink status not written', { sink: name, error: error instanceof Error ? error.message : String(error) });
    }
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /** Waits `ms`; false when stop() ended the wait early. */
  private sleep(ms: number): Promise<boolean> {
    const signal = this.stopping.signal;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve(!signal.aborted);
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
