import { pod, run } from '../../../test/support/pod-fixtures';
import { podCrashloop } from './crash';
import { podImagePull } from './image-pull';

// An evicted pod (phase Failed, reason Evicted) is PodEvicted, whatever its containers say.

const evictedPod = (message?: string) =>
  pod('p', {
    phase: 'Failed',
    reason: 'Evicted',
    ...(message === undefined ? {} : { message }),
    containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } } }],
  });

describe('PodEvicted', () => {
  test('a container over its ephemeral-storage limit: the resource and the limit, and where to compare', () => {
    const [candidate, ...rest] = run([podCrashloop, podImagePull], [evictedPod('Container app exceeded its local ephemeral storage limit "50Mi". ')]);
    expect(rest).toEqual([]);
    expect([candidate?.code, candidate?.confidence]).toEqual(['PodEvicted', 0.95]);
    expect(candidate?.message).toBe(
      'Pod shop/p was evicted by the kubelet on node node-a: container app used more ephemeral-storage (its writable layer and logs) than its limit of 50Mi',
    );
    expect(candidate?.nextActions.map((a) => a.command.split(' ').slice(0, 3).join(' '))).toEqual(['kubectl get pod', 'kubectl describe pod']);
  });

  test.each([
    ['Usage of EmptyDir volume "scratch" exceeds the limit "10Mi". ', 'emptyDir volume scratch grew beyond its sizeLimit of 10Mi'],
    ['Pod ephemeral local storage usage exceeds the total limit of containers 8Mi. ', "exceeded the sum of its containers' limits, 8Mi"],
    ['The node had condition: [DiskPressure]. ', 'the node had condition DiskPressure when the pod arrived'],
  ])('%s', (message, expected) => {
    expect(run([podCrashloop], [evictedPod(message)])[0]?.message).toContain(expected);
  });

  test('node pressure: the shortage and the heaviest user, and the node to look at', () => {
    const [candidate] = run(
      [podCrashloop],
      [
        evictedPod(
          'The node was low on resource: memory. Threshold quantity: 750Mi, available: 225800Ki. Container app was using 4395616Ki, request is 0, has larger consumption of memory. ',
        ),
      ],
    );
    expect(candidate?.message).toContain(
      'the node ran low on memory (available 225800Ki, eviction threshold 750Mi), and container app used 4395616Ki, the most beyond its request',
    );
    expect(candidate?.nextActions.map((a) => a.command)).toEqual(['kubectl describe node node-a', 'kubectl describe pod p -n shop']);
  });

  test('an unreadable or missing message is quoted or said to be missing, with less confidence', () => {
    expect(run([podCrashloop], [evictedPod('The kubelet had its reasons')])[0]?.message).toContain('node-a: The kubelet had its reasons');
    const [missing] = run([podCrashloop], [evictedPod()]);
    expect([missing?.confidence, missing?.message]).toEqual([0.7, 'Pod shop/p was evicted by the kubelet on node node-a: no reason recorded']);
  });

  test('a pod that failed for another reason is not evicted', () => {
    const failed = pod('p', {
      phase: 'Failed',
      reason: 'NodeLost',
      containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 137, reason: 'Error' } } }],
    });
    expect(run([podCrashloop], [failed]).map((c) => c.code)).not.toContain('PodEvicted');
  });
});
