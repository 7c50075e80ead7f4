import { MemorySnapshot } from '../memory-snapshot';
import type { ObjectRef } from '../../crds/envelope';
import { Investigation, type Candidate } from '../investigation';
import type { KubeObject } from '../snapshot';
import { ingressRouting } from './ingress';

const NOW = new Date('2026-11-21T12:00:00.000Z');

interface Cluster {
  readonly objects: readonly KubeObject[];
  /** Kinds the operator may not read. */
  readonly forbidden?: readonly string[];
  /** Secrets are cached (metadata only) when the operator is told to watch them. */
  readonly secrets?: boolean;
}

/** Runs ingress.routing on the first object (an Ingress): what it reported and what it followed. */
function run({ objects, forbidden = [], secrets = false }: Cluster): { found: Candidate[]; followed: string[] } {
  const inv = new Investigation(new MemorySnapshot(objects, { forbidden: new Set(forbidden), secretMetadata: secrets }), NOW);
  const subject = objects[0];
  if (subject === undefined) throw new Error('no subject');
  const followed: string[] = [];
  ingressRouting.run(
    { inv, follow: (kind, object) => followed.push(`${kind}/${object.metadata?.name ?? ''}`) },
    subject,
    [] as readonly ObjectRef[],
    'Ingress',
  );
  // Every code the check reports is one it declares.
  for (const c of inv.candidates) expect(ingressRouting.codes).toContain(c.code);
  return { found: inv.candidates, followed };
}

const codes = (cluster: Cluster) => run(cluster).found.map((c) => `${c.code}:${c.severity}`);

function ingress(spec: Record<string, unknown>, extra: { address?: boolean; annotations?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: 'shop',
      namespace: 'shop',
      uid: 'uid-ing',
      resourceVersion: '1',
      ...(extra.annotations === undefined ? {} : { annotations: extra.annotations }),
    },
    spec,
    status: { loadBalancer: extra.address === true ? { ingress: [{ ip: '203.0.113.7' }] } : {} },
  } as KubeObject;
}

function ingressClass(name: string, isDefault = false): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: {
      name,
      uid: `uid-class-${name}`,
      resourceVersion: '1',
      ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}),
    },
    spec: { controller: 'k8s.io/ingress-nginx' },
  } as KubeObject;
}

function service(name: string, ports: readonly { port: number; name?: string }[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'shop', uid: `uid-svc-${name}`, resourceVersion: '1' },
    spec: { selector: { app: name }, ports },
  } as KubeObject;
}

const secret = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'shop', uid: `uid-secret-${name}`, resourceVersion: '1' },
});

/** An Ingress of class nginx sending everything to port 80 of Service web. */
const routed = (port: Record<string, unknown> = { number: 80 }, extra: Record<string, unknown> = {}) => ({
  ingressClassName: 'nginx',
  defaultBackend: { service: { name: 'web', port } },
  ...extra,
});

describe('ingress.routing rule NoIngressClass', () => {
  test('no class and no default class: Critical, blocking alone', () => {
    const { found } = run({ objects: [ingress({}), ingressClass('nginx')] });
    expect(found.map((c) => c.code)).toEqual(['NoIngressClass']);
    expect(found[0]).toMatchObject({ severity: 'Critical', blocksAlone: true });
  });

  test('an address proves a controller serves classless ingresses: Info, benign', () => {
    expect(codes({ objects: [ingress({}, { address: true }), ingressClass('nginx')] })).toEqual(['NoIngressClass:Info']);
  });

  test('does not fire when a default IngressClass takes the Ingress', () => {
    expect(codes({ objects: [ingress({}), ingressClass('nginx', true)] })).toEqual(['IngressControllerNotReporting:Warning']);
  });
});

describe('ingress.routing rule IngressClassNotFound', () => {
  test('spec.ingressClassName names no IngressClass: Critical, chained to the missing class', () => {
    const { found } = run({ objects: [ingress({ ingressClassName: 'nginx' })] });
    expect(found.map((c) => c.code)).toEqual(['IngressClassNotFound']);
    expect(found[0]?.chain?.map((r) => `${r.kind}/${r.name}`)).toEqual(['Ingress/shop', 'IngressClass/nginx']);
  });

  test('with an address the missing class is a note (cloud controllers have none)', () => {
    expect(codes({ objects: [ingress({ ingressClassName: 'gce' }, { address: true })] })).toEqual(['IngressClassNotFound:Info']);
  });

  test('does not fire when the class exists', () => {
    expect(codes({ objects: [ingress({ ingressClassName: 'nginx' }), ingressClass('nginx')] })).toEqual(['IngressControllerNotReporting:Warning']);
  });
});

