import { estimateBytes, keeps, project, StringInterner, type Projection } from './projection';

const POD_LIKE: Projection = {
  metadata: { name: true, namespace: 'intern', labels: 'intern' },
  spec: { nodeName: 'intern', containers: [{ name: true, env: [{ name: true }] }] },
};

describe('project', () => {
  const pod = {
    metadata: { name: 'web-0', namespace: 'shop', labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{…}' } },
    spec: {
      nodeName: 'node-a',
      containers: [{ name: 'web', image: 'nginx', args: ['--x'], env: [{ name: 'TOKEN', value: 'secret' }] }],
      volumes: [{ name: 'v' }],
    },
    status: { phase: 'Running' },
  };

  test('keeps the listed fields, projects each array element, drops the rest', () => {
    expect(project(pod, POD_LIKE).value).toEqual({
      metadata: { name: 'web-0', namespace: 'shop', labels: { app: 'web' } },
      spec: { nodeName: 'node-a', containers: [{ name: 'web', env: [{ name: 'TOKEN' }] }] },
    });
  });

  test('leaves the input untouched and reports fewer bytes than the whole', () => {
    const before = JSON.stringify(pod);
    const { bytes } = project(pod, POD_LIKE);
    expect(JSON.stringify(pod)).toBe(before);
    expect(bytes).toBeLessThan(estimateBytes(pod));
    expect(project(pod, true).bytes).toBe(estimateBytes(pod));
  });

  test('a projection written for an object keeps an array it meets whole, rather than guess', () => {
    expect(project({ spec: [1, 2] }, { spec: { x: true } }).value).toEqual({ spec: [1, 2] });
  });

  test('interned strings are shared between objects', () => {
    const interner = new StringInterner();
    // Built at run time so V8 does not share them already as literals.
    const a = project({ metadata: { namespace: ['sh', 'op'].join('') } }, POD_LIKE, interner).value;
    const b = project({ metadata: { namespace: ['s', 'hop'].join('') } }, POD_LIKE, interner).value;
    expect(a.metadata.namespace).toBe('shop');
    expect(interner.size).toBe(1);
    expect(b.metadata.namespace).toBe(a.metadata.namespace);
  });

  test('the interner starts over at its cap, so it never grows past it, and still answers', () => {
    const interner = new StringInterner(2);
    for (const value of ['a', 'b', 'c', 'd', 'e']) {
      expect(interner.intern(value)).toBe(value);
      expect(interner.size).toBeLessThanOrEqual(2);
    }
  });
});

describe('keeps', () => {
  test.each([
    [['metadata', 'name'], true],
    [['metadata', 'labels', 'app.kubernetes.io/name'], true],
    [['metadata', 'annotations'], false],
    [['spec', 'containers', '[]', 'name'], true],
    [['spec', 'containers', '[]', 'env', '[]', 'value'], false],
    [['spec', 'containers', 'name'], false],
    [['spec', 'volumes'], false],
    [['spec'], true],
  ])('%j: %s', (path, kept) => {
    expect(keeps(POD_LIKE, path)).toBe(kept);
  });
});
