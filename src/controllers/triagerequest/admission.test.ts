import { resolveBounds } from '../../crds/triage-request';
import { builtInTemplate, compileTemplate, type CompiledTemplate } from '../../triage/templates';
import { admit, authorize, describeTarget } from './admission';

describe('admit', () => {
  test('defaults the target to the request namespace', () => {
    const result = admit('shop', { intent: 'pvc-binding' });
    expect(result).toMatchObject({ admitted: true, defaulted: true, target: { kind: 'Namespace', name: 'shop', namespace: 'shop' } });
    if (result.admitted) expect(resolveBounds(result.spec.bounds, undefined)).toEqual({ maxSteps: 3, timeoutSeconds: 15 });
  });

  test('rejects what the CRD schema would, naming the field', () => {
    expect(admit('shop', { intent: 'pvc-bindng' })).toMatchObject({
      admitted: false,
      reason: 'InvalidSpec',
      message: expect.stringContaining('spec.intent') as unknown,
    });
    expect(admit('shop', { intent: 'pvc-binding', bounds: { maxSteps: 0 } })).toMatchObject({
      message: expect.stringContaining('spec.bounds.maxSteps') as unknown,
    });
    expect(admit('shop', { intent: 'pvc-binding', target: { kind: 'Pod', name: 'a', selector: {} } })).toMatchObject({
      reason: 'InvalidSpec',
      message: expect.stringContaining('mutually exclusive') as unknown,
    });
  });

  test('a Namespace target is resolved to the one namespace it names', () => {
    expect(admit('shop', { intent: 'namespace-health', target: { kind: 'Namespace', namespace: 'billing' } })).toMatchObject({
      admitted: true,
      target: { kind: 'Namespace', name: 'billing', namespace: 'billing' },
    });
    expect(admit('shop', { intent: 'namespace-health', target: { kind: 'Namespace', name: 'shop', namespace: 'billing' } })).toMatchObject({
      admitted: false,
      reason: 'InvalidTarget',
      message: expect.stringContaining('spec.target.namespace') as unknown,
    });
    expect(admit('shop', { intent: 'namespace-health', target: { kind: 'Namespace', selector: { matchLabels: { a: 'b' } } } })).toMatchObject({
      reason: 'InvalidTarget',
    });
  });
});

function custom(name: string, spec: Record<string, unknown>): CompiledTemplate {
  return compileTemplate(name, { targetKinds: ['Pod', 'Namespace'], steps: [{ name: 's', checks: ['pod.crashloop'] }], ...spec });
}

function builtIn(name: string): CompiledTemplate {
  const template = builtInTemplate(name);
  if (template === undefined) throw new Error(name);
  return template;
}

// Every template shape that decides how far a request reads.
const TEMPLATES: Readonly<Record<string, () => CompiledTemplate>> = {
  'built-in, namespaced': () => builtIn('crashloop'),
  'built-in namespace-health': () => builtIn('namespace-health'),
  'built-in cluster-health (scope Cluster)': () => builtIn('cluster-health'),
  'built-in node-pressure (Nodes)': () => builtIn('node-pressure'),
  'custom, namespaced': () => custom('mine.example.com', {}),
  'custom, scope Cluster': () => custom('wide.example.com', { scope: 'Cluster' }),
  'custom over Nodes (targetKinds)': () =>
    custom('nodes.example.com', {
      targetKinds: ['Node', 'Namespace'],
      steps: [],
      matchers: [{ condition: { type: 'Ready', status: 'False' }, finding: { code: 'NodeDown', severity: 'Critical', message: 'down' } }],
    }),
  'custom over Nodes (a node check)': () => custom('nodecheck.example.com', { steps: [{ name: 's', checks: ['node.health'] }] }),
  'override of a built-in with scope Cluster': () => custom('crashloop', { scope: 'Cluster' }),
  'custom over webhook configurations, scope left Namespace': () =>
    custom('hooks.example.com', { targetKinds: ['Namespace'], steps: [{ name: 's', checks: ['validatingwebhook.backend'] }] }),
};

// Every way a request can name what it reads, as [description, spec.target].
const TARGETS: readonly (readonly [string, Record<string, unknown> | undefined])[] = [
  ['no target (own namespace)', undefined],
  ['own Pod', { kind: 'Pod', name: 'web' }],
  ['own Pod, namespace spelled out', { kind: 'Pod', name: 'web', namespace: 'shop' }],
  ['Pod in another namespace', { kind: 'Pod', name: 'web', namespace: 'billing' }],
  ['Pods by selector in another namespace', { kind: 'Pod', selector: { matchLabels: { app: 'web' } }, namespace: 'billing' }],
  ['own Namespace by name', { kind: 'Namespace', name: 'shop' }],
  ['another Namespace by name', { kind: 'Namespace', name: 'billing' }],
  ['another Namespace by namespace field', { kind: 'Namespace', namespace: 'billing' }],
  ['a Node', { kind: 'Node', name: 'n1' }],
];

