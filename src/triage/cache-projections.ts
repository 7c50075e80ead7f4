import type { Projection } from './projection';

// What each cache keeps (ADR 0011). Whole where a kind is small or rare, or read by the operator itself;
// trimmed where objects are many and carry fields no check reads: most of each pod template, container env values
// and args, node image lists, webhook CA bundles, kubectl's last-applied annotation. Widen a projection
// when a rule starts reading a new field: test/golden/projection.test.ts fails until it is kept.

/** The annotations a check or anchor reads; the rest (often large, and sometimes secret) are dropped. */
const ANNOTATIONS: Projection = {
  'triage.dev/accept': true,
  'deployment.kubernetes.io/revision': true,
  'kubernetes.io/config.mirror': true,
  'kubernetes.io/ingress.class': true,
  'ingressclass.kubernetes.io/is-default-class': true,
  'storageclass.kubernetes.io/is-default-class': true,
  'storageclass.beta.kubernetes.io/is-default-class': true,
};

/** A reference to another object: its kind, version, namespace repeat; its name and uid mostly do not. */
const REFERENCE: Projection = {
  apiVersion: 'intern',
  kind: 'intern',
  namespace: 'intern',
  name: true,
  uid: true,
  fieldPath: 'intern',
  resourceVersion: true,
  controller: true,
  blockOwnerDeletion: true,
};

// Namespaces, label values and finalizers repeat across thousands of objects: interned (label keys are
// object keys, which V8 already shares). Names, uids and resourceVersions never repeat: kept as they are.
const METADATA: Projection = {
  name: true,
  namespace: 'intern',
  uid: true,
  resourceVersion: true,
  generation: true,
  creationTimestamp: true,
  deletionTimestamp: true,
  labels: 'intern',
  annotations: ANNOTATIONS,
  ownerReferences: [REFERENCE],
  finalizers: 'intern',
};

const TYPE: { readonly apiVersion: Projection; readonly kind: Projection } = { apiVersion: 'intern', kind: 'intern' };

/** Whole, but for managedFields (never cached) and the annotations no check reads. */
const WHOLE_BUT_METADATA: Projection = {
  ...TYPE,
  metadata: METADATA,
  spec: true,
  status: true,
};

const PROBE: Projection = true;

/** A container as the checks read it: no env values (they may hold secrets), args, mounts or security context. */
const CONTAINER: Projection = {
  name: 'intern',
  image: 'intern',
  imagePullPolicy: true,
  command: true,
  ports: true,
  resources: true,
  restartPolicy: true,
  livenessProbe: PROBE,
  readinessProbe: PROBE,
  startupProbe: PROBE,
  env: [{ name: true, valueFrom: true }],
  envFrom: true,
};

const CONTAINER_STATUS: Projection = {
  name: 'intern',
  image: 'intern',
  ready: true,
  started: true,
  restartCount: true,
  state: true,
  lastState: true,
};

const POD: Projection = {
  ...TYPE,
  metadata: METADATA,
  spec: {
    nodeName: 'intern',
    nodeSelector: 'intern',
    affinity: true,
    tolerations: 'intern',
    schedulingGates: true,
    priorityClassName: 'intern',
    restartPolicy: true,
    terminationGracePeriodSeconds: true,
    overhead: true,
    serviceAccountName: 'intern',
    imagePullSecrets: true,
    volumes: [{ name: true, persistentVolumeClaim: true, configMap: true, secret: true, ephemeral: true }],
    containers: [CONTAINER],
    initContainers: [CONTAINER],
    ephemeralContainers: [CONTAINER],
  },
  status: {
    phase: 'intern',
    reason: 'intern',
    message: true,
    nominatedNodeName: 'intern',
    startTime: true,
    conditions: true,
    containerStatuses: [CONTAINER_STATUS],
    initContainerStatuses: [CONTAINER_STATUS],
    ephemeralContainerStatuses: [CONTAINER_STATUS],
  },
};

/** A pod template as the rollout and autoscaler checks read it: the containers' names, images and resources. */
const TEMPLATE: Projection = {
  metadata: { labels: 'intern' },
  spec: { containers: [{ name: 'intern', image: 'intern', resources: true }], initContainers: [{ name: 'intern', image: 'intern', resources: true }] },
};

