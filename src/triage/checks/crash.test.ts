import { anchorPaths, crashLoop, event, investigate, notReady, pod, podWith, run } from '../../../test/support/pod-fixtures';
import type { KubeObject } from '../snapshot';
import { doubledMemory, exitCodeText, podCrashloop } from './crash';

// pod.crashloop's chain, one rule at a time: each shown reporting its code on a minimal pod, and
// standing aside when its fault is absent.

/** The pod run by Deployment web at revision 2, with revision 1's ReplicaSet kept to roll back to. */
function deployed(subject: KubeObject): KubeObject[] {
  const controller = (kind: string, name: string, uid: string) => [{ apiVersion: 'apps/v1', kind, name, uid, controller: true }];
  const replicaSet = (revision: number) => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${revision}`,
      namespace: 'shop',
      uid: `uid-rs-web-${revision}`,
      resourceVersion: '1',
      annotations: { 'deployment.kubernetes.io/revision': String(revision) },
      ownerReferences: controller('Deployment', 'web', 'uid-deploy-web'),
    },
  });
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop', uid: 'uid-deploy-web', resourceVersion: '1' } };
  const owned = { ...subject, metadata: { ...subject.metadata, ownerReferences: controller('ReplicaSet', 'web-2', 'uid-rs-web-2') } };
  return [owned, replicaSet(2), replicaSet(1), deployment] as KubeObject[];
}

const crashed = (terminated: Record<string, unknown>, restartCount = 3) => ({ restartCount, state: crashLoop, lastState: { terminated } });
const codes = (objects: readonly KubeObject[]) => run([podCrashloop], objects).map((c) => c.code);

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
});

describe('the chain', () => {
  test("the check's codes are its rules' codes and the eviction's", () => {
    expect([...podCrashloop.codes].sort()).toEqual([
      'ApplicationError',
      'CommandNotFound',
      'ConfigMissing',
      'ContainerCreateFailed',
      'LivenessProbeFailing',
      'OOMKilled',
      'PodEvicted',
    ]);
  });
});

describe('configMissing', () => {
  const configError = (message: string) => ({ state: { waiting: { reason: 'CreateContainerConfigError', message } } });

  test('a missing key named by an env entry is ConfigMissing, anchored on that entry (its name, never a value)', () => {
    const subject = podWith(configError("couldn't find key DB_HOST in ConfigMap shop/cfg"), {
      env: [{ name: 'DB_HOST', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'DB_HOST' } } }],
    });
    const inv = investigate([podCrashloop], [subject]);
    const [candidate] = inv.candidates;
    expect([candidate?.code, candidate?.confidence]).toEqual(['ConfigMissing', 1]);
    expect(candidate?.message).toContain('ConfigMap shop/cfg has no key DB_HOST (env DB_HOST)');
    expect(anchorPaths(inv, candidate)).toEqual([
      'status.containerStatuses[name=app].state.waiting.message',
      'spec.containers[name=app].env[name=DB_HOST].valueFrom.configMapKeyRef',
    ]);
    expect(candidate?.nextActions[0]?.command).toContain("go-template='{{range $k, $v := .data}}");
  });

  test('a missing Secret loaded by envFrom is ConfigMissing, anchored on the envFrom entry', () => {
    const subject = podWith(configError('secret "db" not found'), { envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'db' } }] });
    const inv = investigate([podCrashloop], [subject]);
    const [candidate] = inv.candidates;
    expect(candidate?.message).toContain('the kubelet reports Secret "db" not found');
    expect(anchorPaths(inv, candidate)).toContain('spec.containers[name=app].envFrom[1].secretRef');
    expect(candidate?.nextActions[0]?.command).toBe('kubectl get secret db -n shop');
  });

  test('a config error that names nothing missing is not ConfigMissing', () => {
    expect(codes([podWith(configError('container has runAsNonRoot and image will run as root'))])).toEqual(['ContainerCreateFailed']);
  });

  test('an env value never reaches a message or an anchor', () => {
    const subject = podWith(configError("couldn't find key DB_HOST in ConfigMap shop/cfg"), {
      env: [
        { name: 'DB_PASSWORD', value: 'hunter2-s3cr3t' },
        { name: 'DB_HOST', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'DB_HOST' } } },
      ],
    });
    const inv = investigate([podCrashloop], [subject]);
    expect(JSON.stringify([inv.candidates, inv.anchorList()])).not.toContain('hunter2');
    expect(inv.candidates[0]?.code).toBe('ConfigMissing');
  });
});

describe('configError', () => {
  test('another CreateContainerConfigError is ContainerCreateFailed, quoting the kubelet', () => {
    const [candidate] = run(
      [podCrashloop],
      [podWith({ state: { waiting: { reason: 'CreateContainerConfigError', message: 'container has runAsNonRoot and image will run as root' } } })],
    );
    expect([candidate?.code, candidate?.confidence]).toEqual(['ContainerCreateFailed', 0.8]);
    expect(candidate?.message).toContain('cannot be created (CreateContainerConfigError): container has runAsNonRoot');
  });

  test('a runtime create error is not a config error', () => {
    const [candidate] = run([podCrashloop], [podWith({ state: { waiting: { reason: 'CreateContainerError', message: 'error mounting "/data" to rootfs' } } })]);
    expect(candidate?.message).not.toContain('CreateContainerConfigError');
  });
});

describe('oomKilled', () => {
  test('an OOM kill at the limit of a Deployment pod offers to double the limit in the Deployment', () => {
    const subject = podWith(crashed({ exitCode: 137, reason: 'OOMKilled' }), { resources: { limits: { memory: '128Mi' } } });
    const [candidate] = run([podCrashloop], deployed(subject));
    expect([candidate?.code, candidate?.confidence]).toEqual(['OOMKilled', 0.95]);
    expect(candidate?.message).toContain('its memory use reached its limit of 128Mi; restarted 3 times');
    expect(candidate?.nextActions.map((a) => a.command)).toContain('kubectl set resources deployment/web -n shop -c app --limits=memory=256Mi');
  });

  test('without a memory limit it is the node that ran out', () => {
    const [candidate] = run([podCrashloop], [podWith(crashed({ exitCode: 137, reason: 'OOMKilled' }))]);
    expect(candidate?.message).toContain('although it sets no memory limit: the node ran out of memory');
  });

  test('an OOM kill without a Deployment owner offers no mutating action', () => {
    const [candidate] = run([podCrashloop], [podWith(crashed({ exitCode: 137, reason: 'OOMKilled' }), { resources: { limits: { memory: '128Mi' } } })]);
    expect(candidate?.code).toBe('OOMKilled');
    expect(candidate?.nextActions.map((a) => a.safety)).toEqual(['ReadOnly', 'ReadOnly']);
  });

  test('a SIGKILL without reason OOMKilled is not an OOM kill', () => {
    const [candidate] = run([podCrashloop], [podWith(crashed({ exitCode: 137, reason: 'Error' }))]);
    expect(candidate?.code).toBe('ApplicationError');
    expect(candidate?.message).toContain('SIGKILL without OOMKilled');
  });
});

describe('probeKill', () => {
  const lastRun = { exitCode: 2, reason: 'Error', startedAt: '2026-11-21T11:50:00Z', finishedAt: '2026-11-21T11:50:31Z' };

  test('a liveness kill during the last run explains it, whatever the exit code', () => {
    const subject = podWith(crashed(lastRun, 4), { livenessProbe: { tcpSocket: { port: 5432 }, timeoutSeconds: 2 } });
    const killing = event(subject, 'Killing', 'Container app failed liveness probe, will be restarted', '2026-11-21T11:50:01Z');
    const unhealthy = event(subject, 'Unhealthy', 'Liveness probe failed: dial tcp 10.1.1.1:5432: connect: connection refused', '2026-11-21T11:50:00Z');
    const [candidate, ...rest] = run([podCrashloop], [subject, killing, unhealthy]);
    expect(rest).toEqual([]);
    expect([candidate?.code, candidate?.confidence]).toEqual(['LivenessProbeFailing', 0.9]);
    expect(candidate?.message).toContain('TCP :5432, timeout 2s');
    expect(candidate?.message).toContain('connection refused');
  });

  test('a startup-probe kill is reported the same way, naming the startup probe', () => {
    const subject = podWith(crashed(lastRun, 4), { startupProbe: { httpGet: { path: '/ready', port: 8080 } } });
    const killing = event(subject, 'Killing', 'Container app failed startup probe, will be restarted', '2026-11-21T11:50:01Z');
    const [candidate] = run([podCrashloop], [subject, killing]);
    expect(candidate?.code).toBe('LivenessProbeFailing');
    expect(candidate?.message).toContain('because its startup probe fails (HTTP GET :8080/ready');
  });

  test('a probe kill quotes the probe with its header names, never their values, and leaves the cached pod as it was', () => {
    const httpHeaders = [
      { name: 'X-Tenant', value: 'tenant-7f3a' },
      { name: 'Authorization', value: 'Bearer abc123' },
    ];
    const subject = podWith(crashed({ ...lastRun, exitCode: 137 }, 4), { livenessProbe: { httpGet: { path: '/healthz', port: 8080, httpHeaders } } });
    const killing = event(subject, 'Killing', 'Container app failed liveness probe, will be restarted', '2026-11-21T11:50:01Z');
    const inv = investigate([podCrashloop], [subject, killing]);
    const probe = inv.anchorList().find((a) => a.fieldPath === 'spec.containers[name=app].livenessProbe');
    expect(probe?.excerpt).toBe(
      '{"httpGet":{"path":"/healthz","port":8080,"httpHeaders":[{"name":"X-Tenant","value":"[REDACTED]"},{"name":"Authorization","value":"[REDACTED]"}]}}',
    );
    expect(JSON.stringify(subject)).toContain('tenant-7f3a');
  });

  test('a liveness kill from an earlier run does not explain a later exit 1', () => {
    const subject = podWith(crashed({ exitCode: 1, reason: 'Error', startedAt: '2026-11-21T11:50:00Z', finishedAt: '2026-11-21T11:50:30Z' }, 4), {
      livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
    });
    const killing = event(subject, 'Killing', 'Container app failed liveness probe, will be restarted', '2026-11-21T11:20:00Z');
    expect(run([podCrashloop], [subject, killing])[0]?.code).toBe('ApplicationError');
  });
});

describe('probeSignal', () => {
  test('a restarted container with a liveness probe ended by SIGKILL, its probe Events gone, is most likely a probe kill', () => {
    const [candidate] = run(
      [podCrashloop],
      [podWith(crashed({ exitCode: 137, reason: 'Error' }), { livenessProbe: { httpGet: { path: '/healthz', port: 8080 } } })],
    );
    expect([candidate?.code, candidate?.confidence]).toEqual(['LivenessProbeFailing', 0.6]);
    expect(candidate?.message).toContain('ends with exit code 137 (SIGKILL)');
    expect(candidate?.message).toContain('no probe Events remain to prove it');
  });

  test('without a probe, or with another exit code, it is not guessed', () => {
    expect(codes([podWith(crashed({ exitCode: 143, reason: 'Error' }))])).toEqual(['ApplicationError']);
    expect(codes([podWith(crashed({ exitCode: 1, reason: 'Error' }), { livenessProbe: { tcpSocket: { port: 80 } } })])).toEqual(['ApplicationError']);
  });
});

describe('probeBeside', () => {
  test('probe kills that did not end the last run are context after the cause', () => {
    const subject = podWith(crashed({ exitCode: 1, reason: 'Error', startedAt: '2026-11-21T11:50:00Z', finishedAt: '2026-11-21T11:50:30Z' }, 4), {
      livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
    });
    const killing = event(subject, 'Killing', 'Container app failed liveness probe, will be restarted', '2026-11-21T11:20:00Z');
    const found = run([podCrashloop], [subject, killing]).map((c) => [c.code, c.severity, c.chain === undefined ? 'context' : 'cause']);
    expect(found).toEqual([
      ['ApplicationError', 'Critical', 'cause'],
      ['LivenessProbeFailing', 'Warning', 'context'],
    ]);
  });

  test('no probe Events, no context', () => {
    expect(codes([podWith(crashed({ exitCode: 1, reason: 'Error' }), { livenessProbe: { httpGet: { path: '/healthz', port: 8080 } } })])).toEqual([
      'ApplicationError',
    ]);
  });
});

describe('commandNotFound', () => {
  test("the runtime's exec error names the command missing from $PATH", () => {
    const subject = podWith({
      restartCount: 2,
      state: {
        waiting: { reason: 'RunContainerError', message: 'failed to create containerd task: exec: "gunicorn": executable file not found in $PATH: unknown' },
      },
    });
    const inv = investigate([podCrashloop], [subject]);
    const [candidate] = inv.candidates;
    expect([candidate?.code, candidate?.confidence]).toEqual(['CommandNotFound', 0.95]);
    expect(candidate?.message).toContain(`cannot run: "gunicorn" is not found in the image's $PATH; restarted 2 times`);
    expect(anchorPaths(inv, candidate)).toEqual(['status.containerStatuses[name=app].state.waiting.message']);
  });

  test("a shell's exit 127 quoting the missing tool, and a bare exit 126, are CommandNotFound too", () => {
    const [shell] = run(
      [podCrashloop],
      [podWith(crashed({ exitCode: 127, reason: 'Error', message: '/bin/sh: psql: not found' }), { command: ['/bin/sh', '-c', 'psql'] })],
    );
    expect(shell?.message).toContain('"psql" is not found');
    expect(shell?.message).toContain('(exit code 127)');
    const [bare] = run([podCrashloop], [podWith(crashed({ exitCode: 126, reason: 'Error' }))]);
    expect([bare?.code, bare?.confidence]).toEqual(['CommandNotFound', 0.75]);
    expect(bare?.message).toContain('its command is not executable (permission denied)');
  });

  test('a Deployment pod is offered the rollback of the command change', () => {
    const subject = podWith(crashed({ exitCode: 127, reason: 'Error' }));
    const [candidate] = run([podCrashloop], deployed(subject));
    expect(candidate?.nextActions.map((a) => a.command)).toContain('kubectl rollout undo deployment/web -n shop');
  });

  test('a log tail that mentions a missing tool, then exits 1 for another reason, is an ApplicationError', () => {
    const [candidate] = run(
      [podCrashloop],
      [podWith(crashed({ exitCode: 1, reason: 'Error', message: '/bin/sh: jq: not found\nERROR: database migration 42 failed' }))],
    );
    expect(candidate?.code).toBe('ApplicationError');
    expect(candidate?.message).toContain('ERROR: database migration 42 failed');
  });
});

