import type { TriageRequestObject } from '../crds/triage-request';
import type { Transition, TransitionListener } from '../controllers/triagerequest/transitions';
import type { ClusterCache } from '../kube/cluster-cache';
import type { KubeClient } from '../kube/client';
import { ApiError } from '../kube/errors';
import { PARTIAL_METADATA_LIST } from '../kube/kinds';
import { mergePatch } from '../kube/merge-patch';
import type { Logger } from '../logger';
import { buildReport, REPORT_API_VERSION, REPORT_NAME, type PolicyReportBody } from './policy-report';

const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
const MANAGED_BY = `${MANAGED_BY_LABEL}=triage-operator`;
const reportsPath = (namespace: string) => `/apis/${REPORT_API_VERSION}/namespaces/${encodeURIComponent(namespace)}/policyreports`;
/** A burst of transitions in one namespace (a namespace-wide outage) is one write. */
const COALESCE_MS = 500;

interface StoredReport extends PolicyReportBody {
  readonly metadata: { readonly resourceVersion?: string; readonly labels?: Readonly<Record<string, string>> };
}

/**
 * Publishes each namespace's TriageRequests as a PolicyReport (opt-in: --policy-reports), rewritten
 * when one of them makes a transition and on every resync (which also catches deleted requests). Work
 * is per namespace, coalesced, one namespace at a time: bounded by the namespaces, never by the rate.
 */
export class PolicyReportWriter implements TransitionListener {
  readonly name = 'policy-reports';
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private notInstalledLogged = false;
  // Set when leadership is lost or the operator stops: nothing is written after it.
  private stopped = false;

  constructor(private readonly deps: { readonly cache: ClusterCache; readonly client: KubeClient; readonly logger: Logger }) {}

  notify(transition: Transition): void {
    this.markDirty(transition.request.namespace);
  }

  /** Every namespace with requests, and every namespace whose report this writer made (its requests may all be gone). */
  resync(): void {
    for (const request of this.deps.cache.list('TriageRequest') as readonly TriageRequestObject[]) this.markDirty(request.metadata.namespace ?? '');
    void this.ownReportNamespaces().then((namespaces) => {
      for (const namespace of namespaces) this.markDirty(namespace);
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.dirty.clear();
  }

  private markDirty(namespace: string): void {
    if (this.stopped) return;
    this.dirty.add(namespace);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, COALESCE_MS);
  }

  private async flush(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.dirty.values().next(); !next.done && !this.stopped; next = this.dirty.values().next()) {
        this.dirty.delete(next.value);
        await this.write(next.value);
      }
    } finally {
      this.running = false;
    }
  }

  private async write(namespace: string): Promise<void> {
    const requests = (this.deps.cache.list('TriageRequest', namespace) as readonly TriageRequestObject[]).filter(
      (r) => r.metadata.deletionTimestamp === undefined,
    );
    const path = `${reportsPath(namespace)}/${REPORT_NAME}`;
    try {
      const current = await this.deps.client.getOptional<StoredReport>(path);
      if (requests.length === 0) {
        if (current !== undefined) await this.deps.client.delete(path);
        return;
      }
      const body = buildReport(requests);
      // The apiserver returns a custom resource's keys sorted: compare as values, or every resync rewrites every report.
      if (current !== undefined && mergePatch({ results: current.results, summary: current.summary }, body) === undefined) return;
      const report = {
        apiVersion: REPORT_API_VERSION,
        kind: 'PolicyReport',
        metadata: {
          name: REPORT_NAME,
          namespace,
          labels: { [MANAGED_BY_LABEL]: 'triage-operator' },
          ...(current?.metadata.resourceVersion === undefined ? {} : { resourceVersion: current.metadata.resourceVersion }),
        },
        ...body,
      };
      if (current === undefined) await this.deps.client.create(reportsPath(namespace), report);
      else await this.deps.client.replace(path, report);
      this.deps.logger.debug('PolicyReport written', { namespace, results: body.results.length });
    } catch (error: unknown) {
      this.failed(namespace, error);
    }
  }

  private failed(namespace: string, error: unknown): void {
    if (error instanceof ApiError && error.isNotFound && error.path.startsWith(reportsPath(namespace)) && !error.path.endsWith(REPORT_NAME)) {
      // The PolicyReport CRD is not installed: say so once; the next resync tries again.
      if (!this.notInstalledLogged) this.deps.logger.warn('PolicyReports enabled but the wgpolicyk8s.io CRD is not installed', { namespace });
      this.notInstalledLogged = true;
      return;
    }
    // A conflict or an outage: the next transition or resync writes it again.
    this.deps.logger.info('PolicyReport not written', { namespace, error: error instanceof Error ? error.message : String(error) });
  }

  private async ownReportNamespaces(): Promise<string[]> {
    try {
      // Only ours, metadata only: a policy engine may keep tens of thousands of reports with all their results.
      const list = await this.deps.client.listAll<{ metadata: { namespace?: string; name?: string } }>(
        `/apis/${REPORT_API_VERSION}/policyreports?labelSelector=${encodeURIComponent(MANAGED_BY)}&fieldSelector=${encodeURIComponent(`metadata.name=${REPORT_NAME}`)}`,
        500,
        PARTIAL_METADATA_LIST,
      );
      return list.items.map((r) => r.metadata.namespace ?? '');
    } catch {
      // Not installed or not permitted: nothing of ours to clean up that could be found.
      return [];
    }
  }
}
