import { MemorySnapshot } from './memory-snapshot';
import { Investigation } from './investigation';
import type { KubeObject } from './snapshot';

const NOW = new Date('2026-11-21T12:00:00Z');
const pod = (namespace: string, name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace, name, uid: `uid-${namespace}-${name}`, resourceVersion: '1' },
});

describe('Investigation reads', () => {
  test('lists come sorted by namespace and name, whatever order the cache holds them in', () => {
    const inv = new Investigation(new MemorySnapshot([pod('b', 'x'), pod('a', 'z'), pod('a', 'y')]), NOW);
    expect((inv.list('Pod', 'pods') ?? []).map((p) => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`)).toEqual(['a/y', 'a/z', 'b/x']);
  });

  test('a list asked for again in the same run is the same view, read from the cache once (a sweep reads all nodes per pending pod)', () => {
    let reads = 0;
    class CountingSnapshot extends MemorySnapshot {
      override list(kind: string, namespace?: string): readonly KubeObject[] {
        reads += 1;
        return super.list(kind, namespace);
      }
    }
    const inv = new Investigation(new CountingSnapshot([pod('b', 'x'), pod('a', 'z')]), NOW);
    const first = inv.list('Pod', 'pods');
    expect(inv.list('Pod', 'pods')).toBe(first);
    expect(reads).toBe(1);
    expect(inv.inputEntries().map(([uid]) => uid)).toEqual(['uid-a-z', 'uid-b-x']);
  });

  test('Events come newest first by time, not by text (a MicroTime sorts before "Z" as a string)', () => {
    const subject = pod('shop', 'web');
    const event = (uid: string, lastTimestamp: string): KubeObject =>
      ({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { namespace: 'shop', name: uid, uid, resourceVersion: '1' },
        involvedObject: { kind: 'Pod', uid: 'uid-shop-web' },
        reason: 'BackOff',
        message: uid,
        lastTimestamp,
      }) as KubeObject;
    const inv = new Investigation(
      new MemorySnapshot([subject, event('whole-second', '2026-11-21T11:59:30Z'), event('later-fraction', '2026-11-21T11:59:30.500000Z')]),
      NOW,
    );
    expect(inv.events('Pod', subject, 'pod.events').map((e) => e.uid)).toEqual(['later-fraction', 'whole-second']);
  });
});

describe('the namespace boundary (fence)', () => {
  const objects = [
    pod('shop', 'web'),
    pod('other', 'db'),
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', uid: 'uid-node', resourceVersion: '1' } },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'policy', uid: 'uid-vwc', resourceVersion: '1' },
    },
  ];

  test('an untrusted request reads its own namespace and cluster configuration by name', () => {
    const inv = new Investigation(new MemorySnapshot(objects), NOW, 'shop');
    expect(inv.get('Pod', 'pod', 'web', 'shop').state).toBe('Found');
    expect(inv.get('Node', 'node', 'node-a').state).toBe('Found');
  });

  test("another namespace's objects and webhook configurations are Forbidden evidence, never absent", () => {
    const inv = new Investigation(new MemorySnapshot(objects), NOW, 'shop');
    expect(inv.get('Pod', 'pod.owner', 'db', 'other')).toEqual({ state: 'Unavailable', reason: 'Forbidden' });
    expect(inv.get('Pod', 'pod.claims', 'nothing', 'other')).toEqual({ state: 'Unavailable', reason: 'Forbidden' });
    expect(inv.get('ValidatingWebhookConfiguration', 'webhook', 'policy')).toEqual({ state: 'Unavailable', reason: 'Forbidden' });
    expect(inv.list('Pod', 'pods', 'other')).toBeUndefined();
    expect(inv.evidence().unavailable).toEqual([
      { key: 'pod.claims', reason: 'Forbidden' },
      { key: 'pod.owner', reason: 'Forbidden' },
      { key: 'pods', reason: 'Forbidden' },
      { key: 'webhook', reason: 'Forbidden' },
    ]);
  });

  test("a route's parent Gateway in another namespace is readable: shared infrastructure attached to by name", () => {
    const gateway = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { namespace: 'infra', name: 'shared', uid: 'uid-gw', resourceVersion: '1' },
    };
    const inv = new Investigation(new MemorySnapshot([...objects, gateway]), NOW, 'shop');
    expect(inv.get('Gateway', 'route.parents', 'shared', 'infra').state).toBe('Found');
  });

  test('a trusted request (no fence) reads across namespaces', () => {
    const inv = new Investigation(new MemorySnapshot(objects), NOW);
    expect(inv.get('Pod', 'pod.owner', 'db', 'other').state).toBe('Found');
    expect(inv.get('ValidatingWebhookConfiguration', 'webhook', 'policy').state).toBe('Found');
  });
});