describe('startFailed', () => {
  test('a runtime create error is ContainerCreateFailed, quoting the runtime', () => {
    const [candidate] = run(
      [podCrashloop],
      [podWith({ state: { waiting: { reason: 'CreateContainerError', message: 'error mounting "/data" to rootfs: no such file or directory' } } })],
    );
    expect([candidate?.code, candidate?.confidence]).toEqual(['ContainerCreateFailed', 0.7]);
    expect(candidate?.message).toContain('cannot be started by the container runtime (CreateContainerError): error mounting');
  });

  test('a StartError termination is one too', () => {
    const [candidate] = run(
      [podCrashloop],
      [podWith(crashed({ exitCode: 128, reason: 'StartError', message: 'failed to create shim task: OCI runtime create failed' }))],
    );
    expect(candidate?.code).toBe('ContainerCreateFailed');
    expect(candidate?.message).toContain('(StartError): failed to create shim task');
  });

  test('a process that ran and exited is not a start failure', () => {
    expect(codes([podWith(crashed({ exitCode: 128, reason: 'Error' }))])).toEqual(['ApplicationError']);
  });
});

describe('applicationError', () => {
  test("an exit 1 quotes the log's last words and offers a Deployment pod the rollback", () => {
    const subject = podWith(crashed({ exitCode: 1, reason: 'Error', message: '2026-11-21T11:57:04Z ERROR db: connection refused\nFATAL giving up' }));
    const [candidate] = run([podCrashloop], deployed(subject));
    expect([candidate?.code, candidate?.confidence]).toEqual(['ApplicationError', 0.9]);
    expect(candidate?.message).toContain('exits with exit code 1, restarted 3 times; last message: ERROR db: connection refused; FATAL giving up');
    expect(candidate?.nextActions.map((a) => a.safety)).toEqual(['ReadOnly', 'ReadOnly', 'Mutating']);
  });

  test('exit 0 under restartPolicy Always: the process does not stay running', () => {
    const [candidate] = run([podCrashloop], [podWith(crashed({ exitCode: 0, reason: 'Completed' }))]);
    expect([candidate?.code, candidate?.confidence]).toEqual(['ApplicationError', 0.7]);
    expect(candidate?.message).toContain('keeps exiting with exit code 0 (Completed)');
  });

  test('a Job pod that failed with exit 1 (restartPolicy Never) is an ApplicationError; its logs are read without --previous', () => {
    const subject = pod(
      'job-x',
      { phase: 'Failed', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] },
      { restartPolicy: 'Never' },
    );
    const [candidate] = run([podCrashloop], [subject]);
    expect(candidate?.code).toBe('ApplicationError');
    expect(candidate?.nextActions[0]?.command).toBe('kubectl logs job-x -c app -n shop');
  });

  test('caught running between crashes, the finding is re-checked when the crash leaves its window', () => {
    const [candidate] = run(
      [podCrashloop],
      [
        podWith({
          ready: false,
          restartCount: 2,
          state: { running: { startedAt: '2026-11-21T11:58:00Z' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-11-21T11:58:00Z' } },
        }),
      ],
    );
    expect(candidate?.code).toBe('ApplicationError');
    expect(candidate?.recheckAfterSeconds).toBeGreaterThan(0);
  });

  test('without a termination there is no exit to read: the unrecorded crash rule speaks instead', () => {
    expect(run([podCrashloop], [podWith({ restartCount: 4, state: crashLoop })])[0]?.confidence).toBe(0.5);
  });

  test('an init container that finished with exit 0 is not an error', () => {
    const subject = pod(
      'p',
      { phase: 'Pending', conditions: notReady, initContainerStatuses: [{ name: 'init', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] },
      { initContainers: [{ name: 'init', image: 'i:1' }] },
    );
    expect(codes([subject])).toEqual([]);
  });
});

describe('unrecordedCrash', () => {
  test('CrashLoopBackOff without a recorded termination is an ApplicationError of low confidence', () => {
    const [candidate] = run([podCrashloop], [podWith({ restartCount: 4, state: crashLoop })]);
    expect([candidate?.code, candidate?.confidence]).toEqual(['ApplicationError', 0.5]);
    expect(candidate?.message).toContain('the kubelet kept no record of how it last terminated');
  });

  test('with a recorded termination the termination speaks instead', () => {
    const [candidate] = run([podCrashloop], [podWith(crashed({ exitCode: 1, reason: 'Error' }))]);
    expect(candidate?.confidence).toBe(0.9);
  });
});

describe('a volume whose ConfigMap/Secret is missing', () => {
  const creating = pod(
    'p',
    { phase: 'Pending', conditions: notReady, containerStatuses: [{ name: 'app', state: { waiting: { reason: 'ContainerCreating' } } }] },
    { volumes: [{ name: 'tls', secret: { secretName: 'payments-tls' } }] },
  );

  test('is ConfigMissing, anchored on the FailedMount Event and the volume', () => {
    const failedMount = event(creating, 'FailedMount', 'MountVolume.SetUp failed for volume "tls" : secret "payments-tls" not found', '2026-11-21T11:59:00Z');
    const inv = investigate([podCrashloop], [creating, failedMount]);
    const [candidate] = inv.candidates;
    expect([candidate?.code, candidate?.confidence]).toEqual(['ConfigMissing', 0.9]);
    expect(candidate?.message).toContain('volume tls cannot be mounted, the kubelet reports Secret "payments-tls" not found');
    expect(anchorPaths(inv, candidate)).toEqual(['event:FailedMount', 'spec.volumes[name=tls]']);
  });

  test('another mount failure names nothing missing', () => {
    const failedMount = event(creating, 'FailedMount', 'Unable to attach or mount volumes: timed out waiting for the condition', '2026-11-21T11:59:00Z');
    expect(run([podCrashloop], [creating, failedMount])).toEqual([]);
  });
});

describe('a crash beside a container whose image cannot be pulled', () => {
  test('is less sure, and says so', () => {
    const subject = pod(
      'p',
      {
        phase: 'Pending',
        conditions: notReady,
        containerStatuses: [
          { name: 'app', state: { waiting: { reason: 'ErrImagePull', message: 'manifest unknown' } } },
          { name: 'proxy', restartCount: 5, state: crashLoop, lastState: { terminated: { exitCode: 1, reason: 'Error' } } },
        ],
      },
      {
        containers: [
          { name: 'app', image: 'r/app:9' },
          { name: 'proxy', image: 'nginx:1.27' },
        ],
      },
    );
    const [candidate] = run([podCrashloop], [subject]);
    expect([candidate?.code, candidate?.confidence]).toEqual(['ApplicationError', 0.8]);
    expect(candidate?.message).toContain('(container app cannot start either: its image is not pulled)');
  });
});
