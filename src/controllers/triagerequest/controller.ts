import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { TriageRequestObject } from '../../crds/triage-request';
import type { ClusterCache } from '../../kube/cluster-cache';
import type { KubeObject } from '../../triage/snapshot';
import { objectKey } from '../../kube/informer';
import { ApiError } from '../../kube/errors';
import { ControllerRunner } from '../../kube/controller-runner';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { TriagePolicyReconciler } from '../triagepolicy/reconciler';
import type { TriageTemplateReconciler } from '../triagetemplate/reconciler';
import { CONTROLLER_NAME, type TriageRequestReconciler } from './reconciler';
import { changedKeys, type WatchIndex } from './watch-index';

export interface ControllerOptions {
  readonly cache: ClusterCache;
  /** Validates TriageTemplates and writes their Accepted condition. */
  readonly templates: TriageTemplateReconciler;
  /** Keeps each TriagePolicy's requests and counts its namespaces by verdict. */
  readonly policies: TriagePolicyReconciler;
  /** What each Continuous request read on its last run. */
  readonly watchIndex: WatchIndex;
  readonly reconciler: TriageRequestReconciler;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly concurrency: number;
  readonly resyncMs: number;
  /** Called when the leader starts and on every resync (reports rebuilt from the cache). */
  readonly onResync?: () => void;
}

/**
 * Feeds TriageRequest keys to the work queue: on every change of a request, when a TriageTemplate
 * a request names appears or changes, when anything a Continuous request read changes (through the
 * watch index, so unrelated changes wake nothing), and on a periodic resync. The queue holds keys,
 * never events.
 */
export class TriageRequestController {
  private readonly queue: ControllerRunner;
  private readonly templateQueue: ControllerRunner;
  private readonly policyQueue: ControllerRunner;
  private readonly unsubscribe: (() => void)[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly nodeDigests = new Map<string, string>();

  constructor(private readonly options: ControllerOptions) {
    // A conflict is the designed path after our own write raced the cache: never worth a warning.
    const isConflict = (error: unknown) => error instanceof ApiError && error.isConflict;
    const { metrics, logger } = options;
    this.queue = new ControllerRunner({ name: CONTROLLER_NAME, metrics, logger, concurrency: options.concurrency, expected: isConflict }, (key, context) =>
      options.reconciler.reconcile(key, context),
    );
    this.templateQueue = new ControllerRunner({ name: 'triagetemplate', metrics, logger, concurrency: 1, expected: isConflict }, (name, context) =>
      options.templates.reconcile(name, context),
    );
    this.policyQueue = new ControllerRunner({ name: 'triagepolicy', metrics, logger, concurrency: 1, expected: isConflict }, (name, context) =>
      options.policies.reconcile(name, context),
    );
  }

  /** Call after the caches synced, on the leader only. */
  start(): void {
    const requests = this.options.cache.informer('TriageRequest');
    // The request gauges come from the leader alone, computed from the cache at each scrape.
    this.options.metrics.exportRequests(() => requests.list() as readonly TriageRequestObject[]);
    this.unsubscribe.push(
      requests.onChange((type, object) => {
        // A deleted request is never reconciled again: forget what it watched here.
        if (type === 'delete') this.options.watchIndex.remove(objectKey(object));
        else this.queue.add(objectKey(object));
        // A policy's request answered, changed or went away: its counts (or the request itself) need the policy.
        for (const owner of object.metadata?.ownerReferences ?? [])
          if (owner.kind === 'TriagePolicy' && owner.controller === true) this.policyQueue.add(owner.name);
      }),
      this.options.cache.informer('TriagePolicy').onChange((type, policy) => {
        if (type !== 'delete') this.policyQueue.add(policy.metadata?.name ?? '');
      }),
      // A namespace created, relabelled or deleted may enter or leave any policy's selection.
      this.options.cache.informer('Namespace').onChange(() => {
        this.enqueuePolicies();
      }),
      this.options.cache.informer('TriageTemplate').onChange((type, template) => {
        if (type !== 'delete') this.templateQueue.add(template.metadata?.name ?? '');
        this.enqueueUsersOf(template);
      }),
      ...this.options.cache.inputInformers().map((informer) =>
        informer.onChange((type, object) => {
          if (!this.nodeChanged(informer.kind.key, type, object)) return;
          if (!this.options.watchIndex.watching()) return;
          // Cached objects are raw apiserver JSON, which is what the engine's KubeObject describes.
          const keys = changedKeys(informer.kind.key, object as KubeObject);
          this.options.watchIndex.observe(keys);
          for (const key of this.options.watchIndex.requestsFor(keys)) this.queue.add(key);
        }),
      ),
      // An API installed or removed (Gateway API CRDs) changes answers with no object event of its own: rare, so everything re-runs.
      ...this.options.cache.inputInformers().map((informer) =>
        informer.onStateChange((previous, next) => {
          if (previous === 'NotInstalled' || next === 'NotInstalled') this.enqueueAll();
        }),
      ),
    );
    this.enqueueAll();
    this.resyncTimer = setInterval(() => {
      this.enqueueAll();
    }, this.options.resyncMs);
  }

  /** Stops taking work and waits for in-flight reconciles. */
  async stop(): Promise<void> {
    this.options.metrics.exportRequests(undefined);
    if (this.resyncTimer !== undefined) clearInterval(this.resyncTimer);
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    await Promise.all([this.queue.stop(), this.templateQueue.stop(), this.policyQueue.stop()]);
  }

  /**
   * Whether a Node update changed anything but its heartbeat (node Lease renewals never count): a kubelet re-posts status (new
   * lastHeartbeatTime, new resourceVersion) with nothing else changed, and no check reads the heartbeat
   * time alone, so such an update wakes no Continuous request. Keyed by node name: bounded by the nodes.
   */
  private nodeChanged(kind: string, type: 'add' | 'update' | 'delete', object: KubernetesObject): boolean {
    // A node Lease changes every 10 s by design; a kubelet that stops shows up as the Node going Unknown.
    if (kind === 'Lease') return type !== 'update';
    if (kind !== 'Node') return true;
    const name = object.metadata?.name ?? '';
    if (type === 'delete') {
      this.nodeDigests.delete(name);
      return true;
    }
    // A hash, not the JSON: a Node with its image list is tens of KB, and clusters have thousands.
    const digest = createHash('sha256')
      .update(JSON.stringify(object, (key, value: unknown) => (key === 'lastHeartbeatTime' || key === 'resourceVersion' ? undefined : value)))
      .digest('base64');
    const unchanged = this.nodeDigests.get(name) === digest;
    this.nodeDigests.set(name, digest);
    return !unchanged;
  }

  private enqueueAll(): void {
    this.options.onResync?.();
    for (const request of this.options.cache.informer('TriageRequest').list()) this.queue.add(objectKey(request));
    for (const template of this.options.cache.informer('TriageTemplate').list()) this.templateQueue.add(template.metadata?.name ?? '');
    this.enqueuePolicies();
  }

  private enqueuePolicies(): void {
    for (const policy of this.options.cache.informer('TriagePolicy').list()) this.policyQueue.add(policy.metadata?.name ?? '');
  }

  private enqueueUsersOf(template: KubernetesObject): void {
    const name = template.metadata?.name;
    for (const request of this.options.cache.informer('TriageRequest').list()) {
      if ((request as { spec?: { intent?: string } }).spec?.intent === name) this.queue.add(objectKey(request));
    }
  }
}