/** Workload controllers: the spec with a slim pod template (a whole one per ReplicaSet adds up), and the status. */
const WORKLOAD = (template: Projection): Projection => ({
  ...TYPE,
  metadata: METADATA,
  spec: {
    replicas: true,
    paused: true,
    progressDeadlineSeconds: true,
    minReadySeconds: true,
    selector: true,
    serviceName: true,
    strategy: true,
    updateStrategy: true,
    podManagementPolicy: true,
    template,
  },
  status: true,
});

const JOB: Projection = {
  ...TYPE,
  metadata: METADATA,
  spec: { completions: true, parallelism: true, suspend: true, backoffLimit: true, activeDeadlineSeconds: true, completionMode: true, selector: true },
  status: true,
};

const CRON_JOB: Projection = {
  ...TYPE,
  metadata: METADATA,
  spec: { schedule: true, timeZone: true, suspend: true, concurrencyPolicy: true, startingDeadlineSeconds: true },
  status: true,
};

const NODE: Projection = {
  ...TYPE,
  metadata: METADATA,
  spec: { taints: 'intern', unschedulable: true, podCIDR: true, providerID: true },
  // Not the image list: 50 images with sizes and digests per node, read by no check.
  status: { allocatable: true, capacity: true, conditions: true, nodeInfo: { kubeletVersion: 'intern' }, phase: true },
};

/** Events of both APIs' shapes: the fields normaliseEvent and the Event indexes read. */
const EVENT: Projection = {
  ...TYPE,
  metadata: { name: true, namespace: 'intern', uid: true, resourceVersion: true, creationTimestamp: true },
  involvedObject: REFERENCE,
  regarding: REFERENCE,
  related: REFERENCE,
  reason: 'intern',
  message: true,
  note: true,
  type: 'intern',
  action: 'intern',
  count: true,
  firstTimestamp: true,
  lastTimestamp: true,
  eventTime: true,
  series: true,
  source: 'intern',
  reportingComponent: 'intern',
  reportingController: 'intern',
  reportingInstance: 'intern',
  deprecatedCount: true,
  deprecatedFirstTimestamp: true,
  deprecatedLastTimestamp: true,
  deprecatedSource: 'intern',
};

const ENDPOINT_SLICE: Projection = {
  ...TYPE,
  metadata: METADATA,
  addressType: true,
  // Whole: an anchor quotes the endpoints list as the apiserver holds it (zone, hints, hostname included).
  endpoints: true,
  ports: true,
};

/** Webhook configurations without their CA bundles (kilobytes each). */
const WEBHOOKS: Projection = {
  ...TYPE,
  metadata: METADATA,
  webhooks: [
    {
      name: true,
      clientConfig: { service: true, url: true },
      failurePolicy: true,
      rules: true,
      namespaceSelector: true,
      objectSelector: true,
      timeoutSeconds: true,
      sideEffects: true,
      matchPolicy: true,
      reinvocationPolicy: true,
    },
  ],
};

const NAMESPACE: Projection = { ...TYPE, metadata: METADATA, spec: true, status: true };

const STORAGE_CLASS: Projection = {
  ...TYPE,
  metadata: METADATA,
  provisioner: true,
  volumeBindingMode: true,
  allowVolumeExpansion: true,
  reclaimPolicy: true,
  allowedTopologies: true,
  parameters: true,
};

/** The projections by kind, each named by its kind's entry in src/triage/kinds.ts. */
export const PROJECTION = {
  Pod: POD,
  Node: NODE,
  Namespace: NAMESPACE,
  Event: EVENT,
  StorageClass: STORAGE_CLASS,
  EndpointSlice: ENDPOINT_SLICE,
  Workload: WORKLOAD(TEMPLATE),
  Job: JOB,
  CronJob: CRON_JOB,
  Webhooks: WEBHOOKS,
  WholeButMetadata: WHOLE_BUT_METADATA,
  MetadataOnly: { ...TYPE, metadata: METADATA },
} as const satisfies Readonly<Record<string, Projection>>;