describe('ingress.routing rule LegacyIngressClassAnnotation', () => {
  const legacy = { annotations: { 'kubernetes.io/ingress.class': 'gce' } };

  test('the deprecated annotation names no IngressClass and nothing answers: a note, and the controller is still suspect', () => {
    expect(codes({ objects: [ingress({}, legacy)] })).toEqual(['LegacyIngressClassAnnotation:Info', 'IngressControllerNotReporting:Warning']);
  });

  test('does not fire once a controller gave the Ingress an address', () => {
    expect(codes({ objects: [ingress({}, { ...legacy, address: true })] })).toEqual([]);
  });
});

describe('ingress.routing rule BackendServiceNotFound', () => {
  test('the backend Service does not exist', () => {
    const { found } = run({ objects: [ingress(routed()), ingressClass('nginx')] });
    expect(found.map((c) => c.code)).toEqual(['BackendServiceNotFound']);
    expect(found[0]?.chain?.map((r) => `${r.kind}/${r.name}`)).toEqual(['Ingress/shop', 'Service/web']);
  });

  test('does not fire when the Service exists: the chain goes on into it', () => {
    const { found, followed } = run({ objects: [ingress(routed(), { address: true }), ingressClass('nginx'), service('web', [{ port: 80 }])] });
    expect(found).toEqual([]);
    expect(followed).toEqual(['Service/web']);
  });
});

describe('ingress.routing rule BackendServicePortMismatch', () => {
  test('the backend port is not one the Service exposes', () => {
    const { found, followed } = run({ objects: [ingress(routed({ number: 8080 })), ingressClass('nginx'), service('web', [{ port: 80, name: 'http' }])] });
    expect(found.map((c) => c.code)).toEqual(['BackendServicePortMismatch']);
    expect(found[0]?.message).toContain('routes to port 8080 of Service web, which exposes 80 (http)');
    expect(followed).toEqual([]);
  });

  test('does not fire when a named port matches', () => {
    expect(
      codes({ objects: [ingress(routed({ name: 'http' }), { address: true }), ingressClass('nginx'), service('web', [{ port: 80, name: 'http' }])] }),
    ).toEqual([]);
  });
});

describe('ingress.routing rule TLSSecretNotFound', () => {
  const tls = routed({ number: 80 }, { tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }] });

  test('the TLS Secret does not exist (Secrets cached)', () => {
    expect(codes({ objects: [ingress(tls, { address: true }), ingressClass('nginx'), service('web', [{ port: 80 }])], secrets: true })).toEqual([
      'TLSSecretNotFound:Critical',
    ]);
  });

  test('does not fire when the Secret exists', () => {
    expect(
      codes({ objects: [ingress(tls, { address: true }), ingressClass('nginx'), service('web', [{ port: 80 }]), secret('shop-tls')], secrets: true }),
    ).toEqual([]);
  });

  test('does not fire when Secrets are not cached: unreadable is not absent', () => {
    expect(codes({ objects: [ingress(tls, { address: true }), ingressClass('nginx'), service('web', [{ port: 80 }])] })).toEqual([]);
  });
});

describe('ingress.routing rule IngressControllerNotReporting', () => {
  test('a sound Ingress without an address: the controller is the explanation', () => {
    const { found } = run({ objects: [ingress(routed()), ingressClass('nginx'), service('web', [{ port: 80 }])] });
    expect(found.map((c) => c.code)).toEqual(['IngressControllerNotReporting']);
    expect(found[0]?.message).toContain('looks correct but no ingress controller has given it an address (class nginx)');
    expect(found[0]?.chain).toBeDefined();
  });

  test('with part of it unreadable it is a finding without a chain, naming what could not be read', () => {
    const { found } = run({ objects: [ingress(routed())], forbidden: ['IngressClass', 'Service'] });
    expect(found.map((c) => c.code)).toEqual(['IngressControllerNotReporting']);
    expect(found[0]?.message).toContain('IngressClass nginx (Forbidden), Service web (Forbidden) could not be read');
    expect(found[0]?.chain).toBeUndefined();
  });

  test('does not fire when a fault in the Ingress explains it', () => {
    expect(codes({ objects: [ingress(routed()), ingressClass('nginx')] })).toEqual(['BackendServiceNotFound:Critical']);
  });

  test('does not fire once the Ingress has an address', () => {
    expect(codes({ objects: [ingress(routed(), { address: true }), ingressClass('nginx'), service('web', [{ port: 80 }])] })).toEqual([]);
  });
});
