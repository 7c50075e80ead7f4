import type { V1Pod } from '@kubernetes/client-node';
import { ApiError } from '../../src/kube/errors';
import { eventAbout } from './support/events';
import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { startOperator } from './support/operator';
import { useTestNamespace } from './support/test-namespace';

// These prove the local control plane behaves like a real cluster: the real scheduler, PV controller,
// endpoint-slice controller and kwok nodes produce the signals the triage intents rely on.
const ns = useTestNamespace('e2e-controlplane');

function pausePod(name: string, spec: Partial<V1Pod['spec']> = {}): V1Pod {
  return {
    metadata: { name },
    spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }], ...spec },
  };
}

async function podScheduledCondition(name: string) {
  return eventually(`PodScheduled condition on pod ${name}`, async () => {
    const pod = await kube().core.readNamespacedPod({ name, namespace: ns.name });
    return pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  });
}

describe('the local control plane', () => {
  test('the scheduler reports Insufficient cpu for a pod larger than any node', async () => {
    const pod = await kube().core.createNamespacedPod({
      namespace: ns.name,
      body: pausePod('too-big', {
        containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '1000' } } }],
      }),
    });

    const event = await eventAbout(ns.name, pod.metadata?.uid ?? '', (e) => e.reason === 'FailedScheduling', 'FailedScheduling on too-big');
    expect(event.type).toBe('Warning');
    expect(event.message).toMatch(/^0\/\d+ nodes are available: .*Insufficient cpu/);
    const condition = await podScheduledCondition('too-big');
    expect(condition.reason).toBe('Unschedulable');
    expect(condition.message).toContain('Insufficient cpu');
  });

  describe('with a dedicated tainted node', () => {
    const nodeName = `tainted-${ns.name}`;
    const pool = () => ns.name;

    beforeAll(async () => {
      await kube().core.createNode({
        body: {
          metadata: {
            name: nodeName,
            annotations: { 'kwok.x-k8s.io/node': 'fake' },
            labels: { type: 'kwok', 'triage.dev/e2e-pool': pool() },
          },
          spec: { taints: [{ key: 'dedicated', value: pool(), effect: 'NoSchedule' }] },
          status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, capacity: { cpu: '4', memory: '8Gi', pods: '110' } },
        },
      });
      // A new node carries node.kubernetes.io/not-ready until kwok reports Ready: wait it out so the
      // scheduler's message is about our taint alone.
      await eventually(`node ${nodeName} Ready without the not-ready taint`, async () => {
        const node = await kube().core.readNode({ name: nodeName });
        const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
        const notReadyTaint = node.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/not-ready') === true;
        return ready && !notReadyTaint ? node : undefined;
      });
    });

    afterAll(async () => {
      await kube().core.deleteNode({ name: nodeName });
    });

    test('the scheduler reports an untolerated taint for a pod pinned to it', async () => {
      const pod = await kube().core.createNamespacedPod({
        namespace: ns.name,
        body: pausePod('pinned', { nodeSelector: { 'triage.dev/e2e-pool': pool() } }),
      });

      // The 1.35 scheduler no longer names the taint ("had untolerated taint(s)"): triage has to
      // find it on the Node. The only node the selector matches is ours, so the taint counted is ours.
      const event = await eventAbout(ns.name, pod.metadata?.uid ?? '', (e) => e.reason === 'FailedScheduling', 'FailedScheduling for the pinned pod');
      expect(event.message).toMatch(
        /^0\/\d+ nodes are available: 1 node\(s\) had untolerated taint\(s\), \d+ node\(s\) didn't match Pod's node affinity\/selector\./,
      );
    });
  });

  test('the PV controller reports a missing StorageClass', async () => {
    const pvc = await kube().core.createNamespacedPersistentVolumeClaim({
      namespace: ns.name,
      body: {
        metadata: { name: 'data-missing-class' },
        spec: { storageClassName: 'no-such-class', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    });

    const event = await eventAbout(ns.name, pvc.metadata?.uid ?? '', (e) => e.reason === 'ProvisioningFailed', 'ProvisioningFailed');
    expect(event.type).toBe('Warning');
    expect(event.message).toBe('storageclass.storage.k8s.io "no-such-class" not found');
  });

  test('the PV controller reports FailedBinding for a class-less claim with no volume', async () => {
    const pvc = await kube().core.createNamespacedPersistentVolumeClaim({
      namespace: ns.name,
      body: {
        metadata: { name: 'data-no-class' },
        spec: { storageClassName: '', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    });

    const event = await eventAbout(ns.name, pvc.metadata?.uid ?? '', (e) => e.reason === 'FailedBinding', 'FailedBinding');
    // Upstream emits this one as Normal, not Warning: triage must not rely on the type.
    expect(event.type).toBe('Normal');
    expect(event.message).toBe('no persistent volumes available for this claim and no storage class is set');
  });

  test('a Deployment on kwok nodes becomes Available and its Service gets ready endpoints', async () => {
    const labels = { app: 'web' };
    await kube().apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }] },
          },
        },
      },
    });
    await kube().core.createNamespacedService({
      namespace: ns.name,
      body: { metadata: { name: 'web' }, spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] } },
    });

    const available = await eventually('deployment web Available', async () => {
      const deployment = await kube().apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
      return deployment.status?.conditions?.find((c) => c.type === 'Available' && c.status === 'True');
    });
    expect(available.reason).toBe('MinimumReplicasAvailable');

    const readyAddresses = await eventually('two ready endpoints for service web', async () => {
      const slices = await kube().discovery.listNamespacedEndpointSlice({
        namespace: ns.name,
        labelSelector: 'kubernetes.io/service-name=web',
      });
      const ready = slices.items.flatMap((s) => s.endpoints).filter((e) => e.conditions?.ready === true);
      return ready.length === 2 ? ready.flatMap((e) => e.addresses) : undefined;
    });
    expect(readyAddresses).toHaveLength(2);
    for (const address of readyAddresses) expect(address).toMatch(/^10\.244\.\d+\.\d+$/);
  });

  test('a namespace being deleted refuses new objects with the NamespaceTerminating cause the client exposes', async () => {
    // A finalizer nobody removes holds the namespace in Terminating long enough to try a create.
    const name = `${ns.name}-closing`;
    await kube().core.createNamespace({ body: { metadata: { name } } });
    await kube().core.createNamespacedConfigMap({ namespace: name, body: { metadata: { name: 'held', finalizers: ['triage.dev/e2e-hold'] } } });
    try {
      await kube().core.deleteNamespace({ name });
      const refusal = await eventually('a create refused as NamespaceTerminating', async () => {
        try {
          await kube().raw.create(`/api/v1/namespaces/${name}/configmaps`, { metadata: { name: 'late' } });
          return undefined;
        } catch (error: unknown) {
          return error instanceof ApiError && error.isNamespaceTerminating ? error : undefined;
        }
      });
      expect(refusal.statusCode).toBe(403);
      expect(refusal.message).toContain('because it is being terminated');
    } finally {
      await kube().raw.mergePatch(`/api/v1/namespaces/${name}/configmaps/held`, { metadata: { finalizers: null } });
    }
  });

  test("the operator's paged LISTs are served from the apiserver's watch cache, never from etcd", async () => {
    // Pods are the largest kind: at 150,000 a list that reached etcd would cost it gigabytes.
    const listsOfPods = async () => {
      const lines = (await kube().raw.getText('/metrics')).split('\n');
      const sum = (name: string, ...labels: string[]) =>
        lines
          .filter((line) => line.startsWith(`${name}{`) && ['group=""', 'resource="pods"', ...labels].every((label) => line.includes(label)))
          .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
      return { fromCache: sum('apiserver_cache_list_total'), fromEtcd: sum('etcd_requests_total', 'operation="list"') };
    };
    const before = await listsOfPods();
    const operator = await startOperator();
    try {
      const after = await listsOfPods();
      expect(after.fromCache).toBeGreaterThan(before.fromCache);
      expect(after.fromEtcd).toBe(before.fromEtcd);
    } finally {
      await operator.stop();
    }
  });
});
