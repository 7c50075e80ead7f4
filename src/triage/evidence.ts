import { TARGET_KINDS, type TargetKind } from '../crds/intents';
import { compareStrings } from './objects';

/**
 * Every evidence key the engine can record, with what was read under it. Reads name one (Investigation),
 * checks declare the ones they always gather, templates require some: `EvidenceKey` is this object's key
 * type, so a key that is not here does not compile, and a template naming one is refused (compileTemplate).
 * docs/codes.md lists them (npm run generate). A key keeps its name once published: envelopes report it.
 */
// A table, one entry a line: read across, not down.
// prettier-ignore
export const EVIDENCE = {
  // The request's target, and a sweep's read of a whole kind (kinds.ts `evidence`, listEvidenceOf).
  target: 'The target the request names: the object by name, or the objects of its kind its selector picks.',
  pods: 'Every Pod a sweep lists.',
  claims: 'Every PersistentVolumeClaim a sweep lists.',
  nodes: "Every Node: a sweep's, or the nodes a pending pod could be scheduled on.",
  services: 'Every Service a sweep lists.',
  ingresses: 'Every Ingress a sweep lists.',
  deployments: 'Every Deployment a sweep lists.',
  statefulsets: 'Every StatefulSet a sweep lists.',
  daemonsets: 'Every DaemonSet a sweep lists.',
  ReplicaSet: 'Every ReplicaSet a sweep lists (named after the kind, unlike the other sweep keys).',
  jobs: 'Every Job a sweep lists.',
  cronjobs: 'Every CronJob a sweep lists.',
  autoscalers: 'Every HorizontalPodAutoscaler a sweep lists.',
  budgets: 'Every PodDisruptionBudget a sweep lists.',
  webhooks: 'Every ValidatingWebhookConfiguration and MutatingWebhookConfiguration a sweep lists.',
  gateways: 'Every Gateway a sweep lists.',
  httproutes: 'Every HTTPRoute a sweep lists.',
  // pod.scheduling, pod.crashloop, pod.image-pull
  pod: 'The pod itself.',
  'pod.events': 'Events about the pod (scheduler, kubelet); also what a template matcher reads on a Pod.',
  'pod.claims': 'The PersistentVolumeClaims the pod mounts.',
  'pod.owner': "The pod's controllers (ReplicaSet, Deployment, StatefulSet, DaemonSet) and the Deployment's older ReplicaSets.",
  'nodes.pods': 'The pods bound to a node a pending pod could use: what they request of its allocatable.',
  // claim.binding
  claim: 'The PersistentVolumeClaim itself.',
  'claim.events': 'Events about the claim (PV controller, external provisioner).',
  'claim.consumers': 'The pods that mount the claim.',
  storageClass: 'The StorageClass the claim names, or every StorageClass when it names none (the default).',
  persistentVolumes: 'The PersistentVolume the claim names, or every PersistentVolume when looking for one that fits.',
  // ingress.routing
  ingress: 'The Ingress itself.',
  ingressClass: 'The IngressClass the Ingress names, or every IngressClass when it names none (the default).',
  tlsSecrets: 'The Secrets the Ingress names for TLS (metadata only, with --watch-secret-metadata).',
  // service.endpoints
  service: 'The Service itself, or a Service an Ingress routes to.',
  endpointSlices: 'The EndpointSlices of the Service.',
  'service.pods': "The pods of the Service's namespace, matched against its selector.",
  'service.networkpolicies': "The NetworkPolicies of the Service's namespace.",
  // node.health
  node: 'The Node itself.',
  'node.lease': "The kubelets' Leases in kube-node-lease: the node's heartbeat, and the others' to measure lag.",
  'node.pods': 'The pods bound to a NotReady node: what its failure puts at stake.',
  // *.rollout
  rollout: 'The Deployment, StatefulSet or DaemonSet whose rollout is examined.',
  'rollout.replicasets': 'The ReplicaSets the Deployment owns.',
  'rollout.pods': "The pods of the rollout's newest ReplicaSet, or of the StatefulSet or DaemonSet.",
  'rollout.events': "Events about the rollout's workload or newest ReplicaSet: a refused create (FailedCreate).",
  'rollout.service': "The StatefulSet's governing Service.",
  'rollout.nodes': "The nodes the rollout's pods are bound to.",
  'rollout.quota': 'The ResourceQuota a refused create was counted against, in its namespace.',
  'rollout.namespace': 'The namespace whose PodSecurity labels refused a create.',
  // *.pods, *.autoscalers (a workload followed to its pods or autoscalers)
  'workload.pods': 'The pods a workload owns (a Deployment through its ReplicaSets).',
  'workload.events': 'Events about a workload short of pods: a refused create (FailedCreate).',
  'workload.autoscalers': "The HorizontalPodAutoscalers of the workload's namespace, to find the ones scaling it.",
  // hpa.scaling
  hpa: 'The HorizontalPodAutoscaler itself.',
  'hpa.target': 'The object the autoscaler scales (scaleTargetRef).',
  'hpa.limitranges': "The LimitRanges of the autoscaler's namespace: defaults that supply requests a container lacks.",
  // job.status, cronjob.status
  job: 'The Job itself.',
  'job.cronjob': 'The CronJob that started the Job.',
  cronjob: 'The CronJob itself.',
  'cronjob.events': 'Events about the CronJob (schedule errors, missed starts), read by cronjob.status.',
  'cronjob.jobs': 'The Jobs the CronJob started.',
  // gateway.status, httproute.routing
  gateway: 'The Gateway itself.',
  gatewayClass: 'The GatewayClass the Gateway names.',
  httproute: 'The HTTPRoute itself, or the route a Gateway was reached from.',
  'route.parents': "The Gateways the route's parentRefs name.",
  'route.namespace': "The route's namespace: its labels, against a listener's namespace selector.",
  'route.backends': "The Services the route's backendRefs name.",
  // *webhook.backend
  webhook: 'The webhook configuration itself.',
  'webhook.configurations': 'Every webhook configuration, to find the one a refused create names.',
  'webhook.service': 'The Service a webhook calls.',
  'webhook.endpoints': "The EndpointSlices of the webhook's Service.",
  'webhook.events': 'Events naming a failing webhook (FailedCreate), and the newest FailedCreate about each workload it blocks.',
  'webhook.blocked': 'The workloads (and their Deployment) whose pod creates a webhook refused.',
  // node.drain, pdb.blocking
  'drain.pods': 'The pods a drain would evict: on the cordoned node, or selected by the budget.',
  'drain.budgets': 'The PodDisruptionBudgets of the namespaces of the pods on a cordoned node.',
  'drain.nodes': 'The nodes the pods a blocking budget protects are bound to.',
  // A TriageTemplate's event matchers: Events about the examined object, `${lowerCamelKind}.events` (matcherEventsKey).
  'persistentVolumeClaim.events': 'Events about the PersistentVolumeClaim, read by a template matcher.',
  'ingress.events': 'Events about the Ingress, read by a template matcher.',
  'service.events': 'Events about the Service, read by a template matcher.',
  'deployment.events': 'Events about the Deployment, read by a template matcher.',
  'statefulSet.events': 'Events about the StatefulSet, read by a template matcher.',
  'daemonSet.events': 'Events about the DaemonSet, read by a template matcher.',
  'replicaSet.events': 'Events about the ReplicaSet, read by a template matcher.',
  'job.events': 'Events about the Job, read by a template matcher.',
  'node.events': 'Events about the Node, read by a template matcher.',
  'namespace.events': 'Events about the Namespace, read by a template matcher.',
  'horizontalPodAutoscaler.events': 'Events about the HorizontalPodAutoscaler, read by a template matcher.',
  'cronJob.events': 'Events about the CronJob, read by a template matcher (cronjob.status reads them as cronjob.events).',
  'gateway.events': 'Events about the Gateway, read by a template matcher.',
  'hTTPRoute.events': 'Events about the HTTPRoute, read by a template matcher (the kind with its first letter lowered).',
} as const satisfies Readonly<Record<string, string>>;

