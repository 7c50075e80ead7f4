import type { TargetKind } from './intents';

// The built-in intents, written in the TriageTemplate format: plain data, compiled against the checks
// in src/triage/templates.ts. The intents' metadata (src/crds/intents.ts: target kinds, descriptions,
// the CRD's validation) is derived from here, so the two cannot drift.

/** A built-in template as written: a TriageTemplate spec over built-in checks, by name. */
export interface BuiltInTemplateSource {
  readonly version: string;
  readonly description: string;
  readonly targetKinds: readonly TargetKind[];
  readonly scope?: 'Namespace' | 'Cluster';
  readonly ranking?: 'Chain' | 'BlastRadius';
  readonly steps: readonly { readonly name: string; readonly checks: readonly string[] }[];
}

const WORKLOAD_CHECKS = ['deployment.pods', 'statefulset.pods', 'replicaset.pods', 'job.pods', 'daemonset.pods'];
/** Everything that can be wrong with a pod, in one step: a chain that reaches a pod learns its own cause. */
const POD_CHECKS = ['pod.scheduling', 'pod.image-pull', 'pod.crashloop'];
const ROLLOUT_CHECKS = ['deployment.rollout', 'statefulset.rollout', 'daemonset.rollout'];
/** What namespace-health looks at first: every symptom-level object of a namespace. */
const NAMESPACE_CHECKS = [
  'claim.binding',
  ...POD_CHECKS,
  'ingress.routing',
  'httproute.routing',
  'gateway.status',
  'service.endpoints',
  ...ROLLOUT_CHECKS,
  'hpa.scaling',
];

