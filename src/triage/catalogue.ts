import type { Severity } from '../crds/envelope';

/** What the catalogue says of one root-cause code: where it comes from and what it means. */
export interface CodeInfo {
  /** The built-in intent that reports it first (namespace-health and cluster-health report them all). */
  readonly intent: string;
  /** Its usual severity; a check may lower it (a Warning when a webhook fails open, Info when benign). */
  readonly severity: Severity;
  readonly meaning: string;
  /** A state that is not a fault: Info, verdict Healthy, or Inconclusive until status.nextCheckAt. */
  readonly benign?: boolean;
  /** Look-alikes that are not this fault, for the reader who wonders why nothing was reported. */
  readonly notAFault?: string;
}

/**
 * Every root-cause code the built-in checks can report: stable CamelCase, a code keeps its meaning once
 * published. `Code` is its key type, so a check naming a code that is not here does not compile;
 * docs/codes.md is generated from it (npm run generate) and drift-checked.
 */
// A table, one entry a line: read across, not down.
// prettier-ignore
export const CATALOGUE = {
  // pvc-binding
  StorageClassNotFound: { intent: 'pvc-binding', severity: 'Critical', meaning: 'The claim names a StorageClass that does not exist.' },
  NoDefaultStorageClass: { intent: 'pvc-binding', severity: 'Critical', meaning: 'The claim names no class and the cluster has no default StorageClass.' },
  NoMatchingPersistentVolume: { intent: 'pvc-binding', severity: 'Critical', meaning: 'No provisioner serves the claim and no available PersistentVolume fits it (class, size, access modes, selector).' },
  VolumeMismatch: { intent: 'pvc-binding', severity: 'Critical', meaning: 'The volume the claim names (spec.volumeName) cannot bind to it.' },
  ProvisionerNotRunning: { intent: 'pvc-binding', severity: 'Critical', meaning: 'The class names an external provisioner that never started provisioning.', notAFault: 'a request younger than 30 s (ProvisioningInProgress)' },
  ProvisioningFailed: { intent: 'pvc-binding', severity: 'Critical', meaning: 'The provisioner tried and failed; its message is quoted.' },
  VolumeTopologyConflict: { intent: 'pvc-binding', severity: 'Critical', meaning: 'Provisioning failed on topology: no zone fits both the class and the consumer.' },
  ClaimLost: { intent: 'pvc-binding', severity: 'Critical', meaning: 'The claim lost its bound volume (phase Lost).' },
  WaitingForFirstConsumer: { intent: 'pvc-binding', severity: 'Info', benign: true, meaning: 'WaitForFirstConsumer binding and no pod uses the claim yet.' },
  BindingPending: { intent: 'pvc-binding', severity: 'Warning', meaning: 'An available PersistentVolume matches the Pending claim, yet the PV controller has not bound them.' },
  ProvisioningInProgress: { intent: 'pvc-binding', severity: 'Info', benign: true, meaning: 'An external provisioner was asked less than 30 s ago: not decidable yet.' },
  // scheduling-failures
  InsufficientResources: { intent: 'scheduling-failures', severity: 'Critical', meaning: 'No node has room: the resource, what the pod requests and the most free on a node, or the largest node when none allocates that much.' },
  TooManyPods: { intent: 'scheduling-failures', severity: 'Critical', meaning: 'Every fitting node is at its pod limit.' },
  UntoleratedTaint: { intent: 'scheduling-failures', severity: 'Critical', meaning: 'The nodes carry a taint the pod does not tolerate.' },
  NodeAffinityMismatch: { intent: 'scheduling-failures', severity: 'Critical', meaning: 'No node matches the pod\'s node selector or required node affinity.' },
  PodAffinityUnsatisfied: { intent: 'scheduling-failures', severity: 'Critical', meaning: 'No node has the pods the pod\'s required affinity asks to be near.' },
  PodAntiAffinityConflict: { intent: 'scheduling-failures', severity: 'Critical', meaning: 'Anti-affinity (the pod\'s or existing pods\') excludes every node.' },
  TopologySpreadUnsatisfiable: { intent: 'scheduling-failures', severity: 'Critical', meaning: 'A DoNotSchedule topology spread constraint cannot be met.' },
  HostPortConflict: { intent: 'scheduling-failures', severity: 'Critical', meaning: 'The host port the pod asks for is taken on every fitting node.' },
  NodesUnschedulable: { intent: 'scheduling-failures', severity: 'Critical', meaning: 'Every node is cordoned.' },
  NoNodes: { intent: 'scheduling-failures', severity: 'Critical', meaning: 'The cluster has no nodes.' },
  UnboundPersistentVolumeClaim: { intent: 'scheduling-failures', severity: 'Critical', meaning: 'The pod waits on an unbound claim; the chain continues into pvc-binding.' },
  PersistentVolumeClaimNotFound: { intent: 'scheduling-failures', severity: 'Critical', meaning: 'The pod mounts a claim that does not exist.' },
  VolumeNodeAffinityConflict: { intent: 'scheduling-failures', severity: 'Critical', meaning: 'The pod\'s bound volumes can only be used on nodes it cannot run on.' },
  NodeNameMismatch: { intent: 'scheduling-failures', severity: 'Critical', meaning: 'The pod asks for a node by name or hostname label that does not fit (the node is gone, or cannot take it).' },
  SchedulingGated: { intent: 'scheduling-failures', severity: 'Warning', meaning: 'The pod carries scheduling gates; nothing schedules it until they are removed.' },
  Unschedulable: { intent: 'scheduling-failures', severity: 'Warning', meaning: 'The scheduler\'s message matched no rule; it is quoted as is.' },
  // ingress-pending
  NoIngressClass: { intent: 'ingress-pending', severity: 'Critical', meaning: 'The Ingress names no class and there is no default: no controller will serve it (outranks backend faults).', notAFault: 'an Ingress that has an address (a controller serves classless Ingresses)' },
  IngressClassNotFound: { intent: 'ingress-pending', severity: 'Critical', meaning: 'The Ingress names an IngressClass that does not exist (outranks backend faults).', notAFault: 'cloud classes without an IngressClass object on an Ingress that has an address' },
  LegacyIngressClassAnnotation: { intent: 'ingress-pending', severity: 'Info', benign: true, meaning: 'The deprecated class annotation names a class no IngressClass defines: normal for controllers such as GKE\'s "gce".' },
  BackendServiceNotFound: { intent: 'ingress-pending', severity: 'Critical', meaning: 'A backend Service does not exist.' },
  BackendServicePortMismatch: { intent: 'ingress-pending', severity: 'Critical', meaning: 'A backend port is not a port of the Service.' },
  TLSSecretNotFound: { intent: 'ingress-pending', severity: 'Critical', meaning: 'A TLS Secret does not exist (needs --watch-secret-metadata; otherwise unavailable, never "not found").' },
  IngressControllerNotReporting: { intent: 'ingress-pending', severity: 'Warning', meaning: 'Everything checks out but no controller has given the Ingress an address.' },
  NoReadyEndpoints: { intent: 'ingress-pending', severity: 'Critical', meaning: 'A Service traffic is routed to has no ready endpoint; the chain continues into it.' },
  // service-no-endpoints
  SelectorMatchesNoPods: { intent: 'service-no-endpoints', severity: 'Critical', meaning: 'The Service\'s selector matches no pod.' },
  PodsNotReady: { intent: 'service-no-endpoints', severity: 'Critical', meaning: 'The selected pods are not Ready; the chain continues into their own cause.' },
  TargetPortMismatch: { intent: 'service-no-endpoints', severity: 'Critical', meaning: 'The targetPort is a name no pod declares, or a number no pod declares while every pod declares its ports.' },
  NoSelector: { intent: 'service-no-endpoints', severity: 'Warning', meaning: 'A Service without a selector whose hand-made endpoints are not ready.', notAFault: 'ExternalName and headless Services without a selector' },
  TrafficDeniedByNetworkPolicy: { intent: 'service-no-endpoints', severity: 'Warning', meaning: 'NetworkPolicies isolate every ready pod for ingress and no rule of any policy selecting them allows a source.' },
  // crashloop
  OOMKilled: { intent: 'crashloop', severity: 'Critical', meaning: 'A container was killed for memory (limit and usage given), at any moment of the loop.' },
  ApplicationError: { intent: 'crashloop', severity: 'Critical', meaning: 'A container exits abnormally: exit code, last termination message or log line.', notAFault: 'a single early exit followed by a run that stayed up; a restart long ago' },
  LivenessProbeFailing: { intent: 'crashloop', severity: 'Critical', meaning: 'The kubelet restarts the container because its liveness (or startup) probe fails.' },
  ConfigMissing: { intent: 'crashloop', severity: 'Critical', meaning: 'A ConfigMap, Secret, key or volume the container needs does not exist.' },
  CommandNotFound: { intent: 'crashloop', severity: 'Critical', meaning: 'The container\'s command does not exist in the image (exit 127/126, or the runtime says so).' },
  ContainerCreateFailed: { intent: 'crashloop', severity: 'Critical', meaning: 'The runtime cannot create the container; its message is quoted.' },
  PodEvicted: { intent: 'crashloop', severity: 'Warning', meaning: 'The kubelet evicted the pod: which resource, the limit or threshold, and whose usage.', notAFault: 'an eviction more than an hour old beside healthy pods' },
  // image-pull
  ImageNotFound: { intent: 'image-pull', severity: 'Critical', meaning: 'The repository or tag does not exist.' },
  ImagePullUnauthorized: { intent: 'image-pull', severity: 'Critical', meaning: 'The registry refuses the credentials (lower confidence when its wording fits a missing repository too).' },
  RegistryUnreachable: { intent: 'image-pull', severity: 'Critical', meaning: 'The registry cannot be reached (DNS, connection, TLS).' },
  InvalidImageName: { intent: 'image-pull', severity: 'Critical', meaning: 'The image reference cannot be parsed.' },
  ImagePullRateLimited: { intent: 'image-pull', severity: 'Warning', meaning: 'The registry rate-limits the pulls.' },
  ImagePullFailed: { intent: 'image-pull', severity: 'Warning', meaning: 'A pull failed for a reason no rule names; the kubelet\'s message is quoted.' },
  PullSecretNotFound: { intent: 'image-pull', severity: 'Critical', meaning: 'An imagePullSecret the pod names does not exist.' },
  // rollout-stuck
  ProgressDeadlineExceeded: { intent: 'rollout-stuck', severity: 'Critical', meaning: 'The rollout passed its progress deadline; the chain continues into the pods\' cause.' },
  QuotaExceeded: { intent: 'rollout-stuck', severity: 'Critical', meaning: 'A ResourceQuota refuses the pods (what is exceeded, or which limit to set).' },
  PodSecurityRejected: { intent: 'rollout-stuck', severity: 'Critical', meaning: 'PodSecurity admission refuses the pods.' },
  WebhookFailing: { intent: 'rollout-stuck', severity: 'Critical', meaning: 'An admission webhook the apiserver cannot call refuses the pods; chained to its configuration and Service.', notAFault: 'a refusal by a webhook since deleted, failing open or with endpoints again (Info, re-checked)' },
  PodCreationFailed: { intent: 'rollout-stuck', severity: 'Critical', meaning: 'The controller cannot create pods for a reason no rule names; the message is quoted.' },
  StatefulSetServiceMissing: { intent: 'rollout-stuck', severity: 'Warning', meaning: 'The StatefulSet\'s governing Service does not exist.' },
  RolloutStalled: { intent: 'rollout-stuck', severity: 'Warning', meaning: 'A StatefulSet or DaemonSet rollout has not moved for 10 minutes.' },
  ReplicasUnavailable: { intent: 'rollout-stuck', severity: 'Warning', meaning: 'Replicas are unavailable and no pod-level cause was found.' },
  RolloutPaused: { intent: 'rollout-stuck', severity: 'Info', benign: true, meaning: 'The Deployment is paused.' },
  RolloutInProgress: { intent: 'rollout-stuck', severity: 'Info', benign: true, meaning: 'The rollout is within its progress deadline: not decidable yet.' },
  // node-pressure
  NodeNotReady: { intent: 'node-pressure', severity: 'Critical', meaning: 'The node is NotReady or Unknown, or its kubelet stopped renewing its Lease.' },
  MemoryPressure: { intent: 'node-pressure', severity: 'Warning', meaning: 'The kubelet reports memory pressure.' },
  DiskPressure: { intent: 'node-pressure', severity: 'Warning', meaning: 'The kubelet reports disk pressure.' },
  PIDPressure: { intent: 'node-pressure', severity: 'Warning', meaning: 'The kubelet reports PID pressure.' },
  NetworkUnavailable: { intent: 'node-pressure', severity: 'Critical', meaning: 'The node\'s network is not configured.' },
  NodeCordoned: { intent: 'node-pressure', severity: 'Warning', meaning: 'The node is cordoned (spec.unschedulable).' },
  NodeProblemDetected: { intent: 'node-pressure', severity: 'Critical', meaning: 'A node-problem-detector condition is True (KernelDeadlock, ReadonlyFilesystem, ...).', notAFault: 'vendors\' own node conditions; restart counters' },
  // admission-webhooks
  WebhookServiceNotFound: { intent: 'admission-webhooks', severity: 'Critical', meaning: 'A webhook\'s Service does not exist (Warning when its failurePolicy is Ignore).' },
  WebhookNoReadyEndpoints: { intent: 'admission-webhooks', severity: 'Critical', meaning: 'A webhook\'s Service has no ready endpoint (Warning when its failurePolicy is Ignore).' },
  // autoscaling
  ScaleTargetNotFound: { intent: 'autoscaling', severity: 'Critical', meaning: 'The HorizontalPodAutoscaler scales an object that does not exist.' },
  MetricsUnavailable: { intent: 'autoscaling', severity: 'Critical', meaning: 'The HPA controller cannot read its metrics (no metrics API, an adapter failing).' },
  MissingResourceRequests: { intent: 'autoscaling', severity: 'Critical', meaning: 'A utilization target over a resource the pods do not request.' },
  ScalingLimited: { intent: 'autoscaling', severity: 'Info', benign: true, meaning: 'The HPA rests at minReplicas or maxReplicas.' },
  // job-failures
  JobFailed: { intent: 'job-failures', severity: 'Critical', meaning: 'The Job gave up (backoff limit, deadline); its failed pods\' own cause is the root when they show one.', notAFault: 'a failed Job a later run of its CronJob superseded' },
  JobSuspended: { intent: 'job-failures', severity: 'Warning', meaning: 'The Job is suspended.' },
  CronJobSuspended: { intent: 'job-failures', severity: 'Warning', meaning: 'The CronJob is suspended.' },
  CronJobInvalidSchedule: { intent: 'job-failures', severity: 'Critical', meaning: 'The cronjob controller cannot use the schedule or time zone.' },
  CronJobMissedSchedules: { intent: 'job-failures', severity: 'Warning', meaning: 'Start times were missed (too many, or past startingDeadlineSeconds).' },
  // gateway-pending
  GatewayClassNotFound: { intent: 'gateway-pending', severity: 'Critical', meaning: 'The Gateway names a GatewayClass that does not exist.' },
  GatewayClassNotAccepted: { intent: 'gateway-pending', severity: 'Critical', meaning: 'The class was refused by its controller, or no controller answered for a minute.' },
  GatewayNotAccepted: { intent: 'gateway-pending', severity: 'Critical', meaning: 'The controller refused the Gateway, or never answered for it.' },
  GatewayNotProgrammed: { intent: 'gateway-pending', severity: 'Critical', meaning: 'Accepted, but the controller could not program its data plane (address, resources).' },
  GatewayListenerInvalid: { intent: 'gateway-pending', severity: 'Warning', meaning: 'A listener is not accepted, cannot resolve its references (a TLS Secret), is not programmed, or conflicts.' },
  GatewayPending: { intent: 'gateway-pending', severity: 'Info', benign: true, meaning: 'A class, Gateway or route less than a minute old without its controller\'s answer: not decidable yet.' },
  RouteParentNotFound: { intent: 'gateway-pending', severity: 'Critical', meaning: 'The route attaches to a Gateway that does not exist, or to none.' },
  RouteNotAllowed: { intent: 'gateway-pending', severity: 'Critical', meaning: 'The Gateway refuses the route: its controller says so, or its listeners\' kinds, namespaces or hostnames exclude it.' },
  RouteNotAccepted: { intent: 'gateway-pending', severity: 'Warning', meaning: 'No controller has answered for the route and its parent.' },
  RouteBackendNotFound: { intent: 'gateway-pending', severity: 'Critical', meaning: 'A backend Service does not exist.', notAFault: 'a backendRef of weight 0' },
  RouteBackendPortMismatch: { intent: 'gateway-pending', severity: 'Critical', meaning: 'A backend port is not a port of the Service.' },
  RouteBackendNotPermitted: { intent: 'gateway-pending', severity: 'Critical', meaning: 'A backend in another namespace that no ReferenceGrant permits.' },
  RouteBackendUnresolved: { intent: 'gateway-pending', severity: 'Critical', meaning: 'The controller cannot resolve a backend (unsupported kind or protocol); its reason is quoted.' },
  // drain-blocked
  DisruptionBudgetBlocking: { intent: 'drain-blocked', severity: 'Critical', meaning: 'A PodDisruptionBudget allowing 0 disruptions protects pods on a cordoned node.', notAFault: 'a budget that allows a disruption; DaemonSet and mirror pods (a drain skips them)' },
  // any sweep
  BreadthLimitReached: { intent: 'cluster-health', severity: 'Info', meaning: 'More objects of one kind showed a fault than a step examines (500); the rest were left out, so the verdict cannot be Healthy (bounds.truncated).', notAFault: 'objects without a fault: they never count against the limit' },
} as const satisfies Readonly<Record<string, CodeInfo>>;

