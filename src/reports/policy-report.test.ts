import type { Envelope } from '../crds/envelope';
import type { TriageRequestObject, Verdict } from '../crds/triage-request';
import { buildReport, MAX_RESULTS } from './policy-report';

const at = '2026-12-01T10:00:00.000Z';
const request = (name: string, verdict: Verdict | undefined, envelope?: Partial<Envelope>): TriageRequestObject => ({
  metadata: { name, namespace: 'shop' },
  spec: { intent: 'namespace-health' },
  status: {
    ...(verdict === undefined ? {} : { verdict }),
    ...(envelope === undefined
      ? {}
      : { envelope: { summary: 'ok', findings: [], evidence: { completeness: 1 }, timing: { completedAt: at }, ...envelope } as unknown as Envelope }),
  },
});
const finding = (code: string, severity: 'Critical' | 'Warning' | 'Info', suppressed = false) => ({
  code,
  severity,
  message: `${code} message`,
  object: { kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data' },
  anchors: [],
  ...(suppressed ? { suppressed } : {}),
});

describe('TriageRequests as a PolicyReport', () => {
  test('a finding per result: Critical fails, Warning warns, Info passes, suppressed skips; the object is the resource', () => {
    const body = buildReport([
      request('ns-health', 'RootCauseFound', {
        findings: [
          finding('StorageClassNotFound', 'Critical'),
          finding('BindingPending', 'Warning'),
          finding('WaitingForFirstConsumer', 'Info'),
          finding('NodeCordoned', 'Warning', true),
        ],
      }),
    ]);
    expect(body.results.map((r) => [r.rule, r.result, r.severity])).toEqual([
      ['StorageClassNotFound', 'fail', 'critical'],
      ['BindingPending', 'warn', 'medium'],
      ['NodeCordoned', 'skip', 'medium'],
      ['WaitingForFirstConsumer', 'pass', 'info'],
    ]);
    expect(body.results[0]).toMatchObject({
      policy: 'triage/namespace-health',
      source: 'triage-operator',
      category: 'namespace-health',
      resources: [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data' }],
      timestamp: { seconds: Date.parse(at) / 1000, nanos: 0 },
      properties: { triageRequest: 'ns-health', verdict: 'RootCauseFound', completeness: '1' },
    });
    expect(body.summary).toEqual({ pass: 1, fail: 1, warn: 1, error: 0, skip: 1 });
  });

  test('a root cause no finding repeats is a failing result on the end of its chain; a healthy request is one pass', () => {
    const body = buildReport([
      request('pvc', 'RootCauseFound', {
        rootCause: {
          code: 'StorageClassNotFound',
          message: 'no class',
          confidence: 1,
          anchors: [],
          chain: [
            { kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data' },
            { kind: 'StorageClass', name: 'fast' },
          ],
        },
      }),
      request('quiet', 'Healthy', { summary: 'all good' }),
    ]);
    expect(body.results.map((r) => [r.properties.triageRequest, r.rule, r.result, r.resources[0]?.kind])).toEqual([
      ['pvc', 'StorageClassNotFound', 'fail', 'StorageClass'],
      ['quiet', 'namespace-health', 'pass', undefined],
    ]);
  });

  test('a rejected request is an error, an unanswered one a skip, with the reason', () => {
    const rejected: TriageRequestObject = {
      metadata: { name: 'bad', namespace: 'shop' },
      spec: { intent: 'cluster-health' },
      status: {
        verdict: 'Rejected',
        conditions: [{ type: 'Complete', status: 'False', reason: 'NamespaceNotTrusted', message: 'not trusted', lastTransitionTime: at }],
      },
    };
    const body = buildReport([rejected, request('new', undefined)]);
    expect(body.results.map((r) => [r.rule, r.result, r.message])).toEqual([
      ['Rejected', 'error', 'not trusted'],
      ['Pending', 'skip', 'not triaged yet'],
    ]);
  });

  test('the worst results are kept when a namespace has more than a report holds', () => {
    const many = Array.from({ length: MAX_RESULTS + 50 }, (_, i) => request(`r${String(i).padStart(4, '0')}`, 'Healthy', {}));
    const body = buildReport([...many, request('zz-broken', 'RootCauseFound', { findings: [finding('ClaimLost', 'Critical')] })]);
    expect(body.results).toHaveLength(MAX_RESULTS);
    expect(body.results[0]?.rule).toBe('ClaimLost');
  });
});
