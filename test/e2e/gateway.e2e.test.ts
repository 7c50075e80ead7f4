import fs from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Envelope } from '../../src/crds/envelope';
import { KubeClient } from '../../src/kube/client';
import { verifyAnchors } from './support/anchors';
import { eventually } from './support/eventually';
import { kubectlOk } from './support/kubectl';
import { metricSum, startOperator, type OperatorProcess } from './support/operator';
import { useOwnCluster } from './support/own-cluster';
import { runHackScript } from './support/scripts';
import { createTriageRequest, triaged, triagedUntil } from './support/triage';

// gateway-pending on the real apiserver with the Gateway API's own CRDs (the pinned release, from the Go
// module proxy): first absent (evidence NotInstalled, never "not found"), then installed while the
// operator runs (its informers pick the API up). No gateway controller runs here, which is itself a
// state to diagnose (a class nobody accepts); where a code needs a controller's answer, the test writes
// the status subresource as a controller would, validated by the CRD's schema. A cluster of its own:
// installing CRDs on the shared one would change what every other file's sweeps read.
const cluster = useOwnCluster('gateway', 1);
const NS = 'shop';
const GROUP = { group: 'gateway.networking.k8s.io', version: 'v1' } as const;

let operator: OperatorProcess;
let raw: KubeClient;

const kubectl = (args: readonly string[], input?: string) => kubectlOk(args, input, cluster.kubeconfig());

async function apply(objects: readonly Record<string, unknown>[]): Promise<void> {
  await kubectl(['apply', '-f', '-'], objects.map((o) => JSON.stringify(o)).join('\n'));
}

