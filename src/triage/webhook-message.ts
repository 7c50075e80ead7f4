// The apiserver's words when it cannot use an admission webhook, as the controller that was refused
// quotes them (FailedCreate: `Error creating: Internal error occurred: failed calling webhook "<name>": ...`).

/** Why the call failed, read from the error's tail. */
export type WebhookCallProblem =
  'ServiceNotFound' | 'NoEndpoints' | 'ServicePortNotFound' | 'ConnectionRefused' | 'Timeout' | 'TLS' | 'HostNotFound' | 'InvalidResponse' | 'Other';

export interface WebhookCallFailure {
  /** The webhook's name (webhooks[].name of its configuration), not the configuration's. */
  readonly webhook: string;
  readonly problem: WebhookCallProblem;
  /** The apiserver's reason without the request line (`failed to call webhook: Post "<url>": `); '' when it gave none. */
  readonly detail: string;
  /**
   * The Service the request was sent to: from the URL's host `<name>.<namespace>.svc` (service
   * clientConfig), else only its name, from the resolver's error.
   */
  readonly service?: { readonly name: string; readonly namespace?: string };
}

// util/webhook/error.go ErrCallingWebhook.Error(): `failed calling webhook %q: %v` (1.11 on), `...; no further
// details available` without a reason; 1.9–1.10 admission/plugin/webhook/errors: `failed calling admission webhook %q: %v`.
// Only at the start of what is left once the known frames are taken off (FRAMES): anywhere else it is
// text someone quoted, e.g. inside another webhook's denial, which its author writes freely.
const CALLING = /^failed calling (?:admission )?webhook "([^"]+)"(?:: ([\s\S]*)|; no further details available)/;
// The frames around the apiserver's error, outermost first, each optional: the pod creators' FailedCreate
// (controller_utils.go `Error creating: %v`; stateful_pod_control.go `create Pod %s in StatefulSet %s failed
// error: %s`), then the dispatcher failing closed (apierrors.NewInternalError: `Internal error occurred: %v`).
// A ReplicaFailure condition holds the error itself, so it starts at the second frame.
const FRAMES = /^(?:Error creating: |create Pod \S+ in StatefulSet \S+ failed error: )?(?:Internal error occurred: )?/;
// webhook/errors/statuserror.go ToStatusErr: a webhook that answered and said no. Its reason is the webhook's own text.
const DENIED = 'denied the request';
// validating|mutating/dispatcher.go (1.21 on) wraps the transport error: `failed to call webhook: %w`.
const CALL_PREFIX = /^failed to call webhook: /;
// net/url.Error: `Post "<url>": <err>` (Go 1.14 on), `Post <url>: <err>` before.
const REQUEST_LINE = /^(?:Post|POST) (?:"([^"]*)"|(\S+?)): /;
// util/webhook/client.go HookClient: a service clientConfig is called as https://<name>.<namespace>.svc:<port><path>.
const SERVICE_HOST = /^https?:\/\/([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.svc(?::\d+)?(?:[/?]|$)/;

/** Tails in the order they are tried: the first that matches names the problem. */
const PROBLEMS: readonly (readonly [WebhookCallProblem, RegExp])[] = [
  // The apiserver's service resolver (util/proxy/proxy.go, via the Service lister's NotFound).
  ['ServiceNotFound', /\bservices? "([^"]+)" not found/],
  ['NoEndpoints', /no endpoints available for service "([^"]+)"/],
  ['ServicePortNotFound', /no service port \d+ found for service "([^"]+)"/],
  // Dialling the resolved address: nothing listens there.
  ['ConnectionRefused', /connection refused/],
  // The webhook's timeoutSeconds (context deadline), or the transport's own limits; before TLS: "TLS handshake timeout".
  ['Timeout', /context deadline exceeded|Client\.Timeout exceeded|i\/o timeout|handshake timeout|\btimed out\b/i],
  // crypto/tls and crypto/x509 errors: an unknown CA (caBundle), a name the certificate does not cover, expiry.
  ['TLS', /\bx509: |\btls: /],
  // A url clientConfig whose host does not resolve.
  ['HostNotFound', /no such host/],
  // The webhook answered, but not with an AdmissionReview the apiserver accepts (dispatcher.go).
  ['InvalidResponse', /^received (?:invalid webhook response|undecodable patch)/],
];

/**
 * Reads `failed calling webhook "<name>": <reason>` from a FailedCreate message (Event, or a ReplicaFailure
 * condition): only right after the known frames, never quoted further in; undefined when it is not there.
 */
export function parseWebhookFailure(message: string): WebhookCallFailure | undefined {
  const start = FRAMES.exec(message)?.[0].length ?? 0;
  // Whatever follows a denial is the denying webhook's own text (kept should FRAMES ever be widened).
  if (message.slice(0, start).includes(DENIED)) return undefined;
  const match = CALLING.exec(message.slice(start));
  if (match === null) return undefined;
  const [, webhook = '', reason] = match;
  let detail = (reason ?? '').trim().replace(CALL_PREFIX, '');
  let url: string | undefined;
  const request = REQUEST_LINE.exec(detail);
  if (request !== null) {
    url = request[1] ?? request[2];
    detail = detail.slice(request[0].length);
  }
  const host = url === undefined ? null : SERVICE_HOST.exec(url);
  const fromUrl = host === null ? undefined : { name: host[1] ?? '', namespace: host[2] ?? '' };
  const [problem, pattern] = PROBLEMS.find(([, p]) => p.test(detail)) ?? (['Other', undefined] as const);
  // The resolver's errors name the Service (their first group); its namespace is only in the URL.
  const named = pattern?.exec(detail)?.[1];
  const service = fromUrl ?? (named === undefined ? undefined : { name: named });
  return { webhook, problem, detail, ...(service === undefined ? {} : { service }) };
}
