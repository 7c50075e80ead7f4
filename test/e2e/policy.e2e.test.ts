import { randomBytes } from 'node:crypto';
import type { TriagePolicyStatus } from '../../src/crds/triage-policy';
import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { kubectl, kubectlOk } from './support/kubectl';
import { startOperator, stopAllOperators } from './support/operator';
import type { TriageRequestResource } from './support/triage';

// A TriagePolicy keeps standing triage on the namespaces it selects, with the real apiserver and
// garbage collector: requests created, dropped when a namespace leaves the selection, counted by
// verdict, and gone with the policy.
const run = randomBytes(3).toString('hex');
const label = `triage.dev/e2e-policy-${run}`;
const [broken, quiet] = [`e2e-policy-broken-${run}`, `e2e-policy-quiet-${run}`];
const policyName = `e2e-${run}`;
const api = { group: 'triage.dev', version: 'v1alpha1' } as const;

async function owned(namespace: string): Promise<TriageRequestResource[]> {
  const list = (await kube().custom.listNamespacedCustomObject({ ...api, plural: 'triagerequests', namespace })) as { items: TriageRequestResource[] };
  return list.items.filter((r) =>
    (r.metadata as { ownerReferences?: { kind: string; name: string }[] }).ownerReferences?.some((o) => o.kind === 'TriagePolicy' && o.name === policyName),
  );
}

async function policyStatus(): Promise<TriagePolicyStatus | undefined> {
  const policy = (await kube().custom.getClusterCustomObject({ ...api, plural: 'triagepolicies', name: policyName })) as { status?: TriagePolicyStatus };
  return policy.status;
}

beforeAll(async () => {
  for (const name of [broken, quiet]) await kube().core.createNamespace({ body: { metadata: { name, labels: { [label]: 'yes', 'triage.dev/e2e': 'true' } } } });
  // One namespace with a claim no class can serve; the other empty, so Healthy.
  await kube().core.createNamespacedPersistentVolumeClaim({
    namespace: broken,
    body: {
      metadata: { name: 'data' },
      spec: { storageClassName: 'no-such-class', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
  });
  await startOperator();
});

afterAll(async () => {
  await stopAllOperators();
  await kube()
    .custom.deleteClusterCustomObject({ ...api, plural: 'triagepolicies', name: policyName })
    .catch(() => undefined);
  for (const name of [broken, quiet])
    await kube()
      .core.deleteNamespace({ name })
      .catch(() => undefined);
});

test('a policy selecting two namespaces creates their requests and counts them by verdict', async () => {
  await kubectlOk(
    ['apply', '-f', '-'],
    `apiVersion: triage.dev/v1alpha1\nkind: TriagePolicy\nmetadata: {name: ${policyName}}\nspec:\n  namespaceSelector: {matchLabels: {${label}: "yes"}}\n`,
  );
  for (const namespace of [broken, quiet]) {
    const [request] = await eventually(`the policy's request in ${namespace}`, async () => {
      const found = await owned(namespace);
      return found.length === 1 ? found : undefined;
    });
    expect(request?.spec).toMatchObject({ intent: 'namespace-health', mode: 'Continuous', target: { kind: 'Namespace', name: namespace } });
  }
  const status = await eventually('verdicts counted', async () => {
    const current = await policyStatus();
    return current?.healthy === 1 && current.rootCauseFound === 1 ? current : undefined;
  });
  expect(status).toMatchObject({ selectedNamespaces: 2, healthy: 1, rootCauseFound: 1, inconclusive: 0, failed: 0, pending: 0 });
  expect(status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  // The printer columns an admin reads.
  const table = await kubectlOk(['get', 'triagepolicy', policyName]);
  expect(table.split('\n')[0]).toMatch(/^NAME\s+NAMESPACES\s+HEALTHY\s+ROOT-CAUSE\s+INCONCLUSIVE\s+PENDING\s+AGE/);
  expect(table.split('\n')[1]).toMatch(new RegExp(`^${policyName}\\s+2\\s+1\\s+1\\s+0\\s+0\\s`));
});

test('a request edited by hand is put back; one whose namespace loses the label is removed', async () => {
  const [request] = await owned(quiet);
  await kube().custom.patchNamespacedCustomObject({
    ...api,
    plural: 'triagerequests',
    namespace: quiet,
    name: request?.metadata.name ?? '',
    body: [{ op: 'replace', path: '/spec/mode', value: 'Once' }],
  });
  await eventually('the spec restored', async () => ((await owned(quiet))[0]?.spec.mode === 'Continuous' ? true : undefined));

  await kube().core.patchNamespace({ name: quiet, body: [{ op: 'remove', path: `/metadata/labels/${label.replace('/', '~1')}` }] });
  await eventually('the request of the unselected namespace removed', async () => ((await owned(quiet)).length === 0 ? true : undefined));
  const status = await eventually('one namespace selected', async () => {
    const current = await policyStatus();
    return current?.selectedNamespaces === 1 ? current : undefined;
  });
  expect(status).toMatchObject({ healthy: 0, rootCauseFound: 1 });
});

test('deleting the policy lets the garbage collector remove its requests', async () => {
  await kube().custom.deleteClusterCustomObject({ ...api, plural: 'triagepolicies', name: policyName });
  await eventually('the requests gone with their policy', async () => ((await owned(broken)).length === 0 ? true : undefined), { timeoutMs: 60_000 });
});

test('an intent that reads past the namespace is refused at admission, field named', async () => {
  const result = await kubectl(
    ['apply', '-f', '-'],
    `apiVersion: triage.dev/v1alpha1\nkind: TriagePolicy\nmetadata: {name: ${policyName}-bad}\nspec:\n  namespaceSelector: {}\n  intents: [cluster-health]\n`,
  );
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(/spec\.intents\[0\]: Invalid value: "cluster-health": must be a built-in intent that diagnoses a namespace/);
});
