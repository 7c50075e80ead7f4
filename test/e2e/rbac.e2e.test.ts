import fs from 'node:fs';
import path from 'node:path';
import { readClusterInfo } from './support/cluster-info';
import { kube } from './support/kube';
import { operatorKubeconfig } from './support/service-account';
import { kubectl, kubectlOk } from './support/kubectl';
import { eventually } from './support/eventually';
import { metricSum, stopAllOperators, startOperator } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, triaged } from './support/triage';

// The operator runs as the ServiceAccount from config/rbac with a token minted for it: if it needed
// any permission beyond config/rbac, its caches would not sync or its writes would fail here.
const ns = useTestNamespace('e2e-rbac');
const serviceAccount = 'system:serviceaccount:triage-system:triage-operator';
let kubeconfigFile = '';

beforeAll(async () => {
  await kubectlOk(['apply', '-f', 'config/manager/namespace.yaml']);
  await kubectlOk(['apply', '-k', 'config/rbac']);
  kubeconfigFile = await operatorKubeconfig(kube().core, kube().config, 'rbac');
});

afterAll(async () => {
  await stopAllOperators();
  fs.rmSync(path.dirname(kubeconfigFile), { recursive: true, force: true });
});

describe('least-privilege RBAC from config/rbac', () => {
  test('the ServiceAccount can read what the operator watches and nothing it should not', async () => {
    const can = async (...args: string[]) => (await kubectl(['auth', 'can-i', ...args, `--as=${serviceAccount}`])).stdout.trim();
    expect(await can('watch', 'pods', '--all-namespaces')).toBe('yes');
    expect(await can('patch', 'triagerequests.triage.dev', '--subresource=status', '-n', ns.name)).toBe('yes');
    expect(await can('create', 'events.events.k8s.io', '-n', ns.name)).toBe('yes');
    expect(await can('get', 'secrets', '--all-namespaces')).toBe('no');
    expect(await can('list', 'secrets', '-n', ns.name)).toBe('no');
    expect(await can('update', 'triagerequests.triage.dev', '-n', ns.name)).toBe('no');
    // TriagePolicies own requests: create, patch back and delete them; the policies themselves are read-only but for status.
    expect(await can('create', 'triagerequests.triage.dev', '-n', ns.name)).toBe('yes');
    expect(await can('patch', 'triagepolicies.triage.dev', '--subresource=status')).toBe('yes');
    expect(await can('patch', 'triagepolicies.triage.dev')).toBe('no');
    expect(await can('delete', 'pods', '-n', ns.name)).toBe('no');
    expect(await can('update', 'leases.coordination.k8s.io', '-n', ns.name)).toBe('no');
    expect(await can('update', 'leases.coordination.k8s.io/triage-operator', '-n', 'triage-system')).toBe('yes');
    // Only its own Lease: another controller's in the same namespace is not the operator's to renew.
    expect(await can('update', 'leases.coordination.k8s.io/kube-scheduler', '-n', 'triage-system')).toBe('no');
    expect(await can('patch', 'events.events.k8s.io', '-n', ns.name)).toBe('no');
    // Node Leases (the kubelet's heartbeat) are read in kube-node-lease only.
    expect(await can('watch', 'leases.coordination.k8s.io', '-n', 'kube-node-lease')).toBe('yes');
    expect(await can('watch', 'leases.coordination.k8s.io', '--all-namespaces')).toBe('no');
  });

  test('the operator runs with only those permissions, leader election included', async () => {
    const operator = await startOperator({
      kubeconfig: kubeconfigFile,
      args: ['--leader-elect=true', '--leader-election-namespace=triage-system', '--leader-election-id=triage-operator'],
    });
    await createTriageRequest(ns.name, 'as-service-account', { intent: 'pvc-binding' });

    const request = await triaged(ns.name, 'as-service-account');
    expect(request.status?.observedGeneration).toBe(request.metadata.generation);
    expect(request.status?.conditions?.map((c) => c.type).sort()).toEqual(['Complete', 'RootCauseFound']);
    const events = await kube().events.listNamespacedEvent({ namespace: ns.name, fieldSelector: `regarding.uid=${request.metadata.uid}` });
    expect(events.items).toHaveLength(1);
    const log = operator.log();
    // An RBAC denial names the user; other tests' namespaces being deleted also answer 403, and are not ours to judge here.
    expect(log).not.toMatch(/forbidden: User "/);
    expect(log).toContain('Became leader');
    expect(readClusterInfo().kubeconfig).not.toBe(kubeconfigFile);
  });
  test('with config/rbac/secret-metadata, a token-authenticated operator watches Secret metadata', async () => {
    await kubectlOk(['apply', '-k', 'config/rbac/secret-metadata']);
    try {
      await eventually('list secrets granted', async () =>
        (await kubectl(['auth', 'can-i', 'watch', 'secrets', '--all-namespaces', `--as=${serviceAccount}`])).stdout.trim() === 'yes' ? true : undefined,
      );
      const operator = await startOperator({ kubeconfig: kubeconfigFile, args: ['--watch-secret-metadata=true'] });
      const cached = async () => metricSum(await operator.metrics(), 'informer_objects', { kind: 'Secret' });
      const before = await cached();
      // Created after the initial list: only the watch, which carries the token, can deliver it.
      await kube().core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'made-after-sync' }, stringData: { key: 'value' } } });
      await eventually('the Secret watch delivered the new Secret', async () => ((await cached()) > before ? true : undefined));
      expect(operator.log()).not.toMatch(/Informer restarting[^\n]*"kind":"Secret"/);
    } finally {
      await kubectlOk(['delete', '-k', 'config/rbac/secret-metadata']);
    }
  });
});
