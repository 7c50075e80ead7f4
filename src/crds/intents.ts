import { isClusterScoped } from '../triage/kinds';

/** Kinds a TriageRequest can target. */
export const TARGET_KINDS = [
  'Pod',
  'PersistentVolumeClaim',
  'Ingress',
  'Service',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'Node',
  'Namespace',
  'HorizontalPodAutoscaler',
  'CronJob',
  'Gateway',
  'HTTPRoute',
] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** Target kinds that live outside any namespace (a Namespace target is a sweep, bounded apart): targeting them needs a trusted namespace. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<TargetKind> = new Set(TARGET_KINDS.filter((kind) => kind !== 'Namespace' && isClusterScoped(kind)));

interface IntentInfo {
  /** Kinds the intent can diagnose; the request's whole namespace when no target is given. */
  readonly targetKinds: readonly TargetKind[];
  readonly description: string;
}

const workloads: readonly TargetKind[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'];

/** The built-in intents (../shared/BRIEF.md). Custom ones come from TriageTemplates. */
export const BUILT_IN_INTENTS = {
  'pvc-binding': {
    targetKinds: ['PersistentVolumeClaim', 'Pod', 'Namespace'],
    description: 'Why a PersistentVolumeClaim is not Bound.',
  },
  'scheduling-failures': {
    targetKinds: ['Pod', 'Deployment', 'StatefulSet', 'ReplicaSet', 'Job', 'Namespace'],
    description: 'Why pods stay Pending without a node.',
  },
  'ingress-pending': {
    targetKinds: ['Ingress', 'Namespace'],
    description: 'Why an Ingress has no address or cannot route.',
  },
  'service-no-endpoints': {
    targetKinds: ['Service', 'Namespace'],
    description: 'Why a Service has no ready endpoints.',
  },
  crashloop: {
    targetKinds: ['Pod', ...workloads, 'Namespace'],
    description: 'Why containers crash or restart.',
  },
  'image-pull': {
    targetKinds: ['Pod', ...workloads, 'Namespace'],
    description: 'Why container images cannot be pulled.',
  },
  'rollout-stuck': {
    targetKinds: ['Deployment', 'StatefulSet', 'DaemonSet'],
    description: 'Why a rollout does not progress.',
  },
  'node-pressure': {
    targetKinds: ['Node'],
    description: 'Why nodes are NotReady, under pressure or cordoned.',
  },
  'drain-blocked': {
    targetKinds: ['Node', 'Namespace'],
    description: 'Why a cordoned node does not empty: disruption budgets that allow no eviction.',
  },
  'admission-webhooks': {
    targetKinds: ['Namespace'],
    description: 'Which admission webhooks the apiserver cannot call, cluster-wide.',
  },
  'gateway-pending': {
    targetKinds: ['Gateway', 'HTTPRoute', 'Namespace'],
    description: 'Why a Gateway API Gateway or HTTPRoute does not serve traffic.',
  },
  'job-failures': {
    targetKinds: ['Job', 'CronJob', 'Namespace'],
    description: 'Why a Job failed or does not run, and why a CronJob does not start Jobs.',
  },
  autoscaling: {
    targetKinds: ['HorizontalPodAutoscaler', 'Deployment', 'StatefulSet', 'ReplicaSet', 'Namespace'],
    description: 'Why a HorizontalPodAutoscaler does not scale.',
  },
  'namespace-health': {
    targetKinds: ['Namespace'],
    description: 'Every check above over one namespace, ranked by severity and blast radius.',
  },
  'cluster-health': {
    targetKinds: ['Namespace'],
    description: 'Nodes, control-plane signals and namespace health across namespaces, bounded.',
  },
} as const satisfies Record<string, IntentInfo>;

export type BuiltInIntent = keyof typeof BUILT_IN_INTENTS;
export const BUILT_IN_INTENT_NAMES = Object.keys(BUILT_IN_INTENTS) as BuiltInIntent[];

export function isBuiltInIntent(name: string): name is BuiltInIntent {
  return Object.hasOwn(BUILT_IN_INTENTS, name);
}
