import { MemorySnapshot } from '../memory-snapshot';
import type { ObjectRef } from '../../crds/envelope';
import { Investigation, type Candidate } from '../investigation';
import type { KubeObject } from '../snapshot';
import { serviceEndpoints } from './service';

const NOW = new Date('2026-11-21T12:00:00.000Z');

/** Runs service.endpoints on the first object (a Service): what it reported and which objects it followed. */
function run(objects: readonly KubeObject[], chain: readonly ObjectRef[] = []): { found: Candidate[]; followed: string[] } {
  const inv = new Investigation(new MemorySnapshot(objects), NOW);
  const subject = objects[0];
  if (subject === undefined) throw new Error('no subject');
  const followed: string[] = [];
  serviceEndpoints.run({ inv, follow: (kind, object) => followed.push(`${kind}/${object.metadata?.name ?? ''}`) }, subject, chain, 'Service');
  // Every code the check reports is one it declares.
  for (const c of inv.candidates) expect(serviceEndpoints.codes).toContain(c.code);
  return { found: inv.candidates, followed };
}

const codes = (objects: readonly KubeObject[], chain: readonly ObjectRef[] = []) => run(objects, chain).found.map((c) => `${c.code}:${c.severity}`);

const viaIngress: readonly ObjectRef[] = [{ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'shop', name: 'shop' }];

function service(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop', uid: 'uid-svc', resourceVersion: '1' }, spec } as KubeObject;
}

/** web on port 80, sending to `targetPort` of the pods labelled app=web. */
const web = (targetPort: number | string = 8080) => service({ selector: { app: 'web' }, ports: [{ port: 80, targetPort }] });

/** The EndpointSlice of Service web: its endpoints' readiness, and its ports (null when the targetPort resolved on no pod). */
function slice(ready: readonly boolean[], ports: readonly { port: number }[] | null = [{ port: 8080 }]): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abcde', namespace: 'shop', uid: 'uid-slice', resourceVersion: '1', labels: { 'kubernetes.io/service-name': 'web' } },
    ports,
    endpoints: ready.map((r, i) => ({ addresses: [`10.0.0.${i + 1}`], conditions: { ready: r } })),
  } as KubeObject;
}

function pod(name: string, ready: boolean, ports: readonly { containerPort: number; name?: string }[] = [{ containerPort: 8080 }]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `uid-pod-${name}`, resourceVersion: '1', labels: { app: 'web' } },
    spec: { containers: [{ name: 'app', image: 'registry.example.com/web:1', ports }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  } as KubeObject;
}

function policy(ingress: readonly unknown[]): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny', namespace: 'shop', uid: 'uid-np', resourceVersion: '1' },
    spec: { podSelector: {}, policyTypes: ['Ingress'], ingress },
  } as KubeObject;
}

describe('service.endpoints with ready endpoints: rule TargetPortMismatch (undeclared numeric port)', () => {
  test('every pod declares its ports and none declares the targetPort: a Warning', () => {
    const { found } = run([web(9090), slice([true], [{ port: 9090 }]), pod('web-1', true)]);
    expect(found.map((c) => `${c.code}:${c.severity}`)).toEqual(['TargetPortMismatch:Warning']);
    expect(found[0]?.message).toContain('targetPort 9090, which none of its 1 pod(s) declares (they declare 8080/TCP)');
  });

  test('does not fire when a pod declares the port', () => {
    expect(codes([web(8080), slice([true]), pod('web-1', true)])).toEqual([]);
  });

  test('does not fire when a pod declares no ports at all (containerPort is informational)', () => {
    expect(codes([web(9090), slice([true], [{ port: 9090 }]), pod('web-1', true, [])])).toEqual([]);
  });
});

describe('service.endpoints with ready endpoints: rule TrafficDeniedByNetworkPolicy', () => {
  test('a policy isolates every selected pod for ingress and allows nothing', () => {
    const { found } = run([web(), slice([true]), pod('web-1', true), policy([])]);
    expect(found.map((c) => c.code)).toEqual(['TrafficDeniedByNetworkPolicy']);
    expect(found[0]?.chain?.map((r) => `${r.kind}/${r.name}`)).toEqual(['Service/web', 'NetworkPolicy/default-deny']);
  });

  test('does not fire when a rule of the policy allows some source', () => {
    expect(codes([web(), slice([true]), pod('web-1', true), policy([{ from: [{ podSelector: {} }] }])])).toEqual([]);
  });
});

