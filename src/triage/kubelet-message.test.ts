import {
  classifyPull,
  lastWords,
  parseConfigMissing,
  parseEviction,
  parseExecFailure,
  parseMissingPullSecret,
  parseMissingVolumeKey,
  pullErrorOfEvent,
  pullErrorOfWaiting,
  registryOf,
} from './kubelet-message';

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
    [
      'MountVolume.SetUp failed for volume "cfg" : configmap references non-existent config key: absent-key',
      { configMap: { name: 'app-config' } },
      { kind: 'ConfigMap', name: 'app-config', key: 'absent-key' },
    ],
    [
      'MountVolume.SetUp failed for volume "tls" : secret references non-existent secret key: tls.key',
      { secret: { secretName: 'tls' } },
      { kind: 'Secret', name: 'tls', key: 'tls.key' },
    ],
  ])('%s', (text, volume, expected) => {
    expect(parseMissingVolumeKey(text, volume)).toEqual(expected);
  });

  test('a missing object is not a missing key', () => {
    expect(
      parseMissingVolumeKey('MountVolume.SetUp failed for volume "cfg" : configmap "app-config" not found', { configMap: { name: 'app-config' } }),
    ).toBeUndefined();
  });
});

describe('classifyPull', () => {
  test.each([
    [
      'ErrImagePull',
      'rpc error: code = NotFound desc = failed to pull and unpack image "r/web:1": failed to resolve reference "r/web:1": r/web:1: not found',
      'ImageNotFound',
      'not found',
    ],
    ['ErrImagePull', 'Error response from daemon: manifest for r/web:1 not found: manifest unknown: manifest unknown', 'ImageNotFound', 'manifest unknown'],
    [
      'ErrImagePull',
      'failed to fetch oauth token: unexpected status from GET request to https://ghcr.io/token: 401 Unauthorized',
      'ImagePullUnauthorized',
      '401 Unauthorized',
    ],
    [
      'ErrImagePull',
      'unexpected status from HEAD request to https://1234.dkr.ecr.eu-west-1.amazonaws.com/v2/api/manifests/1: 403 Forbidden',
      'ImagePullUnauthorized',
      '403 Forbidden',
    ],
    ['ErrImagePull', 'dial tcp: lookup registry.internal on 10.0.0.2:53: no such host', 'RegistryUnreachable', 'no such host'],
    ['ErrImagePull', 'dial tcp 10.1.2.3:443: i/o timeout', 'RegistryUnreachable', 'i/o timeout'],
    [
      'ErrImagePull',
      'tls: failed to verify certificate: x509: certificate signed by unknown authority',
      'RegistryUnreachable',
      'x509: certificate signed by unknown authority',
    ],
    [
      'RegistryUnavailable',
      'image pull failed for r/web:1 because the registry is unavailable: connection refused',
      'RegistryUnreachable',
      'connection refused',
    ],
    ['ErrImagePull', 'toomanyrequests: You have reached your pull rate limit.', 'ImagePullRateLimited', 'toomanyrequests'],
    [
      'InvalidImageName',
      'Failed to apply default image tag "A/B": couldn\'t parse image name "A/B": invalid reference format: repository name must be lowercase',
      'InvalidImageName',
      'invalid reference format: repository name must be lowercase',
    ],
    ['ErrImageNeverPull', 'Container image "web:dev" is not present with pull policy of Never', 'ImageNotFound', 'not present on the node, pull policy Never'],
    ['ImagePullBackOff', '', 'ImagePullFailed', ''],
  ])('%s %s', (reason, text, code, said) => {
    const cause = classifyPull(reason, text);
    expect([cause.code, cause.said]).toEqual([code, said]);
  });

  test("Docker Hub's denied-or-missing answer is unauthorized with low confidence, flagged ambiguous", () => {
    const cause = classifyPull(
      'ErrImagePull',
      'pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
    );
    expect(cause).toEqual({ code: 'ImagePullUnauthorized', confidence: 0.6, said: 'pull access denied', ambiguous: true });
  });
});

describe('registryOf', () => {
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
});

describe('lastWords', () => {
  test('the telling lines of a log tail, timestamps and stack frames dropped', () => {
    expect(lastWords('2026-11-21T11:57:03Z INFO starting\n2026-11-21T11:57:04Z ERROR db: connection refused\n2026-11-21T11:57:04Z FATAL giving up')).toBe(
      'ERROR db: connection refused; FATAL giving up',
    );
    expect(lastWords('panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:9 +0x1d\n')).toBe(
      'panic: runtime error: index out of range [3] with length 3',
    );
    expect(
      lastWords(
        'Traceback (most recent call last):\n  File "/app/main.py", line 3, in <module>\n    import flask\nModuleNotFoundError: No module named \'flask\'',
      ),
    ).toBe("ModuleNotFoundError: No module named 'flask'");
    expect(lastWords('just one line')).toBe('just one line');
  });
});

describe('parseEviction (pkg/kubelet/eviction)', () => {
  // The kubelet's messages (pkg/kubelet/eviction), as real pods carry them in status.message.
  test.each([
    [
      'Container app exceeded its local ephemeral storage limit "50Mi". ',
      { scope: 'Container', resource: 'ephemeral-storage', container: 'app', limit: '50Mi' },
    ],
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
});

describe('pull error texts', () => {
  test("a back-off waiting message keeps only the registry's words", () => {
    expect(pullErrorOfWaiting('Back-off pulling image "nginx:1.27": ErrImagePull: 403 Forbidden')).toBe('403 Forbidden');
    expect(pullErrorOfWaiting('Back-off pulling image "nginx:1.27"')).toBe('');
    expect(pullErrorOfWaiting(' rpc error: manifest unknown ')).toBe('rpc error: manifest unknown');
  });

  test("a Failed Event's lead is dropped", () => {
    expect(pullErrorOfEvent('Failed to pull image "r/web:1": rpc error: code = NotFound desc = not found')).toBe('rpc error: code = NotFound desc = not found');
    expect(pullErrorOfEvent('Error: ImagePullBackOff')).toBe('Error: ImagePullBackOff');
  });

  test('the pull secret the kubelet could not retrieve', () => {
    expect(parseMissingPullSecret('Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.')).toBe('regcred');
    expect(parseMissingPullSecret('Unable to retrieve pull secret shop/regcred for shop/p due to secret "regcred" not found')).toBeUndefined();
  });
});
