import { metricSum, startOperator, stopAllOperators, type OperatorProcess } from './support/operator';
import { eventually } from './support/eventually';
import { useTestNamespace } from './support/test-namespace';
import type { Envelope } from '../../src/crds/envelope';
import { kube } from './support/kube';
import { createTriageRequest, getTriageRequest, triaged, triagedUntil } from './support/triage';

const ns = useTestNamespace('e2e-leader');
// Faults of one kind in several objects: ties the envelope must break the same way on every replica.
const faults = useTestNamespace('e2e-leader-faults');

/** The envelope without what differs by when it ran: its timing, step durations, anchors' observedAt, recurrence. */
function stable(envelope: Envelope | undefined): unknown {
  if (envelope === undefined) return undefined;
  const { timing: _timing, recurrence: _recurrence, ...rest } = envelope;
  return {
    ...rest,
    steps: rest.steps.map(({ durationMs: _durationMs, ...step }) => step),
    anchors: rest.anchors.map(({ observedAt: _observedAt, ...anchor }) => anchor),
  };
}
const electionArgs = () => ['--leader-elect=true', `--leader-election-namespace=${ns.name}`, '--leader-election-id=triage-operator'];

async function isLeader(operator: OperatorProcess): Promise<boolean> {
  return metricSum(await operator.metrics(), 'leader_election_master_status') === 1;
}

afterAll(async () => {
  await stopAllOperators();
});

describe('leader election with two operator processes', () => {
  let first: OperatorProcess;
  let second: OperatorProcess;

  beforeAll(async () => {
    first = await startOperator({ identity: `leader-a-${ns.name}`, args: electionArgs() });
    await eventually('the first operator leads', async () => ((await isLeader(first)) ? true : undefined));
    second = await startOperator({ identity: `leader-b-${ns.name}`, args: electionArgs() });
  });

  test('only the leader reconciles', async () => {
    for (const name of ['one', 'two', 'three']) await createTriageRequest(ns.name, name, { intent: 'pvc-binding' });
    for (const name of ['one', 'two', 'three']) await triaged(ns.name, name);

    expect(await isLeader(first)).toBe(true);
    expect(await isLeader(second)).toBe(false);
    expect(metricSum(await first.metrics(), 'triage_status_writes_total')).toBeGreaterThanOrEqual(3);
    expect(metricSum(await second.metrics(), 'triage_status_writes_total')).toBe(0);
    expect(metricSum(await second.metrics(), 'controller_runtime_reconcile_total')).toBe(0);
  });

  test('kill -9 of the leader: the other takes over and completes pending requests', async () => {
    // A sweep the first leader answers, over Services that tie on code and severity (and write no Events
    // that would change the world between the two answers).
    for (const name of ['web-c', 'web-a', 'web-b']) {
      await kube().core.createNamespacedService({
        namespace: faults.name,
        body: { metadata: { name }, spec: { selector: { app: `no-${name}` }, ports: [{ port: 80 }] } },
      });
    }
    const before = await triagedUntil(faults.name, 'sweep', { intent: 'namespace-health' }, (e) => e.rootCause !== undefined && e.findings.length === 2);
    const killedAt = Date.now();
    await first.kill();
    const pending = ['after-1', 'after-2', 'after-3', 'after-4', 'after-5'];
    for (const name of pending) await createTriageRequest(ns.name, name, { intent: 'pvc-binding' });

    for (const name of pending) await triaged(ns.name, name, 60_000);
    const takeoverMs = Date.now() - killedAt;
    process.stderr.write(`[e2e] takeover after kill -9: all pending requests triaged ${takeoverMs} ms after the leader died\n`);
    expect(await isLeader(second)).toBe(true);
    expect(metricSum(await second.metrics(), 'triage_status_writes_total')).toBeGreaterThanOrEqual(pending.length);
    const request = await getTriageRequest(ns.name, 'after-5');
    // No claims in the namespace: nothing for pvc-binding to find.
    expect(request.status?.verdict).toBe('Healthy');

    // The new leader, with caches filled in its own order, answers the same sweep the same way.
    await kube().custom.patchNamespacedCustomObject({
      group: 'triage.dev',
      version: 'v1alpha1',
      plural: 'triagerequests',
      namespace: faults.name,
      name: 'sweep',
      body: [{ op: 'add', path: '/metadata/annotations', value: { 'triage.dev/rerun': 'after-failover' } }],
    });
    const after = await eventually(
      'the sweep re-run by the new leader',
      async () => {
        const current = await getTriageRequest(faults.name, 'sweep');
        return current.status?.rerunToken === 'after-failover' ? current : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(after.status?.envelope?.timing.startedAt).not.toBe(before.envelope.timing.startedAt);
    expect(stable(after.status?.envelope)).toEqual(stable(before.envelope));
  });

  test('SIGTERM releases the lease, so a successor takes over at once', async () => {
    const third = await startOperator({ identity: `leader-c-${ns.name}`, args: electionArgs() });
    const stoppedAt = Date.now();
    expect(await second.stop()).toBe(0);
    await eventually('the third operator leads', async () => ((await isLeader(third)) ? true : undefined), { intervalMs: 100 });
    const handoverMs = Date.now() - stoppedAt;
    process.stderr.write(`[e2e] handover after SIGTERM: ${handoverMs} ms\n`);
    // A released lease is taken on the follower's next retry (2 s), far below the 15 s lease duration.
    expect(handoverMs).toBeLessThan(10_000);
  });
});
