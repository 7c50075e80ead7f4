import { setCondition } from './conditions';

const t0 = new Date('2026-11-21T10:00:00.123Z');
const t1 = new Date('2026-11-21T11:00:00Z');

describe('setCondition', () => {
  test('adds a condition with a transition time in whole seconds', () => {
    const result = setCondition([], { type: 'Complete', status: 'True', reason: 'Completed', message: 'm', observedGeneration: 1 }, t0);
    expect(result).toEqual([
      { type: 'Complete', status: 'True', reason: 'Completed', message: 'm', observedGeneration: 1, lastTransitionTime: '2026-11-21T10:00:00Z' },
    ]);
  });

  test('keeps lastTransitionTime when the status stays, even if reason and generation change', () => {
    const first = setCondition([], { type: 'Complete', status: 'True', reason: 'A', message: 'm', observedGeneration: 1 }, t0);
    const second = setCondition(first, { type: 'Complete', status: 'True', reason: 'B', message: 'n', observedGeneration: 2 }, t1);
    expect(second[0]).toMatchObject({ reason: 'B', observedGeneration: 2, lastTransitionTime: '2026-11-21T10:00:00Z' });
  });

  test('moves lastTransitionTime when the status flips', () => {
    const first = setCondition([], { type: 'RootCauseFound', status: 'False', reason: 'None', message: '' }, t0);
    const second = setCondition(first, { type: 'RootCauseFound', status: 'True', reason: 'StorageClassNotFound', message: '' }, t1);
    expect(second[0]?.lastTransitionTime).toBe('2026-11-21T11:00:00Z');
  });
});
