import { admit, authorize } from '../controllers/triagerequest/admission';
import { evaluateRequest, resolveTemplate, type TemplateSource } from '../controllers/triagerequest/evaluate';
import type { TriageRequestSpec } from '../crds/triage-request';
import { createLogger } from '../logger';
import type { ClusterSnapshot } from '../triage/snapshot';
import type { TriageResult } from './result';

export interface LocalRun {
  /** The namespace a TriageRequest would live in: the boundary is drawn from it, as the operator draws it. */
  readonly namespace: string;
  readonly spec: Partial<TriageRequestSpec> & { readonly intent: string };
  /**
   * The cluster to read, for a namespace or (undefined) all of them: the intent's reach decides which,
   * so a request that must look outside its namespace (nodes, webhooks, the cluster) sees everything.
   */
  readonly snapshotFor: (namespace: string | undefined) => Promise<ClusterSnapshot>;
  readonly templates: TemplateSource;
  readonly source: 'local' | 'file';
  readonly now: () => Date;
  readonly signal?: AbortSignal;
}

/**
 * A triage run by the plugin itself, with the operator's own evaluation (validation, boundary,
 * template, engine), over what the caller may read. Nothing is written to the cluster.
 */
export async function diagnoseLocally(run: LocalRun): Promise<TriageResult> {
  const admission = admit(run.namespace, run.spec);
  const resolved = admission.admitted ? resolveTemplate(admission.spec.intent, run.templates) : undefined;
  // Reaching past the namespace is what the operator grants only to trusted namespaces; here the caller's own RBAC is the limit.
  const reachesOut = admission.admitted && resolved?.kind === 'Found' && authorize(run.namespace, admission, resolved.template, []) !== undefined;
  const scope = !admission.admitted || reachesOut ? undefined : (admission.target.namespace ?? run.namespace);
  const snapshot = await run.snapshotFor(scope);
  const request = { metadata: { name: 'local', namespace: run.namespace, generation: 1 }, spec: run.spec };
  const evaluation = await evaluateRequest(
    { namespace: run.namespace, request, generation: 1, snapshot, log: createLogger('error'), signal: run.signal ?? new AbortController().signal },
    { now: run.now, trustedNamespaces: reachesOut ? [run.namespace] : [], templates: run.templates },
  );
  const { status } = evaluation;
  return {
    source: run.source,
    intent: run.spec.intent,
    target: status.target ?? run.namespace,
    ...(status.verdict === undefined ? {} : { verdict: status.verdict }),
    ...(status.envelope === undefined ? {} : { envelope: status.envelope }),
    ...(status.conditions === undefined ? {} : { conditions: status.conditions }),
  };
}
