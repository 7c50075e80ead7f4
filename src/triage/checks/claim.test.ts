import { codesIn as codes, only, runCheck, type CheckOutcome } from '../../../test/support/check-harness';
import { CATALOGUE } from '../catalogue';
import type { KubeObject } from '../snapshot';
import { claimBinding } from './claim';

const NOW = new Date('2026-11-21T12:00:00.000Z');
/** Seconds before NOW, as an RFC 3339 timestamp. */
const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString();

function claim(name: string, spec: Record<string, unknown>, status: Record<string, unknown> = { phase: 'Pending' }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'shop', uid: `uid-pvc-${name}`, resourceVersion: '1' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, ...spec },
    status,
  } as KubeObject;
}

function volume(
  name: string,
  spec: Record<string, unknown>,
  status: Record<string, unknown> = { phase: 'Available' },
  metadata: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, uid: `uid-pv-${name}`, resourceVersion: '1', ...metadata },
    spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], ...spec },
    status,
  } as KubeObject;
}

function storageClass(name: string, fields: Record<string, unknown> = {}, annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name, uid: `uid-sc-${name}`, resourceVersion: '1', creationTimestamp: ago(3600), annotations },
    provisioner: 'ebs.csi.aws.com',
    volumeBindingMode: 'Immediate',
    ...fields,
  } as KubeObject;
}

