import { startOperator } from './support/operator';
import { useOwnCluster } from './support/own-cluster';
import { createTriageRequest, triaged } from './support/triage';

// A cluster of its own: on the shared one, other files' broken objects compete for the 20 findings a sweep keeps.
const cluster = useOwnCluster('cluster-health', 3);

test('cluster-health runs from a trusted namespace across namespaces, and is Rejected elsewhere', async () => {
  const { core, custom } = cluster.clients();
  for (const name of ['ops', 'team-a', 'team-b']) await core.createNamespace({ body: { metadata: { name } } });
  await core.createNamespacedPersistentVolumeClaim({
    namespace: 'team-a',
    body: { metadata: { name: 'data' }, spec: { storageClassName: 'nowhere', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  });
  await core.createNamespacedService({ namespace: 'team-b', body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } });
  // Started after the faults exist, so its first sync already holds them.
  await startOperator({ kubeconfig: cluster.kubeconfig(), args: ['--trusted-namespaces=ops'] });

  await createTriageRequest('ops', 'cluster', { intent: 'cluster-health' }, custom);
  const sweep = await triaged('ops', 'cluster', 30_000, custom);
  expect(sweep.status?.verdict).toBe('RootCauseFound');
  const envelope = sweep.status?.envelope;
  const root = envelope?.rootCause;
  const reported = [
    ...(root === undefined ? [] : [`${root.code} ${root.chain[0]?.namespace ?? ''}`]),
    ...(envelope?.findings ?? []).map((f) => `${f.code} ${f.object.namespace ?? ''}`),
  ];
  expect(reported).toEqual(expect.arrayContaining(['StorageClassNotFound team-a', 'SelectorMatchesNoPods team-b']));

  await createTriageRequest('team-b', 'cluster', { intent: 'cluster-health' }, custom);
  const rejected = await triaged('team-b', 'cluster', 30_000, custom);
  expect(rejected.status?.verdict).toBe('Rejected');
  expect(rejected.status?.conditions?.find((c) => c.type === 'Complete')?.reason).toBe('NamespaceNotTrusted');
});
