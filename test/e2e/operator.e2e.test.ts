import { WATCHED_KINDS } from '../../src/kube/kinds';
import { eventually } from './support/eventually';
import { apiStatus, kube } from './support/kube';
import { kubectl } from './support/kubectl';
import { metricSum, startOperator, stopAllOperators, type OperatorProcess } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, getTriageRequest, triaged } from './support/triage';

const ns = useTestNamespace('e2e-operator');

function manifest(name: string, spec: string): string {
  return `apiVersion: triage.dev/v1alpha1\nkind: TriageRequest\nmetadata:\n  name: ${name}\n  namespace: ${ns.name}\nspec:\n${spec}`;
}

describe('kubectl apply rejects invalid TriageRequests with a message naming the field', () => {
  test.each([
    ['an unknown intent', '  intent: pvc-bindng\n', /spec\.intent: Invalid value: "pvc-bindng": must be a built-in intent/],
    ['maxSteps 0', '  intent: pvc-binding\n  bounds: {maxSteps: 0}\n', /spec\.bounds\.maxSteps: Invalid value: 0: .*greater than or equal to 1/],
    [
      'timeoutSeconds 1000',
      '  intent: pvc-binding\n  bounds: {timeoutSeconds: 1000}\n',
      /spec\.bounds\.timeoutSeconds: Invalid value: 1000: .*less than or equal to 120/,
    ],
    ['minCompleteness 2', '  intent: pvc-binding\n  minCompleteness: 2\n', /spec\.minCompleteness: Invalid value: 2: .*less than or equal to 1/],
    [
      'name and selector together',
      '  intent: scheduling-failures\n  target: {kind: Pod, name: web-0, selector: {matchLabels: {app: web}}}\n',
      /spec\.target\.name: Invalid value: .*name and selector are mutually exclusive/,
    ],
    [
      'a target kind the intent does not diagnose',
      '  intent: pvc-binding\n  target: {kind: Ingress, name: web}\n',
      /spec\.target\.kind: Invalid value: .*intent pvc-binding cannot target Ingress/,
    ],
  ])('%s', async (_case, spec, message) => {
    const result = await kubectl(['apply', '-f', '-'], manifest('invalid', spec));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });

  test('a valid request is accepted with defaults filled in', async () => {
    const result = await kubectl(['apply', '-f', '-'], manifest('defaults', '  intent: pvc-binding\n'));
    expect(result.stderr).toBe('');
    const request = await getTriageRequest(ns.name, 'defaults');
    // Bounds are not defaulted into the spec: unset, they come from the template, then 3 steps / 15 s (resolveBounds).
    expect(request.spec).toEqual({ intent: 'pvc-binding', minCompleteness: 0.8, mode: 'Once' });
    await kube().custom.deleteNamespacedCustomObject({
      group: 'triage.dev',
      version: 'v1alpha1',
      plural: 'triagerequests',
      namespace: ns.name,
      name: 'defaults',
    });
  });
});

