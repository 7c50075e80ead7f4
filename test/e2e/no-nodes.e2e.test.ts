import { eventually } from './support/eventually';
import { startOperator } from './support/operator';
import { useOwnCluster } from './support/own-cluster';
import { createTriageRequest, triaged } from './support/triage';

// A cluster of its own with no node at all: the only way the real scheduler says NoNodes.
const cluster = useOwnCluster('no-nodes', 0);

test('NoNodes: a cluster without nodes', async () => {
  const { core, custom } = cluster.clients();
  await core.createNamespace({ body: { metadata: { name: 'lonely' } } });
  // Pods are refused until the service-account controller created "default".
  await eventually('default service account', async () => (await core.readNamespacedServiceAccount({ name: 'default', namespace: 'lonely' })).metadata?.name);
  await core.createNamespacedPod({
    namespace: 'lonely',
    body: { metadata: { name: 'app' }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] } },
  });
  await eventually('app Unschedulable', async () => {
    const pod = await core.readNamespacedPod({ name: 'app', namespace: 'lonely' });
    return pod.status?.conditions?.some((c) => c.reason === 'Unschedulable') === true ? true : undefined;
  });

  await startOperator({ kubeconfig: cluster.kubeconfig() });
  await createTriageRequest('lonely', 'why', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'app' } }, custom);
  const request = await triaged('lonely', 'why', 30_000, custom);
  expect(request.status?.envelope?.rootCause?.code).toBe('NoNodes');
  expect(request.status?.envelope?.rootCause?.message).toBe('The cluster has no nodes to schedule on');
});
