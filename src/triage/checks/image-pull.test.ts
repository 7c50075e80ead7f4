import { anchorPaths, event, investigate, notReady, pod, run } from '../../../test/support/pod-fixtures';
import type { KubeObject } from '../snapshot';
import { podImagePull } from './image-pull';

// pod.image-pull's rules, one per pull code: each shown reporting its code on a minimal pod, and
// standing aside when its fault is absent.

const IMAGE = 'registry.example.com/app:1';

/** A pending pod whose container `app` waits for its image with this reason and message. */
function pulling(reason: string, message?: string, spec: Record<string, unknown> = {}): KubeObject {
  return pod(
    'p',
    {
      phase: 'Pending',
      conditions: notReady,
      containerStatuses: [{ name: 'app', state: { waiting: { reason, ...(message === undefined ? {} : { message }) } } }],
    },
    spec,
  );
}

const codeOf = (objects: readonly KubeObject[]) => run([podImagePull], objects)[0]?.code;

test("the check's codes are its rules' codes", () => {
  expect([...podImagePull.codes].sort()).toEqual([
    'ImageNotFound',
    'ImagePullFailed',
    'ImagePullRateLimited',
    'ImagePullUnauthorized',
    'InvalidImageName',
    'PullSecretNotFound',
    'RegistryUnreachable',
  ]);
});

describe('invalidImageName', () => {
  test('a reference the runtime cannot parse', () => {
    const subject = pulling(
      'InvalidImageName',
      'Failed to apply default image tag "A/B": couldn\'t parse image name "A/B": invalid reference format: repository name must be lowercase',
      { containers: [{ name: 'app', image: 'A/B' }] },
    );
    const [candidate] = run([podImagePull], [subject]);
    expect([candidate?.code, candidate?.confidence]).toEqual(['InvalidImageName', 1]);
    expect(candidate?.message).toBe(
      'Container app of Pod shop/p names an invalid image reference "A/B" (invalid reference format: repository name must be lowercase)',
    );
  });

  test('a well-formed reference is not invalid', () => {
    expect(codeOf([pulling('ErrImagePull', 'manifest unknown')])).not.toBe('InvalidImageName');
  });
});

describe('imageNotFound', () => {
  test('the registry has no such tag', () => {
    const inv = investigate([podImagePull], [pulling('ErrImagePull', 'rpc error: code = NotFound desc = failed to resolve reference: manifest unknown')]);
    const [candidate] = inv.candidates;
    expect([candidate?.code, candidate?.confidence]).toEqual(['ImageNotFound', 0.95]);
    expect(candidate?.message).toContain(`cannot pull image "${IMAGE}": registry registry.example.com has no such repository or tag (manifest unknown)`);
    expect(anchorPaths(inv, candidate)).toEqual(['status.containerStatuses[name=app].state.waiting.message', 'spec.containers[name=app].image']);
  });

  test('pull policy Never and no copy on the node', () => {
    const [candidate] = run([podImagePull], [pulling('ErrImageNeverPull', `Container image "${IMAGE}" is not present with pull policy of Never`)]);
    expect(candidate?.message).toContain('with imagePullPolicy Never, and the image is not present on node node-a');
  });

  test('during back-off the Failed Event holds the cause, and is anchored', () => {
    const subject = pulling('ImagePullBackOff', `Back-off pulling image "${IMAGE}"`);
    const failed = event(subject, 'Failed', `Failed to pull image "${IMAGE}": rpc error: code = NotFound desc = ${IMAGE}: not found`, '2026-11-21T11:59:00Z');
    const inv = investigate([podImagePull], [subject, failed]);
    expect(inv.candidates[0]?.code).toBe('ImageNotFound');
    expect(anchorPaths(inv, inv.candidates[0])).toContain('event:Failed');
  });

  test('a refusal is not a missing image', () => {
    expect(codeOf([pulling('ErrImagePull', '401 Unauthorized')])).not.toBe('ImageNotFound');
  });
});

describe('pullSecretNotFound', () => {
  const refused = pulling('ErrImagePull', 'failed to authorize: 401 Unauthorized', { imagePullSecrets: [{ name: 'regcred' }] });
  const missingSecret = event(
    refused,
    'FailedToRetrieveImagePullSecret',
    'Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.',
    '2026-11-21T11:59:00Z',
  );

  test('a refusal after the kubelet could not retrieve the pull secret blames the missing secret', () => {
    const inv = investigate([podImagePull], [refused, missingSecret]);
    const [candidate] = inv.candidates;
    expect([candidate?.code, candidate?.confidence]).toEqual(['PullSecretNotFound', 0.9]);
    expect(candidate?.message).toContain('imagePullSecret regcred does not exist in shop');
    expect(anchorPaths(inv, candidate)).toEqual([
      'event:FailedToRetrieveImagePullSecret',
      'status.containerStatuses[name=app].state.waiting.message',
      'spec.imagePullSecrets',
    ]);
  });

  test('without the kubelet saying so, a refusal is only unauthorized', () => {
    expect(codeOf([refused])).toBe('ImagePullUnauthorized');
  });

  test('a missing secret does not explain a missing image', () => {
    const notFound = pulling('ErrImagePull', 'manifest unknown', { imagePullSecrets: [{ name: 'regcred' }] });
    expect(codeOf([notFound, missingSecret])).toBe('ImageNotFound');
  });
});

