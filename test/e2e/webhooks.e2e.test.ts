import { randomBytes } from 'node:crypto';
import { verifyAnchors } from './support/anchors';
import { kube } from './support/kube';
import { kubectl } from './support/kubectl';
import { startOperator, stopAllOperators } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, triaged } from './support/triage';

// admission-webhooks on the real apiserver. The webhooks are made harmless for the shared cluster:
// failurePolicy Ignore and an objectSelector no object carries, so nothing is ever sent to them.
const ns = useTestNamespace('e2e-webhooks');
const suffix = randomBytes(3).toString('hex');
const configs = { missing: `missing-backend-${suffix}`, empty: `empty-backend-${suffix}` };
const path = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';

beforeAll(async () => {
  await startOperator({ args: [`--trusted-namespaces=${ns.name}`] });
});

afterAll(async () => {
  await stopAllOperators();
  for (const name of Object.values(configs)) await kubectl(['delete', 'validatingwebhookconfiguration', name, '--ignore-not-found']);
});

function webhookConfiguration(name: string, service: string): Record<string, unknown> {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name },
    webhooks: [{
      name: `check.${suffix}.example.com`,
      failurePolicy: 'Ignore',
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      objectSelector: { matchLabels: { [`never-${suffix}`]: 'true' } },
      clientConfig: { service: { namespace: ns.name, name: service, port: 443 } },
      rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
    }],
  };
}

test('WebhookServiceNotFound and WebhookNoReadyEndpoints, from a trusted namespace', async () => {
  await kube().raw.create(path, webhookConfiguration(configs.missing, 'no-such-service'));
  await kube().core.createNamespacedService({ namespace: ns.name, body: { metadata: { name: 'idle' }, spec: { selector: { app: 'nothing-here' }, ports: [{ port: 443 }] } } });
  await kube().raw.create(path, webhookConfiguration(configs.empty, 'idle'));
  await createTriageRequest(ns.name, 'webhooks', { intent: 'admission-webhooks' });
  const request = await triaged(ns.name, 'webhooks');
  const envelope = request.status?.envelope;
  if (envelope === undefined) throw new Error(JSON.stringify(request.status));
  expect(await verifyAnchors(envelope)).toEqual([]);
  const ours = [envelope.rootCause, ...envelope.findings]
    .filter((f) => f !== undefined && (f.message.includes(configs.missing) || f.message.includes(configs.empty)))
    .map((f) => f?.code)
    .sort();
  expect(ours).toEqual(['WebhookNoReadyEndpoints', 'WebhookServiceNotFound']);
});

test('an untrusted namespace cannot look at the cluster webhooks', async () => {
  const other = `e2e-webhooks-untrusted-${suffix}`;
  await kube().core.createNamespace({ body: { metadata: { name: other } } });
  try {
    await createTriageRequest(other, 'webhooks', { intent: 'admission-webhooks' });
    const request = await triaged(other, 'webhooks');
    expect(request.status?.verdict).toBe('Rejected');
  } finally {
    await kube().core.deleteNamespace({ name: other });
  }
});
