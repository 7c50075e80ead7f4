import { GROUP, VERSION } from '../crds/triage-request';
import { CLUSTER_SCOPED_KINDS } from '../crds/intents';
import { ApiError } from '../kube/errors';
import { chooseIntent } from '../triage/choose-intent';
import type { KubeObject } from '../triage/snapshot';
import type { MappedAlert } from './mapping';

// The cluster side of the alert receiver: one TriageRequest per firing alert fingerprint, marked when
// the alert resolves and deleted a while later.

export const FINGERPRINT_LABEL = 'triage.dev/alert-fingerprint';
export const ALERTNAME_ANNOTATION = 'triage.dev/alert-name';
export const RESOLVED_ANNOTATION = 'triage.dev/alert-resolved-at';
/** Resolved requests waiting in memory for their deletion; past this, the periodic sweep finds them from their annotation. */
export const MAX_PENDING_DELETIONS = 10_000;

/** The request named after an alert: Alertmanager's fingerprint is unique per label set, so one alert is one request. */
export const requestNameFor = (fingerprint: string): string => `alert-${fingerprint}`;
const requestsPath = (namespace: string) => `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/triagerequests`;

/** The apiserver calls made here (KubeClient has them). */
export interface AlertRequestClient {
  create(path: string, body: unknown): Promise<unknown>;
  delete(path: string): Promise<void>;
  mergePatch(path: string, patch: unknown): Promise<unknown>;
}

/** The informer cache reads made here (ClusterCache has them). */
export interface AlertRequestCache {
  get(kind: string, name: string, namespace?: string): KubeObject | undefined;
  list(kind: string, namespace?: string): readonly KubeObject[];
}

export interface AlertRequestsOptions {
  readonly client: AlertRequestClient;
  readonly cache: AlertRequestCache;
  /** Where requests for cluster-scoped targets (Nodes) go: it must be a trusted namespace. */
  readonly clusterNamespace: string;
  readonly resolvedDelayMs: number;
  readonly now: () => Date;
  readonly onCreated?: () => void;
  readonly onRemoved?: () => void;
  readonly maxPending?: number;
}

export type FireResult = 'Created' | 'Exists';

interface Pending {
  readonly namespace: string;
  readonly name: string;
  readonly due: number;
}

export class AlertRequests {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly options: AlertRequestsOptions) {}

  /** Creates the alert's request unless it exists (then a resolved mark is cleared: the alert fires again). */
  async fire(alert: MappedAlert): Promise<FireResult> {
    const namespace = alert.namespace ?? this.options.clusterNamespace;
    const name = requestNameFor(alert.fingerprint);
    const existing = this.options.cache.get('TriageRequest', name, namespace);
    if (existing !== undefined) {
      this.pending.delete(alert.fingerprint);
      if (existing.metadata?.annotations?.[RESOLVED_ANNOTATION] !== undefined)
        await this.options.client.mergePatch(`${requestsPath(namespace)}/${name}`, { metadata: { annotations: { [RESOLVED_ANNOTATION]: null } } });
      return 'Exists';
    }
    const target = this.options.cache.get(alert.kind, alert.name, alert.namespace);
    const intent = alert.intent ?? chooseIntent(alert.kind, target).intent;
    const body = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'TriageRequest',
      metadata: { name, labels: { [FINGERPRINT_LABEL]: alert.fingerprint }, annotations: { [ALERTNAME_ANNOTATION]: alert.alertname.slice(0, 253) } },
      spec: {
        intent,
        target: CLUSTER_SCOPED_KINDS.has(alert.kind) ? { kind: alert.kind, name: alert.name } : { kind: alert.kind, name: alert.name, namespace },
      },
    };
    try {
      await this.options.client.create(requestsPath(namespace), body);
    } catch (error: unknown) {
      // Created by an earlier post the cache has not seen yet: a re-post is the same alert.
      if (error instanceof ApiError && error.isConflict) return 'Exists';
      throw error;
    }
    this.pending.delete(alert.fingerprint);
    this.options.onCreated?.();
    return 'Created';
  }

  /** Marks the requests of resolved alerts and schedules their deletion; returns how many were found. */
  async resolve(fingerprints: readonly string[]): Promise<number> {
    if (fingerprints.length === 0) return 0;
    const wanted = new Set(fingerprints);
    const now = this.options.now();
    let found = 0;
    for (const request of this.alertRequests()) {
      const fingerprint = request.metadata?.labels?.[FINGERPRINT_LABEL] ?? '';
      if (!wanted.has(fingerprint)) continue;
      found++;
      const namespace = request.metadata?.namespace ?? '';
      const name = request.metadata?.name ?? '';
      const marked = Date.parse(request.metadata?.annotations?.[RESOLVED_ANNOTATION] ?? '');
      if (Number.isNaN(marked))
        await this.options.client.mergePatch(`${requestsPath(namespace)}/${name}`, { metadata: { annotations: { [RESOLVED_ANNOTATION]: now.toISOString() } } });
      const due = (Number.isNaN(marked) ? now.getTime() : marked) + this.options.resolvedDelayMs;
      if (this.pending.has(fingerprint) || this.pending.size < (this.options.maxPending ?? MAX_PENDING_DELETIONS))
        this.pending.set(fingerprint, { namespace, name, due });
    }
    return found;
  }

  /** Deletes the pending requests now due. */
  async deleteDue(): Promise<void> {
    const now = this.options.now().getTime();
    for (const [fingerprint, entry] of [...this.pending]) {
      if (entry.due > now) continue;
      this.pending.delete(fingerprint);
      // The alert may have fired again since: the cache then shows the mark cleared.
      const current = this.options.cache.get('TriageRequest', entry.name, entry.namespace);
      if (current !== undefined && current.metadata?.annotations?.[RESOLVED_ANNOTATION] === undefined) continue;
      await this.remove(entry.namespace, entry.name);
    }
  }

  /** Deletes every alert request whose resolved mark is older than the delay (those a restart or a full map left behind). */
  async sweep(): Promise<void> {
    const now = this.options.now().getTime();
    for (const request of this.alertRequests()) {
      const marked = Date.parse(request.metadata?.annotations?.[RESOLVED_ANNOTATION] ?? '');
      if (Number.isNaN(marked) || marked + this.options.resolvedDelayMs > now) continue;
      this.pending.delete(request.metadata?.labels?.[FINGERPRINT_LABEL] ?? '');
      await this.remove(request.metadata?.namespace ?? '', request.metadata?.name ?? '');
    }
  }

  pendingCount(): number {
    return this.pending.size;
  }

  private alertRequests(): KubeObject[] {
    return this.options.cache.list('TriageRequest').filter((request) => request.metadata?.labels?.[FINGERPRINT_LABEL] !== undefined);
  }

  private async remove(namespace: string, name: string): Promise<void> {
    try {
      await this.options.client.delete(`${requestsPath(namespace)}/${name}`);
      this.options.onRemoved?.();
    } catch (error: unknown) {
      if (!(error instanceof ApiError && error.isNotFound)) throw error;
    }
  }
}
