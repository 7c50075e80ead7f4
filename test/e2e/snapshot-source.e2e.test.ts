import { kube } from './support/kube';
import { metricSum, startOperator, stopAllOperators } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, triaged } from './support/triage';

// The benchmark's baseline: --snapshot-source=list feeds the same templates from LIST calls per triage.
const ns = useTestNamespace('e2e-listing');

afterAll(async () => {
  await stopAllOperators();
});

test('the listing baseline reaches the same diagnosis, paying LIST calls on every triage', async () => {
  const operator = await startOperator({ args: ['--snapshot-source=list'] });
  await kube().core.createNamespacedPersistentVolumeClaim({
    namespace: ns.name,
    body: { metadata: { name: 'data' }, spec: { storageClassName: 'fast-ssd', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  });
  const listsBefore = metricSum(await operator.metrics(), 'rest_client_requests_total', { verb: 'LIST' });
  for (const name of ['one', 'two'])
    await createTriageRequest(ns.name, name, { intent: 'pvc-binding', target: { kind: 'PersistentVolumeClaim', name: 'data' } });
  for (const name of ['one', 'two']) {
    const request = await triaged(ns.name, name);
    expect(request.status?.envelope?.rootCause?.code).toBe('StorageClassNotFound');
    expect(request.status?.envelope?.rootCause?.chain.map((r) => r.kind)).toEqual(['PersistentVolumeClaim', 'StorageClass']);
  }
  const lists = metricSum(await operator.metrics(), 'rest_client_requests_total', { verb: 'LIST' }) - listsBefore;
  process.stderr.write(`[e2e] listing baseline: ${lists} LIST requests for 2 triages\n`);
  // Every input kind is listed per triage (19 kinds besides the operator's own).
  expect(lists).toBeGreaterThanOrEqual(2 * 19);
});
