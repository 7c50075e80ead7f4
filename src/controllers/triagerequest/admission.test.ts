import { admit, describeTarget } from './admission';

describe('admit', () => {
  test('defaults the target to the request namespace', () => {
    const result = admit('shop', { intent: 'pvc-binding' }, []);
    expect(result).toMatchObject({ admitted: true, target: { kind: 'Namespace', name: 'shop' } });
    if (result.admitted) expect(result.spec.bounds).toEqual({ maxSteps: 3, timeoutSeconds: 15 });
  });

  test('rejects what the CRD schema would, naming the field', () => {
    expect(admit('shop', { intent: 'pvc-bindng' }, [])).toMatchObject({ admitted: false, reason: 'InvalidSpec', message: expect.stringContaining('spec.intent') as unknown });
    expect(admit('shop', { intent: 'pvc-binding', bounds: { maxSteps: 0 } }, [])).toMatchObject({ message: expect.stringContaining('spec.bounds.maxSteps') as unknown });
    expect(admit('shop', { intent: 'pvc-binding', target: { kind: 'Pod', name: 'a', selector: {} } }, [])).toMatchObject({
      reason: 'InvalidSpec',
      message: expect.stringContaining('mutually exclusive') as unknown,
    });
  });

  test('rejects a target kind the intent does not diagnose', () => {
    expect(admit('shop', { intent: 'pvc-binding', target: { kind: 'Ingress', name: 'web' } }, [])).toMatchObject({
      admitted: false,
      reason: 'InvalidTarget',
    });
  });

  test('keeps untrusted requests inside their namespace', () => {
    expect(admit('shop', { intent: 'pvc-binding', target: { kind: 'PersistentVolumeClaim', name: 'data', namespace: 'billing' } }, [])).toMatchObject({
      admitted: false,
      reason: 'NamespaceNotTrusted',
    });
    expect(admit('shop', { intent: 'namespace-health', target: { kind: 'Namespace', name: 'billing' } }, [])).toMatchObject({ reason: 'NamespaceNotTrusted' });
    expect(admit('shop', { intent: 'node-pressure' }, [])).toMatchObject({ reason: 'NamespaceNotTrusted' });
  });

  test('lets trusted namespaces reach across', () => {
    expect(admit('ops', { intent: 'pvc-binding', target: { kind: 'PersistentVolumeClaim', name: 'data', namespace: 'billing' } }, ['ops'])).toMatchObject({
      admitted: true,
      target: { namespace: 'billing', name: 'data' },
    });
    expect(admit('ops', { intent: 'node-pressure', target: { kind: 'Node', name: 'n1' } }, ['ops'])).toMatchObject({ admitted: true });
  });

  test('custom intents pass through to template lookup', () => {
    expect(admit('shop', { intent: 'db-migrations.example.com', target: { kind: 'Job', name: 'migrate' } }, [])).toMatchObject({ admitted: true });
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