export type EvidenceKey = keyof typeof EVIDENCE;

export function isEvidenceKey(key: string): key is EvidenceKey {
  return Object.hasOwn(EVIDENCE, key);
}

const TARGETS: ReadonlySet<string> = new Set(TARGET_KINDS);
const isTargetKind = (kind: string): kind is TargetKind => TARGETS.has(kind);
/** What the runtime spelling below produces, by type: the return statement fails to compile if a target kind lacks its key. */
type MatcherEventsKey = `${Uncapitalize<TargetKind>}.events`;
const uncapitalize = <S extends string>(text: S): Uncapitalize<S> => `${text.charAt(0).toLowerCase()}${text.slice(1)}` as Uncapitalize<S>;

/**
 * The key a template's event matcher records Events about a `kind` object under, `${lowerCamelKind}.events`
 * ('job.events'); undefined for a kind no request can target (matchers examine only the targeted kinds).
 */
export function matcherEventsKey(kind: string): EvidenceKey | undefined {
  if (!isTargetKind(kind)) return undefined;
  const key: MatcherEventsKey = `${uncapitalize(kind)}.events`;
  return key;
}

/** Levenshtein distance, two rows: keys and codes are short, and only a typo asks. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/**
 * The valid keys closest to a mistyped one, for a template problem: those about the same object first
 * ('job.event' → job.events, job.cronjob, job), then the rest by edit distance.
 */
export function nearbyEvidenceKeys(text: string, count = 3): EvidenceKey[] {
  // Keys are at most 30 characters: the rest of a long string cannot bring a key nearer, only cost time.
  const typed = text.slice(0, 64).toLowerCase();
  const object = (key: string) => key.split('.')[0] ?? '';
  const scored = (Object.keys(EVIDENCE) as EvidenceKey[]).map((key) => ({
    key,
    same: object(key.toLowerCase()) === object(typed),
    score: editDistance(typed, key.toLowerCase()),
  }));
  scored.sort((a, b) => Number(b.same) - Number(a.same) || a.score - b.score || compareStrings(a.key, b.key));
  return scored.slice(0, count).map(({ key }) => key);
}

/** docs/codes.md's evidence section: every key and what was read under it, by key (written by npm run generate). */
export function evidenceMarkdown(): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  // Case-blind, so the one capitalised key (ReplicaSet) sits among its neighbours.
  const keys = (Object.keys(EVIDENCE) as EvidenceKey[]).sort((a, b) => compareStrings(a.toLowerCase(), b.toLowerCase()) || compareStrings(a, b));
  const lines = [
    '# Evidence keys',
    '',
    "What a diagnosis read, by key: the envelope's `evidence` lists each as present, unavailable (with the",
    "reason) or missing, and completeness is the share known. A plural key is a sweep's read of a whole kind,",
    "in the namespace (in the cluster for a Cluster-scoped template). A TriageTemplate's `spec.requiredEvidence`",
    'names keys from this list; a template naming another is not Accepted.',
    '',
    '| key | meaning |',
    '|---|---|',
    ...keys.map((key) => `| \`${key}\` | ${cell(EVIDENCE[key])} |`),
  ];
  return `${lines.join('\n')}\n`;
}
