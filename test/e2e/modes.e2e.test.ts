import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { startOperator, stopAllOperators } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, getTriageRequest, triaged } from './support/triage';

// Once requests re-run on a new triage.dev/rerun token, and only then.
const ns = useTestNamespace('e2e-modes');

beforeAll(async () => {
  await startOperator();
});

afterAll(async () => {
  await stopAllOperators();
});

test('a Once request re-runs when its triage.dev/rerun annotation changes, and only then', async () => {
  await createTriageRequest(ns.name, 'once', { intent: 'pvc-binding' });
  const first = await triaged(ns.name, 'once');
  const firstRun = first.status?.envelope?.timing.startedAt;

  await kube().custom.patchNamespacedCustomObject({
    group: 'triage.dev',
    version: 'v1alpha1',
    plural: 'triagerequests',
    namespace: ns.name,
    name: 'once',
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