/** The built-in intents, written in the TriageTemplate format: steps are hops along the causal chain. */
/** The built-in intents, in the order the CRD and the docs list them: steps are hops along the causal chain. */
export const BUILT_IN_TEMPLATES = {
  'pvc-binding': {
    version: '1',
    description: 'Why a PersistentVolumeClaim is not Bound.',
    targetKinds: ['PersistentVolumeClaim', 'Pod', 'Namespace'],
    steps: [
      { name: 'claim', checks: ['claim.binding'] },
      { name: 'consumer', checks: ['pod.scheduling'] },
    ],
  },
  'scheduling-failures': {
    version: '1',
    description: 'Why pods stay Pending without a node.',
    targetKinds: ['Pod', 'Deployment', 'StatefulSet', 'ReplicaSet', 'Job', 'Namespace'],
    steps: [
      { name: 'workload', checks: WORKLOAD_CHECKS },
      { name: 'pod', checks: ['pod.scheduling'] },
      { name: 'claim', checks: ['claim.binding'] },
    ],
  },
  'ingress-pending': {
    version: '1',
    description: 'Why an Ingress has no address or cannot route.',
    targetKinds: ['Ingress', 'Namespace'],
    steps: [
      { name: 'ingress', checks: ['ingress.routing'] },
      { name: 'service', checks: ['service.endpoints'] },
      { name: 'pod', checks: POD_CHECKS },
      { name: 'claim', checks: ['claim.binding'] },
    ],
  },
  'service-no-endpoints': {
    version: '1',
    description: 'Why a Service has no ready endpoints.',
    targetKinds: ['Service', 'Namespace'],
    steps: [
      { name: 'service', checks: ['service.endpoints'] },
      { name: 'pod', checks: POD_CHECKS },
      { name: 'claim', checks: ['claim.binding'] },
    ],
  },
  crashloop: {
    version: '1',
    description: 'Why containers crash or restart.',
    targetKinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'Namespace'],
    steps: [
      { name: 'workload', checks: WORKLOAD_CHECKS },
      { name: 'pod', checks: ['pod.crashloop'] },
    ],
  },
  'image-pull': {
    version: '1',
    description: 'Why container images cannot be pulled.',
    targetKinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'Namespace'],
    steps: [
      { name: 'workload', checks: WORKLOAD_CHECKS },
      { name: 'pod', checks: ['pod.image-pull'] },
    ],
  },
  'rollout-stuck': {
    version: '1',
    description: 'Why a rollout does not progress.',
    targetKinds: ['Deployment', 'StatefulSet', 'DaemonSet'],
    steps: [
      { name: 'rollout', checks: ROLLOUT_CHECKS },
      { name: 'replicaset', checks: ['replicaset.pods'] },
      { name: 'pod', checks: POD_CHECKS },
      { name: 'claim', checks: ['claim.binding'] },
    ],
  },
  'node-pressure': {
    version: '1',
    description: 'Why nodes are NotReady, under pressure or cordoned.',
    targetKinds: ['Node'],
    steps: [{ name: 'node', checks: ['node.health'] }],
  },
  'drain-blocked': {
    version: '1',
    description: 'Why a cordoned node does not empty: disruption budgets that allow no eviction.',
    targetKinds: ['Node', 'Namespace'],
    steps: [{ name: 'drain', checks: ['node.drain', 'pdb.blocking'] }],
  },
  'admission-webhooks': {
    version: '1',
    description: 'Which admission webhooks the apiserver cannot call, cluster-wide.',
    targetKinds: ['Namespace'],
    // Webhook configurations are cluster-scoped and affect every namespace: a trusted namespace's question.
    scope: 'Cluster',
    ranking: 'BlastRadius',
    steps: [{ name: 'webhooks', checks: ['validatingwebhook.backend', 'mutatingwebhook.backend'] }],
  },
  'gateway-pending': {
    version: '1',
    description: 'Why a Gateway API Gateway or HTTPRoute does not serve traffic.',
    targetKinds: ['Gateway', 'HTTPRoute', 'Namespace'],
    // A route leads to its Gateways (then their class) and its backend Services (then their pods).
    steps: [
      { name: 'objects', checks: ['httproute.routing', 'gateway.status'] },
      { name: 'parents-and-backends', checks: ['gateway.status', 'service.endpoints'] },
      { name: 'pod', checks: POD_CHECKS },
      { name: 'claim', checks: ['claim.binding'] },
    ],
  },
  'job-failures': {
    version: '1',
    description: 'Why a Job failed or does not run, and why a CronJob does not start Jobs.',
    targetKinds: ['Job', 'CronJob', 'Namespace'],
    // A step examines only what the previous one reached: pods a Job leads to are examined one hop on,
    // whether the Job was the target (step 1) or reached from its CronJob (step 2).
    steps: [
      { name: 'objects', checks: ['cronjob.status', 'job.status', 'job.pods'] },
      { name: 'job', checks: ['job.status', 'job.pods', 'pod.crashloop', 'pod.image-pull', 'pod.scheduling'] },
      { name: 'pod', checks: ['pod.crashloop', 'pod.image-pull', 'pod.scheduling'] },
    ],
  },
  autoscaling: {
    version: '1',
    description: 'Why a HorizontalPodAutoscaler does not scale.',
    targetKinds: ['HorizontalPodAutoscaler', 'Deployment', 'StatefulSet', 'ReplicaSet', 'Namespace'],
    steps: [
      { name: 'workload', checks: ['deployment.autoscalers', 'statefulset.autoscalers', 'replicaset.autoscalers'] },
      { name: 'autoscaler', checks: ['hpa.scaling'] },
    ],
  },
  'namespace-health': {
    version: '1',
    description: 'Every check over one namespace, ranked by severity and blast radius.',
    targetKinds: ['Namespace'],
    ranking: 'BlastRadius',
    steps: [
      { name: 'objects', checks: NAMESPACE_CHECKS },
      { name: 'related', checks: ['replicaset.pods', 'service.endpoints', 'gateway.status', 'claim.binding', ...POD_CHECKS] },
      { name: 'deeper', checks: [...POD_CHECKS, 'claim.binding'] },
    ],
  },
  'cluster-health': {
    version: '1',
    description: 'Nodes, then every namespace, bounded and ranked by blast radius.',
    targetKinds: ['Namespace'],
    ranking: 'BlastRadius',
    scope: 'Cluster',
    steps: [
      { name: 'objects', checks: ['node.health', ...NAMESPACE_CHECKS] },
      { name: 'related', checks: ['replicaset.pods', 'service.endpoints', 'gateway.status', 'claim.binding', ...POD_CHECKS] },
      { name: 'deeper', checks: [...POD_CHECKS, 'claim.binding'] },
    ],
  },
} as const satisfies Readonly<Record<string, BuiltInTemplateSource>>;
