import { verifyAnchors } from './support/anchors';
import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { startOperator, stopAllOperators } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, triaged, triagedUntil } from './support/triage';

// rollout-stuck against the real deployment, replicaset and statefulset controllers, ResourceQuota
// admission and PodSecurity admission: every code here is produced by the cluster itself.
const ns = useTestNamespace('e2e-rollout');
const image = 'registry.k8s.io/pause:3.10';

beforeAll(async () => {
  await startOperator();
});

afterAll(async () => {
  await stopAllOperators();
});

async function triage(name: string, target: Record<string, unknown>) {
  await createTriageRequest(ns.name, name, { intent: 'rollout-stuck', target });
  const request = await triaged(ns.name, name);
  const envelope = request.status?.envelope;
  if (envelope === undefined) throw new Error(`no envelope for ${name}`);
  expect(await verifyAnchors(envelope)).toEqual([]);
  return envelope;
}

function deployment(name: string, spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}) {
  return kube().apps.createNamespacedDeployment({
    namespace: ns.name,
    body: {
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }], ...podSpec } },
        ...spec,
      },
    },
  });
}

async function deploymentCondition(name: string, reason: string) {
  await eventually(
    `${name} ${reason}`,
    async () => {
      const current = await kube().apps.readNamespacedDeployment({ name, namespace: ns.name });
      return current.status?.conditions?.some((c) => c.reason === reason) === true ? true : undefined;
    },
    { timeoutMs: 90_000 },
  );
}

test('ProgressDeadlineExceeded chains Deployment → ReplicaSet → Pod into the pod’s own cause', async () => {
  await deployment('stuck', { progressDeadlineSeconds: 3 }, { containers: [{ name: 'app', image, resources: { requests: { cpu: '900' } } }] });
  await deploymentCondition('stuck', 'ProgressDeadlineExceeded');
  const envelope = await triage('why-stuck', { kind: 'Deployment', name: 'stuck' });
  expect(envelope.rootCause?.code).toBe('InsufficientResources');
  expect(envelope.rootCause?.chain.map((r) => r.kind)).toEqual(['Deployment', 'ReplicaSet', 'Pod']);
  expect(envelope.findings.map((f) => [f.code, f.severity])).toContainEqual(['ProgressDeadlineExceeded', 'Info']);
});

test('QuotaExceeded: the ReplicaSet cannot create pods past the namespace quota', async () => {
  await kube().core.createNamespacedResourceQuota({ namespace: ns.name, body: { metadata: { name: 'compute' }, spec: { hard: { 'requests.cpu': '100m' } } } });
  try {
    await deployment('over-quota', {}, { containers: [{ name: 'app', image, resources: { requests: { cpu: '500m' } } }] });
    await eventually('FailedCreate for exceeded quota', async () => {
      const events = await kube().core.listNamespacedEvent({ namespace: ns.name });
      return events.items.some((e) => e.reason === 'FailedCreate' && (e.message ?? '').includes('exceeded quota')) ? true : undefined;
    });
    const { envelope } = await triagedUntil(
      ns.name,
      'why-over-quota',
      { intent: 'rollout-stuck', target: { kind: 'Deployment', name: 'over-quota' } },
      (e) => e.rootCause?.code === 'QuotaExceeded',
    );
    expect(envelope.rootCause?.chain.at(-1)).toMatchObject({ kind: 'ResourceQuota', name: 'compute' });
  } finally {
    // The quota would reject every later pod without cpu requests.
    await kube().core.deleteNamespacedResourceQuota({ name: 'compute', namespace: ns.name });
  }
});

test('PodSecurityRejected: a privileged pod in a restricted namespace', async () => {
  await kube().core.patchNamespace({ name: ns.name, body: [{ op: 'add', path: '/metadata/labels/pod-security.kubernetes.io~1enforce', value: 'restricted' }] });
  try {
    await deployment('privileged', {}, { containers: [{ name: 'app', image, securityContext: { privileged: true } }] });
    await eventually('FailedCreate for PodSecurity', async () => {
      const events = await kube().core.listNamespacedEvent({ namespace: ns.name });
      return events.items.some((e) => e.reason === 'FailedCreate' && (e.message ?? '').includes('violates PodSecurity')) ? true : undefined;
    });
    const { envelope } = await triagedUntil(
      ns.name,
      'why-privileged',
      { intent: 'rollout-stuck', target: { kind: 'Deployment', name: 'privileged' } },
      (e) => e.rootCause?.code === 'PodSecurityRejected',
    );
    expect(envelope.rootCause?.chain.map((r) => r.kind)).toEqual(['Deployment', 'ReplicaSet', 'Namespace']);
  } finally {
    await kube().core.patchNamespace({ name: ns.name, body: [{ op: 'remove', path: '/metadata/labels/pod-security.kubernetes.io~1enforce' }] });
  }
});

test('StatefulSetServiceMissing: the governing Service does not exist', async () => {
  await kube().apps.createNamespacedStatefulSet({
    namespace: ns.name,
    body: {
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db-headless',
        replicas: 1,
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image }] } },
      },
    },
  });
  // The StatefulSet's own status, not just its pod, must say Ready: the scenario is a finished rollout.
  await eventually('db StatefulSet reports 1 ready replica (kwok)', async () => {
    const set = await kube().apps.readNamespacedStatefulSet({ name: 'db', namespace: ns.name });
    return set.status?.readyReplicas === 1 ? true : undefined;
  });
  const envelope = await triage('why-db', { kind: 'StatefulSet', name: 'db' });
  expect(envelope.rootCause?.code).toBe('StatefulSetServiceMissing');
});

test('a healthy rollout is Healthy (control)', async () => {
  await deployment('fine');
  await deploymentCondition('fine', 'NewReplicaSetAvailable');
  const envelope = await triage('why-fine', { kind: 'Deployment', name: 'fine' });
  expect(envelope.rootCause).toBeUndefined();
  expect(envelope.findings).toEqual([]);
});
