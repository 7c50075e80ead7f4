import { DEFAULT_MAPPINGS, MappingFileError, MappingTable, mapPayload, parseMappingFile, payloadProblems, WebhookPayload } from './mapping';

// The pure half of the receiver: Alertmanager's payload checked, each firing alert mapped to a target and intent.

const alert = (labels: Record<string, string>, fingerprint: string, status: 'firing' | 'resolved' = 'firing') => ({
  status,
  labels,
  annotations: { summary: 'x' },
  startsAt: '2026-12-01T00:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus/graph',
  fingerprint,
});
const payload = (alerts: object[]) => ({
  version: '4',
  receiver: 'triage',
  status: 'firing',
  alerts,
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://alertmanager:9093',
  groupKey: '{}:{}',
  truncatedAlerts: 0,
});
const map = (alerts: object[], table = MappingTable.withDefaults()) => mapPayload(WebhookPayload.parse(payload(alerts)), table);

describe('the alert mapping', () => {
  test('kube-prometheus alerts map to their target and intent; KubePodNotReady leaves the intent to the pod state', () => {
    const result = map([
      alert({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'web-0', container: 'app' }, 'a1'),
      alert({ alertname: 'KubePodNotReady', namespace: 'shop', pod: 'web-1' }, 'a2'),
      alert({ alertname: 'KubeDeploymentRolloutStuck', namespace: 'shop', deployment: 'web' }, 'a3'),
      alert({ alertname: 'KubeStatefulSetReplicasMismatch', namespace: 'db', statefulset: 'pg' }, 'a4'),
      alert({ alertname: 'KubeNodeNotReady', node: 'node-1' }, 'a5'),
      alert({ alertname: 'KubeJobFailed', namespace: 'ops', job_name: 'backup' }, 'a6'),
      alert({ alertname: 'KubeHpaMaxedOut', namespace: 'shop', horizontalpodautoscaler: 'web' }, 'a7'),
      alert({ alertname: 'KubePersistentVolumeFillingUp', namespace: 'db', persistentvolumeclaim: 'data-pg-0' }, 'a8'),
    ]);
    expect(result.ignored).toEqual([]);
    expect(result.firing.map((f) => [f.fingerprint, f.kind, f.namespace, f.name, f.intent])).toEqual([
      ['a1', 'Pod', 'shop', 'web-0', 'crashloop'],
      ['a2', 'Pod', 'shop', 'web-1', undefined],
      ['a3', 'Deployment', 'shop', 'web', 'rollout-stuck'],
      ['a4', 'StatefulSet', 'db', 'pg', 'rollout-stuck'],
      ['a5', 'Node', undefined, 'node-1', 'node-pressure'],
      ['a6', 'Job', 'ops', 'backup', 'job-failures'],
      ['a7', 'HorizontalPodAutoscaler', 'shop', 'web', 'autoscaling'],
      ['a8', 'PersistentVolumeClaim', 'db', 'data-pg-0', 'pvc-binding'],
    ]);
  });

  test('unknown names, missing labels and label values that are not object names are ignored, each with its reason', () => {
    const result = map([
      alert({ alertname: 'Watchdog' }, 'b1'),
      alert({ alertname: 'KubePodCrashLooping', pod: 'web-0' }, 'b2'),
      alert({ alertname: 'KubePersistentVolumeErrors', persistentvolume: 'pv-1' }, 'b3'),
      alert({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: '../../etc' }, 'b4'),
    ]);
    expect(result.firing).toEqual([]);
    expect(result.ignored.map((i) => [i.fingerprint, i.reason])).toEqual([
      ['b1', 'UnknownAlert'],
      ['b2', 'MissingLabel'],
      ['b3', 'MissingLabel'],
      ['b4', 'InvalidName'],
    ]);
  });

  test('resolved alerts are listed by fingerprint whatever their name; a repeated fingerprint counts once', () => {
    const result = map([
      alert({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'web-0' }, 'c1', 'resolved'),
      alert({ alertname: 'Watchdog' }, 'c2', 'resolved'),
      alert({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'web-0' }, 'c3'),
      alert({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'web-0' }, 'c3'),
    ]);
    expect([result.resolved, result.firing.map((f) => f.fingerprint)]).toEqual([['c1', 'c2'], ['c3']]);
  });

  test('admin entries add alerts and replace a default of the same name; an exact name wins over a prefix', () => {
    const admin = parseMappingFile({
      mappings: [
        { alertname: 'ShopCheckoutDown', kind: 'Deployment', nameLabel: 'app', namespaceLabel: 'exported_namespace', intent: 'rollout-stuck' },
        { alertname: 'KubePodCrashLooping', kind: 'Pod', nameLabel: 'pod' },
        { alertname: 'KubePersistentVolumeFillingUp', kind: 'PersistentVolumeClaim', nameLabel: 'persistentvolumeclaim', intent: 'my-disk-template' },
      ],
    });
    const result = map(
      [
        alert({ alertname: 'ShopCheckoutDown', exported_namespace: 'shop', app: 'checkout' }, 'd1'),
        alert({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'web-0' }, 'd2'),
        alert({ alertname: 'KubePersistentVolumeFillingUp', namespace: 'db', persistentvolumeclaim: 'data' }, 'd3'),
        alert({ alertname: 'KubePersistentVolumeInodesFillingUp', namespace: 'db', persistentvolumeclaim: 'data' }, 'd4'),
      ],
      MappingTable.withDefaults(admin),
    );
    expect(result.firing.map((f) => [f.kind, f.namespace, f.name, f.intent])).toEqual([
      ['Deployment', 'shop', 'checkout', 'rollout-stuck'],
      ['Pod', 'shop', 'web-0', undefined],
      ['PersistentVolumeClaim', 'db', 'data', 'my-disk-template'],
      ['PersistentVolumeClaim', 'db', 'data', 'pvc-binding'],
    ]);
  });

  test('a bad mapping file is refused with the entry and field at fault', () => {
    const problem = (document: unknown) => {
      try {
        parseMappingFile(document);
        return 'accepted';
      } catch (error: unknown) {
        return error instanceof MappingFileError ? error.message : 'other error';
      }
    };
    expect(problem({ mappings: [{ alertname: 'X', kind: 'Secret', nameLabel: 'n' }] })).toMatch(/mappings\.0\.kind/);
    expect(problem({ mappings: [{ alertname: 'X', kind: 'Pod', nameLabel: 'n', intent: 'Not An Intent' }] })).toMatch(
      /mappings\.0\.intent: must be an intent name/,
    );
    expect(problem({ mappings: [{ alertname: 'X', kind: 'Pod', nameLabel: 'n', extra: 1 }] })).toMatch(/mappings\.0/);
    expect(problem({ mappings: [{ alertname: 'X', kind: 'Node', nameLabel: 'node', namespaceLabel: 'ns' }] })).toMatch(/Node is cluster-scoped/);
    expect(problem(['not', 'an', 'object'])).toMatch(/invalid alert mapping file/);
    expect(problem({ mappings: DEFAULT_MAPPINGS })).toBe('accepted');
  });

  test('a payload that is not Alertmanager version 4 is refused with the paths at fault', () => {
    const refused = (value: unknown) => {
      const result = WebhookPayload.safeParse(value);
      return result.success ? 'accepted' : payloadProblems(result.error);
    };
    expect(refused({ ...payload([]), version: '3' })).toMatch(/^version: must be "4"/);
    expect(refused(payload([{ ...alert({ alertname: 'A' }, 'e1'), fingerprint: 'ZZ/../x' }]))).toMatch(/^alerts\.0\.fingerprint/);
    expect(refused(payload([{ ...alert({ alertname: 'A' }, 'e1'), status: 'pending' }]))).toMatch(/^alerts\.0\.status/);
    expect(refused({ alerts: 'none' })).toMatch(/version/);
    expect(refused(payload(Array.from({ length: 1001 }, (_, i) => alert({ alertname: 'A' }, i.toString(16)))))).toMatch(/^alerts: /);
    expect(refused(payload([alert({ alertname: 'A' }, 'e1')]))).toBe('accepted');
  });
});
