import type http from 'node:http';
import type { KubeConfig, V1Lease } from '@kubernetes/client-node';
import type { OperatorConfig } from './config';
import { TriageRequestController } from './controllers/triagerequest/controller';
import { TriageRequestReconciler } from './controllers/triagerequest/reconciler';
import { WatchIndex } from './controllers/triagerequest/watch-index';
import { TriagePolicyReconciler } from './controllers/triagepolicy/reconciler';
import type { TransitionListener } from './controllers/triagerequest/transitions';
import { PolicyReportWriter } from './reports/writer';
import { TriageTemplateReconciler } from './controllers/triagetemplate/reconciler';
import { KubeClient } from './kube/client';
import { ClusterCache } from './kube/cluster-cache';
import { ApiError } from './kube/errors';
import { SECRET_METADATA_KIND, WATCHED_KINDS } from './kube/kinds';
import { ListingSnapshot } from './kube/listing-snapshot';
import { EventRecorder } from './kube/event-recorder';
import { LeaderElector, LeaseConflictError, type LeaseClient } from './kube/leader-election';
import type { Logger } from './logger';
import { Metrics } from './metrics';
import { kubeSinkCluster } from './sinks/cluster';
import { SinkDispatcher } from './sinks/dispatcher';
import { closeServer, startMetricsServer, startProbeServer } from './server';

/** Exit codes main() passes on: 1 after lost leadership (restart as a follower), 0 after SIGTERM. */
export type OperatorExit = 'Stopped' | 'LostLeadership';

function leasePath(namespace: string, name?: string): string {
  return `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases${name === undefined ? '' : `/${name}`}`;
}

function conflictAware<T>(call: Promise<T>): Promise<T> {
  return call.catch((error: unknown) => {
    throw error instanceof ApiError && error.isConflict ? new LeaseConflictError(error.message) : error;
  });
}

export function leaseClient(client: KubeClient): LeaseClient {
  return {
    get: (namespace, name) => client.getOptional<V1Lease>(leasePath(namespace, name)),
    create: (namespace, lease) => conflictAware(client.create<V1Lease>(leasePath(namespace), lease)),
    replace: (namespace, name, lease) => conflictAware(client.replace<V1Lease>(leasePath(namespace, name), lease)),
  };
}

/**
 * The operator process: caches on every replica (so a new leader starts warm), reconciles only on
 * the leader. Stopping drains in-flight work before the Lease is released.
 */
export class Operator {
  readonly metrics = new Metrics();
  readonly cache: ClusterCache;
  private readonly client: KubeClient;
  private readonly recorder: EventRecorder;
  private readonly controller: TriageRequestController;
  private readonly elector: LeaderElector | undefined;
  private readonly sinks: SinkDispatcher;
  private servers: http.Server[] = [];
  private readonly reports: PolicyReportWriter | undefined;

  constructor(
    private readonly config: OperatorConfig,
    private readonly kubeConfig: KubeConfig,
    private readonly logger: Logger,
  ) {
    this.client = new KubeClient(kubeConfig, (verb, resource, code) => {
      this.metrics.apiRequests.inc({ verb, resource, code });
    });
    this.cache = new ClusterCache({
      config: kubeConfig,
      client: this.client,
      logger,
      metrics: this.metrics,
      trim: config.trimCaches,
      // The listing baseline caches only the operator's own resources (and namespaces, which policies select): triage reads list the rest.
      kinds:
        config.snapshotSource === 'list'
          ? WATCHED_KINDS.filter((k) => k.group === 'triage.dev' || k.key === 'Namespace')
          : config.watchSecretMetadata
            ? [...WATCHED_KINDS, SECRET_METADATA_KIND]
            : WATCHED_KINDS,
    });
    const inputKinds = config.watchSecretMetadata ? [...WATCHED_KINDS, SECRET_METADATA_KIND] : WATCHED_KINDS;
    const listKinds = inputKinds.filter((k) => k.group !== 'triage.dev');
    this.recorder = new EventRecorder(this.client, config.identity, logger, this.metrics);
    const watchIndex = new WatchIndex();
    // Told of each announced transition: where results leave the cluster (sinks, reports).
    const transitionListeners: TransitionListener[] = [];
    const reports = config.policyReports ? new PolicyReportWriter({ cache: this.cache, client: this.client, logger }) : undefined;
    this.reports = reports;
    if (reports !== undefined) transitionListeners.push(reports);
    // TriageSinks: idle until an admin creates one; their Secrets are read in the operator's own namespace.
    this.sinks = new SinkDispatcher(kubeSinkCluster(this.cache, this.client, config.leaderElectionNamespace), {
      registry: this.metrics.registry,
      log: (level, message, fields) => logger[level](message, fields),
      now: () => new Date(),
      ...(config.clusterName === undefined ? {} : { cluster: config.clusterName }),
    });
    transitionListeners.push(this.sinks);
    const reconciler = new TriageRequestReconciler({
      watchIndex,
      transitionListeners,
      ...(config.snapshotSource === 'list' ? { snapshotFor: (namespace: string | undefined) => ListingSnapshot.fetch(this.client, listKinds, namespace) } : {}),
      cache: this.cache,
      client: this.client,
      recorder: this.recorder,
      logger,
      metrics: this.metrics,
      trustedNamespaces: config.trustedNamespaces,
      now: () => new Date(),
    });
    this.controller = new TriageRequestController({
      cache: this.cache,
      watchIndex,
      reconciler,
      templates: new TriageTemplateReconciler({ cache: this.cache, client: this.client, now: () => new Date() }),
      policies: new TriagePolicyReconciler({ cache: this.cache, client: this.client, now: () => new Date() }),
      metrics: this.metrics,
      logger,
      concurrency: config.concurrency,
      resyncMs: config.resyncSeconds * 1000,
      ...(reports === undefined
        ? {}
        : {
            onResync: () => {
              reports.resync();
            },
          }),
    });
    this.elector = config.leaderElect
      ? new LeaderElector(
          { namespace: config.leaderElectionNamespace, name: config.leaderElectionId, identity: config.identity },
          {
            client: leaseClient(this.client),
            logger: { info: (message) => logger.info(message), warn: (message) => logger.warn(message) },
          },
        )
      : undefined;
  }

