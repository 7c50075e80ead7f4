import { CLUSTER_SCOPED_KINDS, intentInfo, isBuiltInIntent } from '../../crds/intents';
import { TriageRequestSpec } from '../../crds/triage-request';
import type { DiagnosisTarget } from '../../triage/engine';

/** Why a request cannot run. Reasons are condition reasons and Event reasons alike. */
export type RejectionReason = 'InvalidSpec' | 'InvalidTarget' | 'NamespaceNotTrusted';

export type Admission =
  | { readonly admitted: true; readonly spec: TriageRequestSpec; readonly target: DiagnosisTarget }
  | { readonly admitted: false; readonly reason: RejectionReason; readonly message: string };

function reject(reason: RejectionReason, message: string): Admission {
  return { admitted: false, reason, message };
}

/**
 * Re-validates a request the apiserver already admitted (the CRD schema can be older than this
 * operator, or bypassed) and enforces the namespace boundary: a request diagnoses only its own
 * namespace unless its namespace is trusted.
 */
export function admit(namespace: string, rawSpec: unknown, trustedNamespaces: readonly string[]): Admission {
  const parsed = TriageRequestSpec.safeParse(rawSpec);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `spec.${issue.path.join('.')}: ${issue.message}`);
    return reject('InvalidSpec', problems.join('; '));
  }
  const spec = parsed.data;
  const builtIn = isBuiltInIntent(spec.intent) ? intentInfo(spec.intent) : undefined;

  if (spec.target !== undefined && builtIn !== undefined && !builtIn.targetKinds.includes(spec.target.kind)) {
    return reject(
      'InvalidTarget',
      `spec.target.kind: intent ${spec.intent} cannot target ${spec.target.kind}; it targets ${builtIn.targetKinds.join(', ')}`,
    );
  }

  const target: DiagnosisTarget =
    spec.target === undefined
      ? { kind: 'Namespace', name: namespace, namespace }
      : {
          kind: spec.target.kind,
          // Cluster-scoped targets (nodes) have no namespace.
          ...(CLUSTER_SCOPED_KINDS.has(spec.target.kind) ? {} : { namespace: spec.target.namespace ?? namespace }),
          ...(spec.target.name === undefined ? {} : { name: spec.target.name }),
          ...(spec.target.selector === undefined ? {} : { selector: spec.target.selector }),
        };

  const trusted = trustedNamespaces.includes(namespace);
  if (!trusted) {
    if (builtIn?.clusterScoped === true) {
      return reject('NamespaceNotTrusted', `spec.intent: ${spec.intent} is cluster-scoped and namespace ${namespace} is not trusted`);
    }
    if (CLUSTER_SCOPED_KINDS.has(target.kind)) {
      return reject('NamespaceNotTrusted', `spec.target.kind: ${target.kind} is cluster-scoped and namespace ${namespace} is not trusted`);
    }
    const targetNamespace = target.kind === 'Namespace' ? target.name : target.namespace;
    if (targetNamespace !== undefined && targetNamespace !== namespace) {
      return reject(
        'NamespaceNotTrusted',
        `spec.target: namespace ${targetNamespace} is outside this request's namespace ${namespace}, which is not trusted for cross-namespace triage`,
      );
    }
  }
  return { admitted: true, spec, target };
}

/** How `kubectl get tr` shows the target: Kind/name, Kind/ns/name across namespaces, Kind/k=v for selectors. */
export function describeTarget(requestNamespace: string, target: DiagnosisTarget): string {
  const where = target.namespace !== undefined && target.namespace !== requestNamespace && target.kind !== 'Namespace' ? `${target.namespace}/` : '';
  if (target.name !== undefined) return `${target.kind}/${where}${target.name}`;
  const labels = Object.entries(target.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  const expressions = (target.selector?.matchExpressions ?? []).map((e) => `${e.key} ${e.operator}`);
  return `${target.kind}/${where}${[...labels, ...expressions].join(',') || '*'}`;
}
