import type { CustomObjectsApi } from '@kubernetes/client-node';
import { eventually } from '../e2e/support/eventually';
import { metricSum, startOperator, type OperatorProcess } from '../e2e/support/operator';
import { useOwnCluster } from '../e2e/support/own-cluster';
import { runHackScript } from '../e2e/support/scripts';
import { createTriageRequest, getTriageRequest, triaged, type TriageRequestResource } from '../e2e/support/triage';

// The long part of the fault and abuse suite (`make fault-test`): the red team's bursts, outages and
// idle periods at their full size. Each test prints what it measured as `[fault] ...`.
jest.setTimeout(900_000);

const cluster = useOwnCluster('fault', 2);
const namespace = 'fault';
let custom: CustomObjectsApi;

beforeAll(async () => {
  const clients = cluster.clients();
  custom = clients.custom;
  await clients.core.createNamespace({ body: { metadata: { name: namespace } } });
});

function report(line: string): void {
  process.stderr.write(`[fault] ${line}\n`);
}

async function createMany(prefix: string, count: number, spec: (i: number) => Record<string, unknown>): Promise<void> {
  const batch = 20;
  for (let start = 0; start < count; start += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, (_, k) => createTriageRequest(namespace, `${prefix}-${start + k}`, spec(start + k), custom)),
    );
  }
}

/** Every request of the prefix with its transitions announced, and the Events the operator wrote per request uid. */
async function announcements(prefix: string, count: number): Promise<{ requests: TriageRequestResource[]; events: Map<string, number> }> {
  const requests = await eventually(
    `every ${prefix} transition announced`,
    async () => {
      const all = await Promise.all(Array.from({ length: count }, (_, i) => getTriageRequest(namespace, `${prefix}-${i}`, custom)));
      return all.every((r) => r.status?.transitions !== undefined && r.status.announcedTransitions === r.status.transitions) ? all : undefined;
    },
    { timeoutMs: 300_000, intervalMs: 2000 },
  );
  const { core } = cluster.clients();
  const listed = await core.listNamespacedEvent({ namespace });
  const events = new Map<string, number>();
  for (const event of listed.items) {
    if (event.reportingComponent !== 'triage.dev/triage-operator') continue;
    const uid = event.involvedObject.uid ?? '';
    events.set(uid, (events.get(uid) ?? 0) + 1);
  }
  return { requests, events };
}

function lost(requests: readonly TriageRequestResource[], events: ReadonlyMap<string, number>): number {
  return requests.filter((r) => (events.get(r.metadata.uid) ?? 0) !== r.status?.transitions).length;
}

describe('Events are never lost', () => {
  test('SIGKILL in the middle of a 1,000-request burst', async () => {
    let operator: OperatorProcess = await startOperator({ kubeconfig: cluster.kubeconfig() });
    await createMany('burst', 1000, () => ({ intent: 'pvc-binding' }));
    await eventually(
      'part of the burst written',
      async () => (metricSum(await operator.metrics(), 'triage_status_writes_total', { result: 'ok' }) >= 300 ? true : undefined),
      { intervalMs: 50, timeoutMs: 120_000 },
    );
    await operator.kill();
    const killedAt = Date.now();
    operator = await startOperator({ kubeconfig: cluster.kubeconfig() });
    const { requests, events } = await announcements('burst', 1000);
    report(`1,000 burst, SIGKILL after >=300 writes: all announced ${Date.now() - killedAt} ms after the kill; Events lost: ${lost(requests, events)}`);
    expect(lost(requests, events)).toBe(0);
    await operator.stop();
  });

  test('a 60 s apiserver outage while requests are in flight', async () => {
    const operator = await startOperator({ kubeconfig: cluster.kubeconfig() });
    await createMany('outage', 300, () => ({ intent: 'pvc-binding' }));
    const component = (args: string[]) => runHackScript('component.sh', cluster.env, { args });
    expect((await component(['stop', 'kube-apiserver'])).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 60_000));
    expect((await component(['start', 'kube-apiserver'])).code).toBe(0);
    const back = Date.now();
    await triaged(namespace, 'outage-299', 120_000, custom);
    const { requests, events } = await announcements('outage', 300);
    const warnings = operator
      .log()
      .split('\n')
      .filter((line) => line.includes('"level":"warn"')).length;
    report(
      `60 s outage: 300 requests announced ${Date.now() - back} ms after the apiserver was back; Events lost: ${lost(requests, events)}; warn log lines: ${warnings}`,
    );
    expect(lost(requests, events)).toBe(0);
    await operator.stop();
  });
});

