import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isBuiltInIntent } from './crds/intents';
import { Verdict, type TriageRequestObject } from './crds/triage-request';
import { CATALOGUE } from './triage/catalogue';

// Label values come only from fixed sets: a user-written intent or finding code as a label would let
// anyone who can create a TriageRequest or TriageTemplate grow /metrics without bound.
const CUSTOM = 'custom';
const INVALID = 'invalid';
const NONE = 'none';
const CATALOGUE_CODES: ReadonlySet<string> = new Set(Object.keys(CATALOGUE));
const KNOWN_REASONS: ReadonlySet<string> = new Set([
  ...CATALOGUE_CODES,
  'Healthy',
  'RootCauseFound',
  'Inconclusive',
  'Failed',
  'Rejected',
  'InvalidSpec',
  'InvalidTarget',
  'NamespaceNotTrusted',
  'TemplateNotFound',
  'InvalidTemplate',
  'IntentNotAvailable',
  'InternalError',
  'StatusTooLarge',
]);

/** The intent as a metric label: a built-in's name, `custom` for a TriageTemplate, `invalid` otherwise. */
export function intentLabel(intent: string): string {
  if (isBuiltInIntent(intent)) return intent;
  // Custom intents are TriageTemplate names, which contain a dot (ADR 0002).
  return intent.includes('.') ? CUSTOM : INVALID;
}

/** An Event or condition reason as a metric label: a catalogue code, else `custom` (a template's own code). */
export function reasonLabel(reason: string): string {
  return KNOWN_REASONS.has(reason) ? reason : CUSTOM;
}

/** A root-cause code as a metric label: a catalogue code, `custom` for a template's own, `none` without one. */
export function rootCauseLabel(code: string | undefined): string {
  if (code === undefined || code === '') return NONE;
  return CATALOGUE_CODES.has(code) ? code : CUSTOM;
}

/** The labels of `triage_requests`. */
export interface RequestLabels {
  readonly namespace: string;
  readonly intent: string;
  readonly mode: string;
  /** The status's verdict; `Pending` before the first answer. */
  readonly verdict: string;
  readonly root_cause: string;
}

/** The labels of `triage_request_oldest_root_cause_timestamp_seconds`. */
export interface RootCauseAgeLabels {
  readonly namespace: string;
  readonly intent: string;
  readonly mode: string;
}

export interface Sample<L> {
  readonly labels: L;
  readonly value: number;
}

/** What the request gauges show, from the requests that exist now. */
export interface RequestGauges {
  /** How many requests per label set. */
  readonly requests: readonly Sample<RequestLabels>[];
  /** Per namespace, intent and mode: the earliest time a request still at RootCauseFound found it (Unix seconds). */
  readonly oldestRootCause: readonly Sample<RootCauseAgeLabels>[];
}

function specField(spec: unknown, field: string): unknown {
  return typeof spec === 'object' && spec !== null && field in spec ? (spec as Record<string, unknown>)[field] : undefined;
}

/**
 * The request gauges from a list of TriageRequests (the informer cache's content at scrape time), every
 * label from a bounded set: intents fold as intentLabel, codes as rootCauseLabel, a verdict the schema
 * does not know becomes `invalid`. A deleted request is simply absent: nothing accumulates.
 */
export function requestGauges(requests: Iterable<TriageRequestObject>): RequestGauges {
  const counts = new Map<string, Sample<RequestLabels>>();
  const oldest = new Map<string, Sample<RootCauseAgeLabels>>();
  for (const request of requests) {
    const intent = specField(request.spec, 'intent');
    const mode = specField(request.spec, 'mode');
    const status = request.status;
    const verdict = status?.verdict === undefined ? 'Pending' : Verdict.safeParse(status.verdict).success ? status.verdict : INVALID;
    const group: RootCauseAgeLabels = {
      namespace: request.metadata.namespace ?? '',
      intent: intentLabel(typeof intent === 'string' ? intent : ''),
      mode: mode === undefined || mode === 'Once' ? 'Once' : mode === 'Continuous' ? 'Continuous' : INVALID,
    };
    const labels: RequestLabels = { ...group, verdict, root_cause: rootCauseLabel(status?.envelope?.rootCause?.code) };
    const key = JSON.stringify(labels);
    counts.set(key, { labels, value: (counts.get(key)?.value ?? 0) + 1 });
    if (verdict !== 'RootCauseFound') continue;
    // The condition flips to True when a root cause is first found and stays put while one is (even another code).
    const found = status?.conditions?.find((c) => c.type === 'RootCauseFound' && c.status === 'True');
    const since = found === undefined ? NaN : Date.parse(found.lastTransitionTime) / 1000;
    if (!Number.isFinite(since)) continue;
    const groupKey = JSON.stringify(group);
    const previous = oldest.get(groupKey);
    if (previous === undefined || since < previous.value) oldest.set(groupKey, { labels: group, value: since });
  }
  return { requests: [...counts.values()], oldestRootCause: [...oldest.values()] };
}

/** The TriageRequests the request gauges describe, read at each scrape. */
export type RequestSource = () => Iterable<TriageRequestObject>;

/** Every metric the operator exports, named like controller-runtime's and client-go's where one exists. */
export class Metrics {
  readonly registry = new Registry();

