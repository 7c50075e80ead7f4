import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { startOperator, stopAllOperators } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, getTriageRequest, triaged } from './support/triage';

// Once requests re-run on a new triage.dev/rerun token; cluster-health runs only from a trusted namespace.
const ns = useTestNamespace('e2e-modes');
const untrusted = useTestNamespace('e2e-untrusted');

beforeAll(async () => {
  await startOperator({ args: [`--trusted-namespaces=${ns.name}`] });
});

afterAll(async () => {
  await stopAllOperators();
});

test('a Once request re-runs when its triage.dev/rerun annotation changes, and only then', async () => {
  await createTriageRequest(ns.name, 'once', { intent: 'pvc-binding' });
  const first = await triaged(ns.name, 'once');
  const firstRun = first.status?.envelope?.timing.startedAt;

  await kube().custom.patchNamespacedCustomObject({
    group: 'triage.dev', version: 'v1alpha1', plural: 'triagerequests', namespace: ns.name, name: 'once',
    body: [{ op: 'add', path: '/metadata/annotations', value: { 'triage.dev/rerun': 'after-fix-1' } }],
  });
  const rerun = await eventually('the re-run for token after-fix-1', async () => {
    const request = await getTriageRequest(ns.name, 'once');
    return request.status?.rerunToken === 'after-fix-1' ? request : undefined;
  });
  expect(rerun.status?.envelope?.timing.startedAt).not.toBe(firstRun);
  expect(rerun.metadata.generation).toBe(first.metadata.generation);

  // The same token again changes nothing.
  const resourceVersion = rerun.metadata.resourceVersion;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect((await getTriageRequest(ns.name, 'once')).metadata.resourceVersion).toBe(resourceVersion);
});

test('cluster-health runs from a trusted namespace across namespaces, and is Rejected elsewhere', async () => {
  await kube().core.createNamespacedPersistentVolumeClaim({
    namespace: untrusted.name,
    body: { metadata: { name: 'data' }, spec: { storageClassName: 'nowhere', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  });
  await createTriageRequest(ns.name, 'cluster', { intent: 'cluster-health' });
  const cluster = await triaged(ns.name, 'cluster');
  expect(cluster.status?.verdict).toBe('RootCauseFound');
  const objects = [...(cluster.status?.envelope?.findings ?? []).map((f) => f.object), ...(cluster.status?.envelope?.rootCause?.chain ?? [])];
  expect(objects.some((o) => o.namespace === untrusted.name)).toBe(true);

  await createTriageRequest(untrusted.name, 'cluster', { intent: 'cluster-health' });
  const rejected = await triaged(untrusted.name, 'cluster');
  expect(rejected.status?.verdict).toBe('Rejected');
  expect(rejected.status?.conditions?.find((c) => c.type === 'Complete')?.reason).toBe('NamespaceNotTrusted');
});
