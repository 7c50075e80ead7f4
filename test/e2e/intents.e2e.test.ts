import type { V1Pod } from '@kubernetes/client-node';
import type { Envelope } from '../../src/crds/envelope';
import { verifyAnchors } from './support/anchors';
import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { startOperator, stopAllOperators } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { getTriageRequest, triageVerified } from './support/triage';

// Every root-cause code of pvc-binding, scheduling-failures and ingress-pending that this cluster
// produces by itself (scheduler, PV controller, kwok nodes). Each scenario waits for the cluster's own
// signal first, as an admin would, then triages and follows every anchor back to the API.
const ns = useTestNamespace('e2e-intents');
const cleanups: (() => Promise<unknown>)[] = [];
const image = 'registry.k8s.io/pause:3.10';

beforeAll(async () => {
  // Trimmed caches (the default, said here): every anchor below is followed back to the live object's field.
  await startOperator({ args: ['--trim-caches=true'] });
});

afterAll(async () => {
  await stopAllOperators();
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const triage = (name: string, spec: Record<string, unknown>) => triageVerified(ns.name, name, spec);

const chainOf = (envelope: Envelope) => envelope.rootCause?.chain.map((ref) => `${ref.kind}/${ref.name}`);

async function claim(name: string, spec: Record<string, unknown>): Promise<string> {
  const created = await kube().core.createNamespacedPersistentVolumeClaim({
    namespace: ns.name,
    body: { metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec } },
  });
  return created.metadata?.uid ?? '';
}

async function claimEvent(uid: string, reason: string): Promise<void> {
  await eventually(`${reason} on claim ${uid}`, async () => {
    const events = await kube().core.listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.uid=${uid}` });
    return events.items.some((e) => e.reason === reason) ? true : undefined;
  });
}

async function pod(name: string, spec: Partial<V1Pod['spec']> = {}): Promise<void> {
  await kube().core.createNamespacedPod({
    namespace: ns.name,
    body: { metadata: { name, labels: { app: name } }, spec: { containers: [{ name: 'app', image }], ...spec } },
  });
}

async function unschedulable(name: string, pattern?: RegExp): Promise<void> {
  await eventually(`pod ${name} Unschedulable`, async () => {
    const current = await kube().core.readNamespacedPod({ name, namespace: ns.name });
    const condition = current.status?.conditions?.find((c) => c.type === 'PodScheduled');
    return condition?.reason === 'Unschedulable' && (pattern === undefined || pattern.test(condition.message ?? '')) ? true : undefined;
  });
}

async function dedicatedNode(
  name: string,
  spec: Record<string, unknown>,
  allocatable: Record<string, string> = { cpu: '4', memory: '8Gi', pods: '110' },
): Promise<void> {
  await kube().core.createNode({
    body: {
      metadata: { name, annotations: { 'kwok.x-k8s.io/node': 'fake' }, labels: { type: 'kwok', 'kubernetes.io/hostname': name, 'triage.dev/e2e-pool': name } },
      spec,
      status: { allocatable, capacity: allocatable },
    },
  });
  cleanups.push(() => kube().core.deleteNode({ name }));
  await eventually(`node ${name} Ready`, async () => {
    const node = await kube().core.readNode({ name });
    const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
    return ready && !(node.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/not-ready') ? true : undefined;
  });
}

describe('pvc-binding on the real PV controller', () => {
  test('StorageClassNotFound: PVC → StorageClass', async () => {
    await claimEvent(await claim('data-missing-class', { storageClassName: 'fast-ssd' }), 'ProvisioningFailed');
    const { verdict, envelope } = await triage('pvc-missing-class', {
      intent: 'pvc-binding',
      target: { kind: 'PersistentVolumeClaim', name: 'data-missing-class' },
    });
    expect(verdict).toBe('RootCauseFound');
    expect(envelope.rootCause?.code).toBe('StorageClassNotFound');
    expect(chainOf(envelope)).toEqual(['PersistentVolumeClaim/data-missing-class', 'StorageClass/fast-ssd']);
    expect(envelope.evidence.completeness).toBe(1);
  });

  test('NoDefaultStorageClass: no class named, no default class, no volume', async () => {
    await claimEvent(await claim('data-no-class', {}), 'FailedBinding');
    const { envelope } = await triage('pvc-no-class', { intent: 'pvc-binding', target: { kind: 'PersistentVolumeClaim', name: 'data-no-class' } });
    expect(envelope.rootCause?.code).toBe('NoDefaultStorageClass');
  });

  test('NoMatchingPersistentVolume: static claim bigger than any volume', async () => {
    const pvName = `small-${ns.name}`;
    await kube().core.createPersistentVolume({
      body: {
        metadata: { name: pvName },
        spec: { storageClassName: '', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/triage-e2e' } },
      },
    });
    cleanups.push(() => kube().core.deletePersistentVolume({ name: pvName }));
    await claimEvent(await claim('data-too-big', { storageClassName: '', resources: { requests: { storage: '5Gi' } } }), 'FailedBinding');
    const { envelope } = await triage('pvc-too-big', { intent: 'pvc-binding', target: { kind: 'PersistentVolumeClaim', name: 'data-too-big' } });
    expect(envelope.rootCause?.code).toBe('NoMatchingPersistentVolume');
  });

  test('ProvisionerNotRunning: in progress at first; the same Once request re-checks after the 30 s grace and flips', async () => {
    const className = `external-${ns.name}`;
    await kube().storage.createStorageClass({ body: { metadata: { name: className }, provisioner: 'example.com/not-running' } });
    cleanups.push(() => kube().storage.deleteStorageClass({ name: className }));
    const uid = await claim('data-external', { storageClassName: className });
    await claimEvent(uid, 'ExternalProvisioning');
    const early = await triage('pvc-external-early', { intent: 'pvc-binding', target: { kind: 'PersistentVolumeClaim', name: 'data-external' } });
    // Not decidable while the grace period runs: Inconclusive, saying until when, never Healthy.
    expect(early.verdict).toBe('Inconclusive');
    expect(early.envelope.summary).toContain('not decidable yet');
    expect(early.envelope.findings.map((f) => [f.code, f.severity])).toEqual([['ProvisioningInProgress', 'Info']]);

    expect(early.envelope.evidence.present).toContain('claim.events');
    const checkAgain = (await getTriageRequest(ns.name, 'pvc-external-early')).status?.nextCheckAt;
    expect(checkAgain).toBeDefined();

    // The same request, unchanged (Once mode), is checked again when the 30 s grace ends, and flips.
    const flipped = await eventually(
      'the early request re-checked after the grace period',
      async () => {
        const request = await getTriageRequest(ns.name, 'pvc-external-early');
        return request.status?.verdict === 'RootCauseFound' ? request : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(flipped.metadata.generation).toBe(1);
    expect(flipped.status?.nextCheckAt).toBeUndefined();
    const envelope = flipped.status?.envelope ?? early.envelope;
    expect(envelope.rootCause?.code).toBe('ProvisionerNotRunning');
    expect(await verifyAnchors(envelope)).toEqual([]);
    expect(chainOf(envelope)).toEqual(['PersistentVolumeClaim/data-external', `StorageClass/${className}`]);
  });

  test('VolumeMismatch: a claim pre-bound to a volume that is too small', async () => {
    const pvName = `prebound-${ns.name}`;
    await kube().core.createPersistentVolume({
      body: {
        metadata: { name: pvName },
        spec: { storageClassName: '', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/triage-e2e-mismatch' } },
      },
    });
    cleanups.push(() => kube().core.deletePersistentVolume({ name: pvName }));
    await claimEvent(await claim('data-prebound', { storageClassName: '', volumeName: pvName, resources: { requests: { storage: '5Gi' } } }), 'VolumeMismatch');
    const { envelope } = await triage('pvc-prebound', { intent: 'pvc-binding', target: { kind: 'PersistentVolumeClaim', name: 'data-prebound' } });
    expect(envelope.rootCause?.code).toBe('VolumeMismatch');
    expect(envelope.rootCause?.message).toContain('requested PV is too small');
    expect(chainOf(envelope)).toEqual(['PersistentVolumeClaim/data-prebound', `PersistentVolume/${pvName}`]);
  });

  test('ClaimLost: the bound volume was deleted', async () => {
    const pvName = `lost-${ns.name}`;
    await kube().core.createPersistentVolume({
      body: {
        metadata: { name: pvName },
        spec: { storageClassName: '', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/triage-e2e-lost' } },
      },
    });
    const uid = await claim('data-lost', { storageClassName: '', volumeName: pvName });
    await eventually('claim data-lost Bound', async () =>
      (await kube().core.readNamespacedPersistentVolumeClaim({ name: 'data-lost', namespace: ns.name })).status?.phase === 'Bound' ? true : undefined,
    );
    // The pv-protection finalizer keeps a bound volume; an admin forcing the delete is how claims get lost.
    await kube().core.deletePersistentVolume({ name: pvName });
    await kube().core.patchPersistentVolume({ name: pvName, body: [{ op: 'remove', path: '/metadata/finalizers' }] });
    await claimEvent(uid, 'ClaimLost');
    const { envelope } = await triage('pvc-lost', { intent: 'pvc-binding', target: { kind: 'PersistentVolumeClaim', name: 'data-lost' } });
    expect(envelope.rootCause?.code).toBe('ClaimLost');
    expect(envelope.anchors.map((a) => a.fieldPath ?? a.event?.reason)).toEqual(['status.phase', 'ClaimLost']);
  });

  test('WaitingForFirstConsumer without a consumer is Healthy', async () => {
    const className = `wffc-${ns.name}`;
    await kube().storage.createStorageClass({
      body: { metadata: { name: className }, provisioner: 'example.com/local', volumeBindingMode: 'WaitForFirstConsumer' },
    });
    cleanups.push(() => kube().storage.deleteStorageClass({ name: className }));
    await claimEvent(await claim('data-wffc', { storageClassName: className }), 'WaitForFirstConsumer');
    const { verdict, envelope } = await triage('pvc-wffc', { intent: 'pvc-binding', target: { kind: 'PersistentVolumeClaim', name: 'data-wffc' } });
    expect(verdict).toBe('Healthy');
    expect(envelope.rootCause).toBeUndefined();
    expect(envelope.findings.map((f) => [f.code, f.severity])).toEqual([['WaitingForFirstConsumer', 'Info']]);
  });
});

describe('scheduling-failures on the real scheduler', () => {
  test('InsufficientResources: a request above what any node allocates names the largest node, whatever is free', async () => {
    await pod('too-big', { containers: [{ name: 'app', image, resources: { requests: { cpu: '1000' } } }] });
    await unschedulable('too-big');
    const { envelope } = await triage('sched-too-big', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'too-big' } });
    expect(envelope.rootCause?.code).toBe('InsufficientResources');
    expect(envelope.rootCause?.message).toMatch(/requests 1000 cpu, more than any node it may run on allocates: at most [\d.]+m? \([\w.-]+\)$/);
  });

  test('InsufficientResources: a request a node could hold names what is free on it', async () => {
    const node = `small-${ns.name}`;
    await dedicatedNode(node, {}, { cpu: '2', memory: '8Gi', pods: '110' });
    // Bound by name, as a DaemonSet's pod: it holds 1.5 of the node's 2 cpu.
    await pod('filler', { nodeName: node, containers: [{ name: 'app', image, resources: { requests: { cpu: '1500m' } } }] });
    await pod('wants-one', { nodeSelector: { 'triage.dev/e2e-pool': node }, containers: [{ name: 'app', image, resources: { requests: { cpu: '1' } } }] });
    await unschedulable('wants-one', /Insufficient cpu/);
    const { envelope } = await triage('sched-wants-one', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'wants-one' } });
    expect(envelope.rootCause?.code).toBe('InsufficientResources');
    expect(envelope.rootCause?.message).toBe(`Pod ${ns.name}/wants-one requests 1 cpu; the most free on a node that fits its other requests is 500m (${node})`);
  });

  test('UntoleratedTaint resolves the taint the 1.35 message no longer names', async () => {
    const node = `tainted-${ns.name}`;
    await dedicatedNode(node, { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    await pod('pinned', { nodeSelector: { 'triage.dev/e2e-pool': node } });
    await unschedulable('pinned', /untolerated taint/);
    const { envelope } = await triage('sched-taint', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'pinned' } });
    expect(envelope.rootCause?.code).toBe('UntoleratedTaint');
    expect(envelope.rootCause?.message).toContain('taint dedicated=gpu:NoSchedule');
    expect(chainOf(envelope)).toEqual(['Pod/pinned', `Node/${node}`]);
  });

  test('NodesUnschedulable: the only matching node is cordoned', async () => {
    const node = `cordoned-${ns.name}`;
    await dedicatedNode(node, { unschedulable: true });
    await pod('on-cordoned', { nodeSelector: { 'triage.dev/e2e-pool': node } });
    await unschedulable('on-cordoned', /unschedulable/);
    const { envelope } = await triage('sched-cordoned', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'on-cordoned' } });
    expect(envelope.rootCause?.code).toBe('NodesUnschedulable');
  });

  test('TooManyPods: the only matching node is full', async () => {
    const node = `full-${ns.name}`;
    await dedicatedNode(node, {}, { cpu: '4', memory: '8Gi', pods: '0' });
    await pod('on-full', { nodeSelector: { 'triage.dev/e2e-pool': node } });
    await unschedulable('on-full', /Too many pods/);
    const { envelope } = await triage('sched-full', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'on-full' } });
    expect(envelope.rootCause?.code).toBe('TooManyPods');
  });

  test('HostPortConflict: the only matching node already uses the host port', async () => {
    const node = `ports-${ns.name}`;
    await dedicatedNode(node, {});
    const withPort = { nodeSelector: { 'triage.dev/e2e-pool': node }, containers: [{ name: 'app', image, ports: [{ containerPort: 80, hostPort: 8080 }] }] };
    await pod('port-holder', withPort);
    await eventually('port-holder scheduled', async () =>
      (await kube().core.readNamespacedPod({ name: 'port-holder', namespace: ns.name })).spec?.nodeName === node ? true : undefined,
    );
    await pod('port-wanter', withPort);
    await unschedulable('port-wanter', /free ports/);
    const { envelope } = await triage('sched-ports', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'port-wanter' } });
    expect(envelope.rootCause?.code).toBe('HostPortConflict');
  });

  test('PodAntiAffinityConflict: the only matching node runs the pod it must avoid', async () => {
    const node = `anti-${ns.name}`;
    await dedicatedNode(node, {});
    await pod('db-primary', { nodeSelector: { 'triage.dev/e2e-pool': node } });
    await eventually('db-primary scheduled', async () =>
      (await kube().core.readNamespacedPod({ name: 'db-primary', namespace: ns.name })).spec?.nodeName === node ? true : undefined,
    );
    await pod('db-replica', {
      nodeSelector: { 'triage.dev/e2e-pool': node },
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db-primary' } }, topologyKey: 'kubernetes.io/hostname' }],
        },
      },
    });
    await unschedulable('db-replica', /anti-affinity/);
    const { envelope } = await triage('sched-anti', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'db-replica' } });
    expect(envelope.rootCause?.code).toBe('PodAntiAffinityConflict');
  });

  test('PodAffinityUnsatisfied: no pod to be near', async () => {
    await pod('sidecar-wanter', {
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'no-such-app' } }, topologyKey: 'kubernetes.io/hostname' }],
        },
      },
    });
    await unschedulable('sidecar-wanter', /pod affinity/);
    const { envelope } = await triage('sched-affinity', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'sidecar-wanter' } });
    expect(envelope.rootCause?.code).toBe('PodAffinityUnsatisfied');
  });

  test('TopologySpreadUnsatisfiable: no node carries the topology key', async () => {
    await pod('spread', {
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'example.com/rack', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } },
      ],
    });
    await unschedulable('spread', /topology spread/);
    const { envelope } = await triage('sched-spread', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'spread' } });
    expect(envelope.rootCause?.code).toBe('TopologySpreadUnsatisfiable');
  });

  test('NodeAffinityMismatch: no node has the selected label', async () => {
    await pod('nowhere', { nodeSelector: { 'triage.dev/e2e-pool': 'no-such-pool' } });
    await unschedulable('nowhere');
    const { envelope } = await triage('sched-nowhere', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'nowhere' } });
    expect(envelope.rootCause?.code).toBe('NodeAffinityMismatch');
  });

  test('NodeAffinityMismatch: a required node affinity no node satisfies', async () => {
    await pod('off-zone', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'triage.dev/e2e-zone', operator: 'In', values: ['nowhere'] }] }],
          },
        },
      },
    });
    await unschedulable('off-zone', /didn't match Pod's node affinity/);
    const { envelope } = await triage('sched-off-zone', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'off-zone' } });
    expect(envelope.rootCause?.code).toBe('NodeAffinityMismatch');
    expect(envelope.rootCause?.message).toContain('required affinity triage.dev/e2e-zone in (nowhere)');
  });

  test('InsufficientResources behind a required node affinity names the pinned node, not a roomier one', async () => {
    const node = `pinned-${ns.name}`;
    await dedicatedNode(node, {}, { cpu: '1', memory: '8Gi', pods: '110' });
    await pod('cpu-pinned', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] },
        },
      },
      containers: [{ name: 'app', image, resources: { requests: { cpu: '2' } } }],
    });
    await unschedulable('cpu-pinned', /Insufficient cpu/);
    const { envelope } = await triage('sched-pinned', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'cpu-pinned' } });
    expect(envelope.rootCause?.code).toBe('InsufficientResources');
    expect(envelope.rootCause?.message).toContain(`(${node})`);
  });

  test('InsufficientResources counts a sidecar init container, as the scheduler does', async () => {
    const node = `sidecar-${ns.name}`;
    await dedicatedNode(node, {}, { cpu: '1', memory: '8Gi', pods: '110' });
    // 600m app + 600m sidecar: the app alone would fit, the pod does not.
    await pod('with-sidecar', {
      nodeSelector: { 'triage.dev/e2e-pool': node },
      initContainers: [{ name: 'proxy', image, restartPolicy: 'Always', resources: { requests: { cpu: '600m' } } }],
      containers: [{ name: 'app', image, resources: { requests: { cpu: '600m' } } }],
    });
    await unschedulable('with-sidecar', /Insufficient cpu/);
    const { envelope } = await triage('sched-sidecar', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'with-sidecar' } });
    expect(envelope.rootCause?.code).toBe('InsufficientResources');
    expect(envelope.rootCause?.message).toMatch(/requests (1200m|1\.2) cpu/);
  });

  test('SchedulingGated', async () => {
    await pod('gated', { schedulingGates: [{ name: 'example.com/wait' }] });
    await eventually('gated pod condition', async () => {
      const current = await kube().core.readNamespacedPod({ name: 'gated', namespace: ns.name });
      return current.status?.conditions?.some((c) => c.reason === 'SchedulingGated') === true ? true : undefined;
    });
    const { envelope } = await triage('sched-gated', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'gated' } });
    expect(envelope.rootCause?.code).toBe('SchedulingGated');
  });

  test('PersistentVolumeClaimNotFound', async () => {
    await pod('no-claim', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'does-not-exist' } }] });
    await unschedulable('no-claim');
    const { envelope } = await triage('sched-no-claim', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'no-claim' } });
    expect(envelope.rootCause?.code).toBe('PersistentVolumeClaimNotFound');
    expect(chainOf(envelope)).toEqual(['Pod/no-claim', 'PersistentVolumeClaim/does-not-exist']);
  });

  test('an unbound claim chains into its own cause: Pod → PVC → StorageClass', async () => {
    await claim('data-web-0', { storageClassName: 'fast-ssd' });
    await pod('web-0', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } }] });
    await unschedulable('web-0');
    const { envelope } = await triage('sched-chain', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'web-0' } });
    expect(envelope.rootCause?.code).toBe('StorageClassNotFound');
    expect(chainOf(envelope)).toEqual(['Pod/web-0', 'PersistentVolumeClaim/data-web-0', 'StorageClass/fast-ssd']);
    expect(envelope.summary).toMatch(/^Pod .*web-0 is stuck: PersistentVolumeClaim .*data-web-0 is Pending because StorageClass "fast-ssd" does not exist$/);
    expect(envelope.findings.map((f) => f.code)).toContain('UnboundPersistentVolumeClaim');
  });

  test('a Deployment target chains Deployment → ReplicaSet → Pod', async () => {
    await kube().apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'hungry' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'hungry' } },
          template: { metadata: { labels: { app: 'hungry' } }, spec: { containers: [{ name: 'app', image, resources: { requests: { memory: '500Gi' } } }] } },
        },
      },
    });
    const podName = await eventually('a pending hungry pod', async () => {
      const pods = await kube().core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=hungry' });
      const pending = pods.items.find((p) => p.status?.conditions?.some((c) => c.reason === 'Unschedulable'));
      return pending?.metadata?.name;
    });
    const { envelope } = await triage('sched-deployment', { intent: 'scheduling-failures', target: { kind: 'Deployment', name: 'hungry' } });
    expect(envelope.rootCause?.code).toBe('InsufficientResources');
    expect(chainOf(envelope)?.[0]).toBe('Deployment/hungry');
    expect(chainOf(envelope)?.[1]).toMatch(/^ReplicaSet\/hungry-/);
    expect(chainOf(envelope)?.[2]).toBe(`Pod/${podName}`);
  });

  test('a running pod is Healthy (control)', async () => {
    await pod('fine');
    await eventually('pod fine Running', async () => {
      const current = await kube().core.readNamespacedPod({ name: 'fine', namespace: ns.name });
      return current.status?.phase === 'Running' ? true : undefined;
    });
    const { verdict, envelope } = await triage('sched-fine', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'fine' } });
    expect(verdict).toBe('Healthy');
    expect(envelope.findings).toEqual([]);
  });
});

describe('service-no-endpoints on the real endpoint-slice controller', () => {
  test('NoSelector: endpoints managed by hand, none ready', async () => {
    await kube().core.createNamespacedService({ namespace: ns.name, body: { metadata: { name: 'manual' }, spec: { ports: [{ port: 5432 }] } } });
    const { envelope } = await triage('svc-manual', { intent: 'service-no-endpoints', target: { kind: 'Service', name: 'manual' } });
    expect(envelope.rootCause?.code).toBe('NoSelector');
  });

  test('TargetPortMismatch: a named targetPort the pods do not declare', async () => {
    await kube().apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'named' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'named' } },
          template: { metadata: { labels: { app: 'named' } }, spec: { containers: [{ name: 'web', image, ports: [{ name: 'http', containerPort: 8080 }] }] } },
        },
      },
    });
    await kube().core.createNamespacedService({
      namespace: ns.name,
      body: { metadata: { name: 'named' }, spec: { selector: { app: 'named' }, ports: [{ port: 80, targetPort: 'http-alt' }] } },
    });
    await eventually('named pod Ready', async () => {
      const pods = await kube().core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=named' });
      return pods.items.some((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? true : undefined;
    });
    const { envelope } = await triage('svc-named', { intent: 'service-no-endpoints', target: { kind: 'Service', name: 'named' } });
    expect(envelope.rootCause?.code).toBe('TargetPortMismatch');
  });

  test('a headless Service without ports is Healthy: the real controller writes its slice without ports', async () => {
    await kube().apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'peers' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'peers' } },
          template: { metadata: { labels: { app: 'peers' } }, spec: { containers: [{ name: 'db', image }] } },
        },
      },
    });
    await kube().core.createNamespacedService({
      namespace: ns.name,
      body: { metadata: { name: 'peers' }, spec: { clusterIP: 'None', selector: { app: 'peers' } } },
    });
    // The real controller writes a slice without ports for a Service that declares none.
    await eventually('a ready endpoint in a slice without ports', async () => {
      const slices = await kube().discovery.listNamespacedEndpointSlice({ namespace: ns.name, labelSelector: 'kubernetes.io/service-name=peers' });
      return slices.items.some((slice) => (slice.ports ?? []).length === 0 && slice.endpoints.some((e) => e.conditions?.ready === true)) ? true : undefined;
    });
    const { verdict, envelope } = await triage('svc-headless', { intent: 'service-no-endpoints', target: { kind: 'Service', name: 'peers' } });
    expect(verdict).toBe('Healthy');
    expect(envelope.rootCause).toBeUndefined();
  });

  test('PodsNotReady chains into the pods own cause', async () => {
    await kube().apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'greedy' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'greedy' } },
          template: { metadata: { labels: { app: 'greedy' } }, spec: { containers: [{ name: 'web', image, resources: { requests: { cpu: '500' } } }] } },
        },
      },
    });
    await kube().core.createNamespacedService({
      namespace: ns.name,
      body: { metadata: { name: 'greedy' }, spec: { selector: { app: 'greedy' }, ports: [{ port: 80, targetPort: 8080 }] } },
    });
    await eventually('greedy pod Unschedulable', async () => {
      const pods = await kube().core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=greedy' });
      return pods.items.some((p) => p.status?.conditions?.some((c) => c.reason === 'Unschedulable')) ? true : undefined;
    });
    const { envelope } = await triage('svc-greedy', { intent: 'service-no-endpoints', target: { kind: 'Service', name: 'greedy' } });
    expect(envelope.rootCause?.code).toBe('InsufficientResources');
    expect(chainOf(envelope)?.slice(0, 1)).toEqual(['Service/greedy']);
    expect(envelope.findings.map((f) => [f.code, f.severity])).toContainEqual(['PodsNotReady', 'Info']);
  });
});

describe('ingress-pending (no ingress controller runs here)', () => {
  async function service(name: string, selector: Record<string, string>, port = 80): Promise<void> {
    await kube().core.createNamespacedService({ namespace: ns.name, body: { metadata: { name }, spec: { selector, ports: [{ port, targetPort: 8080 }] } } });
  }

  async function ingress(name: string, spec: Record<string, unknown>): Promise<void> {
    await kube().networking.createNamespacedIngress({ namespace: ns.name, body: { metadata: { name }, spec } });
  }

  const backend = (name: string, port = 80) => ({ defaultBackend: { service: { name, port: { number: port } } } });

  test('NoIngressClass: no class named and no default class', async () => {
    await service('web-a', { app: 'fine' });
    await ingress('no-class', backend('web-a'));
    const { envelope } = await triage('ing-no-class', { intent: 'ingress-pending', target: { kind: 'Ingress', name: 'no-class' } });
    expect(envelope.rootCause?.code).toBe('NoIngressClass');
  });

  test('IngressClassNotFound', async () => {
    await ingress('bad-class', { ingressClassName: 'missing', ...backend('web-a') });
    const { envelope } = await triage('ing-bad-class', { intent: 'ingress-pending', target: { kind: 'Ingress', name: 'bad-class' } });
    expect(envelope.rootCause?.code).toBe('IngressClassNotFound');
    expect(chainOf(envelope)).toEqual(['Ingress/bad-class', 'IngressClass/missing']);
  });

  describe('with an IngressClass', () => {
    const className = `e2e-${Date.now() % 100000}`;
    beforeAll(async () => {
      await kube().networking.createIngressClass({ body: { metadata: { name: className }, spec: { controller: 'example.com/none' } } });
      cleanups.push(() => kube().networking.deleteIngressClass({ name: className }));
    });

    test('BackendServiceNotFound', async () => {
      await ingress('no-backend', { ingressClassName: className, ...backend('missing-svc') });
      const { envelope } = await triage('ing-no-backend', { intent: 'ingress-pending', target: { kind: 'Ingress', name: 'no-backend' } });
      expect(envelope.rootCause?.code).toBe('BackendServiceNotFound');
    });

    test('BackendServicePortMismatch', async () => {
      await ingress('bad-port', { ingressClassName: className, ...backend('web-a', 8443) });
      const { envelope } = await triage('ing-bad-port', { intent: 'ingress-pending', target: { kind: 'Ingress', name: 'bad-port' } });
      expect(envelope.rootCause?.code).toBe('BackendServicePortMismatch');
    });

    test('NoReadyEndpoints chains into the Service: SelectorMatchesNoPods', async () => {
      await service('web-empty', { app: 'nothing-has-this' });
      await ingress('empty', { ingressClassName: className, ...backend('web-empty') });
      const { envelope } = await triage('ing-empty', { intent: 'ingress-pending', target: { kind: 'Ingress', name: 'empty' } });
      expect(envelope.rootCause?.code).toBe('SelectorMatchesNoPods');
      expect(chainOf(envelope)).toEqual(['Ingress/empty', 'Service/web-empty']);
      expect(envelope.findings.map((f) => f.code)).toContain('NoReadyEndpoints');
    });

    test('IngressControllerNotReporting: everything sound, no address', async () => {
      await kube().apps.createNamespacedDeployment({
        namespace: ns.name,
        body: {
          metadata: { name: 'web' },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'web' } },
            template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }] }] } },
          },
        },
      });
      await service('web-ok', { app: 'web' });
      await eventually('ready endpoints for web-ok', async () => {
        const slices = await kube().discovery.listNamespacedEndpointSlice({ namespace: ns.name, labelSelector: 'kubernetes.io/service-name=web-ok' });
        return slices.items.some((s) => s.endpoints.some((e) => e.conditions?.ready === true)) ? true : undefined;
      });
      await ingress('sound', { ingressClassName: className, ...backend('web-ok') });
      const { envelope } = await triage('ing-sound', { intent: 'ingress-pending', target: { kind: 'Ingress', name: 'sound' } });
      expect(envelope.rootCause?.code).toBe('IngressControllerNotReporting');
    });
  });
});

// Defined last, so it runs after every scenario above left its broken objects in the namespace.
test('namespace-health sweeps all of it: bounded, ranked, within the status budget', async () => {
  const { verdict, envelope } = await triage('health', { intent: 'namespace-health' });
  expect(verdict).toBe('RootCauseFound');
  expect(envelope.findings.length).toBeLessThanOrEqual(20);
  expect(JSON.stringify(envelope).length).toBeLessThanOrEqual(12 * 1024);
  process.stderr.write(
    `[e2e] namespace-health over the intents namespace: ${envelope.rootCause?.code ?? '-'}, ${envelope.findings.length} findings, ${envelope.inputs.objectCount} objects read, ${envelope.timing.durationMs} ms, ${JSON.stringify(envelope).length} bytes\n`,
  );
});
