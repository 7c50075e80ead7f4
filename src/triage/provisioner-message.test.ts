import { isTopologyFailure, saysClassNotFound } from './provisioner-message';

describe('isTopologyFailure (ProvisioningFailed messages of CSI external-provisioner)', () => {
  test.each([
    [
      'failed to provision volume with StorageClass "zonal-ssd": error generating accessibility requirements: no accessible topology found for allowed topologies [map[topology.gke.io/zone:eu-west-1c]] among CSINode topology segments',
      true,
    ],
    ['failed to provision volume with StorageClass "local": no available volume zone', true],
    ['failed to provision volume with StorageClass "local": node(s) didn\'t match PersistentVolume\'s node affinity', true],
    [
      'failed to provision volume with StorageClass "gp3": rpc error: code = ResourceExhausted desc = VolumeLimitExceeded: You have exceeded your maximum gp3 storage limit',
      false,
    ],
    ['failed to provision volume: contact mallory.example.com for help', false],
  ])('%s: %s', (message, expected) => {
    expect(isTopologyFailure(message)).toBe(expected);
  });
});

describe('saysClassNotFound (the PV controller, while the claim names a class that does not exist)', () => {
  test('names this class', () => {
    expect(saysClassNotFound('storageclass.storage.k8s.io "fast-ssd" not found', 'fast-ssd')).toBe(true);
    expect(saysClassNotFound('Failed to provision volume with StorageClass "fast-ssd": storageclass.storage.k8s.io "fast-ssd" not found', 'fast-ssd')).toBe(
      true,
    );
  });

  test('another class, or another failure, is not it', () => {
    expect(saysClassNotFound('storageclass.storage.k8s.io "fast" not found', 'fast-ssd')).toBe(false);
    expect(saysClassNotFound('storageclass.storage.k8s.io "fast-ssd" is forbidden', 'fast-ssd')).toBe(false);
  });
});