describe('the operator', () => {
  let operator: OperatorProcess;

  beforeAll(async () => {
    operator = await startOperator({ args: ['--resync-seconds=1'] });
  });

  afterAll(async () => {
    await stopAllOperators();
  });

  test('triages a request: observedGeneration, conditions, verdict and one Event', async () => {
    await createTriageRequest(ns.name, 'first', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'web-0' } });
    const request = await triaged(ns.name, 'first');

    expect(request.status?.verdict).toBe('Inconclusive');
    expect(request.status?.target).toBe('Pod/web-0');
    const conditions = Object.fromEntries((request.status?.conditions ?? []).map((c) => [c.type, c]));
    expect(conditions.Complete).toMatchObject({ status: 'True', reason: 'Completed', observedGeneration: 1 });
    expect(conditions.RootCauseFound).toMatchObject({ status: 'False', reason: 'Inconclusive', observedGeneration: 1 });
    // web-0 does not exist: the diagnosis says so rather than inventing a cause.
    expect(request.status?.envelope?.summary).toBe(`Pod ${ns.name}/web-0: was not found`);

    const events = await kube().events.listNamespacedEvent({ namespace: ns.name, fieldSelector: `regarding.uid=${request.metadata.uid}` });
    expect(events.items.map((e) => [e.reason, e.reportingController, e.action])).toEqual([['Inconclusive', 'triage.dev/triage-operator', 'Triage']]);
  });

  test('a request with the longest name a Kubernetes object may have still gets its Event', async () => {
    const name = `long-${'x'.repeat(243)}`.slice(0, 253);
    await createTriageRequest(ns.name, name, { intent: 'pvc-binding' });
    const request = await triaged(ns.name, name);
    const events = await eventually('the Event about the long-named request', async () => {
      const list = await kube().events.listNamespacedEvent({ namespace: ns.name, fieldSelector: `regarding.uid=${request.metadata.uid}` });
      return list.items.length > 0 ? list.items : undefined;
    });
    expect(events[0]?.metadata?.name?.length).toBeLessThanOrEqual(253);
  });

  test('the diagnosis is also an Event on the diagnosed object, related to the request', async () => {
    // No node carries this label: the scheduler says so, and scheduling-failures proves NodeAffinityMismatch.
    const pod = await kube().core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: 'picky' },
        spec: { nodeSelector: { 'triage.dev/e2e': 'nowhere' }, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
      },
    });
    await eventually('the scheduler marks picky Unschedulable', async () => {
      const current = await kube().core.readNamespacedPod({ namespace: ns.name, name: 'picky' });
      return current.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable') === true ? true : undefined;
    });
    await createTriageRequest(ns.name, 'on-target', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'picky' } });
    const request = await triaged(ns.name, 'on-target');
    expect(request.status?.envelope?.rootCause?.code).toBe('NodeAffinityMismatch');
    const onPod = await eventually("the operator's Event on pod picky", async () => {
      const list = await kube().events.listNamespacedEvent({ namespace: ns.name, fieldSelector: `regarding.uid=${pod.metadata?.uid ?? ''}` });
      const ours = list.items.filter((e) => e.reportingController === 'triage.dev/triage-operator');
      return ours.length > 0 ? ours : undefined;
    });
    expect(onPod.map((e) => [e.reason, e.type, e.related?.kind, e.related?.name, e.note])).toEqual([
      ['NodeAffinityMismatch', 'Warning', 'TriageRequest', 'on-target', request.status?.envelope?.summary],
    ]);
    // What `kubectl describe pod` and `kubectl events --for` read: the core/v1 view of the same Event.
    const described = await kubectl(['events', '-n', ns.name, '--for', 'pod/picky']);
    expect(described.stdout).toContain('NodeAffinityMismatch');
  });

  test('a spec change (new generation) re-runs the triage', async () => {
    await kube().custom.patchNamespacedCustomObject({
      group: 'triage.dev',
      version: 'v1alpha1',
      plural: 'triagerequests',
      namespace: ns.name,
      name: 'first',
      body: [{ op: 'add', path: '/spec/bounds', value: { maxSteps: 5 } }],
    });
    const request = await triaged(ns.name, 'first');
    expect(request.metadata.generation).toBe(2);
    expect(request.status?.envelope?.bounds.maxSteps).toBe(5);
  });

  test('a cross-namespace target from an untrusted namespace ends Rejected', async () => {
    await createTriageRequest(ns.name, 'elsewhere', {
      intent: 'pvc-binding',
      target: { kind: 'PersistentVolumeClaim', name: 'data', namespace: 'kube-system' },
    });
    const request = await triaged(ns.name, 'elsewhere');
    expect(request.status?.verdict).toBe('Rejected');
    expect(request.status?.conditions?.find((c) => c.type === 'Complete')).toMatchObject({
      status: 'False',
      reason: 'NamespaceNotTrusted',
      message: expect.stringContaining('namespace kube-system is outside') as unknown,
    });
    expect(request.status?.envelope).toBeUndefined();
  });

  test('a finished request is not rewritten when nothing changed (resync every second)', async () => {
    const before = await getTriageRequest(ns.name, 'first');
    const skippedBefore = metricSum(await operator.metrics(), 'triage_runs_skipped_total');
    // Waiting is the test here: three resync periods must pass without a write.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const after = await getTriageRequest(ns.name, 'first');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(metricSum(await operator.metrics(), 'triage_runs_skipped_total')).toBeGreaterThanOrEqual(skippedBefore + 3);
  });

  test('zero LIST requests per reconcile once synced (100 requests)', async () => {
    const apiserverLists = async () => metricSum(await kube().raw.getText('/metrics'), 'apiserver_request_total', { verb: 'LIST' });
    // APIs not installed here (Gateway API) are re-listed every 30 s to notice their CRDs: not per reconcile.
    const optional = WATCHED_KINDS.filter((kind) => 'optional' in kind && kind.optional).map((kind) => kind.plural);
    const operatorLists = async () => {
      const text = await operator.metrics();
      return (
        metricSum(text, 'rest_client_requests_total', { verb: 'LIST' }) -
        optional.reduce((sum, resource) => sum + metricSum(text, 'rest_client_requests_total', { verb: 'LIST', resource }), 0)
      );
    };
    const [apiserverBefore, operatorBefore] = [await apiserverLists(), await operatorLists()];
    const writesBefore = metricSum(await operator.metrics(), 'triage_status_writes_total');

    const names = Array.from({ length: 100 }, (_, i) => `bulk-${i}`);
    for (const name of names) await createTriageRequest(ns.name, name, { intent: 'pvc-binding', target: { kind: 'PersistentVolumeClaim', name } });
    for (const name of names) await triaged(ns.name, name);

    const [apiserverAfter, operatorAfter] = [await apiserverLists(), await operatorLists()];
    const writes = metricSum(await operator.metrics(), 'triage_status_writes_total') - writesBefore;
    process.stderr.write(
      `[e2e] LIST requests across 100 triages: apiserver total ${apiserverBefore} -> ${apiserverAfter}, operator ${operatorBefore} -> ${operatorAfter}; status writes ${writes}\n`,
    );
    expect(writes).toBeGreaterThanOrEqual(100);
    expect(operatorAfter).toBe(operatorBefore);
    // The apiserver counts every client's LISTs (the namespace controller lists all kinds while deleting an
    // earlier file's namespace): bound it below one per triage; the exact per-client count is the bench's audit log.
    expect(apiserverAfter - apiserverBefore).toBeLessThan(names.length);
  });

  test('deleting a request is not an error', async () => {
    const errorsBefore = metricSum(await operator.metrics(), 'controller_runtime_reconcile_errors_total');
    await kube().custom.deleteNamespacedCustomObject({
      group: 'triage.dev',
      version: 'v1alpha1',
      plural: 'triagerequests',
      namespace: ns.name,
      name: 'elsewhere',
    });
    const gone = await getTriageRequest(ns.name, 'elsewhere').then(
      () => 200,
      (error: unknown) => apiStatus(error),
    );
    expect(gone).toBe(404);
    // Give a stray reconcile of the deleted key time to happen, then check it did not count as an error.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(metricSum(await operator.metrics(), 'controller_runtime_reconcile_errors_total')).toBe(errorsBefore);
  });
});