  /** Runs until `stop` aborts (→ 'Stopped') or leadership is lost (→ 'LostLeadership'). */
  async run(stop: AbortSignal): Promise<OperatorExit> {
    const mcpAddress = this.config.mcpBindAddress;
    this.servers = await Promise.all([
      startMetricsServer(this.config.metricsBindAddress, this.metrics),
      startProbeServer(this.config.healthProbeBindAddress, {
        healthy: () => this.elector?.healthy() ?? true,
        ready: () => this.cache.synced(),
        readiness: () =>
          this.cache
            .progress()
            .map(
              (c) =>
                `[${c.state === 'Syncing' ? '-' : '+'}]informer ${c.kind} ${c.state}: ${c.objects} objects${c.state === 'Syncing' ? `, ${c.listed} listed so far` : ''}`,
            ),
      }),
      // Loaded only when enabled: the MCP SDK and its HTTP stack stay out of an operator that does not serve it.
      ...(mcpAddress === undefined
        ? []
        : [import('./mcp-http.js').then((mcp) => mcp.startMcpHttpServer({ bindAddress: mcpAddress, kubeConfig: this.kubeConfig, logger: this.logger }))]),
      // Loaded only when enabled, like MCP: a bad token or mapping file stops the start with the reason.
      ...(this.config.alertReceiverBindAddress === undefined
        ? []
        : [
            import('./alerts/start.js').then((alerts) =>
              alerts.startConfiguredReceiver(this.config, { client: this.client, cache: this.cache, logger: this.logger, registry: this.metrics.registry }),
            ),
          ]),
    ]);
    this.logger.info('Starting', { identity: this.config.identity, leaderElect: this.config.leaderElect });
    // A SIGTERM while caches sync (a missing CRD keeps one syncing) ends the process without campaigning.
    const synced = await Promise.race([this.cache.start().then(() => true), aborted(stop).then(() => false)]);
    const exit = !synced || stop.aborted ? 'Stopped' : this.elector === undefined ? await this.runUnelected(stop) : await this.runElected(this.elector, stop);
    await this.cache.stop();
    await Promise.all(this.servers.map(closeServer));
    this.logger.info('Stopped', { exit });
    return exit;
  }

  private async runUnelected(stop: AbortSignal): Promise<OperatorExit> {
    this.controller.start();
    await aborted(stop);
    await this.drain();
    return 'Stopped';
  }

  private async runElected(elector: LeaderElector, stop: AbortSignal): Promise<OperatorExit> {
    const name = this.config.leaderElectionId;
    // A standby reports 0 from the start: with no replica at 1, "no leader" is visible (sum == 0), not an absent series.
    this.metrics.leader.set({ name }, 0);
    // The elector gets its own signal so it releases the Lease only after work has drained.
    const electorStop = new AbortController();
    let drained: Promise<void> = Promise.resolve();
    stop.addEventListener(
      'abort',
      () => {
        drained = this.drain().finally(() => {
          electorStop.abort();
        });
      },
      { once: true },
    );
    await elector.run(
      {
        onStartedLeading: () => {
          this.metrics.leader.set({ name }, 1);
          this.logger.info('Became leader', { identity: this.config.identity });
          this.controller.start();
        },
        onStoppedLeading: () => {
          this.metrics.leader.set({ name }, 0);
          // The next leader exports the request gauges now; this replica drains and stops.
          this.metrics.exportRequests(undefined);
          this.logger.info('Stopped leading', { identity: this.config.identity });
        },
        onNewLeader: (identity) => {
          this.logger.info('Leader observed', { leader: identity });
        },
      },
      electorStop.signal,
    );
    if (stop.aborted) {
      await drained;
      return 'Stopped';
    }
    // Leadership lost while running: another replica may already reconcile, so stop at once.
    await this.drain();
    return 'LostLeadership';
  }

  private async drain(): Promise<void> {
    // Events are written inside reconciles (announced from status): draining the queue drains them too.
    await this.controller.stop();
    // Transitions the drained reconciles announced get their in-flight attempt aborted, not awaited past shutdown.
    await this.sinks.stop();
    this.reports?.stop();
  }
}

/** Resolves once the signal has aborted (at once if it already has). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else
      signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
  });
}