/** Writes a status as the object's controller would (the status subresource; the CRD validates it). */
async function writeStatus(plural: string, name: string, namespace: string | undefined, status: Record<string, unknown>): Promise<void> {
  const where = namespace === undefined ? [] : ['-n', namespace];
  await kubectl(['patch', plural, name, ...where, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
}

/**
 * Triages `target`. With `expectedCode`, waits until the answer names that root cause: an object
 * applied (or a status written) a moment ago may reach the operator's cache after the first run, and
 * the request is asked to run again until it has (triagedUntil).
 */
function triage(
  name: string,
  target: Record<string, unknown>,
  expectedCode?: string,
): Promise<{ verdict: string | undefined; envelope: Envelope; nextCheckAt: string | undefined }> {
  return triagedUntil(NS, name, { intent: 'gateway-pending', target }, (e) => expectedCode === undefined || e.rootCause?.code === expectedCode, {
    custom: cluster.clients().custom,
    raw,
  });
}

const chainOf = (envelope: Envelope) => (envelope.rootCause?.chain ?? []).map((c) => `${c.kind}/${c.name}`);
const condition = (type: string, reason: string, generation = 1) => ({
  type,
  status: 'True',
  reason,
  message: '',
  observedGeneration: generation,
  lastTransitionTime: new Date().toISOString(),
});

beforeAll(async () => {
  const config = new KubeConfig();
  config.loadFromFile(cluster.kubeconfig());
  raw = new KubeClient(config);
  await cluster.clients().core.createNamespace({ body: { metadata: { name: NS } } });
  operator = await startOperator({ kubeconfig: cluster.kubeconfig() });
}, 120_000);

test('without the Gateway API installed: Inconclusive, evidence unavailable NotInstalled, and the informers say so', async () => {
  const { verdict, envelope } = await triage('before-crds', { kind: 'Namespace', name: NS });
  expect(verdict).toBe('Inconclusive');
  expect(envelope.summary).toMatch(/not installed/);
  expect(envelope.evidence.unavailable).toEqual([
    { key: 'gateways', reason: 'NotInstalled' },
    { key: 'httproutes', reason: 'NotInstalled' },
  ]);
  const metrics = await operator.metrics();
  expect(metricSum(metrics, 'informer_api_installed', { kind: 'HTTPRoute' })).toBe(0);
  // Not a failure: no restarts counted, so the CachesNotSynced alert's exception holds.
  expect(metricSum(metrics, 'informer_restarts_total', { kind: 'HTTPRoute' })).toBe(0);
  // A Continuous request made now must wake up when the API appears (no object event announces that).
  await createTriageRequest(
    NS,
    'watching',
    { intent: 'gateway-pending', target: { kind: 'Namespace', name: NS }, mode: 'Continuous' },
    cluster.clients().custom,
  );
  expect((await triaged(NS, 'watching', 30_000, cluster.clients().custom)).status?.envelope?.summary).toMatch(/not installed/);
  const namedTarget = await triage('gateway-before-crds', { kind: 'Gateway', name: 'web' });
  expect(namedTarget.verdict).toBe('Inconclusive');
  expect(namedTarget.envelope.evidence.unavailable).toEqual([{ key: 'target', reason: 'NotInstalled' }]);
});

describe('with the Gateway API CRDs installed while the operator runs', () => {
  beforeAll(async () => {
    const crds = await runHackScript('gateway-api-crds.sh', {});
    if (crds.code !== 0) throw new Error(`gateway-api-crds.sh failed:\n${crds.stderr}`);
    const dir = crds.stdout.trim();
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') && !f.includes('_vap_'))
      .map((f) => path.join(dir, f));
    // Server-side: the HTTPRoute CRD is larger than client-side apply's annotation allows.
    await kubectl(['apply', '--server-side', ...files.flatMap((f) => ['-f', f])]);
    await kubectl([
      'wait',
      '--for=condition=Established',
      'crd/gatewayclasses.gateway.networking.k8s.io',
      'crd/gateways.gateway.networking.k8s.io',
      'crd/httproutes.gateway.networking.k8s.io',
    ]);
    // A class no controller serves, created first so its grace minute runs while the other cases do.
    await apply([
      { apiVersion: `${GROUP.group}/${GROUP.version}`, kind: 'GatewayClass', metadata: { name: 'nobody' }, spec: { controllerName: 'example.com/nobody' } },
      {
        apiVersion: `${GROUP.group}/${GROUP.version}`,
        kind: 'Gateway',
        metadata: { name: 'waiting', namespace: NS },
        spec: { gatewayClassName: 'nobody', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
      },
    ]);
    // The informers retry a missing API every 30 s: wait until they serve it.
    await eventually(
      'the Gateway API informers synced',
      async () => {
        const metrics = await operator.metrics();
        return ['GatewayClass', 'Gateway', 'HTTPRoute'].every((kind) => metricSum(metrics, 'informer_synced', { kind }) === 1) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
  }, 180_000);

  test('a Gateway of a class created moments ago is Inconclusive until its grace ends, then GatewayClassNotAccepted (no controller runs)', async () => {
    const first = await triage('waiting-gateway', { kind: 'Gateway', name: 'waiting' });
    const createdAgo =
      Date.now() -
      Date.parse(
        (await raw.get<{ metadata: { creationTimestamp: string } }>(`/apis/${GROUP.group}/${GROUP.version}/gatewayclasses/nobody`)).metadata.creationTimestamp,
      );
    // The class was created before the informers synced (at most one 30 s retry): well inside its minute.
    expect(createdAgo).toBeLessThan(55_000);
    expect(first.verdict).toBe('Inconclusive');
    expect(first.envelope.findings.map((f) => f.code)).toContain('GatewayPending');
    expect(first.nextCheckAt).toBeDefined();
    const settled = await eventually(
      'the re-check after the grace minute',
      async () => {
        const request = await triaged(NS, 'waiting-gateway', 30_000, cluster.clients().custom);
        return request.status?.verdict === 'RootCauseFound' ? request : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 2000 },
    );
    const envelope = settled.status?.envelope;
    if (envelope === undefined) throw new Error('no envelope');
    expect(envelope.rootCause?.code).toBe('GatewayClassNotAccepted');
    expect(chainOf(envelope)).toEqual(['Gateway/waiting', 'GatewayClass/nobody']);
    expect(await verifyAnchors(envelope, raw)).toEqual([]);
  }, 180_000);

  test('a Continuous request made before the CRDs re-runs once the API is served', async () => {
    const request = await eventually(
      'the Continuous request to see the Gateway API',
      async () => {
        const current = await triaged(NS, 'watching', 30_000, cluster.clients().custom);
        return current.status?.envelope?.evidence.unavailable.some((u) => u.reason === 'NotInstalled') === false ? current : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(request.status?.envelope?.evidence.present).toEqual(expect.arrayContaining(['gateways', 'httproutes']));
  });

  test('a route whose Gateway names a class that does not exist: GatewayClassNotFound through the chain', async () => {
    await apply([
      {
        apiVersion: `${GROUP.group}/${GROUP.version}`,
        kind: 'Gateway',
        metadata: { name: 'typo', namespace: NS },
        spec: { gatewayClassName: 'ngnix', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
      },
      {
        apiVersion: `${GROUP.group}/${GROUP.version}`,
        kind: 'HTTPRoute',
        metadata: { name: 'via-typo', namespace: NS },
        spec: { parentRefs: [{ name: 'typo' }], rules: [{ backendRefs: [{ name: 'storefront', port: 80 }] }] },
      },
    ]);
    const { verdict, envelope } = await triage('via-typo', { kind: 'HTTPRoute', name: 'via-typo' }, 'GatewayClassNotFound');
    expect([verdict, envelope.rootCause?.code]).toEqual(['RootCauseFound', 'GatewayClassNotFound']);
    expect(chainOf(envelope)).toEqual(['HTTPRoute/via-typo', 'Gateway/typo', 'GatewayClass/ngnix']);
  });

  describe('under a Gateway its controller accepted (status written as the controller would)', () => {
    beforeAll(async () => {
      await apply([
        { apiVersion: `${GROUP.group}/${GROUP.version}`, kind: 'GatewayClass', metadata: { name: 'acme' }, spec: { controllerName: 'example.com/acme' } },
        {
          apiVersion: `${GROUP.group}/${GROUP.version}`,
          kind: 'Gateway',
          metadata: { name: 'web', namespace: NS },
          spec: { gatewayClassName: 'acme', listeners: [{ name: 'http', protocol: 'HTTP', port: 80, hostname: '*.example.com' }] },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'storefront', namespace: NS },
          spec: { selector: { app: 'storefront' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
        },
      ]);
      await writeStatus('gatewayclass', 'acme', undefined, { conditions: [condition('Accepted', 'Accepted')] });
      await writeStatus('gateway', 'web', NS, {
        conditions: [condition('Accepted', 'Accepted'), condition('Programmed', 'Programmed')],
        listeners: [
          {
            name: 'http',
            attachedRoutes: 0,
            supportedKinds: [{ group: GROUP.group, kind: 'HTTPRoute' }],
            conditions: [condition('Accepted', 'Accepted'), condition('ResolvedRefs', 'ResolvedRefs'), condition('Programmed', 'Programmed')],
          },
        ],
      });
    });

    const route = (name: string, spec: Record<string, unknown>) => ({
      apiVersion: `${GROUP.group}/${GROUP.version}`,
      kind: 'HTTPRoute',
      metadata: { name, namespace: NS },
      spec,
    });

    test('a route to a Gateway that does not exist: RouteParentNotFound', async () => {
      await apply([
        route('orphan', { parentRefs: [{ name: 'edge' }], hostnames: ['shop.example.com'], rules: [{ backendRefs: [{ name: 'storefront', port: 80 }] }] }),
      ]);
      const { envelope } = await triage('orphan', { kind: 'HTTPRoute', name: 'orphan' }, 'RouteParentNotFound');
      expect([envelope.rootCause?.code, chainOf(envelope)]).toEqual(['RouteParentNotFound', ['HTTPRoute/orphan', 'Gateway/edge']]);
    });

    test('a route for a hostname the listener does not serve: RouteNotAllowed from the Gateway spec', async () => {
      await apply([
        route('other-domain', { parentRefs: [{ name: 'web' }], hostnames: ['shop.example.org'], rules: [{ backendRefs: [{ name: 'storefront', port: 80 }] }] }),
      ]);
      const { envelope } = await triage('other-domain', { kind: 'HTTPRoute', name: 'other-domain' }, 'RouteNotAllowed');
      expect(envelope.rootCause?.code).toBe('RouteNotAllowed');
      expect(envelope.rootCause?.message).toContain('*.example.com');
    });

    test("a route for a shared Gateway in another namespace that takes its own namespace's routes only: RouteNotAllowed", async () => {
      await cluster.clients().core.createNamespace({ body: { metadata: { name: 'infra' } } });
      await apply([
        {
          apiVersion: `${GROUP.group}/${GROUP.version}`,
          kind: 'Gateway',
          metadata: { name: 'shared', namespace: 'infra' },
          spec: { gatewayClassName: 'acme', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
        },
        route('to-shared', { parentRefs: [{ name: 'shared', namespace: 'infra' }], rules: [{ backendRefs: [{ name: 'storefront', port: 80 }] }] }),
      ]);
      const { envelope } = await triage('to-shared', { kind: 'HTTPRoute', name: 'to-shared' }, 'RouteNotAllowed');
      expect(envelope.rootCause?.message).toContain('allows routes from its own namespace infra only');
      expect(chainOf(envelope)).toEqual(['HTTPRoute/to-shared', 'Gateway/shared']);
    });

    test('a route the controller refused (its status): RouteNotAllowed quoting the controller', async () => {
      await apply([
        route('refused', { parentRefs: [{ name: 'web' }], hostnames: ['a.example.com'], rules: [{ backendRefs: [{ name: 'storefront', port: 80 }] }] }),
      ]);
      const generation = (await raw.get<{ metadata: { generation: number } }>(`/apis/${GROUP.group}/${GROUP.version}/namespaces/${NS}/httproutes/refused`))
        .metadata.generation;
      await writeStatus('httproute', 'refused', NS, {
        parents: [
          {
            parentRef: { group: GROUP.group, kind: 'Gateway', name: 'web' },
            controllerName: 'example.com/acme',
            conditions: [
              { ...condition('Accepted', 'NotAllowedByListeners', generation), status: 'False', message: 'no listener allows this route' },
              condition('ResolvedRefs', 'ResolvedRefs', generation),
            ],
          },
        ],
      });
      const { envelope } = await triage('refused', { kind: 'HTTPRoute', name: 'refused' }, 'RouteNotAllowed');
      expect([envelope.rootCause?.code, envelope.rootCause?.message]).toEqual([
        'RouteNotAllowed',
        expect.stringContaining('NotAllowedByListeners: no listener allows this route'),
      ]);
    });

    test('a backend Service that does not exist, and one on a port the Service lacks', async () => {
      await apply([
        route('missing-backend', {
          parentRefs: [{ name: 'web' }],
          hostnames: ['shop.example.com'],
          rules: [{ backendRefs: [{ name: 'store-front', port: 80 }] }],
        }),
        route('wrong-port', { parentRefs: [{ name: 'web' }], hostnames: ['shop.example.com'], rules: [{ backendRefs: [{ name: 'storefront', port: 8080 }] }] }),
      ]);
      const missing = await triage('missing-backend', { kind: 'HTTPRoute', name: 'missing-backend' }, 'RouteBackendNotFound');
      expect([missing.envelope.rootCause?.code, chainOf(missing.envelope)]).toEqual([
        'RouteBackendNotFound',
        ['HTTPRoute/missing-backend', 'Service/store-front'],
      ]);
      const port = await triage('wrong-port', { kind: 'HTTPRoute', name: 'wrong-port' }, 'RouteBackendPortMismatch');
      expect([port.envelope.rootCause?.code, chainOf(port.envelope)]).toEqual(['RouteBackendPortMismatch', ['HTTPRoute/wrong-port', 'Service/storefront']]);
    });

    test('a route whose Service selects no pod: the chain goes on into the Service', async () => {
      await apply([
        route('no-pods', { parentRefs: [{ name: 'web' }], hostnames: ['shop.example.com'], rules: [{ backendRefs: [{ name: 'storefront', port: 80 }] }] }),
      ]);
      const { envelope } = await triage('no-pods', { kind: 'HTTPRoute', name: 'no-pods' }, 'SelectorMatchesNoPods');
      expect([envelope.rootCause?.code, chainOf(envelope)]).toEqual(['SelectorMatchesNoPods', ['HTTPRoute/no-pods', 'Service/storefront']]);
    });
  });
});
