import type { CustomObjectsApi } from '@kubernetes/client-node';
import { eventually } from './support/eventually';
import { metricSum, startOperator } from './support/operator';
import { useOwnCluster } from './support/own-cluster';
import { runHackScript } from './support/scripts';
import { createTriageRequest, getTriageRequest, triaged } from './support/triage';

// A cluster of its own (one node): this test stops its apiserver.
const cluster = useOwnCluster('outage', 1);
const namespace = 'outage';
let custom: CustomObjectsApi;

beforeAll(async () => {
  const clients = cluster.clients();
  custom = clients.custom;
  await clients.core.createNamespace({ body: { metadata: { name: namespace } } });
});

describe('an apiserver outage of 10 s', () => {
  test('requests created around it complete without restarting the operator', async () => {
    const operator = await startOperator({ kubeconfig: cluster.kubeconfig() });
    await createTriageRequest(namespace, 'before', { intent: 'pvc-binding' }, custom);
    await triaged(namespace, 'before', 30_000, custom);

    await createTriageRequest(namespace, 'just-before', { intent: 'pvc-binding' }, custom);
    const stop = await runHackScriptArgs(['stop', 'kube-apiserver']);
    expect(stop.code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const start = await runHackScriptArgs(['start', 'kube-apiserver']);
    expect(start.code).toBe(0);
    const back = Date.now();
    await eventually('apiserver ready again', async () =>
      (await custom.listNamespacedCustomObject({ group: 'triage.dev', version: 'v1alpha1', namespace, plural: 'triagerequests' })) ? true : undefined,
    );

    await createTriageRequest(namespace, 'after', { intent: 'pvc-binding' }, custom);
    for (const name of ['just-before', 'after']) {
      await triaged(namespace, name, 90_000, custom);
      // The namespace has no claims: pvc-binding finds nothing wrong. An answer given while the caches were
      // still catching up is Inconclusive (NotSynced) and checked again 5 s later: wait for that.
      await eventually(
        `${name} Healthy`,
        async () => {
          const request = await getTriageRequest(namespace, name, custom);
          return request.status?.verdict === 'Healthy' ? true : undefined;
        },
        { timeoutMs: 60_000 },
      );
    }
    process.stderr.write(`[e2e] after the outage, requests completed ${Date.now() - back} ms after the apiserver was back\n`);

    const metrics = await operator.metrics();
    expect(metricSum(metrics, 'informer_restarts_total')).toBeGreaterThan(0);
    // Same process throughout: signal 0 only checks that it is alive.
    expect(process.kill(operator.pid, 0)).toBe(true);
  });
});

function runHackScriptArgs(args: readonly string[]) {
  return runHackScript('component.sh', cluster.env, { args });
}
