import { fieldText, resolveField } from './field-path';

const pod = {
  metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  spec: { nodeSelector: { pool: 'gpu' }, containers: [{ name: 'a', ports: [{ containerPort: 80 }] }] },
  status: {
    conditions: [
      { type: 'Ready', status: 'False' },
      { type: 'PodScheduled', status: 'False', message: '0/3 nodes are available' },
    ],
  },
};

describe('resolveField', () => {
  test.each([
    ['status.conditions[type=PodScheduled].message', '0/3 nodes are available'],
    ['spec.containers[0].ports[0].containerPort', 80],
    ['spec.nodeSelector', { pool: 'gpu' }],
    ['spec.storageClassName', undefined],
    ['metadata.annotations[storageclass.kubernetes.io/is-default-class]', 'true'],
    ['status.conditions[type=Missing].message', undefined],
    ['spec.containers[5].name', undefined],
  ])('%s', (path, expected) => {
    expect(resolveField(pod, path)).toEqual(expected);
  });
});

describe('fieldText', () => {
  test.each([
    [undefined, '<unset>'],
    ['', '""'],
    ['fast-ssd', 'fast-ssd'],
    [true, 'true'],
    [[{ key: 'a' }], '[{"key":"a"}]'],
  ])('%j → %s', (value, expected) => {
    expect(fieldText(value)).toBe(expected);
  });
});
