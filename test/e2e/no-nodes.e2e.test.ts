import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { eventually } from './support/eventually';
import { kubectlOk } from './support/kubectl';
import { startOperator, stopAllOperators } from './support/operator';
import { kubeconfigFromClusterUp, runHackScript } from './support/scripts';
import { createTriageRequest, triaged } from './support/triage';

// A cluster of its own with no node at all: the only way the real scheduler says NoNodes.
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-no-nodes-'));
const env = { TRIAGE_CLUSTER_DIR: stateDir, NODES: '0' };
let kubeconfig = '';

beforeAll(async () => {
  const up = await runHackScript('cluster-up.sh', env);
  if (up.code !== 0) throw new Error(`cluster-up failed:\n${up.stderr}`);
  kubeconfig = kubeconfigFromClusterUp(up.stdout);
  await kubectlOk(['apply', '-k', 'config/crd'], undefined, kubeconfig);
  await kubectlOk(['wait', '--for=condition=Established', 'crd/triagerequests.triage.dev'], undefined, kubeconfig);
});

afterAll(async () => {
  await stopAllOperators();
  await runHackScript('cluster-down.sh', env);
  fs.rmSync(stateDir, { recursive: true, force: true });
});

test('NoNodes: a cluster without nodes', async () => {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  const core = config.makeApiClient(CoreV1Api);
  const custom = config.makeApiClient(CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: 'lonely' } } });
  // Pods are refused until the service-account controller created "default".
  await eventually('default service account', async () => (await core.readNamespacedServiceAccount({ name: 'default', namespace: 'lonely' })).metadata?.name);
  await core.createNamespacedPod({ namespace: 'lonely', body: { metadata: { name: 'app' }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] } } });
  await eventually('app Unschedulable', async () => {
    const pod = await core.readNamespacedPod({ name: 'app', namespace: 'lonely' });
    return pod.status?.conditions?.some((c) => c.reason === 'Unschedulable') === true ? true : undefined;
  });

  await startOperator({ kubeconfig });
  await createTriageRequest('lonely', 'why', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'app' } }, custom);
  const request = await triaged('lonely', 'why', 30_000, custom);
  expect(request.status?.envelope?.rootCause?.code).toBe('NoNodes');
  expect(request.status?.envelope?.rootCause?.message).toBe('The cluster has no nodes to schedule on');
});