function event(about: KubeObject, reason: string, message: string, firstSeen: string, lastSeen = firstSeen): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${about.metadata?.name ?? ''}.${reason}`, namespace: 'shop', uid: `ev-${reason}-${firstSeen}`, resourceVersion: '2' },
    involvedObject: { kind: 'PersistentVolumeClaim', name: about.metadata?.name, namespace: 'shop', uid: about.metadata?.uid },
    reason,
    message,
    count: 1,
    firstTimestamp: firstSeen,
    lastTimestamp: lastSeen,
  } as KubeObject;
}

function consumer(name: string, claimName: string, nodeName?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `uid-pod-${name}`, resourceVersion: '1' },
    spec: {
      ...(nodeName === undefined ? {} : { nodeName }),
      containers: [{ name: 'app', image: 'app:1' }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }],
    },
    status: { phase: 'Pending' },
  } as KubeObject;
}

/** Runs claim.binding on the first object (a claim); kinds in `forbidden` cannot be read. */
const run = (objects: readonly KubeObject[], forbidden: readonly string[] = []): CheckOutcome =>
  runCheck(claimBinding, 'PersistentVolumeClaim', objects, NOW, forbidden);

describe('claim.binding', () => {
  test('codes: every rule code, and only catalogued ones', () => {
    expect([...claimBinding.codes].sort()).toEqual(
      [
        'BindingPending',
        'ClaimLost',
        'NoDefaultStorageClass',
        'NoMatchingPersistentVolume',
        'ProvisionerNotRunning',
        'ProvisioningFailed',
        'ProvisioningInProgress',
        'StorageClassNotFound',
        'VolumeMismatch',
        'VolumeTopologyConflict',
        'WaitingForFirstConsumer',
      ].sort(),
    );
    for (const code of claimBinding.codes) expect(Object.keys(CATALOGUE)).toContain(code);
  });

  test('a Bound claim is not examined', () => {
    expect(run([claim('data', { storageClassName: 'missing' }, { phase: 'Bound' })]).findings).toEqual([]);
  });
});

describe('claimLost rule', () => {
  test('a Lost claim whose volume is gone', () => {
    const finding = only(run([claim('data', { volumeName: 'pv-1', storageClassName: 'gp3' }, { phase: 'Lost' }), storageClass('gp3')]));
    expect(finding.code).toBe('ClaimLost');
    expect(finding.message).toBe('PersistentVolumeClaim shop/data lost its PersistentVolume pv-1, which no longer exists');
  });

  test('a Lost claim whose volume is now bound to another claim', () => {
    const pvc = claim('data', { volumeName: 'pv-1' }, { phase: 'Lost' });
    const finding = only(
      run([
        pvc,
        volume('pv-1', { claimRef: { namespace: 'shop', name: 'other', uid: 'uid-other' } }, { phase: 'Bound' }),
        event(pvc, 'ClaimMisbound', 'misbound', ago(60)),
      ]),
    );
    expect(finding.code).toBe('ClaimLost');
    expect(finding.message).toContain('the volume exists but is now bound to shop/other');
    // The claim's phase, the volume's claimRef and the ClaimMisbound event.
    expect(finding.anchors).toHaveLength(3);
  });

  test('a Lost claim the volume names without its uid: the fix is to set the uid', () => {
    const finding = only(
      run([claim('data', { volumeName: 'pv-1' }, { phase: 'Lost' }), volume('pv-1', { claimRef: { namespace: 'shop', name: 'data' } }, { phase: 'Bound' })]),
    );
    expect(finding.code).toBe('ClaimLost');
    expect(finding.message).toContain("without the claim's uid");
    expect(finding.nextActions.map((a) => a.safety)).toContain('Mutating');
  });

  test('a Pending claim is not Lost', () => {
    expect(codes(run([claim('data', { volumeName: 'pv-1', storageClassName: 'missing' })]))).not.toContain('ClaimLost');
  });
});

describe('volumeMismatch rule', () => {
  test('the PV controller refused the volume the claim names', () => {
    const pvc = claim('data', { volumeName: 'pv-1', storageClassName: '' });
    const finding = only(
      run([
        pvc,
        volume('pv-1', { capacity: { storage: '5Gi' } }),
        event(pvc, 'VolumeMismatch', 'Cannot bind to requested volume "pv-1": requested PV is too small', ago(60)),
      ]),
    );
    expect(finding.code).toBe('VolumeMismatch');
    expect(finding.message).toContain('(claim asks 10Gi, volume has 5Gi)');
  });

  test('no VolumeMismatch event, no finding of it', () => {
    expect(codes(run([claim('data', { volumeName: 'pv-1', storageClassName: '' }), volume('pv-1', { capacity: { storage: '5Gi' } })]))).not.toContain(
      'VolumeMismatch',
    );
  });
});

describe('staticMatch rule', () => {
  test('a class-less claim with a fitting Available PV is waiting on the PV controller', () => {
    const finding = only(run([claim('data', { storageClassName: '' }), volume('pv-1', {})]));
    expect(finding.code).toBe('BindingPending');
    expect(finding.message).toContain('PersistentVolume pv-1 matches PersistentVolumeClaim shop/data');
  });

  test('a claim of a missing class with a fitting PV of that class name', () => {
    expect(codes(run([claim('data', { storageClassName: 'manual' }), volume('pv-1', { storageClassName: 'manual' })]))).toEqual(['BindingPending']);
  });

  test('a PV too small does not match', () => {
    expect(codes(run([claim('data', { storageClassName: '' }), volume('pv-1', { capacity: { storage: '5Gi' } })]))).not.toContain('BindingPending');
  });
});

describe('noDefaultClass rule', () => {
  test('no class named, no default class, no PV', () => {
    const finding = only(run([claim('data', {}), storageClass('gp3')]));
    expect(finding.code).toBe('NoDefaultStorageClass');
  });

  test('with a default class, it is not the fault', () => {
    expect(codes(run([claim('data', {}), storageClass('gp3', {}, { 'storageclass.kubernetes.io/is-default-class': 'true' })]))).not.toContain(
      'NoDefaultStorageClass',
    );
  });

  test('class "" asks for no class at all, so a missing default does not matter', () => {
    expect(codes(run([claim('data', { storageClassName: '' }), storageClass('gp3')]))).toEqual(['NoMatchingPersistentVolume']);
  });
});

describe('defaultClassUnassigned rule', () => {
  test('a default class exists (beta annotation too) but the class-less claim was created before it', () => {
    const finding = only(run([claim('data', {}), storageClass('gp3', {}, { 'storageclass.beta.kubernetes.io/is-default-class': 'true' })]));
    expect(finding.code).toBe('NoMatchingPersistentVolume');
    expect(finding.confidence).toBe(0.6);
    expect(finding.message).toContain('although "gp3" is the default');
    expect(finding.nextActions.map((a) => a.command)).toContain(`kubectl patch pvc data -n shop -p '{"spec":{"storageClassName":"gp3"}}'`);
  });

  test('no default class: not this rule', () => {
    expect(run([claim('data', {}), storageClass('gp3')]).findings.some((f) => f.message.includes('is the default'))).toBe(false);
  });
});

describe('noClasslessVolume rule', () => {
  test('class "" and only PVs that do not fit, each with why', () => {
    const finding = only(run([claim('data', { storageClassName: '' }), volume('pv-1', { capacity: { storage: '5Gi' } })]));
    expect(finding.code).toBe('NoMatchingPersistentVolume');
    expect(finding.confidence).toBe(0.9);
    expect(finding.message).toBe(
      'No available PersistentVolume matches PersistentVolumeClaim shop/data (size 10Gi, modes ReadWriteOnce, class ""): pv-1 is too small (5Gi < 10Gi)',
    );
  });

  test('a fitting PV: not this rule', () => {
    expect(codes(run([claim('data', { storageClassName: '' }), volume('pv-1', {})]))).not.toContain('NoMatchingPersistentVolume');
  });

  test('unreadable PVs: nothing is claimed about static binding', () => {
    expect(run([claim('data', { storageClassName: '' })], ['PersistentVolume']).findings).toEqual([]);
  });
});

describe('noVolumeOfMissingClass rule', () => {
  test('PVs of the missing class exist but none fits', () => {
    const finding = only(run([claim('data', { storageClassName: 'manual' }), volume('pv-1', { storageClassName: 'manual', accessModes: ['ReadOnlyMany'] })]));
    expect(finding.code).toBe('NoMatchingPersistentVolume');
    expect(finding.message).toContain('no StorageClass "manual" exists to provision one: pv-1 offers ReadOnlyMany, not ReadWriteOnce');
  });

  test('no PV of that class name: not this rule', () => {
    expect(codes(run([claim('data', { storageClassName: 'manual' }), volume('pv-1', { storageClassName: 'other' })]))).toEqual(['StorageClassNotFound']);
  });
});

describe('storageClassNotFound rule', () => {
  test('the class does not exist and no PV carries its name', () => {
    const finding = only(run([claim('data', { storageClassName: 'fast-ssd' })]));
    expect(finding.code).toBe('StorageClassNotFound');
    expect(finding.confidence).toBe(1);
  });

  test('with PVs unreadable static binding stays open: less certain', () => {
    expect(only(run([claim('data', { storageClassName: 'fast-ssd' })], ['PersistentVolume'])).confidence).toBe(0.8);
  });

  test('the class exists: not this rule', () => {
    expect(codes(run([claim('data', { storageClassName: 'gp3' }), storageClass('gp3')]))).not.toContain('StorageClassNotFound');
  });

  test('StorageClasses unreadable: nothing is said', () => {
    expect(run([claim('data', { storageClassName: 'gp3' })], ['StorageClass']).findings).toEqual([]);
  });
});

describe('waitingForFirstConsumer rule', () => {
  const wffc = storageClass('gp3', { volumeBindingMode: 'WaitForFirstConsumer' });

  test('no pod uses the claim: expected, benign', () => {
    const finding = only(run([claim('data', { storageClassName: 'gp3' }), wffc]));
    expect(finding.code).toBe('WaitingForFirstConsumer');
    expect(finding.benign).toBe(true);
  });

  test('a pending consumer: the chain continues at the pod, and no benign finding', () => {
    const outcome = run([claim('data', { storageClassName: 'gp3' }), wffc, consumer('web-0', 'data'), consumer('web-1', 'data', 'node-a')]);
    expect(outcome.findings).toEqual([]);
    expect(outcome.followed).toEqual(['web-0']);
  });

  test('Immediate binding: not this rule', () => {
    expect(codes(run([claim('data', { storageClassName: 'gp3' }), storageClass('gp3')]))).not.toContain('WaitingForFirstConsumer');
  });
});

describe('provisioningFailed rule', () => {
  test('the provisioner said why it failed', () => {
    const pvc = claim('data', { storageClassName: 'gp3' });
    const finding = only(
      run([pvc, storageClass('gp3'), event(pvc, 'ProvisioningFailed', 'failed to provision volume with StorageClass "gp3": VolumeLimitExceeded', ago(60))]),
    );
    expect(finding.code).toBe('ProvisioningFailed');
    expect(finding.message).toContain('failed (ebs.csi.aws.com): failed to provision volume');
  });

  test('a failure naming topology is a topology conflict', () => {
    const pvc = claim('data', { storageClassName: 'gp3' });
    const failure = 'failed to provision volume with StorageClass "gp3": error generating accessibility requirements: no accessible topology found';
    expect(codes(run([pvc, storageClass('gp3'), event(pvc, 'ProvisioningFailed', failure, ago(60))]))).toEqual(['VolumeTopologyConflict']);
  });

  test('failures from before the class existed are history', () => {
    const pvc = claim('data', { storageClassName: 'gp3' });
    const notFound = event(pvc, 'ProvisioningFailed', 'storageclass.storage.k8s.io "gp3" not found', ago(60));
    const older = {
      ...event(pvc, 'ProvisioningFailed', 'quota exceeded', ago(7200)),
      metadata: { name: 'old', namespace: 'shop', uid: 'ev-old', resourceVersion: '2' },
    } as KubeObject;
    expect(run([pvc, storageClass('gp3'), notFound, older]).findings).toEqual([]);
  });
});

describe('provisioningInProgress rule', () => {
  test('a request seconds old is a provisioner at work: re-check when the grace period ends', () => {
    const pvc = claim('data', { storageClassName: 'gp3' });
    const finding = only(
      run([pvc, storageClass('gp3'), event(pvc, 'ExternalProvisioning', 'Waiting for a volume to be created by the external provisioner', ago(10))]),
    );
    expect(finding.code).toBe('ProvisioningInProgress');
    expect(finding.recheckAfterSeconds).toBe(21);
  });

  test('a request past the grace period: not this rule', () => {
    const pvc = claim('data', { storageClassName: 'gp3' });
    expect(codes(run([pvc, storageClass('gp3'), event(pvc, 'ExternalProvisioning', 'Waiting', ago(60))]))).toEqual(['ProvisionerNotRunning']);
  });
});

describe('provisionerNotRunning rule', () => {
  test('no provisioner started on a request minutes old', () => {
    const pvc = claim('data', { storageClassName: 'gp3' });
    const finding = only(run([pvc, storageClass('gp3'), event(pvc, 'ExternalProvisioning', 'Waiting', ago(300))]));
    expect(finding.code).toBe('ProvisionerNotRunning');
    expect(finding.confidence).toBe(0.85);
    expect(finding.message).toContain('it has waited 300s for external provisioner "ebs.csi.aws.com"');
  });

  test('the provisioner started: nothing to report', () => {
    const pvc = claim('data', { storageClassName: 'gp3' });
    const started = {
      ...event(pvc, 'Provisioning', 'External provisioner is provisioning volume', ago(200)),
      metadata: { name: 'p', namespace: 'shop', uid: 'ev-p', resourceVersion: '2' },
    } as KubeObject;
    expect(run([pvc, storageClass('gp3'), event(pvc, 'ExternalProvisioning', 'Waiting', ago(300)), started]).findings).toEqual([]);
  });
});
