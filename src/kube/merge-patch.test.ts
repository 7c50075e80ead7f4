import { mergePatch } from './merge-patch';

describe('mergePatch', () => {
  test('equal documents need no patch', () => {
    expect(mergePatch({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2] } })).toBeUndefined();
  });

  test('changed leaves only', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { a: 1, b: { c: 5, d: 3 } })).toEqual({ b: { c: 5 } });
  });

  test('removed keys become null', () => {
    expect(mergePatch({ envelope: { rootCause: { code: 'X' }, summary: 's' } }, { envelope: { summary: 's' } })).toEqual({
      envelope: { rootCause: null },
    });
  });

  test('arrays are replaced whole', () => {
    expect(mergePatch({ list: [1, 2, 3] }, { list: [1, 2] })).toEqual({ list: [1, 2] });
  });

  test('key order inside arrays is not a change (the apiserver sorts keys)', () => {
    const ours = { conditions: [{ type: 'Complete', status: 'True', reason: 'Completed' }] };
    const theirs = { conditions: [{ reason: 'Completed', status: 'True', type: 'Complete' }] };
    expect(mergePatch(theirs, ours)).toBeUndefined();
  });

  test('new subtrees are added', () => {
    expect(mergePatch({}, { status: { verdict: 'Healthy' } })).toEqual({ status: { verdict: 'Healthy' } });
  });
});
