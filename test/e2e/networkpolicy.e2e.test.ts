import { verifyAnchors } from './support/anchors';
import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { startOperator, stopAllOperators } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, triaged } from './support/triage';

// TrafficDeniedByNetworkPolicy on the real control plane: kwok makes the pods Ready and the EndpointSlice
// controller lists them, so the Service looks served; a default-deny policy isolates them all.
const ns = useTestNamespace('e2e-netpol');

beforeAll(async () => {
  await startOperator();
});

afterAll(async () => {
  await stopAllOperators();
});

test('a Service whose ready pods a default-deny NetworkPolicy isolates', async () => {
  await kube().apps.createNamespacedDeployment({
    namespace: ns.name,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 8080 }] }] },
        },
      },
    },
  });
  await kube().core.createNamespacedService({
    namespace: ns.name,
    body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  });
  await eventually('a ready endpoint', async () => {
    const slices = await kube().discovery.listNamespacedEndpointSlice({ namespace: ns.name, labelSelector: 'kubernetes.io/service-name=web' });
    return slices.items.some((s) => s.endpoints.some((e) => e.conditions?.ready === true) && (s.ports ?? []).length > 0) ? true : undefined;
  });
  await kube().networking.createNamespacedNetworkPolicy({
    namespace: ns.name,
    body: { metadata: { name: 'default-deny' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
  });
  await createTriageRequest(ns.name, 'why-web', { intent: 'service-no-endpoints', target: { kind: 'Service', name: 'web' } });
  const request = await triaged(ns.name, 'why-web');
  const envelope = request.status?.envelope;
  if (envelope === undefined) throw new Error(JSON.stringify(request.status));
  expect(await verifyAnchors(envelope)).toEqual([]);
  expect([request.status?.verdict, envelope.rootCause?.code]).toEqual(['RootCauseFound', 'TrafficDeniedByNetworkPolicy']);
});
