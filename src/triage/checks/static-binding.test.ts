import type { PersistentVolume } from '../objects';
import { describeMisfits, describeWanted, misfitsOf, staticCandidates, type SelectingClaim } from './static-binding';

const claim = (spec: NonNullable<SelectingClaim['spec']> = {}): SelectingClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'data', namespace: 'shop', uid: 'uid-data' },
  spec: { storageClassName: 'manual', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, ...spec },
});

function pv(name: string, spec: NonNullable<PersistentVolume['spec']> = {}, phase = 'Available', metadata: Record<string, unknown> = {}): PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, ...metadata },
    spec: { storageClassName: 'manual', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], ...spec },
    status: { phase },
  };
}

const reasons = (volume: PersistentVolume, of: SelectingClaim = claim()) => misfitsOf(volume, of).map((m) => `${m.on} ${m.field}: ${m.reason}`);

describe('misfitsOf: one reason test each, in the PV controller order', () => {
  test('a PV that fits has none', () => {
    expect(reasons(pv('pv-1'))).toEqual([]);
  });

  test.each([
    ['bound to another claim', pv('pv-1', { claimRef: { namespace: 'shop', name: 'other' } }, 'Bound'), 'volume spec.claimRef: is bound to shop/other'],
    [
      'released, still claimed',
      pv('pv-1', { claimRef: { namespace: 'shop', name: 'old' } }, 'Released'),
      'volume spec.claimRef: is Released, still claimed by shop/old',
    ],
    ['reserved for another', pv('pv-1', { claimRef: { namespace: 'shop', name: 'next' } }), 'volume spec.claimRef: is reserved for shop/next by its claimRef'],
    ['lacking an access mode', pv('pv-1', { accessModes: ['ReadOnlyMany'] }), 'volume spec.accessModes: offers ReadOnlyMany, not ReadWriteOnce'],
    ['too small', pv('pv-1', { capacity: { storage: '5Gi' } }), 'volume spec.capacity.storage: is too small (5Gi < 10Gi)'],
    ['Block, not Filesystem', pv('pv-1', { volumeMode: 'Block' }), 'volume spec.volumeMode: is a Block volume, not Filesystem'],
    ['being deleted', pv('pv-1', {}, 'Available', { deletionTimestamp: '2026-11-21T11:00:00Z' }), 'volume metadata.deletionTimestamp: is being deleted'],
    ['not Available', pv('pv-1', {}, 'Failed'), 'volume status.phase: is in phase Failed'],
    ['of another class', pv('pv-1', { storageClassName: 'fast' }), 'volume spec.storageClassName: has class "fast"'],
  ])('%s', (_name, volume, reason) => {
    expect(reasons(volume)).toEqual([reason]);
  });

  test('a Block claim against a PV with no volumeMode: the claim field differs from the default', () => {
    expect(reasons(pv('pv-1'), claim({ volumeMode: 'Block' }))).toEqual(['claim spec.volumeMode: is a Filesystem volume, not Block']);
  });

  test('outside the claim selector', () => {
    expect(reasons(pv('pv-1'), claim({ selector: { matchLabels: { tier: 'gold' } } }))).toEqual(['claim spec.selector: is outside the selector']);
  });

  test('a PV pre-bound to the claim skips phase, selector and class, not size', () => {
    const preBound = pv(
      'pv-1',
      { storageClassName: 'fast', capacity: { storage: '5Gi' }, claimRef: { namespace: 'shop', name: 'data', uid: 'uid-data' } },
      'Pending',
    );
    expect(reasons(preBound, claim({ selector: { matchLabels: { tier: 'gold' } } }))).toEqual(['volume spec.capacity.storage: is too small (5Gi < 10Gi)']);
  });

  test('a claimRef with another uid is an earlier claim of the same name, not this one', () => {
    expect(reasons(pv('pv-1', { claimRef: { namespace: 'shop', name: 'data', uid: 'uid-earlier' } }, 'Released'))).toEqual([
      'volume spec.claimRef: is Released, still claimed by shop/data',
    ]);
  });
});

describe('staticCandidates and how they are described', () => {
  test('only PVs of the class, or reserved for the claim, by name', () => {
    const volumes = [
      pv('pv-b', { capacity: { storage: '1Gi' } }),
      pv('pv-other', { storageClassName: 'fast' }),
      pv('pv-a', { storageClassName: 'fast', claimRef: { namespace: 'shop', name: 'data' } }),
    ];
    expect(staticCandidates(volumes, claim(), 'manual').map((c) => c.volume.metadata?.name)).toEqual(['pv-a', 'pv-b']);
  });

  test('names three PVs and counts the rest', () => {
    const small = ['a', 'b', 'c', 'd', 'e'].map((name) => pv(`pv-${name}`, { capacity: { storage: '1Gi' } }));
    expect(describeMisfits(staticCandidates(small, claim(), 'manual'))).toBe(
      'pv-a is too small (1Gi < 10Gi); pv-b is too small (1Gi < 10Gi); pv-c is too small (1Gi < 10Gi); and 2 more',
    );
  });

  test('what the claim asks of a static PV', () => {
    expect(describeWanted(claim({ volumeMode: 'Block', selector: { matchLabels: { tier: 'gold' } } }), 'manual')).toBe(
      'size 10Gi, modes ReadWriteOnce, volumeMode Block, class "manual", selector tier=gold',
    );
  });
});
