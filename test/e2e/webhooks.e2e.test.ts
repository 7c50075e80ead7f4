import { randomBytes } from 'node:crypto';
import { kube } from './support/kube';
import { kubectl } from './support/kubectl';
import { startOperator, stopAllOperators } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { eventually } from './support/eventually';
import type { Envelope } from '../../src/crds/envelope';
import { createTriageRequest, triaged, triagedUntil } from './support/triage';

// admission-webhooks on the real apiserver. The webhooks are made harmless for the shared cluster:
// failurePolicy Ignore and an objectSelector no object carries, so nothing is ever sent to them; the
// one that fails closed matches only pod creates in this file's own namespace (namespaceSelector).
const ns = useTestNamespace('e2e-webhooks');
const suffix = randomBytes(3).toString('hex');
const configs = { missing: `missing-backend-${suffix}`, empty: `empty-backend-${suffix}`, blocking: `blocking-${suffix}` };
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
    webhooks: [
      {
        name: `check.${suffix}.example.com`,
        failurePolicy: 'Ignore',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        objectSelector: { matchLabels: { [`never-${suffix}`]: 'true' } },
        clientConfig: { service: { namespace: ns.name, name: service, port: 443 } },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
      },
    ],
  };
}

test('WebhookServiceNotFound and WebhookNoReadyEndpoints, from a trusted namespace', async () => {
  await kube().raw.create(path, webhookConfiguration(configs.missing, 'no-such-service'));
  await kube().core.createNamespacedService({
    namespace: ns.name,
    body: { metadata: { name: 'idle' }, spec: { selector: { app: 'nothing-here' }, ports: [{ port: 443 }] } },
  });
  await kube().raw.create(path, webhookConfiguration(configs.empty, 'idle'));
  const ours = (envelope: Envelope) =>
    [envelope.rootCause, ...envelope.findings]
      .filter((f) => f !== undefined && (f.message.includes(configs.missing) || f.message.includes(configs.empty)))
      .map((f) => f?.code)
      .sort();
  // The operator's caches may see the new configurations a moment after the apiserver does.
  const { envelope } = await triagedUntil(ns.name, 'webhooks', { intent: 'admission-webhooks' }, (e) => ours(e).length === 2);
  expect(ours(envelope)).toEqual(['WebhookNoReadyEndpoints', 'WebhookServiceNotFound']);
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

test('WebhookFailing: a Fail webhook whose Service is gone blocks a Deployment, and admission-webhooks names it', async () => {
  const webhook = `pods.${suffix}.example.com`;
  await kube().raw.create(path, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: configs.blocking },
    webhooks: [
      {
        name: webhook,
        failurePolicy: 'Fail',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 5,
        // Only pods created in this namespace: nothing else in the shared cluster is sent to it.
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns.name } },
        clientConfig: { service: { namespace: ns.name, name: 'policy-gone', port: 443, path: '/validate' } },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
      },
    ],
  });
  await kube().apps.createNamespacedDeployment({
    namespace: ns.name,
    body: {
      metadata: { name: 'guarded' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'guarded' } },
        template: { metadata: { labels: { app: 'guarded' } }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] } },
      },
    },
  });
  // The real ReplicaSet controller is refused by the real apiserver, which cannot resolve the Service.
  const message = await eventually('FailedCreate naming the webhook', async () => {
    const events = await kube().core.listNamespacedEvent({ namespace: ns.name });
    return events.items.find((e) => e.reason === 'FailedCreate' && (e.message ?? '').includes(`failed calling webhook "${webhook}"`))?.message;
  });
  process.stderr.write(`\n[e2e] FailedCreate from the real controller: ${message}\n`);
  expect(message).toContain('service "policy-gone" not found');

  // The first run may predate the operator's cache seeing that Event: wait for an answer made with it.
  const { verdict, envelope } = await triagedUntil(
    ns.name,
    'why-guarded',
    { intent: 'rollout-stuck', target: { kind: 'Deployment', name: 'guarded' } },
    (e) => e.rootCause?.code === 'WebhookFailing',
  );
  expect(verdict).toBe('RootCauseFound');
  expect(envelope.rootCause?.code).toBe('WebhookFailing');
  expect(envelope.rootCause?.chain.map((r) => r.kind)).toEqual(['Deployment', 'ReplicaSet', 'ValidatingWebhookConfiguration', 'Service']);
  expect(envelope.rootCause?.chain.at(-1)).toMatchObject({ kind: 'Service', namespace: ns.name, name: 'policy-gone' });
  expect(envelope.rootCause?.message).toContain(`Service ${ns.name}/policy-gone does not exist`);

  // The cluster-wide view names what the webhook blocks.
  const mine = (e: Envelope) => [e.rootCause, ...e.findings].find((f) => f?.message.includes(configs.blocking) === true);
  const cluster = await triagedUntil(
    ns.name,
    'webhooks-blocking',
    { intent: 'admission-webhooks' },
    (e) => mine(e)?.message.includes('blocks pod creation') === true,
  );
  const ours = mine(cluster.envelope);
  expect(ours?.code).toBe('WebhookServiceNotFound');
  expect(ours?.message).toContain(`it blocks pod creation for Deployment ${ns.name}/guarded`);
});
