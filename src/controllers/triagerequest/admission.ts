import { CLUSTER_SCOPED_KINDS } from '../../crds/intents';
import { TriageRequestSpec } from '../../crds/triage-request';
import type { DiagnosisTarget } from '../../triage/engine';
import { isClusterScoped } from '../../triage/kinds';
import type { CompiledTemplate } from '../../triage/templates';

/** Why a request cannot run. Reasons are condition reasons and Event reasons alike. */
export type RejectionReason = 'InvalidSpec' | 'InvalidTarget' | 'NamespaceNotTrusted';

export interface Rejection {
  readonly admitted: false;
  readonly reason: RejectionReason;
  readonly message: string;
}

export type Admission =
  | {
      readonly admitted: true;
      readonly spec: TriageRequestSpec;
      readonly target: DiagnosisTarget;
      /** No spec.target: the template sweeps the request's namespace (or, if it may, the cluster). */
      readonly defaulted: boolean;
    }
  | Rejection;

function reject(reason: RejectionReason, message: string): Rejection {
  return { admitted: false, reason, message };
}

/**
 * Re-validates a request the apiserver already admitted (the CRD schema can be older than this
 * operator, or bypassed) and resolves its target to exactly what will be read: a Namespace target is
 * always named, so the namespace the engine sweeps is the one the boundary check sees.
 */
export function admit(namespace: string, rawSpec: unknown): Admission {
  const parsed = TriageRequestSpec.safeParse(rawSpec);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `spec.${issue.path.join('.')}: ${issue.message}`);
    return reject('InvalidSpec', problems.join('; '));
  }
  const spec = parsed.data;
  if (spec.target === undefined) return { admitted: true, spec, target: { kind: 'Namespace', name: namespace, namespace }, defaulted: true };
  const { kind, name, selector } = spec.target;
  if (kind === 'Namespace') {
    if (selector !== undefined) return reject('InvalidTarget', 'spec.target.selector: a Namespace target is named, not selected');
    const named = name ?? spec.target.namespace ?? namespace;
    if (spec.target.namespace !== undefined && spec.target.namespace !== named) {
      return reject(
        'InvalidTarget',
        `spec.target.namespace: ${spec.target.namespace} differs from spec.target.name ${named}; a Namespace target is named by name alone`,
      );
    }
    return { admitted: true, spec, target: { kind, name: named, namespace: named }, defaulted: false };
  }
  const target: DiagnosisTarget = {
    kind,
    // Cluster-scoped targets (nodes) have no namespace.
    ...(CLUSTER_SCOPED_KINDS.has(kind) ? {} : { namespace: spec.target.namespace ?? namespace }),
    ...(name === undefined ? {} : { name }),
    ...(selector === undefined ? {} : { selector }),
  };
  return { admitted: true, spec, target, defaulted: false };
}

/** What a template can read beyond the request's namespace, whatever the request names. */
function reachOf(template: Pick<CompiledTemplate, 'name' | 'scope' | 'targetKinds' | 'steps'>): string | undefined {
  if (template.scope === 'Cluster') return `template ${template.name} has scope Cluster`;
  const examined = new Set<string>([...template.targetKinds, ...template.steps.flatMap((step) => step.checks.map((check) => check.subject))]);
  // A Namespace target names the namespace swept, which the boundary checks on its own.
  const clusterKind = [...examined].find((kind) => kind !== 'Namespace' && isClusterScoped(kind));
  return clusterKind === undefined ? undefined : `template ${template.name} examines ${clusterKind} objects, which are cluster-scoped`;
}

/**
 * The namespace boundary, decided in one place on the resolved target and the resolved template
 * (built-in, custom or override alike): a request from an untrusted namespace reads only its own
 * namespace. Also rejects a target kind the template does not diagnose.
 */
export function authorize(
  requestNamespace: string,
  admission: Extract<Admission, { admitted: true }>,
  template: Pick<CompiledTemplate, 'name' | 'scope' | 'targetKinds' | 'steps'>,
  trustedNamespaces: readonly string[],
): Rejection | undefined {
  const { target } = admission;
  if (!admission.defaulted && !template.targetKinds.includes(target.kind)) {
    return reject('InvalidTarget', `spec.target.kind: intent ${template.name} cannot target ${target.kind}; it targets ${template.targetKinds.join(', ')}`);
  }
  if (trustedNamespaces.includes(requestNamespace)) return undefined;
  const untrusted = `and namespace ${requestNamespace} is not trusted for cross-namespace triage`;
  const reach = reachOf(template);
  if (reach !== undefined) return reject('NamespaceNotTrusted', `spec.intent: ${reach} ${untrusted}`);
  if (CLUSTER_SCOPED_KINDS.has(target.kind)) return reject('NamespaceNotTrusted', `spec.target.kind: ${target.kind} is cluster-scoped ${untrusted}`);
  if (target.namespace !== requestNamespace) {
    return reject(
      'NamespaceNotTrusted',
      `spec.target: namespace ${target.namespace ?? '(none)'} is outside this request's namespace ${requestNamespace}, ${untrusted}`,
    );
  }
  return undefined;
}

/** How `kubectl get tr` shows the target: Kind/name, Kind/ns/name across namespaces, Kind/k=v for selectors. */
export function describeTarget(requestNamespace: string, target: DiagnosisTarget): string {
  const where = target.namespace !== undefined && target.namespace !== requestNamespace && target.kind !== 'Namespace' ? `${target.namespace}/` : '';
  if (target.name !== undefined) return `${target.kind}/${where}${target.name}`;
  const labels = Object.entries(target.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  const expressions = (target.selector?.matchExpressions ?? []).map((e) => `${e.key} ${e.operator}`);
  return `${target.kind}/${where}${[...labels, ...expressions].join(',') || '*'}`;
}
