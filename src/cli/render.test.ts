import type { TriageRequestObject } from '../crds/triage-request';
import { exitCodeOf } from './result';
import { age, explainCode, renderList, renderResult } from './render';

describe('what the plugin prints', () => {
  test('exit status: 0 Healthy, 1 RootCauseFound, 2 anything else', () => {
    expect([exitCodeOf('Healthy'), exitCodeOf('RootCauseFound'), exitCodeOf('Inconclusive'), exitCodeOf('Rejected'), exitCodeOf(undefined)]).toEqual([
      0, 1, 2, 2, 2,
    ]);
  });

  test('explain: a catalogued code, case-blind; a typo gets the nearest codes', () => {
    const known = explainCode('storageclassnotfound');
    expect('text' in known && known.text.split('\n')[0]).toBe('StorageClassNotFound');
    expect('text' in known && known.text).toContain('checks:      claim.binding');
    expect(explainCode('OOMKiled')).toEqual({ suggestions: expect.arrayContaining(['OOMKilled']) as string[] });
  });

  test('a rejected request shows why, from its Complete condition', () => {
    const text = renderResult(
      {
        source: 'operator',
        request: 'shop/x',
        intent: 'pvc-binding',
        target: 'Ingress/web',
        verdict: 'Rejected',
        conditions: [
          { type: 'Complete', status: 'False', reason: 'InvalidTarget', message: 'intent pvc-binding cannot target Ingress', lastTransitionTime: '' },
        ],
      },
      { colour: false },
    );
    expect(text).toBe('Ingress/web  Rejected  (pvc-binding, TriageRequest shop/x)\n  InvalidTarget: intent pvc-binding cannot target Ingress');
  });

  test('colour only when asked', () => {
    const result = { source: 'local' as const, intent: 'crashloop', target: 'Pod/x', verdict: 'Healthy' as const };
    expect(renderResult(result, { colour: false })).not.toContain('\u001b[');
    expect(renderResult(result, { colour: true })).toContain('\u001b[32mHealthy\u001b[0m');
  });

  test('list: findings and the root cause counted by severity, sorted by name, ages as kubectl prints them', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const request = (name: string, severities: string[]): TriageRequestObject => ({
      metadata: { name, namespace: 'shop', creationTimestamp: '2026-12-01T11:58:00Z' },
      spec: { intent: 'namespace-health' },
      status: {
        verdict: 'RootCauseFound',
        target: 'Namespace/shop',
        envelope: { findings: severities.map((severity, i) => ({ severity, code: i === 0 ? 'X' : `Y${i}` })), rootCause: { code: 'X' } } as never,
      },
    });
    const lines = renderList([request('b', ['Critical', 'Warning', 'Warning']), request('a', [])], false, now).split('\n');
    expect(lines.map((l) => l.split(/\s{2,}/))).toEqual([
      ['NAME', 'INTENT', 'TARGET', 'VERDICT', 'ROOT-CAUSE', 'CRITICAL', 'WARNING', 'INFO', 'AGE'],
      // A root cause no finding repeats (single-target intents) counts once, as Critical when not catalogued.
      ['a', 'namespace-health', 'Namespace/shop', 'RootCauseFound', 'X', '1', '0', '0', '2m'],
      ['b', 'namespace-health', 'Namespace/shop', 'RootCauseFound', 'X', '1', '2', '0', '2m'],
    ]);
    expect([age('2026-12-01T11:59:30Z', now), age('2026-12-01T09:00:00Z', now), age('2026-11-28T12:00:00Z', now)]).toEqual(['30s', '3h', '3d']);
  });

  test('terminal escapes written into the cluster are shown, not executed', () => {
    const hostile = {
      source: 'operator' as const,
      intent: 'crashloop',
      target: 'Pod/x',
      verdict: 'Healthy' as const,
      request: 'shop/\u001b]52;c;cHduZWQ=\u0007x\r',
    };
    const text = renderResult(hostile, { colour: false });
    for (const control of ['\u0007', '\u001b', '\r']) expect(text.includes(control)).toBe(false);
    expect(text).toContain('shop/\\u001b]52;c;cHduZWQ=\\u0007x\\u000d');
  });
});
