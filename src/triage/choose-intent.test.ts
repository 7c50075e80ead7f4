import { BUILT_IN_INTENTS, isBuiltInIntent, TARGET_KINDS } from '../crds/intents';
import { chooseIntent } from './choose-intent';

const pod = (status: object, nodeName?: string) => ({ kind: 'Pod', metadata: { name: 'p' }, spec: nodeName === undefined ? {} : { nodeName }, status });

describe('chooseIntent', () => {
  test.each(TARGET_KINDS)('a %s gets a built-in intent that accepts that kind', (kind) => {
    const { intent, reason } = chooseIntent(kind, undefined);
    expect(isBuiltInIntent(intent)).toBe(true);
    if (isBuiltInIntent(intent)) expect(BUILT_IN_INTENTS[intent].targetKinds).toContain(kind);
    expect(reason).not.toBe('');
  });

  test('a Pending pod the scheduler has not placed → scheduling-failures', () => {
    const pending = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] });
    expect(chooseIntent('Pod', pending).intent).toBe('scheduling-failures');
  });

  test('a pod waiting for its image → image-pull, even when it also restarted before', () => {
    const pulling = pod({ phase: 'Pending', containerStatuses: [{ restartCount: 2, state: { waiting: { reason: 'ImagePullBackOff' } } }] }, 'n1');
    expect(chooseIntent('Pod', pulling).intent).toBe('image-pull');
  });

  test('a crash-looping pod → crashloop, and says it restarts', () => {
    const looping = pod({ phase: 'Running', containerStatuses: [{ restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, 'n1');
    expect(chooseIntent('Pod', looping)).toEqual({ intent: 'crashloop', reason: expect.stringContaining('restart') as string });
  });

  test('a finished pod is not sent to the scheduler check although it has no node in its status', () => {
    expect(chooseIntent('Pod', pod({ phase: 'Failed' })).intent).toBe('crashloop');
  });

  test('a cordoned node → drain-blocked; a schedulable one → node-pressure', () => {
    expect(chooseIntent('Node', { kind: 'Node', spec: { unschedulable: true } } as object).intent).toBe('drain-blocked');
    expect(chooseIntent('Node', { kind: 'Node', spec: {} } as object).intent).toBe('node-pressure');
  });
});