describe('imagePullUnauthorized', () => {
  test('credentials refused, naming the pull secrets used', () => {
    const [candidate] = run([podImagePull], [pulling('ErrImagePull', '403 Forbidden', { imagePullSecrets: [{ name: 'regcred' }] })]);
    expect([candidate?.code, candidate?.confidence]).toEqual(['ImagePullUnauthorized', 0.9]);
    expect(candidate?.message).toContain('refused the pull credentials (403 Forbidden); the pod pulls with imagePullSecrets regcred');
    expect(candidate?.nextActions.map((a) => a.command)).toContain("kubectl get secret regcred -n shop -o jsonpath='{.type}'");
  });

  test('credentials required and none given', () => {
    const [candidate] = run([podImagePull], [pulling('ErrImagePull', 'no basic auth credentials')]);
    expect(candidate?.message).toContain('requires credentials (no basic auth credentials) and the pod has no imagePullSecrets');
  });

  test("Docker Hub's denied-or-missing answer says either is possible", () => {
    const [candidate] = run(
      [podImagePull],
      [
        pulling('ErrImagePull', 'pull access denied, repository does not exist or may require authorization', {
          containers: [{ name: 'app', image: 'acme/app:1' }],
        }),
      ],
    );
    expect([candidate?.code, candidate?.confidence]).toEqual(['ImagePullUnauthorized', 0.6]);
    expect(candidate?.message).toContain('which it also answers for a repository that does not exist');
  });

  test('a rate limit is not a refusal', () => {
    expect(codeOf([pulling('ErrImagePull', 'toomanyrequests: You have reached your pull rate limit.')])).not.toBe('ImagePullUnauthorized');
  });
});

describe('registryUnreachable', () => {
  test('the node cannot reach the registry', () => {
    const [candidate] = run([podImagePull], [pulling('ErrImagePull', 'dial tcp: lookup registry.example.com on 10.0.0.2:53: no such host')]);
    expect([candidate?.code, candidate?.confidence]).toEqual(['RegistryUnreachable', 0.9]);
    expect(candidate?.message).toContain('node node-a cannot reach registry registry.example.com (no such host)');
  });

  test("the node does not trust the registry's certificate", () => {
    const [candidate] = run([podImagePull], [pulling('ErrImagePull', 'tls: failed to verify certificate: x509: certificate signed by unknown authority')]);
    expect(candidate?.message).toContain("does not trust registry registry.example.com's TLS certificate");
  });

  test('an answer from the registry means it was reached', () => {
    expect(codeOf([pulling('ErrImagePull', 'manifest unknown')])).not.toBe('RegistryUnreachable');
  });
});

describe('imagePullRateLimited', () => {
  test('the registry rate-limits pulls', () => {
    const [candidate] = run([podImagePull], [pulling('ErrImagePull', 'toomanyrequests: You have reached your pull rate limit.')]);
    expect([candidate?.code, candidate?.confidence]).toEqual(['ImagePullRateLimited', 0.9]);
    expect(candidate?.message).toContain('rate-limits pulls (toomanyrequests); authenticate the pulls or use a mirror');
  });

  test('a refusal is not a rate limit', () => {
    expect(codeOf([pulling('ErrImagePull', '403 Forbidden')])).not.toBe('ImagePullRateLimited');
  });
});

describe('imagePullFailed', () => {
  test('an error no grammar knows is quoted', () => {
    const [candidate] = run([podImagePull], [pulling('ErrImagePull', 'unexpected EOF while unpacking layer')]);
    expect([candidate?.code, candidate?.confidence]).toEqual(['ImagePullFailed', 0.4]);
    expect(candidate?.message).toContain(': unexpected EOF while unpacking layer');
  });

  test('with no error left to read, it says the next attempt will tell', () => {
    const [candidate] = run([podImagePull], [pulling('ImagePullBackOff')]);
    expect([candidate?.code, candidate?.confidence]).toEqual(['ImagePullFailed', 0.3]);
    expect(candidate?.message).toContain('(ImagePullBackOff); the last pull error is no longer recorded');
  });

  test("an unreadable waiting message gives way to the Failed Event's", () => {
    const subject = pulling('ErrImagePull', 'unexpected EOF');
    const failed = event(subject, 'Failed', `Failed to pull image "${IMAGE}": manifest unknown`, '2026-11-21T11:59:00Z');
    expect(codeOf([subject, failed])).toBe('ImageNotFound');
  });
});

test('containers that are pulled are not examined', () => {
  expect(
    run(
      [podImagePull],
      [pod('p', { phase: 'Pending', conditions: notReady, containerStatuses: [{ name: 'app', state: { waiting: { reason: 'ContainerCreating' } } }] })],
    ),
  ).toEqual([]);
});
