import { verifyAnchors } from './support/anchors';
import { kube } from './support/kube';
import { startOperator, stopAllOperators } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, triaged } from './support/triage';

// What the real node (test/e2e/kubelet-real.e2e.test.ts) cannot produce on this machine, written by
// hand on a node no kubelet manages: NetworkUnavailable is set by a cloud route controller or a CNI
// plugin, and the local cluster runs neither. Every crash loop, image pull, eviction and kubelet-side
// node condition is proven on real containers there. Test names say why they are simulated.
const ns = useTestNamespace('e2e-kubelet');
const node = `manual-${ns.name}`;

beforeAll(async () => {
  await startOperator({ args: [`--trusted-namespaces=${ns.name}`] });
  const now = new Date().toISOString();
  const condition = (type: string, status: string, reason: string) => ({
    type,
    status,
    reason,
    message: reason,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  await kube().core.createNode({
    body: {
      metadata: { name: node, labels: { 'kubernetes.io/hostname': node, 'triage.dev/e2e-pool': node } },
      status: {
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        conditions: [
          condition('Ready', 'True', 'KubeletReady'),
          condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
          condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
          condition('PIDPressure', 'False', 'KubeletHasSufficientPID'),
          condition('NetworkUnavailable', 'False', 'RouteCreated'),
        ],
      } as never,
    },
  });
});

afterAll(async () => {
  await stopAllOperators();
  await kube()
    .core.deleteNode({ name: node })
    .catch(() => undefined);
});

async function triage(name: string, spec: Record<string, unknown>) {
  await createTriageRequest(ns.name, name, spec);
  const request = await triaged(ns.name, name);
  const envelope = request.status?.envelope;
  if (envelope === undefined) throw new Error(`no envelope for ${name}: ${JSON.stringify(request.status)}`);
  expect(await verifyAnchors(envelope)).toEqual([]);
  return envelope;
}

describe('node-pressure (simulated)', () => {
  async function setCondition(type: string, status: string, reason: string, message: string): Promise<void> {
    const current = await kube().core.readNode({ name: node });
    const now = new Date().toISOString();
    // Plain objects: the client's condition class would serialise its timestamps as Dates.
    const conditions = (current.status?.conditions ?? []).map((c) => ({
      type: c.type,
      ...(c.type === type
        ? { status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now }
        : { status: c.status, reason: c.reason, message: c.message }),
    }));
    await kube().raw.mergePatch(`/api/v1/nodes/${node}/status`, { status: { conditions } });
  }

  test.each([['NetworkUnavailable', 'NetworkUnavailable', 'True', 'NoRouteCreated', 'RouteController failed to create a route']])(
    '%s (simulated: set by a cloud route controller or CNI plugin, which the local cluster does not run)',
    async (code, type, status, reason, message) => {
      await setCondition(type, status, reason, message);
      try {
        const envelope = await triage(`node-${code.toLowerCase()}`, { intent: 'node-pressure', target: { kind: 'Node', name: node } });
        expect(envelope.rootCause?.code).toBe(code);
        expect(envelope.rootCause?.chain.map((r) => `${r.kind}/${r.name}`)).toEqual([`Node/${node}`]);
      } finally {
        await setCondition(type, type === 'Ready' ? 'True' : 'False', 'Recovered', 'recovered');
      }
    },
  );

  test('NodeCordoned: kubectl cordon (real)', async () => {
    await kube().core.patchNode({ name: node, body: [{ op: 'add', path: '/spec/unschedulable', value: true }] });
    const envelope = await triage('node-cordoned', { intent: 'node-pressure', target: { kind: 'Node', name: node } });
    expect(envelope.rootCause?.code).toBe('NodeCordoned');
  });
});
