import { MemorySnapshot } from '../memory-snapshot';
import type { ObjectRef } from '../../crds/envelope';
import { Investigation, type Candidate } from '../investigation';
import type { KubeObject } from '../snapshot';
import { autoscalerFollowers, hpaScaling } from './autoscaling';

// The autoscaler's rules, each on a minimal cluster: HPA `api` scaling Deployment `api` on CPU
// utilization, with the conditions the HPA controller writes.

const NOW = new Date('2026-11-21T12:00:00.000Z');

function hpa(conditions: readonly Record<string, unknown>[], target = 'api'): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'api', namespace: 'shop', uid: 'uid-hpa', resourceVersion: '1' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    },
    status: { conditions },
  } as KubeObject;
}

function deployment(requests?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'shop', uid: 'uid-api', resourceVersion: '1' },
    spec: { template: { spec: { containers: [{ name: 'app', image: 'app:1', ...(requests === undefined ? {} : { resources: { requests } }) }] } } },
  } as KubeObject;
}

const scalingActive = (status: string, reason: string, message = '') => ({ type: 'ScalingActive', status, reason, message });
const METRICS_DOWN = scalingActive(
  'False',
  'FailedGetResourceMetric',
  'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
);

function run(objects: readonly KubeObject[], chain: readonly ObjectRef[] = []): Candidate[] {
  const [subject] = objects;
  if (subject === undefined) throw new Error('no subject');
  const inv = new Investigation(new MemorySnapshot(objects), NOW);
  hpaScaling.run({ inv, follow: () => undefined }, subject, chain, 'HorizontalPodAutoscaler');
  expect(hpaScaling.codes).toEqual(expect.arrayContaining(inv.candidates.map((c) => c.code)));
  return inv.candidates;
}

describe('hpa.scaling rules', () => {
  test('scaling on valid metrics, not at a bound: nothing reported', () => {
    expect(run([hpa([scalingActive('True', 'ValidMetricFound')]), deployment({ cpu: '100m' })])).toEqual([]);
  });

  describe('scaleTargetNotFound', () => {
    test('the target does not exist: reported alone, whatever else the conditions say', () => {
      const candidates = run([
        hpa([{ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: 'deployments/scale.apps "gone" not found' }, METRICS_DOWN], 'gone'),
      ]);
      expect(candidates.map((c) => c.code)).toEqual(['ScaleTargetNotFound']);
      expect(candidates[0]?.chain?.map((r) => `${r.kind}/${r.name}`)).toEqual(['HorizontalPodAutoscaler/api', 'Deployment/gone']);
      expect(candidates[0]?.anchors).toHaveLength(2);
    });

    test('the target exists: not reported', () => {
      expect(run([hpa([]), deployment({ cpu: '100m' })]).map((c) => c.code)).not.toContain('ScaleTargetNotFound');
    });
  });

  describe('missingResourceRequests', () => {
    test('utilization of a resource the pod template does not request', () => {
      const candidates = run([hpa([]), deployment()]);
      expect(candidates.map((c) => c.code)).toEqual(['MissingResourceRequests']);
      expect(candidates[0]?.message).toContain('scales on utilization of cpu (container app), but Deployment api');
    });

    test('reached from the Deployment: the chain does not name it twice', () => {
      const [finding] = run([hpa([]), deployment()], [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'api' }]);
      expect(finding?.chain?.map((r) => r.kind)).toEqual(['Deployment', 'HorizontalPodAutoscaler']);
    });

    test('a request set, a LimitRange default, or a controller computing a count: not reported', () => {
      const limitRange = {
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: { name: 'defaults', namespace: 'shop', uid: 'uid-lr', resourceVersion: '1' },
        spec: { limits: [{ type: 'Container', defaultRequest: { cpu: '50m' } }] },
      } as KubeObject;
      expect(run([hpa([]), deployment({ cpu: '100m' })])).toEqual([]);
      expect(run([hpa([]), deployment(), limitRange])).toEqual([]);
      expect(run([hpa([scalingActive('True', 'ValidMetricFound')]), deployment()])).toEqual([]);
    });
  });

  describe('metricsUnavailable', () => {
    test('the metrics API does not answer', () => {
      const candidates = run([hpa([METRICS_DOWN]), deployment({ cpu: '100m' })]);
      expect(candidates.map((c) => c.code)).toEqual(['MetricsUnavailable']);
      expect(candidates[0]?.message).toMatch(/^HorizontalPodAutoscaler shop\/api cannot read its metrics \(FailedGetResourceMetric\), so it does not scale: /);
    });

    test('"missing request for" is the template\'s fault, not the metrics API\'s', () => {
      const missing = scalingActive('False', 'FailedGetResourceMetric', 'failed to get cpu utilization: missing request for cpu in container app of Pod api-1');
      expect(run([hpa([missing]), deployment()]).map((c) => c.code)).toEqual(['MissingResourceRequests']);
    });
  });

  describe('scalingLimited', () => {
    const limited = {
      type: 'ScalingLimited',
      status: 'True',
      reason: 'TooFewReplicas',
      message: 'the desired replica count is less than the minimum replica count',
    };

    test('held at a bound: benign Info, beside any fault', () => {
      const candidates = run([hpa([METRICS_DOWN, limited]), deployment({ cpu: '100m' })]);
      expect(candidates.map((c) => [c.code, c.severity, c.benign])).toEqual([
        ['MetricsUnavailable', 'Critical', undefined],
        ['ScalingLimited', 'Info', true],
      ]);
      expect(candidates[1]?.message).toBe(
        'HorizontalPodAutoscaler shop/api is held at a bound (TooFewReplicas: the desired replica count is less than the minimum replica count; min 2, max 5)',
      );
    });

    test('ScalingLimited False: not reported', () => {
      expect(run([hpa([{ ...limited, status: 'False', reason: 'DesiredWithinRange' }]), deployment({ cpu: '100m' })])).toEqual([]);
    });
  });
});

describe('workload autoscaler followers', () => {
  test('a Deployment follows the autoscalers that scale it, and only those', () => {
    const other = { ...hpa([], 'web'), metadata: { name: 'web', namespace: 'shop', uid: 'uid-hpa-web', resourceVersion: '1' } } as KubeObject;
    const objects = [deployment(), hpa([]), other];
    const inv = new Investigation(new MemorySnapshot(objects), NOW);
    const followed: string[] = [];
    const follower = autoscalerFollowers.find((c) => c.subject === 'Deployment');
    follower?.run(
      { inv, follow: (kind, object, chain) => followed.push(`${chain.map((r) => r.name).join('>')}>${kind}/${object.metadata?.name ?? ''}`) },
      deployment(),
      [],
      'Deployment',
    );
    expect(followed).toEqual(['api>HorizontalPodAutoscaler/api']);
  });
});
