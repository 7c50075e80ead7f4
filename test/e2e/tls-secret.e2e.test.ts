import { randomBytes } from 'node:crypto';
import { Watch, type KubernetesObject } from '@kubernetes/client-node';
import { Informer, metadataOnlyConfig } from '../../src/kube/informer';
import { PARTIAL_METADATA_LIST, SECRET_METADATA_KIND } from '../../src/kube/kinds';
import { createLogger } from '../../src/logger';
import { Metrics } from '../../src/metrics';
import { verifyAnchors } from './support/anchors';
import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { metricSum, startOperator, stopAllOperators, type OperatorProcess } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, triaged } from './support/triage';

// TLSSecretNotFound needs Secret names, which the operator reads only with --watch-secret-metadata:
// a metadata-only informer (PartialObjectMetadata), so certificate and key never reach its cache.
const ns = useTestNamespace('e2e-tls');
const className = `tls-${ns.name}`;
const keyMaterial = `KEY${randomBytes(12).toString('hex')}`;
let operator: OperatorProcess;

beforeAll(async () => {
  operator = await startOperator({ args: ['--watch-secret-metadata=true'] });
  await kube().networking.createIngressClass({ body: { metadata: { name: className }, spec: { controller: 'example.com/none' } } });
  await kube().apps.createNamespacedDeployment({
    namespace: ns.name,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }] } },
      },
    },
  });
  await kube().core.createNamespacedService({
    namespace: ns.name,
    body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  });
  await eventually('ready endpoints for web', async () => {
    const slices = await kube().discovery.listNamespacedEndpointSlice({ namespace: ns.name, labelSelector: 'kubernetes.io/service-name=web' });
    return slices.items.some((s) => s.endpoints.some((e) => e.conditions?.ready === true)) ? true : undefined;
  });
  await kube().networking.createNamespacedIngress({
    namespace: ns.name,
    body: {
      metadata: { name: 'shop' },
      spec: {
        ingressClassName: className,
        tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
        defaultBackend: { service: { name: 'web', port: { number: 80 } } },
      },
    },
  });
});

afterAll(async () => {
  await stopAllOperators();
  await kube().networking.deleteIngressClass({ name: className });
});

test('a missing TLS Secret is proven from cached Secret metadata', async () => {
  await createTriageRequest(ns.name, 'tls-missing', { intent: 'ingress-pending', target: { kind: 'Ingress', name: 'shop' } });
  const request = await triaged(ns.name, 'tls-missing');
  const envelope = request.status?.envelope;
  expect(envelope?.rootCause?.code).toBe('TLSSecretNotFound');
  expect(envelope?.rootCause?.chain.map((r) => `${r.kind}/${r.name}`)).toEqual(['Ingress/shop', 'Secret/shop-tls']);
  if (envelope !== undefined) expect(await verifyAnchors(envelope)).toEqual([]);
});

test('once the Secret exists the TLS finding is gone, and no key material reached the operator', async () => {
  await kube().core.createNamespacedSecret({
    namespace: ns.name,
    body: { metadata: { name: 'shop-tls' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'not-a-real-certificate', 'tls.key': keyMaterial } },
  });
  await eventually('the operator cached the Secret', async () =>
    metricSum(await operator.metrics(), 'informer_objects', { kind: 'Secret' }) >= 1 ? true : undefined,
  );
  await createTriageRequest(ns.name, 'tls-present', { intent: 'ingress-pending', target: { kind: 'Ingress', name: 'shop' } });
  const request = await triaged(ns.name, 'tls-present');
  expect(request.status?.envelope?.findings.map((f) => f.code)).not.toContain('TLSSecretNotFound');
  expect(request.status?.envelope?.rootCause?.code).toBe('IngressControllerNotReporting');
  expect(request.status?.envelope?.evidence.present).toContain('tlsSecrets');
  expect(JSON.stringify(request.status)).not.toContain(keyMaterial);
  expect(operator.log()).not.toContain(keyMaterial);
});

// The Secret cache must hold names only: ask the real apiserver what it sends for exactly the requests
// the informer makes, and what the informer keeps of a Secret applied with kubectl (whose
// last-applied-configuration annotation carries stringData in clear).
test('Secret metadata: list and watch return PartialObjectMetadata, and the cache keeps no data nor annotations', async () => {
  const secretPath = `/api/v1/namespaces/${ns.name}/secrets`;
  const lastApplied = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'applied-before' }, stringData: { password: keyMaterial } });
  const secret = (name: string) => ({
    metadata: { name, labels: { app: 'shop' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } },
    stringData: { password: keyMaterial },
  });
  await kube().core.createNamespacedSecret({ namespace: ns.name, body: secret('applied-before') });

  const list = await kube().raw.get<{ kind?: string; metadata: { resourceVersion: string }; items: Record<string, unknown>[] }>(
    secretPath,
    { limit: '500' },
    PARTIAL_METADATA_LIST,
  );
  expect(list.kind).toBe('PartialObjectMetadataList');
  expect(list.items.map((item) => [item.kind, 'data' in item])).toContainEqual(['PartialObjectMetadata', false]);

  const watched: Record<string, unknown>[] = [];
  const watch = await new Watch(metadataOnlyConfig(kube().config)).watch(
    secretPath,
    { resourceVersion: list.metadata.resourceVersion },
    (_phase, object: Record<string, unknown>) => watched.push(object),
    () => undefined,
  );
  const informer = new Informer<KubernetesObject>({
    kind: SECRET_METADATA_KIND,
    config: kube().config,
    client: kube().raw,
    logger: createLogger('error', { silent: true }),
    metrics: new Metrics({ collectProcessMetrics: false }),
  });
  try {
    await informer.start();
    expect(informer.cacheState()).toBe('Synced');
    await kube().core.createNamespacedSecret({ namespace: ns.name, body: secret('applied-after') });
    await eventually('the raw watch and the informer saw the new Secret', () =>
      Promise.resolve(watched.length > 0 && informer.get('applied-after', ns.name) !== undefined ? true : undefined),
    );
    expect(watched.map((object) => [object.kind, 'data' in object])).toEqual([['PartialObjectMetadata', false]]);
    for (const name of ['applied-before', 'applied-after']) {
      const cached = informer.get(name, ns.name);
      expect(cached?.metadata?.labels).toEqual({ app: 'shop' });
      expect(cached?.metadata?.annotations).toBeUndefined();
      expect(JSON.stringify(cached)).not.toContain(keyMaterial);
    }
  } finally {
    watch.abort();
    await informer.stop();
  }
});
