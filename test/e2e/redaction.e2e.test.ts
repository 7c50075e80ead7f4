import { randomBytes } from 'node:crypto';
import { kube } from './support/kube';
import { startOperator, stopAllOperators, type OperatorProcess } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, triaged } from './support/triage';

// A password and a bearer token planted where triage reads (an Event message it quotes) and beside it
// (an annotation on the same claim) must not reach status, the operator's Events or its logs.
const ns = useTestNamespace('e2e-redact');
const password = `Pw${randomBytes(8).toString('hex')}`;
const token = `tok${randomBytes(16).toString('hex')}`;
let operator: OperatorProcess;
const className = `planted-${ns.name}`;

beforeAll(async () => {
  operator = await startOperator();
  await kube().storage.createStorageClass({ body: { metadata: { name: className }, provisioner: 'example.com/planted' } });
});

afterAll(async () => {
  await stopAllOperators();
  await kube().storage.deleteStorageClass({ name: className });
});

test('a secret planted in an Event message and an annotation never appears in status, Events or logs', async () => {
  const claim = await kube().core.createNamespacedPersistentVolumeClaim({
    namespace: ns.name,
    body: {
      metadata: { name: 'planted', annotations: { 'example.com/connection': `postgres://app:${password}@db:5432/app` } },
      spec: { storageClassName: className, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
  });
  const now = new Date();
  await kube().core.createNamespacedEvent({
    namespace: ns.name,
    body: {
      metadata: { name: `planted.${Date.now()}` },
      involvedObject: { kind: 'PersistentVolumeClaim', namespace: ns.name, name: 'planted', uid: claim.metadata?.uid ?? '' },
      reason: 'ProvisioningFailed',
      type: 'Warning',
      message: `rpc error: backend rejected password=${password} with Authorization: Bearer ${token}`,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      source: { component: 'example.com/planted' },
    },
  });

  await createTriageRequest(ns.name, 'planted', { intent: 'pvc-binding', target: { kind: 'PersistentVolumeClaim', name: 'planted' } });
  const request = await triaged(ns.name, 'planted');

  expect(request.status?.envelope?.rootCause?.code).toBe('ProvisioningFailed');
  const quoted = request.status?.envelope?.anchors.find((a) => a.event?.reason === 'ProvisioningFailed');
  expect(quoted?.excerpt).toBe('rpc error: backend rejected password=[REDACTED] with Authorization: Bearer [REDACTED]');

  const status = JSON.stringify(request.status);
  const ours = (await kube().events.listNamespacedEvent({ namespace: ns.name })).items.filter((e) => e.reportingController === 'triage.dev/triage-operator');
  expect(ours.length).toBeGreaterThan(0);
  for (const [where, text] of [['status', status], ['events', JSON.stringify(ours)], ['logs', operator.log()]] as const) {
    expect({ where, leaksPassword: text.includes(password), leaksToken: text.includes(token) }).toEqual({ where, leaksPassword: false, leaksToken: false });
  }
});