  // controller-runtime's metrics, with its labels and meanings: one result per reconcile (success,
  // requeue, requeue_after, error), errors counted once, time observed on every path. What a triage
  // found is in triage_runs_total and the request gauges, not here.
  readonly reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Reconciles per controller and result (success, requeue, requeue_after, error).',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });

  readonly reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Reconciles that ended in an error (not a designed requeue such as a write conflict).',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  readonly reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Time per reconcile, whatever its result.',
    labelNames: ['controller'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly activeWorkers = new Gauge({
    name: 'controller_runtime_active_workers',
    help: 'Reconciles running now.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  readonly maxConcurrentReconciles = new Gauge({
    name: 'controller_runtime_max_concurrent_reconciles',
    help: 'Workers of the controller.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  /** Triage runs that were skipped because nothing they read changed (Continuous mode, resyncs). */
  readonly triageSkipped = new Counter({
    name: 'triage_runs_skipped_total',
    help: 'Reconciles that found status already up to date and wrote nothing.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  /** Diagnoses actually run (a Continuous request re-runs only when something it read changed). */
  readonly triageRuns = new Counter({
    name: 'triage_runs_total',
    help: 'Diagnoses run, by intent, mode and verdict.',
    labelNames: ['intent', 'mode', 'verdict'] as const,
    registers: [this.registry],
  });

  readonly statusWrites = new Counter({
    name: 'triage_status_writes_total',
    help: 'Status patches written.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({ name: 'workqueue_depth', help: 'Keys waiting.', labelNames: ['name'] as const, registers: [this.registry] });
  readonly queueAdds = new Counter({ name: 'workqueue_adds_total', help: 'Keys added.', labelNames: ['name'] as const, registers: [this.registry] });
  readonly queueRetries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Keys re-added after an error.',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });
  readonly queueWait = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'Time a key waits before processing.',
    labelNames: ['name'] as const,
    buckets: [0.0001, 0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    registers: [this.registry],
  });
  readonly queueWork = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'Time processing a key.',
    labelNames: ['name'] as const,
    buckets: [0.0001, 0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    registers: [this.registry],
  });

  readonly informerObjects = new Gauge({
    name: 'informer_objects',
    help: 'Objects held in the informer cache per kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly informerCacheBytes = new Gauge({
    name: 'informer_cache_bytes',
    help: 'Estimated bytes held by the informer cache per kind (the kept fields of each object, by a size model of V8 objects; not a heap measurement).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly informerRestarts = new Counter({
    name: 'informer_restarts_total',
    help: 'Informer restarts after a watch or list error, per kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly informerSynced = new Gauge({
    name: 'informer_synced',
    help: '1 when the kind completed its initial list.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly informerApiInstalled = new Gauge({
    name: 'informer_api_installed',
    help: "0 when the kind's API is not served (optional CRDs such as the Gateway API absent), else 1.",
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly apiRequests = new Counter({
    name: 'rest_client_requests_total',
    help: 'Requests to the apiserver by verb, resource and status code.',
    labelNames: ['verb', 'resource', 'code'] as const,
    registers: [this.registry],
  });

  readonly eventsEmitted = new Counter({
    name: 'triage_events_total',
    help: 'Kubernetes Events written, by reason and whether a new Event or a series update.',
    labelNames: ['reason', 'kind'] as const,
    registers: [this.registry],
  });

  readonly leader = new Gauge({
    name: 'leader_election_master_status',
    help: '1 when this process holds the lease.',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  /** Set while this replica reconciles (the leader): a standby exports no request gauges, so sums count each request once. */
  private requestSource: RequestSource | undefined;

  readonly requests: Gauge<keyof RequestLabels> = new Gauge({
    name: 'triage_requests',
    help: 'TriageRequests that exist now, by namespace, intent, mode, verdict and root-cause code (exported by the leader only).',
    labelNames: ['namespace', 'intent', 'mode', 'verdict', 'root_cause'] as const,
    registers: [this.registry],
    collect: () => {
      this.requests.reset();
      for (const { labels, value } of this.currentGauges()?.requests ?? []) this.requests.set(labels, value);
    },
  });

  readonly oldestRootCause: Gauge<keyof RootCauseAgeLabels> = new Gauge({
    name: 'triage_request_oldest_root_cause_timestamp_seconds',
    help: 'Earliest time (Unix seconds) a TriageRequest still at verdict RootCauseFound found its root cause, by namespace, intent and mode (exported by the leader only).',
    labelNames: ['namespace', 'intent', 'mode'] as const,
    registers: [this.registry],
    collect: () => {
      this.oldestRootCause.reset();
      for (const { labels, value } of this.currentGauges()?.oldestRootCause ?? []) this.oldestRootCause.set(labels, value);
    },
  });

  constructor(options: { collectProcessMetrics?: boolean } = {}) {
    if (options.collectProcessMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Starts (a source) or stops (undefined) exporting the request gauges. The controller sets it while it
   * runs, i.e. on the leader: the standby's cache holds the same requests, and exporting from both would
   * double every sum.
   */
  exportRequests(source: RequestSource | undefined): void {
    this.requestSource = source;
  }

  private currentGauges(): RequestGauges | undefined {
    return this.requestSource === undefined ? undefined : requestGauges(this.requestSource());
  }
}