export type Code = keyof typeof CATALOGUE;

/** A code a TriageTemplate's matcher declares: a CamelCase string of the template's choosing, outside the catalogue. */
export type CustomCode = string & { readonly customCode: true };

/** Marks a template's own code (validated by the TriageTemplate schema) as such. */
export function customCode(code: string): CustomCode {
  return code as CustomCode;
}

export function isCatalogued(code: string): code is Code {
  return Object.hasOwn(CATALOGUE, code);
}

/** docs/codes.md: the catalogue as a reader looks for it, by intent (written by npm run generate). */
export function catalogueMarkdown(intentOrder: readonly string[]): string {
  const entries = Object.entries(CATALOGUE) as [Code, CodeInfo][];
  const intents = [...intentOrder.filter((intent) => entries.some(([, info]) => info.intent === intent))];
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const lines = [
    '<!-- Generated by `npm run generate` from src/triage/catalogue.ts and src/triage/evidence.ts. Do not edit. -->',
    '# Root-cause codes',
    '',
    'Stable CamelCase codes; a code keeps its meaning once published. Each is reported first by the intent',
    'it is listed under; `namespace-health` and `cluster-health` run them all. A TriageTemplate adds its own',
    'codes. Benign codes are Info: the verdict stays Healthy, or Inconclusive until `status.nextCheckAt`',
    'when the state is not decidable yet.',
  ];
  for (const intent of intents) {
    lines.push('', `## ${intent}`, '', '| code | severity | meaning | not a fault |', '|---|---|---|---|');
    for (const [code, info] of entries.filter(([, i]) => i.intent === intent)) {
      lines.push(`| \`${code}\` | ${info.benign === true ? 'Info (benign)' : info.severity} | ${cell(info.meaning)} | ${cell(info.notAFault ?? '')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
