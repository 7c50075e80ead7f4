import { randomBytes } from 'node:crypto';
import { verifyAnchors } from './support/anchors';
import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { startOperator, stopAllOperators } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, triaged } from './support/triage';

// drain-blocked on the real disruption controller: a cordoned node of the test's own (no kubelet, so
// nothing else is scheduled there and it is deleted after) with a pod a budget protects.
const ns = useTestNamespace('e2e-drain');
const nodeName = `drain-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  await startOperator({ args: [`--trusted-namespaces=${ns.name}`] });
});

afterAll(async () => {
  await stopAllOperators();
  await kube()
    .core.deleteNode({ name: nodeName })
    .catch(() => undefined);
});

test('DisruptionBudgetBlocking: a cordoned node whose pod a budget allowing 0 disruptions protects', async () => {
  await kube().core.createNode({ body: { metadata: { name: nodeName, labels: { 'kubernetes.io/hostname': nodeName } }, spec: { unschedulable: true } } });
  await kube().core.createNamespacedPod({
    namespace: ns.name,
    body: { metadata: { name: 'db-0', labels: { app: 'db' } }, spec: { nodeName, containers: [{ name: 'db', image: 'registry.k8s.io/pause:3.10' }] } },
  });
  await kube().raw.create(`/apis/policy/v1/namespaces/${ns.name}/poddisruptionbudgets`, {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'db' },
    spec: { minAvailable: 1, selector: { matchLabels: { app: 'db' } } },
  });
  await eventually('the disruption controller computed the budget', async () => {
    const pdb = await kube().raw.get<{ status?: { expectedPods?: number; disruptionsAllowed?: number } }>(
      `/apis/policy/v1/namespaces/${ns.name}/poddisruptionbudgets/db`,
    );
    return pdb.status?.expectedPods === 1 && pdb.status.disruptionsAllowed === 0 ? true : undefined;
  });
  await createTriageRequest(ns.name, 'why-no-drain', { intent: 'drain-blocked', target: { kind: 'Node', name: nodeName } });
  const request = await triaged(ns.name, 'why-no-drain');
  const envelope = request.status?.envelope;
  if (envelope === undefined) throw new Error(JSON.stringify(request.status));
  expect(await verifyAnchors(envelope)).toEqual([]);
  expect([request.status?.verdict, envelope.rootCause?.code]).toEqual(['RootCauseFound', 'DisruptionBudgetBlocking']);
  expect(envelope.rootCause?.chain.map((ref) => `${ref.kind}/${ref.name}`)).toEqual([`Node/${nodeName}`, 'PodDisruptionBudget/db']);
});
