import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { eventually } from './support/eventually';
import { kubectlOk } from './support/kubectl';
import { metricSum, startOperator, stopAllOperators } from './support/operator';
import { kubeconfigFromClusterUp, runHackScript } from './support/scripts';
import { createTriageRequest, triaged } from './support/triage';

// A cluster of its own (one node, its own state dir): this test stops its apiserver.
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-outage-'));
const env = { TRIAGE_CLUSTER_DIR: stateDir, NODES: '1' };
const namespace = 'outage';
let custom: CustomObjectsApi;
let kubeconfig = '';

beforeAll(async () => {
  const up = await runHackScript('cluster-up.sh', env);
  if (up.code !== 0) throw new Error(`cluster-up failed:\n${up.stderr}`);
  kubeconfig = kubeconfigFromClusterUp(up.stdout);
  await kubectlOk(['apply', '-k', 'config/crd'], undefined, kubeconfig);
  await kubectlOk(['wait', '--for=condition=Established', 'crd/triagerequests.triage.dev'], undefined, kubeconfig);
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  custom = config.makeApiClient(CustomObjectsApi);
  await config.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await stopAllOperators();
  await runHackScript('cluster-down.sh', env);
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('an apiserver outage of 10 s', () => {
  test('requests created around it complete without restarting the operator', async () => {
    const operator = await startOperator({ kubeconfig });
    await createTriageRequest(namespace, 'before', { intent: 'pvc-binding' }, custom);
    await triaged(namespace, 'before', 30_000, custom);

    await createTriageRequest(namespace, 'just-before', { intent: 'pvc-binding' }, custom);
    const stop = await runHackScriptArgs(['stop', 'kube-apiserver']);
    expect(stop.code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const start = await runHackScriptArgs(['start', 'kube-apiserver']);
    expect(start.code).toBe(0);
    const back = Date.now();
    await eventually('apiserver ready again', async () => ((await custom.listNamespacedCustomObject({ group: 'triage.dev', version: 'v1alpha1', namespace, plural: 'triagerequests' })) ? true : undefined));

    await createTriageRequest(namespace, 'after', { intent: 'pvc-binding' }, custom);
    for (const name of ['just-before', 'after']) {
      const request = await triaged(namespace, name, 90_000, custom);
      // The namespace has no claims: pvc-binding finds nothing wrong.
      expect(request.status?.verdict).toBe('Healthy');
    }
    process.stderr.write(`[e2e] after the outage, requests completed ${Date.now() - back} ms after the apiserver was back\n`);

    const metrics = await operator.metrics();
    expect(metricSum(metrics, 'informer_restarts_total')).toBeGreaterThan(0);
    // Same process throughout: signal 0 only checks that it is alive.
    expect(process.kill(operator.pid, 0)).toBe(true);
  });
});

function runHackScriptArgs(args: readonly string[]) {
  return runHackScript('component.sh', env, { args });
}
