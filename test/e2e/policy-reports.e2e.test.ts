import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { kubectlOk } from './support/kubectl';
import { startOperator, stopAllOperators } from './support/operator';
import { runHackScript } from './support/scripts';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest } from './support/triage';

// With the Policy WG's PolicyReport CRD installed (as Kyverno ships it), --policy-reports publishes a
// namespace's triage results as a PolicyReport that follows the requests' transitions.
const ns = useTestNamespace('e2e-polr');
const image = 'registry.k8s.io/pause:3.10';

interface Report {
  readonly results?: readonly { rule: string; result: string; resources?: readonly { kind: string; name: string }[]; properties?: Record<string, string> }[];
  readonly summary?: Record<string, number>;
}

async function report(): Promise<Report | undefined> {
  try {
    return (await kube().custom.getNamespacedCustomObject({
      group: 'wgpolicyk8s.io',
      version: 'v1alpha2',
      plural: 'policyreports',
      namespace: ns.name,
      name: 'triage-operator',
    })) as Report;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  const crd = await runHackScript('policyreport-crd.sh');
  if (crd.code !== 0) throw new Error(`PolicyReport CRD not fetched: ${crd.stderr}`);
  await kubectlOk(['apply', '--server-side', '-f', crd.stdout.trim()]);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=30s', 'crd/policyreports.wgpolicyk8s.io']);
  await startOperator({ args: ['--policy-reports=true', '--resync-seconds=5'] });
});

afterAll(async () => {
  await stopAllOperators();
});

test('a report appears with the failing finding, and follows the request into Healthy', async () => {
  await kube().core.createNamespacedService({
    namespace: ns.name,
    body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
  });
  await createTriageRequest(ns.name, 'web-endpoints', { intent: 'service-no-endpoints', target: { kind: 'Service', name: 'web' }, mode: 'Continuous' });

  const failing = await eventually('a failing result for the Service', async () => {
    const current = await report();
    return current?.results?.some((r) => r.rule === 'SelectorMatchesNoPods' && r.result === 'fail') === true ? current : undefined;
  });
  const result = failing.results?.find((r) => r.rule === 'SelectorMatchesNoPods');
  expect(result?.resources?.[0]).toMatchObject({ kind: 'Service', name: 'web' });
  expect(result?.properties).toMatchObject({ triageRequest: 'web-endpoints', verdict: 'RootCauseFound' });
  expect(failing.summary).toMatchObject({ fail: 1 });

  // A pod the Service selects: kwok runs it, the endpoints fill, the Continuous request turns Healthy.
  await kube().core.createNamespacedPod({
    namespace: ns.name,
    body: { metadata: { name: 'web-0', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image }] } },
  });
  const passing = await eventually(
    'the report follows the transition to Healthy',
    async () => {
      const current = await report();
      return current?.summary?.fail === 0 && current.results?.every((r) => r.result === 'pass') === true ? current : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(passing.results?.[0]?.properties).toMatchObject({ triageRequest: 'web-endpoints', verdict: 'Healthy' });
});

test('the report goes when the namespace has no request left', async () => {
  await kube().custom.deleteNamespacedCustomObject({
    group: 'triage.dev',
    version: 'v1alpha1',
    plural: 'triagerequests',
    namespace: ns.name,
    name: 'web-endpoints',
  });
  await eventually('the report removed on resync', async () => ((await report()) === undefined ? true : undefined), { timeoutMs: 30_000 });
});