describe('Continuous requests at rest', () => {
  test('20 requests on an unchanged pending pod write no status in 2 minutes', async () => {
    const { core } = cluster.clients();
    await core.createNamespacedPod({
      namespace,
      body: { metadata: { name: 'too-big' }, spec: { containers: [{ name: 'c', image: 'example.com/c:1', resources: { requests: { cpu: '500' } } }] } },
    });
    const operator = await startOperator({ kubeconfig: cluster.kubeconfig() });
    await createMany('rest', 20, () => ({ intent: 'scheduling-failures', mode: 'Continuous', target: { kind: 'Pod', name: 'too-big' } }));
    const settled = await eventually(
      'all 20 diagnosed',
      async () => {
        const all = await Promise.all(Array.from({ length: 20 }, (_, i) => getTriageRequest(namespace, `rest-${i}`, custom)));
        return all.every((r) => r.status?.envelope?.rootCause?.code === 'InsufficientResources' && r.status.announcedTransitions === r.status.transitions)
          ? all
          : undefined;
      },
      { timeoutMs: 120_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const writesBefore = metricSum(await operator.metrics(), 'triage_status_writes_total');
    const runsBefore = metricSum(await operator.metrics(), 'triage_runs_total', { mode: 'Continuous' });
    const versions = (await Promise.all(settled.map((r) => getTriageRequest(namespace, r.metadata.name, custom)))).map((r) => r.metadata.resourceVersion);
    await new Promise((resolve) => setTimeout(resolve, 120_000));
    const writes = metricSum(await operator.metrics(), 'triage_status_writes_total') - writesBefore;
    const runs = metricSum(await operator.metrics(), 'triage_runs_total', { mode: 'Continuous' }) - runsBefore;
    const after = (await Promise.all(settled.map((r) => getTriageRequest(namespace, r.metadata.name, custom)))).map((r) => r.metadata.resourceVersion);
    report(
      `20 Continuous requests at rest for 120 s: ${writes} status writes, ${runs} diagnoses, ${after.filter((v, i) => v !== versions[i]).length} resourceVersions changed`,
    );
    expect(writes).toBe(0);
    expect(after).toEqual(versions);
    await operator.stop();
  });
});

describe('unbounded input', () => {
  test('2,000 made-up intents leave /metrics flat', async () => {
    const operator = await startOperator({ kubeconfig: cluster.kubeconfig() });
    const series = async () =>
      (await operator.metrics())
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('process_') && !line.startsWith('nodejs_'));
    await createMany('warm', 5, (i) => ({ intent: `warm-${i}.example.com` }));
    await triaged(namespace, 'warm-4', 60_000, custom);
    const before = await series();
    const bytesBefore = (await operator.metrics()).length;
    await createMany('madeup', 2000, (i) => ({ intent: `made-up-${i}.example.com` }));
    await triaged(namespace, 'madeup-1999', 300_000, custom);
    const after = await series();
    const bytesAfter = (await operator.metrics()).length;
    report(`2,000 made-up intents: /metrics ${before.length} -> ${after.length} series, ${bytesBefore} -> ${bytesAfter} bytes`);
    expect(after.length - before.length).toBeLessThanOrEqual(5);
    await operator.stop();
  });
});
