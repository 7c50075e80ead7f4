import { parseWebhookFailure } from './webhook-message';

// Wordings from k8s.io/apiserver v0.35.4 (Kubernetes 1.35.4): pkg/util/webhook/error.go (ErrCallingWebhook),
// pkg/admission/plugin/webhook/{validating,mutating}/dispatcher.go ("failed to call webhook: %w", failing closed
// with apierrors.NewInternalError: "Internal error occurred: %v"), pkg/util/proxy/proxy.go (the service
// resolver); k8s.io/kubernetes pkg/controller/controller_utils.go ("Error creating: %v") and
// statefulset/stateful_pod_control.go ("create Pod %s in StatefulSet %s failed error: %s"). Older releases:
// pkg/admission/plugin/webhook/errors/errors.go (1.9–1.10, "failed calling admission webhook"), Reason
// without "failed to call webhook: " (before 1.21), url.Error unquoted (Go before 1.14).
const PREFIX = 'Error creating: Internal error occurred: failed calling webhook "pods.policy.example.com": failed to call webhook: ';
const URL = 'Post "https://policy-svc.policy.svc:443/validate?timeout=10s": ';
const SERVICE = { name: 'policy-svc', namespace: 'policy' };

describe('parseWebhookFailure', () => {
  test.each([
    ['service "policy-svc" not found', 'ServiceNotFound'],
    ['no endpoints available for service "policy-svc"', 'NoEndpoints'],
    ['no service port 443 found for service "policy-svc"', 'ServicePortNotFound'],
    ['dial tcp 10.96.0.12:443: connect: connection refused', 'ConnectionRefused'],
    ['context deadline exceeded', 'Timeout'],
    ['context deadline exceeded (Client.Timeout exceeded while awaiting headers)', 'Timeout'],
    ['net/http: TLS handshake timeout', 'Timeout'],
    ['tls: failed to verify certificate: x509: certificate signed by unknown authority', 'TLS'],
    ['x509: certificate is valid for other-svc.policy.svc, not policy-svc.policy.svc', 'TLS'],
    ['EOF', 'Other'],
  ] as const)('1.35, service clientConfig: %s', (tail, problem) => {
    expect(parseWebhookFailure(`${PREFIX}${URL}${tail}`)).toEqual({ webhook: 'pods.policy.example.com', problem, detail: tail, service: SERVICE });
  });

  test('a url clientConfig whose host does not resolve names no Service', () => {
    const tail = 'dial tcp: lookup policy.example.com on 10.96.0.10:53: no such host';
    expect(parseWebhookFailure(`${PREFIX}Post "https://policy.example.com/validate?timeout=10s": ${tail}`)).toEqual({
      webhook: 'pods.policy.example.com',
      problem: 'HostNotFound',
      detail: tail,
    });
  });

  test('the webhook answered with something that is not an AdmissionReview', () => {
    const message =
      'Error creating: Internal error occurred: failed calling webhook "inject.mesh.io": received invalid webhook response: expected response.uid="1b9a", got ""';
    expect(parseWebhookFailure(message)).toEqual({
      webhook: 'inject.mesh.io',
      problem: 'InvalidResponse',
      detail: 'received invalid webhook response: expected response.uid="1b9a", got ""',
    });
  });

  test('the StatefulSet controller wording, and a ReplicaFailure condition message (no "Error creating: ")', () => {
    const tail = 'no endpoints available for service "policy-svc"';
    expect(
      parseWebhookFailure(
        `create Pod db-0 in StatefulSet db failed error: Internal error occurred: failed calling webhook "pods.policy.example.com": failed to call webhook: ${URL}${tail}`,
      ),
    ).toMatchObject({ problem: 'NoEndpoints', service: SERVICE });
    expect(
      parseWebhookFailure(`Internal error occurred: failed calling webhook "pods.policy.example.com": failed to call webhook: ${URL}${tail}`),
    ).toMatchObject({ webhook: 'pods.policy.example.com', problem: 'NoEndpoints' });
  });

  test('before 1.21 (no "failed to call webhook: ") and Go before 1.14 (unquoted URL)', () => {
    expect(
      parseWebhookFailure(
        'Error creating: Internal error occurred: failed calling webhook "pods.policy.example.com": Post https://policy-svc.policy.svc:443/validate?timeout=30s: service "policy-svc" not found',
      ),
    ).toEqual({
      webhook: 'pods.policy.example.com',
      problem: 'ServiceNotFound',
      detail: 'service "policy-svc" not found',
      service: SERVICE,
    });
  });

  test('1.9–1.10 "failed calling admission webhook", no URL: the Service is known by name only', () => {
    expect(
      parseWebhookFailure(
        'Error creating: Internal error occurred: failed calling admission webhook "pods.policy.example.com": service "policy-svc" not found',
      ),
    ).toEqual({
      webhook: 'pods.policy.example.com',
      problem: 'ServiceNotFound',
      detail: 'service "policy-svc" not found',
      service: { name: 'policy-svc' },
    });
  });

  test('no further details', () => {
    expect(parseWebhookFailure('Error creating: Internal error occurred: failed calling webhook "a.b.c"; no further details available')).toEqual({
      webhook: 'a.b.c',
      problem: 'Other',
      detail: '',
    });
  });

  test.each([
    // A webhook that answered and denied: its policy works, it is not failing (webhook/errors/statuserror.go).
    'Error creating: admission webhook "pods.policy.example.com" denied the request: image registry not allowed',
    'Error creating: pods "api-1" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=3, limited: pods=3',
  ])('not a failed call: %s', (message) => {
    expect(parseWebhookFailure(message)).toBeUndefined();
  });

  // A denial's reason is whatever its webhook wrote: it may quote another webhook's failure, verbatim or not.
  test.each([
    'Error creating: admission webhook "a.example.com" denied the request: failed calling webhook "b.example.com": x',
    'Error creating: admission webhook "a.example.com" denied the request: Internal error occurred: failed calling webhook "b.example.com": failed to call webhook: Post "https://b.policy.svc:443/": service "b" not found',
    'create Pod db-0 in StatefulSet db failed error: admission webhook "a.example.com" denied the request: Error creating: Internal error occurred: failed calling webhook "b.example.com": x',
    'admission webhook "a.example.com" denied the request: failed calling webhook "b.example.com": x',
  ])('a denial quoting a failed call is not a failure of the quoted webhook: %s', (message) => {
    expect(parseWebhookFailure(message)).toBeUndefined();
  });

  test.each([
    // Only the known frames may precede the apiserver's words; anything else quotes them.
    'Error creating: pods "api-1" is forbidden: see failed calling webhook "b.example.com": x',
    'Error creating: Internal error occurred: the policy says: failed calling webhook "b.example.com": x',
    'create Pod db-0 in StatefulSet db failed error: Internal error occurred: note failed calling webhook "b.example.com": x',
  ])('text before the failure that is not a known frame: %s', (message) => {
    expect(parseWebhookFailure(message)).toBeUndefined();
  });

  test.each([
    ['the message start', 'failed calling webhook "b.example.com": x'],
    ['Error creating: without Internal error occurred', 'Error creating: failed calling webhook "b.example.com": x'],
    ['the StatefulSet wording alone', 'create Pod db-0 in StatefulSet db failed error: failed calling webhook "b.example.com": x'],
  ])('anchored at %s', (_, message) => {
    expect(parseWebhookFailure(message)).toEqual({ webhook: 'b.example.com', problem: 'Other', detail: 'x' });
  });
});
