import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isBuiltInIntent } from './crds/intents';
import { CHECKS } from './triage/checks/registry';

// Label values come only from fixed sets: a user-written intent or finding code as a label would let
// anyone who can create a TriageRequest or TriageTemplate grow /metrics without bound.
const CUSTOM = 'custom';
const INVALID = 'invalid';
const KNOWN_REASONS: ReadonlySet<string> = new Set([
  ...[...CHECKS.values()].flatMap((check) => check.codes),
  'Healthy', 'RootCauseFound', 'Inconclusive', 'Failed', 'Rejected',
  'InvalidSpec', 'InvalidTarget', 'NamespaceNotTrusted', 'TemplateNotFound', 'InvalidTemplate', 'IntentNotAvailable', 'InternalError', 'StatusTooLarge',
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

/** Every metric the operator exports, named like controller-runtime's and client-go's where one exists. */
export class Metrics {
  readonly registry = new Registry();

  readonly reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Reconciles per controller, result, intent and verdict.',
    labelNames: ['controller', 'result', 'intent', 'verdict'] as const,
    registers: [this.registry],
  });

  readonly reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Reconciles that returned an error.',
    labelNames: ['controller', 'intent'] as const,
    registers: [this.registry],
  });

  readonly reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Time per reconcile.',
    labelNames: ['controller', 'intent', 'verdict'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
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
    help: 'Diagnoses run, by intent and mode.',
    labelNames: ['intent', 'mode'] as const,
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
  readonly queueRetries = new Counter({ name: 'workqueue_retries_total', help: 'Keys re-added after an error.', labelNames: ['name'] as const, registers: [this.registry] });
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

  constructor(options: { collectProcessMetrics?: boolean } = {}) {
    if (options.collectProcessMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }
}
