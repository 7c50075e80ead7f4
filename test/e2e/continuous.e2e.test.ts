import { kube } from './support/kube';
import { eventually } from './support/eventually';
import { metricSum, startOperator, stopAllOperators, type OperatorProcess } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, getTriageRequest, triaged } from './support/triage';

// mode: Continuous re-runs when an object the last run read changes, and only then.
const ns = useTestNamespace('e2e-continuous');
const noise = useTestNamespace('e2e-noise');
const className = `continuous-${ns.name}`;
let operator: OperatorProcess;

beforeAll(async () => {
  operator = await startOperator();
});

afterAll(async () => {
  await stopAllOperators();
  await kube()
    .storage.deleteStorageClass({ name: className })
    .catch(() => undefined);
});

async function requestEvents(uid: string): Promise<string[]> {
  const events = await kube().events.listNamespacedEvent({ namespace: ns.name, fieldSelector: `regarding.uid=${uid}` });
  // Event names are derived from the transition, not the time: order by when they were written.
  return events.items.sort((a, b) => new Date(a.eventTime).getTime() - new Date(b.eventTime).getTime()).map((e) => e.reason ?? '');
}

test('a Continuous request flips to Healthy within 2 s of the fix, with exactly one transition Event', async () => {
  await kube().core.createNamespacedPersistentVolumeClaim({
    namespace: ns.name,
    body: { metadata: { name: 'data' }, spec: { storageClassName: className, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  });
  await createTriageRequest(ns.name, 'watch-data', { intent: 'pvc-binding', mode: 'Continuous', target: { kind: 'PersistentVolumeClaim', name: 'data' } });
  const broken = await eventually('StorageClassNotFound', async () => {
    const request = await triaged(ns.name, 'watch-data');
    return request.status?.envelope?.rootCause?.code === 'StorageClassNotFound' ? request : undefined;
  });
  expect(await requestEvents(broken.metadata.uid)).toEqual(['StorageClassNotFound']);

  // The fix: the missing class, served by the controller-manager's in-tree hostpath provisioner.
  const fixedAt = Date.now();
  await kube().storage.createStorageClass({ body: { metadata: { name: className }, provisioner: 'kubernetes.io/host-path' } });
  const healthy = await eventually(
    'Healthy after the fix',
    async () => {
      const request = await getTriageRequest(ns.name, 'watch-data');
      return request.status?.verdict === 'Healthy' ? request : undefined;
    },
    { intervalMs: 20 },
  );
  const flipMs = Date.now() - fixedAt;
  process.stderr.write(`[e2e] Continuous flip to Healthy ${flipMs} ms after creating the StorageClass\n`);
  expect(flipMs).toBeLessThan(2000);
  expect(healthy.metadata.generation).toBe(1);

  // The claim binds later (the PV controller's own resync); that re-run changes nothing worth an Event.
  await eventually(
    'claim Bound',
    async () => ((await kube().core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns.name })).status?.phase === 'Bound' ? true : undefined),
    { timeoutMs: 60_000 },
  );
  await eventually('the operator saw the Bound claim', async () => {
    const request = await getTriageRequest(ns.name, 'watch-data');
    return request.status?.envelope?.inputs.fingerprint !== healthy.status?.envelope?.inputs.fingerprint ? request : undefined;
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await requestEvents(broken.metadata.uid)).toEqual(['StorageClassNotFound', 'Healthy']);
  // Recurrence counts transitions into a root cause and is kept while healthy, so a return would count 2.
  expect((await getTriageRequest(ns.name, 'watch-data')).status?.envelope?.recurrence).toMatchObject({ code: 'StorageClassNotFound', count: 1 });
});

test('1000 updates to unrelated objects cause zero re-runs', async () => {
  const pods = Array.from({ length: 20 }, (_, i) => `bystander-${i}`);
  for (const name of pods) {
    await kube().core.createNamespacedPod({
      namespace: noise.name,
      body: { metadata: { name }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] } },
    });
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const runsBefore = metricSum(await operator.metrics(), 'triage_runs_total', { mode: 'Continuous' });

  for (let round = 0; round < 50; round++) {
    await Promise.all(
      pods.map((name) =>
        kube().core.patchNamespacedPod({ name, namespace: noise.name, body: [{ op: 'add', path: '/metadata/labels', value: { round: String(round) } }] }),
      ),
    );
  }
  // Let the informers deliver all 1000 updates before reading the counter.
  await eventually('the last update reached the operator', async () => {
    const pod = await kube().core.readNamespacedPod({ name: 'bystander-19', namespace: noise.name });
    return pod.metadata?.labels?.round === '49' ? true : undefined;
  });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const runsAfter = metricSum(await operator.metrics(), 'triage_runs_total', { mode: 'Continuous' });
  process.stderr.write(`[e2e] Continuous runs across 1000 unrelated updates: ${runsBefore} -> ${runsAfter}\n`);
  expect(runsAfter).toBe(runsBefore);
});
