import type { TriageRequestObject, TriageRequestStatus } from './crds/triage-request';
import { Metrics, requestGauges, rootCauseLabel } from './metrics';

function request(namespace: string, name: string, spec: Record<string, unknown>, status?: TriageRequestStatus): TriageRequestObject {
  return { metadata: { namespace, name }, spec, ...(status === undefined ? {} : { status }) };
}

function rootCauseFound(code: string, since: string): TriageRequestStatus {
  return {
    verdict: 'RootCauseFound',
    conditions: [
      { type: 'Complete', status: 'True', reason: 'Completed', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' },
      { type: 'RootCauseFound', status: 'True', reason: code, message: '', lastTransitionTime: since },
    ],
    // Only the root cause is read; the rest of the envelope does not matter here.
    envelope: { rootCause: { code } } as TriageRequestStatus['envelope'],
  };
}

const healthy: TriageRequestStatus = {
  verdict: 'Healthy',
  conditions: [{ type: 'RootCauseFound', status: 'False', reason: 'Healthy', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }],
};

const seconds = (iso: string) => Date.parse(iso) / 1000;

describe('rootCauseLabel', () => {
  test('keeps catalogue codes, folds the rest', () => {
    expect(rootCauseLabel('StorageClassNotFound')).toBe('StorageClassNotFound');
    expect(rootCauseLabel('DatabaseMigrationStuck')).toBe('custom');
    expect(rootCauseLabel(undefined)).toBe('none');
    expect(rootCauseLabel('')).toBe('none');
  });
});

describe('requestGauges', () => {
  test('counts requests by namespace, intent, mode, verdict and root cause', () => {
    const gauges = requestGauges([
      request('shop', 'a', { intent: 'pvc-binding' }, rootCauseFound('StorageClassNotFound', '2026-01-01T10:00:00Z')),
      request('shop', 'b', { intent: 'pvc-binding' }, rootCauseFound('StorageClassNotFound', '2026-01-01T11:00:00Z')),
      request('shop', 'c', { intent: 'pvc-binding', mode: 'Continuous' }, healthy),
      request('ops', 'd', { intent: 'crashloop' }),
    ]);
    expect(gauges.requests).toEqual(
      expect.arrayContaining([
        { labels: { namespace: 'shop', intent: 'pvc-binding', mode: 'Once', verdict: 'RootCauseFound', root_cause: 'StorageClassNotFound' }, value: 2 },
        { labels: { namespace: 'shop', intent: 'pvc-binding', mode: 'Continuous', verdict: 'Healthy', root_cause: 'none' }, value: 1 },
        { labels: { namespace: 'ops', intent: 'crashloop', mode: 'Once', verdict: 'Pending', root_cause: 'none' }, value: 1 },
      ]),
    );
    expect(gauges.requests).toHaveLength(3);
  });

  test('folds every user-written value into a bounded set', () => {
    const gauges = requestGauges([
      request('shop', 'custom-intent', { intent: 'db.migrations' }, rootCauseFound('MigrationLocked', '2026-01-01T10:00:00Z')),
      request('shop', 'other-custom', { intent: 'team.checks' }, rootCauseFound('SomethingElse', '2026-01-01T10:00:00Z')),
      request('shop', 'bad-intent', { intent: 'no-such-intent' }, { verdict: 'Rejected' }),
      request('shop', 'no-spec', {}),
      request('shop', 'bad-verdict', { intent: 'crashloop', mode: 'Sometimes' }, { verdict: 'Maybe' as TriageRequestStatus['verdict'] }),
    ]);
    expect(gauges.requests).toEqual(
      expect.arrayContaining([
        { labels: { namespace: 'shop', intent: 'custom', mode: 'Once', verdict: 'RootCauseFound', root_cause: 'custom' }, value: 2 },
        { labels: { namespace: 'shop', intent: 'invalid', mode: 'Once', verdict: 'Rejected', root_cause: 'none' }, value: 1 },
        { labels: { namespace: 'shop', intent: 'invalid', mode: 'Once', verdict: 'Pending', root_cause: 'none' }, value: 1 },
        { labels: { namespace: 'shop', intent: 'crashloop', mode: 'invalid', verdict: 'invalid', root_cause: 'none' }, value: 1 },
      ]),
    );
    expect(gauges.requests).toHaveLength(4);
  });

  test('the oldest root cause per namespace, intent and mode, from the RootCauseFound condition', () => {
    const gauges = requestGauges([
      request('shop', 'a', { intent: 'pvc-binding', mode: 'Continuous' }, rootCauseFound('StorageClassNotFound', '2026-01-01T11:00:00Z')),
      request('shop', 'b', { intent: 'pvc-binding', mode: 'Continuous' }, rootCauseFound('ProvisioningFailed', '2026-01-01T09:30:00Z')),
      request('shop', 'c', { intent: 'pvc-binding' }, rootCauseFound('StorageClassNotFound', '2026-01-01T08:00:00Z')),
      request('ops', 'd', { intent: 'crashloop', mode: 'Continuous' }, rootCauseFound('OOMKilled', '2026-01-01T12:00:00Z')),
      // Healthy and unanswered requests have no root cause age; a condition without a usable time is skipped.
      request('ops', 'e', { intent: 'crashloop', mode: 'Continuous' }, healthy),
      request('ops', 'f', { intent: 'crashloop', mode: 'Continuous' }),
      request('ops', 'g', { intent: 'crashloop', mode: 'Continuous' }, rootCauseFound('OOMKilled', 'not a time')),
    ]);
    expect(gauges.oldestRootCause).toEqual([
      { labels: { namespace: 'shop', intent: 'pvc-binding', mode: 'Continuous' }, value: seconds('2026-01-01T09:30:00Z') },
      { labels: { namespace: 'shop', intent: 'pvc-binding', mode: 'Once' }, value: seconds('2026-01-01T08:00:00Z') },
      { labels: { namespace: 'ops', intent: 'crashloop', mode: 'Continuous' }, value: seconds('2026-01-01T12:00:00Z') },
    ]);
  });

  test('no requests, no samples', () => {
    expect(requestGauges([])).toEqual({ requests: [], oldestRootCause: [] });
  });
});

describe('Metrics request gauges', () => {
  test('are computed at each scrape from the source; a deleted request vanishes; no source, no samples', async () => {
    const metrics = new Metrics({ collectProcessMetrics: false });
    let cache = [
      request('shop', 'a', { intent: 'pvc-binding', mode: 'Continuous' }, rootCauseFound('StorageClassNotFound', '2026-01-01T10:00:00Z')),
      request('shop', 'b', { intent: 'crashloop' }, healthy),
    ];
    const scrape = async () => {
      const values = (await metrics.registry.getMetricsAsJSON()).filter((m) => m.name.startsWith('triage_request'));
      return Object.fromEntries(values.map((m) => [m.name, m.values.map((v) => ({ labels: v.labels, value: v.value }))]));
    };

    // A standby (the controller not started) exports none.
    expect(await scrape()).toEqual({ triage_requests: [], triage_request_oldest_root_cause_timestamp_seconds: [] });

    metrics.exportRequests(() => cache);
    expect(await scrape()).toEqual({
      triage_requests: [
        { labels: { namespace: 'shop', intent: 'pvc-binding', mode: 'Continuous', verdict: 'RootCauseFound', root_cause: 'StorageClassNotFound' }, value: 1 },
        { labels: { namespace: 'shop', intent: 'crashloop', mode: 'Once', verdict: 'Healthy', root_cause: 'none' }, value: 1 },
      ],
      triage_request_oldest_root_cause_timestamp_seconds: [
        { labels: { namespace: 'shop', intent: 'pvc-binding', mode: 'Continuous' }, value: seconds('2026-01-01T10:00:00Z') },
      ],
    });

    cache = cache.slice(1);
    expect(await scrape()).toEqual({
      triage_requests: [{ labels: { namespace: 'shop', intent: 'crashloop', mode: 'Once', verdict: 'Healthy', root_cause: 'none' }, value: 1 }],
      triage_request_oldest_root_cause_timestamp_seconds: [],
    });

    metrics.exportRequests(undefined);
    expect(await scrape()).toEqual({ triage_requests: [], triage_request_oldest_root_cause_timestamp_seconds: [] });
    const text = await metrics.registry.metrics();
    expect(text).toContain('# TYPE triage_requests gauge');
    expect(text).not.toMatch(/^triage_requests\{/m);
  });
});
