import { MemorySnapshot } from '../../../test/golden/memory-snapshot';
import type { ObjectRef } from '../../crds/envelope';
import { diagnose } from '../engine';
import { Investigation, type Candidate } from '../investigation';
import type { KubeObject } from '../snapshot';
import { builtInTemplate, compileTemplate } from '../templates';
import type { Check } from './check';
import {
  classifyPull,
  doubledMemory,
  exitCodeText,
  lastWords,
  parseConfigMissing,
  parseEviction,
  parseExecFailure,
  parseMissingVolumeKey,
  podCrashloop,
  podImagePull,
  registryOf,
} from './containers';

const NOW = new Date('2026-11-21T12:00:00.000Z');

function pod(name: string, status: Record<string, unknown>, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `uid-pod-${name}`, resourceVersion: '1' },
    spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'registry.example.com/app:1' }], ...spec },
    status,
  } as KubeObject;
}

function event(about: KubeObject, reason: string, message: string, lastTimestamp: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${about.metadata?.name ?? ''}.${reason}.${lastTimestamp}`, namespace: 'shop', uid: `ev-${reason}-${lastTimestamp}`, resourceVersion: '2' },
    involvedObject: { kind: 'Pod', name: about.metadata?.name, namespace: 'shop', uid: about.metadata?.uid },
    reason,
    message,
    count: 1,
    lastTimestamp,
    ...extra,
  } as KubeObject;
}

/** Runs checks on the first object (a pod) of a cluster and returns what they reported. */
function run(checks: readonly Check[], objects: readonly KubeObject[]): Candidate[] {
  const inv = new Investigation(new MemorySnapshot(objects), NOW);
  const subject = objects[0];
  if (subject === undefined) throw new Error('no subject');
  for (const check of checks) check.run({ inv, follow: () => undefined }, subject, [] as readonly ObjectRef[], 'Pod');
  return inv.candidates;
}

const notReady = [{ type: 'Ready', status: 'False' }];
const crashLoop = { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=app pod=p_shop(uid)' } };

describe('parseExecFailure', () => {
  test.each([
    ['exec: "gunicorn": executable file not found in $PATH: unknown', 'gunicorn', 'missing'],
    ['runc create failed: unable to start container process: exec: "/app/run.sh": permission denied: unknown', '/app/run.sh', 'not-executable'],
    ['exec: "/app/server": stat /app/server: no such file or directory: unknown', '/app/server', 'missing'],
    ['executable file `node` not found in $PATH: No such file or directory: OCI runtime attempted to invoke a command that was not found', 'node', 'missing'],
    ['exec /docker-entrypoint.sh: no such file or directory', '/docker-entrypoint.sh', 'missing'],
    ['/bin/sh: psql: not found', 'psql', 'missing'],
    ['sh: 1: migrate: not found', 'migrate', 'missing'],
    ['/bin/bash: line 1: flyway: command not found', 'flyway', 'missing'],
  ])('%s', (text, command, why) => {
    expect(parseExecFailure(text)).toEqual({ command, why });
  });

  test('ignores mount errors and ordinary logs', () => {
    expect(parseExecFailure('error mounting "/var/lib/kubelet/pods/x/volumes" to rootfs: no such file or directory')).toBeUndefined();
    expect(parseExecFailure('FATAL: config file /etc/app.yaml not found')).toBeUndefined();
  });
});

describe('parseConfigMissing (kubelet_pods.go and the configmap/secret managers)', () => {
  test.each([
    ['configmap "app-config" not found', { kind: 'ConfigMap', name: 'app-config' }],
    ['configmaps "app-config" not found', { kind: 'ConfigMap', name: 'app-config' }],
    ['secret "db" not found', { kind: 'Secret', name: 'db' }],
    ["couldn't find key DB_HOST in ConfigMap shop/app-config", { kind: 'ConfigMap', name: 'app-config', key: 'DB_HOST' }],
    ["couldn't find key password in Secret shop/db", { kind: 'Secret', name: 'db', key: 'password' }],
    ['MountVolume.SetUp failed for volume "tls" : secret "payments-tls" not found', { kind: 'Secret', name: 'payments-tls' }],
  ])('%s', (text, expected) => {
    expect(parseConfigMissing(text)).toEqual(expected);
  });

  test('other config errors name nothing missing', () => {
    expect(parseConfigMissing('container has runAsNonRoot and image will run as root (pod: "p_shop(uid)", container: app)')).toBeUndefined();
  });
});

describe('parseMissingVolumeKey (the configmap/secret volume plugins)', () => {
  test.each([
    ['MountVolume.SetUp failed for volume "cfg" : configmap references non-existent config key: absent-key', { configMap: { name: 'app-config' } }, { kind: 'ConfigMap', name: 'app-config', key: 'absent-key' }],
    ['MountVolume.SetUp failed for volume "tls" : secret references non-existent secret key: tls.key', { secret: { secretName: 'tls' } }, { kind: 'Secret', name: 'tls', key: 'tls.key' }],
  ])('%s', (text, volume, expected) => {
    expect(parseMissingVolumeKey(text, volume)).toEqual(expected);
  });

  test('a missing object is not a missing key', () => {
    expect(parseMissingVolumeKey('MountVolume.SetUp failed for volume "cfg" : configmap "app-config" not found', { configMap: { name: 'app-config' } })).toBeUndefined();
  });
});

describe('classifyPull', () => {
  test.each([
    ['ErrImagePull', 'rpc error: code = NotFound desc = failed to pull and unpack image "r/web:1": failed to resolve reference "r/web:1": r/web:1: not found', 'ImageNotFound', 'not found'],
    ['ErrImagePull', 'Error response from daemon: manifest for r/web:1 not found: manifest unknown: manifest unknown', 'ImageNotFound', 'manifest unknown'],
    ['ErrImagePull', 'failed to fetch oauth token: unexpected status from GET request to https://ghcr.io/token: 401 Unauthorized', 'ImagePullUnauthorized', '401 Unauthorized'],
    ['ErrImagePull', 'unexpected status from HEAD request to https://1234.dkr.ecr.eu-west-1.amazonaws.com/v2/api/manifests/1: 403 Forbidden', 'ImagePullUnauthorized', '403 Forbidden'],
    ['ErrImagePull', 'dial tcp: lookup registry.internal on 10.0.0.2:53: no such host', 'RegistryUnreachable', 'no such host'],
    ['ErrImagePull', 'dial tcp 10.1.2.3:443: i/o timeout', 'RegistryUnreachable', 'i/o timeout'],
    ['ErrImagePull', 'tls: failed to verify certificate: x509: certificate signed by unknown authority', 'RegistryUnreachable', 'x509: certificate signed by unknown authority'],
    ['RegistryUnavailable', 'image pull failed for r/web:1 because the registry is unavailable: connection refused', 'RegistryUnreachable', 'connection refused'],
    ['ErrImagePull', 'toomanyrequests: You have reached your pull rate limit.', 'ImagePullRateLimited', 'toomanyrequests'],
    ['InvalidImageName', 'Failed to apply default image tag "A/B": couldn\'t parse image name "A/B": invalid reference format: repository name must be lowercase', 'InvalidImageName', 'invalid reference format: repository name must be lowercase'],
    ['ErrImageNeverPull', 'Container image "web:dev" is not present with pull policy of Never', 'ImageNotFound', 'not present on the node, pull policy Never'],
    ['ImagePullBackOff', '', 'ImagePullFailed', ''],
  ])('%s %s', (reason, text, code, said) => {
    const cause = classifyPull(reason, text);
    expect([cause.code, cause.said]).toEqual([code, said]);
  });

  test("Docker Hub's denied-or-missing answer is unauthorized with low confidence, flagged ambiguous", () => {
    const cause = classifyPull('ErrImagePull', 'pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed');
    expect(cause).toEqual({ code: 'ImagePullUnauthorized', confidence: 0.6, said: 'pull access denied', ambiguous: true });
  });
});

describe('small helpers', () => {
  test('exit codes above 128 name their signal', () => {
    expect(exitCodeText(1)).toBe('exit code 1');
    expect(exitCodeText(137)).toBe('exit code 137 (SIGKILL)');
    expect(exitCodeText(139)).toBe('exit code 139 (SIGSEGV)');
  });

  test('a doubled memory limit is a quantity kubectl accepts, never less than twice', () => {
    expect(doubledMemory('256Mi')).toBe('512Mi');
    expect(doubledMemory('512Mi')).toBe('1Gi');
    expect(doubledMemory('1G')).toBe('1908Mi');
    expect(doubledMemory('700Mi')).toBe('1400Mi');
    expect(doubledMemory('lots')).toBeUndefined();
  });

  test('the registry of an image reference', () => {
    expect(registryOf('nginx:1.27')).toBe('docker.io');
    expect(registryOf('bitnami/redis:7')).toBe('docker.io');
    expect(registryOf('registry.internal:5000/tools/agent:2.1')).toBe('registry.internal:5000');
    expect(registryOf('localhost/app')).toBe('localhost');
    expect(registryOf(`nginx:1.27@sha256:${'a'.repeat(64)}`)).toBe('docker.io');
  });

  test('the registry of an image reference with credentials leaves them out', () => {
    expect(registryOf('user:s3cret@registry.example.com/app:1')).toBe('registry.example.com');
    expect(registryOf('https://user:s3cret@registry.example.com:5000/app:1')).toBe('registry.example.com:5000');
    expect(registryOf('deploy:pa@ss@registry.example.com/app:1')).toBe('registry.example.com');
    expect(registryOf('token@ghcr.io/acme/app:1')).toBe('ghcr.io');
  });

  test('last words: the telling lines of a log tail, timestamps and stack frames dropped', () => {
    expect(lastWords('2026-11-21T11:57:03Z INFO starting\n2026-11-21T11:57:04Z ERROR db: connection refused\n2026-11-21T11:57:04Z FATAL giving up')).toBe(
      'ERROR db: connection refused; FATAL giving up',
    );
    expect(lastWords('panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:9 +0x1d\n')).toBe(
      'panic: runtime error: index out of range [3] with length 3',
    );
    expect(lastWords('Traceback (most recent call last):\n  File "/app/main.py", line 3, in <module>\n    import flask\nModuleNotFoundError: No module named \'flask\'')).toBe(
      "ModuleNotFoundError: No module named 'flask'",
    );
    expect(lastWords('just one line')).toBe('just one line');
  });
});

describe('pod.crashloop and pod.image-pull stay silent', () => {
  const crashed = { containerStatuses: [{ name: 'app', restartCount: 3, state: crashLoop, lastState: { terminated: { exitCode: 1, reason: 'Error' } } }] };

  test.each([
    ['a Ready pod', pod('p', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], ...crashed })],
    ['a Succeeded pod', pod('p', { phase: 'Succeeded', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] })],
    ['a pod without a node', pod('p', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] }, { nodeName: undefined })],
    ['a pod still creating its containers', pod('p', { phase: 'Pending', conditions: notReady, containerStatuses: [{ name: 'app', state: { waiting: { reason: 'ContainerCreating' } } }] })],
    ['a running pod that restarted long ago', pod('p', { phase: 'Running', conditions: notReady, containerStatuses: [{ name: 'app', ready: false, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 1, finishedAt: '2026-11-18T09:00:00Z' } } }] })],
    ['a finished init container', pod('p', { phase: 'Pending', conditions: notReady, initContainerStatuses: [{ name: 'init', state: { terminated: { exitCode: 0, reason: 'Completed' } } }], containerStatuses: [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } } }] })],
  ])('%s', (_name, subject) => {
    expect(run([podCrashloop, podImagePull], [subject])).toEqual([]);
  });
});

describe('evictions', () => {
  // The kubelet's messages (pkg/kubelet/eviction), as real pods carry them in status.message.
  test.each([
    ['Container app exceeded its local ephemeral storage limit "50Mi". ', { scope: 'Container', resource: 'ephemeral-storage', container: 'app', limit: '50Mi' }],
    ['Usage of EmptyDir volume "scratch" exceeds the limit "10Mi". ', { scope: 'Volume', resource: 'ephemeral-storage', volume: 'scratch', limit: '10Mi' }],
    ['Pod ephemeral local storage usage exceeds the total limit of containers 8Mi. ', { scope: 'Pod', resource: 'ephemeral-storage', limit: '8Mi' }],
    [
      'The node was low on resource: memory. Threshold quantity: 750Mi, available: 225800Ki. Container nginx was using 4395616Ki, request is 0, has larger consumption of memory. ',
      { scope: 'Node', resource: 'memory', limit: '750Mi', available: '225800Ki', container: 'nginx', usage: '4395616Ki' },
    ],
    [
      'The node was low on resource: ephemeral-storage. Container prometheus was using 20Ki, which exceeds its request of 0. ',
      { scope: 'Node', resource: 'ephemeral-storage', container: 'prometheus', usage: '20Ki' },
    ],
    ['The node had condition: [DiskPressure]. ', { scope: 'NodeCondition', resource: 'DiskPressure', nodeCondition: 'DiskPressure' }],
  ])('%s', (message, expected) => {
    expect(parseEviction(message)).toEqual(expected);
  });

  test('an evicted pod is PodEvicted with the resource and the limit, not silence', () => {
    const [candidate] = run([podCrashloop, podImagePull], [
      pod('p', { phase: 'Failed', reason: 'Evicted', message: 'Container app exceeded its local ephemeral storage limit "50Mi". ', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } } }] }),
    ]);
    expect(candidate?.code).toBe('PodEvicted');
    expect(candidate?.message).toContain('container app used more ephemeral-storage');
    expect(candidate?.message).toContain('50Mi');
  });
});

describe('pod.crashloop', () => {
  test('CrashLoopBackOff without a recorded termination is an ApplicationError of low confidence', () => {
    const [candidate] = run([podCrashloop], [pod('p', { phase: 'Running', conditions: notReady, containerStatuses: [{ name: 'app', restartCount: 4, state: crashLoop }] })]);
    expect([candidate?.code, candidate?.confidence]).toEqual(['ApplicationError', 0.5]);
  });

  test('a liveness kill from an earlier run does not explain a later exit 1', () => {
    const subject = pod(
      'p',
      { phase: 'Running', conditions: notReady, containerStatuses: [{ name: 'app', restartCount: 4, state: crashLoop, lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2026-11-21T11:50:00Z', finishedAt: '2026-11-21T11:50:30Z' } } }] },
      { containers: [{ name: 'app', image: 'a:1', livenessProbe: { httpGet: { path: '/healthz', port: 8080 } } }] },
    );
    const killing = event(subject, 'Killing', 'Container app failed liveness probe, will be restarted', '2026-11-21T11:20:00Z');
    const codes = run([podCrashloop], [subject, killing]).map((c) => [c.code, c.severity, c.chain === undefined ? 'context' : 'cause']);
    expect(codes).toEqual([['ApplicationError', 'Critical', 'cause'], ['LivenessProbeFailing', 'Warning', 'context']]);
  });

  test('a liveness kill during the last run explains it, whatever the exit code', () => {
    const subject = pod(
      'p',
      { phase: 'Running', conditions: notReady, containerStatuses: [{ name: 'app', restartCount: 4, state: crashLoop, lastState: { terminated: { exitCode: 2, reason: 'Error', startedAt: '2026-11-21T11:50:00Z', finishedAt: '2026-11-21T11:50:31Z' } } }] },
      { containers: [{ name: 'app', image: 'a:1', livenessProbe: { tcpSocket: { port: 5432 }, timeoutSeconds: 2 } }] },
    );
    const killing = event(subject, 'Killing', 'Container app failed liveness probe, will be restarted', '2026-11-21T11:50:01Z');
    const unhealthy = event(subject, 'Unhealthy', 'Liveness probe failed: dial tcp 10.1.1.1:5432: connect: connection refused', '2026-11-21T11:50:00Z');
    const [candidate, ...rest] = run([podCrashloop], [subject, killing, unhealthy]);
    expect(rest).toEqual([]);
    expect(candidate?.code).toBe('LivenessProbeFailing');
    expect(candidate?.message).toContain('TCP :5432, timeout 2s');
    expect(candidate?.message).toContain('connection refused');
  });

  test('a probe kill quotes the probe with its header names, never their values, and leaves the cached pod as it was', () => {
    const httpHeaders = [{ name: 'X-Tenant', value: 'tenant-7f3a' }, { name: 'Authorization', value: 'Bearer abc123' }];
    const subject = pod(
      'p',
      { phase: 'Running', conditions: notReady, containerStatuses: [{ name: 'app', restartCount: 4, state: crashLoop, lastState: { terminated: { exitCode: 137, reason: 'Error', startedAt: '2026-11-21T11:50:00Z', finishedAt: '2026-11-21T11:50:31Z' } } }] },
      { containers: [{ name: 'app', image: 'a:1', livenessProbe: { httpGet: { path: '/healthz', port: 8080, httpHeaders } } }] },
    );
    const killing = event(subject, 'Killing', 'Container app failed liveness probe, will be restarted', '2026-11-21T11:50:01Z');
    const inv = new Investigation(new MemorySnapshot([subject, killing]), NOW);
    podCrashloop.run({ inv, follow: () => undefined }, subject, [], 'Pod');
    const probe = inv.anchorList().find((a) => a.fieldPath === 'spec.containers[name=app].livenessProbe');
    expect(probe?.excerpt).toBe('{"httpGet":{"path":"/healthz","port":8080,"httpHeaders":[{"name":"X-Tenant","value":"[REDACTED]"},{"name":"Authorization","value":"[REDACTED]"}]}}');
    expect(JSON.stringify(subject)).toContain('tenant-7f3a');
  });

  test('an OOM kill without a Deployment owner offers no mutating action', () => {
    const subject = pod(
      'p',
      { phase: 'Running', conditions: notReady, containerStatuses: [{ name: 'app', restartCount: 2, state: crashLoop, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] },
      { containers: [{ name: 'app', image: 'a:1', resources: { limits: { memory: '128Mi' } } }] },
    );
    const [candidate] = run([podCrashloop], [subject]);
    expect(candidate?.code).toBe('OOMKilled');
    expect(candidate?.nextActions.map((a) => a.safety)).toEqual(['ReadOnly', 'ReadOnly']);
  });

  test('a Job pod that failed with exit 1 (restartPolicy Never) is an ApplicationError; its logs are read without --previous', () => {
    const subject = pod('job-x', { phase: 'Failed', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] }, { restartPolicy: 'Never' });
    const [candidate] = run([podCrashloop], [subject]);
    expect(candidate?.code).toBe('ApplicationError');
    expect(candidate?.nextActions[0]?.command).toBe('kubectl logs job-x -c app -n shop');
  });

  test('an env value never reaches a message or an anchor', () => {
    const subject = pod(
      'p',
      { phase: 'Pending', conditions: notReady, containerStatuses: [{ name: 'app', state: { waiting: { reason: 'CreateContainerConfigError', message: "couldn't find key DB_HOST in ConfigMap shop/cfg" } } }] },
      { containers: [{ name: 'app', image: 'a:1', env: [{ name: 'DB_PASSWORD', value: 'hunter2-s3cr3t' }, { name: 'DB_HOST', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'DB_HOST' } } }] }] },
    );
    const inv = new Investigation(new MemorySnapshot([subject]), NOW);
    podCrashloop.run({ inv, follow: () => undefined }, subject, [], 'Pod');
    expect(JSON.stringify([inv.candidates, inv.anchorList()])).not.toContain('hunter2');
    expect(inv.candidates[0]?.code).toBe('ConfigMissing');
  });
});

describe('a pod with one image that cannot be pulled and a crashing sidecar', () => {
  const subject = pod(
    'p',
    {
      phase: 'Pending',
      conditions: notReady,
      containerStatuses: [
        { name: 'app', state: { waiting: { reason: 'ErrImagePull', message: 'rpc error: code = NotFound desc = ...: r/app:9: not found' } } },
        { name: 'proxy', restartCount: 5, state: crashLoop, lastState: { terminated: { exitCode: 1, reason: 'Error' } } },
      ],
    },
    { containers: [{ name: 'app', image: 'r/app:9' }, { name: 'proxy', image: 'nginx:1.27' }] },
  );

  test('when both checks run, the missing image is the root cause and the crash a finding', () => {
    const template = compileTemplate('pod-both', { version: '1', targetKinds: ['Pod'], steps: [{ name: 'pod', checks: ['pod.image-pull', 'pod.crashloop'] }] });
    const { verdict, envelope } = diagnose({
      intent: 'pod-both', template, templateSource: 'BuiltIn', target: { kind: 'Pod', namespace: 'shop', name: 'p' },
      maxSteps: 3, timeoutMs: 15000, minCompleteness: 0.8, snapshot: new MemorySnapshot([subject]), now: () => NOW,
    });
    expect(verdict).toBe('RootCauseFound');
    expect(envelope.rootCause?.code).toBe('ImageNotFound');
    expect(envelope.findings.map((f) => [f.code, f.severity])).toEqual([['ApplicationError', 'Critical']]);
    expect(envelope.findings[0]?.message).toContain('container app cannot start either');
  });
});

describe('reached through a Service (service-no-endpoints runs every pod check)', () => {
  test("the Service's PodsNotReady is explained by the pod's own crash: chain Service → Pod", () => {
    const crashing = pod('web-0', {
      phase: 'Running',
      conditions: notReady,
      containerStatuses: [{ name: 'app', restartCount: 7, state: crashLoop, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
    });
    const labelled = { ...crashing, metadata: { ...crashing.metadata, labels: { app: 'web' } } };
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop', uid: 'uid-service-web', resourceVersion: '3' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } };
    const slice = {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: 'web-abc', namespace: 'shop', uid: 'uid-es', resourceVersion: '4', labels: { 'kubernetes.io/service-name': 'web' } },
      endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: false }, targetRef: { kind: 'Pod', name: 'web-0', uid: 'uid-pod-web-0' } }],
    };
    const template = builtInTemplate('service-no-endpoints');
    if (template === undefined) throw new Error('no template');
    const { verdict, envelope } = diagnose({
      intent: 'service-no-endpoints', template, templateSource: 'BuiltIn', target: { kind: 'Service', namespace: 'shop', name: 'web' },
      maxSteps: 3, timeoutMs: 15000, minCompleteness: 0.8, snapshot: new MemorySnapshot([service, slice, labelled] as KubeObject[]), now: () => NOW,
    });
    expect(verdict).toBe('RootCauseFound');
    expect(envelope.rootCause?.code).toBe('OOMKilled');
    expect(envelope.rootCause?.chain.map((r) => `${r.kind}/${r.name}`)).toEqual(['Service/web', 'Pod/web-0']);
  });
});

describe('CommandNotFound needs the runtime or an exit code of 126/127', () => {
  test('a log tail that mentions a missing tool, then exits 1 for another reason, is an ApplicationError', () => {
    const subject = pod('p', {
      phase: 'Running',
      conditions: notReady,
      containerStatuses: [{ name: 'app', restartCount: 3, state: crashLoop, lastState: { terminated: { exitCode: 1, reason: 'Error', message: '/bin/sh: jq: not found\nERROR: database migration 42 failed' } } }],
    });
    const [candidate] = run([podCrashloop], [subject]);
    expect(candidate?.code).toBe('ApplicationError');
    expect(candidate?.message).toContain('ERROR: database migration 42 failed');
  });
});