describe('service.endpoints without ready endpoints: rule TargetPortMismatch (slice without ports)', () => {
  test('ready pods, but the slice has no ports: the targetPort resolved on none', () => {
    const { found } = run([web('http'), slice([true], null), pod('web-1', true)]);
    expect(found.map((c) => `${c.code}:${c.severity}`)).toEqual(['TargetPortMismatch:Critical']);
    expect(found[0]?.confidence).toBe(0.95);
  });

  test('does not fire for a Service that declares no ports: slices without ports are its endpoints', () => {
    expect(codes([service({ selector: { app: 'web' }, clusterIP: 'None' }), slice([true], null), pod('web-1', true)])).toEqual([]);
  });
});

describe('service.endpoints without ready endpoints: rule NoReadyEndpoints', () => {
  test('behind an Ingress the symptom is said, and the rules after it say why', () => {
    expect(codes([web(), slice([])], viaIngress)).toEqual(['NoReadyEndpoints:Critical', 'SelectorMatchesNoPods:Critical']);
  });

  test('does not fire when nothing routes to the Service', () => {
    expect(codes([web(), slice([])])).toEqual(['SelectorMatchesNoPods:Critical']);
  });
});

describe('service.endpoints without ready endpoints: rule NoSelector', () => {
  test('no selector and no ready endpoint managed by hand', () => {
    expect(codes([service({ ports: [{ port: 80 }] }), slice([false])])).toEqual(['NoSelector:Warning']);
  });

  test('does not fire when a hand-managed endpoint is ready', () => {
    expect(codes([service({ ports: [{ port: 80 }] }), slice([true], [{ port: 80 }])])).toEqual([]);
  });

  test('does not fire for a selectorless headless Service nothing routes to (known-benign)', () => {
    expect(codes([service({ clusterIP: 'None' }), slice([])])).toEqual([]);
  });
});

describe('service.endpoints without ready endpoints: rule SelectorMatchesNoPods', () => {
  test('the selector matches no pod', () => {
    const { found } = run([web(), slice([])]);
    expect(found.map((c) => c.code)).toEqual(['SelectorMatchesNoPods']);
    expect(found[0]?.message).toContain('selects app=web, which matches no pod');
  });

  test('does not fire when a pod matches', () => {
    expect(codes([web(), slice([false]), pod('web-1', false)])).toEqual(['PodsNotReady:Critical']);
  });
});

describe('service.endpoints without ready endpoints: rule PodsNotReady', () => {
  test('selected pods are not Ready: reported, and the first three followed', () => {
    const pods = ['web-1', 'web-2', 'web-3', 'web-4'].map((name) => pod(name, false));
    const { found, followed } = run([web(), slice([false, false, false, false]), ...pods]);
    expect(found.map((c) => c.code)).toEqual(['PodsNotReady']);
    expect(found[0]?.message).toBe('4 of 4 pod(s) selected by Service shop/web are not Ready');
    expect(found[0]?.chain?.map((r) => `${r.kind}/${r.name}`)).toEqual(['Service/web', 'Pod/web-1']);
    expect(followed).toEqual(['Pod/web-1', 'Pod/web-2', 'Pod/web-3']);
  });

  test('does not fire when every selected pod is Ready', () => {
    expect(codes([web(), slice([]), pod('web-1', true)])).toEqual([]);
  });
});

describe('service.endpoints without ready endpoints: rule TargetPortMismatch (named port)', () => {
  test('pods are Ready but none declares the named targetPort', () => {
    const { found } = run([web('http'), slice([]), pod('web-1', true, [{ containerPort: 8080, name: 'web' }])]);
    expect(found.map((c) => `${c.code}:${c.severity}`)).toEqual(['TargetPortMismatch:Critical']);
    expect(found[0]?.message).toBe('Service shop/web targets port http, which its pods do not expose');
  });

  test('does not fire when a pod declares a port of that name', () => {
    expect(codes([web('http'), slice([]), pod('web-1', true, [{ containerPort: 8080, name: 'http' }])])).toEqual([]);
  });

  test('does not fire while pods are not Ready: that explains the missing endpoints first', () => {
    expect(codes([web('http'), slice([false]), pod('web-1', false, [{ containerPort: 8080, name: 'web' }])])).toEqual(['PodsNotReady:Critical']);
  });
});

describe('service.endpoints known-benign Services', () => {
  test('an ExternalName Service has no endpoints to prove anything about', () => {
    expect(codes([service({ type: 'ExternalName', externalName: 'db.example.com' }), slice([])], viaIngress)).toEqual([]);
  });
});