const READS_OTHER_NAMESPACE = new Set([
  'Pod in another namespace',
  'Pods by selector in another namespace',
  'another Namespace by name',
  'another Namespace by namespace field',
]);
const WIDE_TEMPLATES = new Set([
  'built-in cluster-health (scope Cluster)',
  'built-in node-pressure (Nodes)',
  'custom, scope Cluster',
  'custom over Nodes (targetKinds)',
  'custom over Nodes (a node check)',
  'override of a built-in with scope Cluster',
  'custom over webhook configurations, scope left Namespace',
]);

const matrix = Object.keys(TEMPLATES).flatMap((template) =>
  TARGETS.flatMap(([target]) => [true, false].map((trusted) => [template, target, trusted] as const)),
);

describe('the namespace boundary: every template × target × trust', () => {
  test.each(matrix)('%s, %s, trusted=%s', (templateName, targetName, trusted) => {
    const template = (
      TEMPLATES[templateName] ??
      (() => {
        throw new Error(templateName);
      })
    )();
    const spec = TARGETS.find(([name]) => name === targetName)?.[1];
    const admission = admit('shop', { intent: 'crashloop', ...(spec === undefined ? {} : { target: spec }) });
    if (!admission.admitted) throw new Error(admission.message);
    const verdict = authorize('shop', admission, template, trusted ? ['shop'] : []);
    const kindFits = admission.defaulted || template.targetKinds.includes(admission.target.kind);
    const reachesOut = WIDE_TEMPLATES.has(templateName) || READS_OTHER_NAMESPACE.has(targetName) || targetName === 'a Node';
    if (!kindFits) expect(verdict?.reason).toBe('InvalidTarget');
    else if (!trusted && reachesOut) expect(verdict?.reason).toBe('NamespaceNotTrusted');
    else expect(verdict).toBeUndefined();
  });

  test('no untrusted request that reads beyond its namespace is let through', () => {
    let leaks = 0;
    let rejected = 0;
    for (const [templateName, targetName, trusted] of matrix) {
      if (trusted) continue;
      const template = TEMPLATES[templateName]?.();
      const spec = TARGETS.find(([name]) => name === targetName)?.[1];
      const admission = admit('shop', { intent: 'crashloop', ...(spec === undefined ? {} : { target: spec }) });
      if (template === undefined || !admission.admitted) continue;
      const verdict = authorize('shop', admission, template, []);
      const reads = admission.target.kind === 'Namespace' ? admission.target.name : admission.target.namespace;
      const beyond = template.scope === 'Cluster' || reads !== 'shop' || WIDE_TEMPLATES.has(templateName);
      if (beyond && verdict === undefined) leaks += 1;
      if (beyond) rejected += 1;
    }
    expect(rejected).toBeGreaterThan(40);
    expect(leaks).toBe(0);
  });
});

describe('describeTarget', () => {
  test.each([
    [{ kind: 'Pod' as const, name: 'web-0', namespace: 'shop' }, 'Pod/web-0'],
    [{ kind: 'Pod' as const, name: 'web-0', namespace: 'billing' }, 'Pod/billing/web-0'],
    [{ kind: 'Namespace' as const, name: 'shop', namespace: 'shop' }, 'Namespace/shop'],
    [{ kind: 'Pod' as const, namespace: 'shop', selector: { matchLabels: { app: 'web' } } }, 'Pod/app=web'],
  ])('%j → %s', (target, expected) => {
    expect(describeTarget('shop', target)).toBe(expected);
  });
});

describe('the bounds a run uses', () => {
  test("field by field: the request's own, else the template's default, else the built-in one", () => {
    expect(resolveBounds(undefined, undefined)).toEqual({ maxSteps: 3, timeoutSeconds: 15 });
    expect(resolveBounds(undefined, { maxSteps: 5, timeoutSeconds: 40 })).toEqual({ maxSteps: 5, timeoutSeconds: 40 });
    expect(resolveBounds({ timeoutSeconds: 5 }, { maxSteps: 5, timeoutSeconds: 40 })).toEqual({ maxSteps: 5, timeoutSeconds: 5 });
    expect(resolveBounds({ maxSteps: 1 }, { timeoutSeconds: 40 })).toEqual({ maxSteps: 1, timeoutSeconds: 40 });
  });

  test('a template carries its default bounds; a request admitted without bounds leaves them unset', () => {
    const template = compileTemplate('bounded.example.com', {
      targetKinds: ['Pod'],
      steps: [{ name: 'pod', checks: ['pod.crashloop'] }],
      bounds: { maxSteps: 2, timeoutSeconds: 30 },
    });
    const admitted = admit('shop', { intent: 'bounded.example.com', target: { kind: 'Pod', name: 'p' } });
    expect(admitted.admitted && resolveBounds(admitted.spec.bounds, template.bounds)).toEqual({ maxSteps: 2, timeoutSeconds: 30 });
  });
});
