import { z } from 'zod';
import { Condition, LabelSelector, Verdict } from './triage-request';

// TriageSink: where verdict and root-cause transitions leave the cluster. A cluster admin names a
// webhook; the operator POSTs one versioned JSON payload (docs/sinks.md) per transition, never for an
// unchanged re-run. Cluster-scoped, so only whoever may write cluster objects can point one at a URL.

/** http:// only to loopback or cluster-local names (the traffic never leaves the node or the cluster); everything else https://. */
const PLAIN_HTTP_HOST = String.raw`(localhost|127\.0\.0\.1|\[::1\]|[a-z0-9]([-a-z0-9.]*[a-z0-9])?\.svc(\.cluster\.local)?)`;
const URL_PATTERN = String.raw`^(https://[^\s/?#@]+|http://${PLAIN_HTTP_HOST}(:[0-9]{1,5})?)([/?#][^\s]*)?$`;
const URL_MESSAGE = 'must be an https:// URL, or http:// to localhost, 127.0.0.1, [::1] or a cluster-local Service (name.namespace.svc[.cluster.local])';

/** Whether a sink may POST to this URL: the CRD's rule, applied again to a URL read from a Secret. */
export function isAllowedSinkUrl(url: string): boolean {
  if (url.length > 2048 || !new RegExp(URL_PATTERN).test(url)) return false;
  try {
    const parsed = new URL(url);
    // The userinfo part would be a credential in the spec: credentials come from the Secret only.
    return parsed.username === '' && parsed.password === '';
  } catch {
    return false;
  }
}

const SECRET_NAME = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';
const SECRET_KEY = '^[-._a-zA-Z0-9]+$';
const TARGET_RULE = "has(self.url) || (has(self.secretRef) && self.secretRef.use == 'URL')";
const TARGET_MESSAGE = 'set url, or a secretRef with use: URL (e.g. a Slack incoming-webhook URL, which is itself the credential)';

export const SinkSecretRef = z
  .object({
    name: z
      .string()
      .min(1)
      .max(253)
      .regex(new RegExp(SECRET_NAME))
      .describe("Name of the Secret in the operator's own namespace (read by name, never listed)."),
    key: z.string().min(1).max(253).regex(new RegExp(SECRET_KEY)).describe('Key in the Secret whose value is used.'),
    use: z
      .enum(['BearerToken', 'URL'])
      .default('BearerToken')
      .describe('BearerToken (default): sent as Authorization: Bearer <value>. URL: the value is the webhook URL (e.g. Slack), used when url is not set.'),
  })
  .describe("A Secret in the operator's namespace holding the sink's credential.");
export type SinkSecretRef = z.infer<typeof SinkSecretRef>;

export const TriageSinkSpec = z
  .object({
    url: z
      .string()
      .max(2048)
      .refine(isAllowedSinkUrl, URL_MESSAGE)
      .meta({ 'x-kubernetes-validations': [{ rule: `self.matches('${URL_PATTERN.replaceAll('\\', '\\\\')}')`, message: URL_MESSAGE }] })
      .optional()
      .describe(`The webhook to POST to; ${URL_MESSAGE}.`),
    format: z
      .enum(['Generic', 'Slack'])
      .default('Generic')
      .describe('Generic (default): the TriageTransition JSON payload. Slack: a Slack-compatible {text, blocks} message with the same content.'),
    secretRef: SinkSecretRef.optional(),
    namespaceSelector: LabelSelector.optional().describe('Only requests in namespaces with these labels; default: every namespace.'),
    verdicts: z
      .array(Verdict)
      .max(5)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'set' })
      .describe('Only transitions into (or out of) these verdicts; default: every verdict.'),
  })
  .refine((spec) => spec.url !== undefined || spec.secretRef?.use === 'URL', TARGET_MESSAGE)
  .meta({ 'x-kubernetes-validations': [{ rule: TARGET_RULE, message: TARGET_MESSAGE }] })
  .describe('Where and what to deliver.');
export type TriageSinkSpec = z.infer<typeof TriageSinkSpec>;

export const TriageSinkStatus = z
  .object({
    observedGeneration: z.number().int().optional().describe('The metadata.generation this status describes.'),
    lastDelivery: z
      .object({
        time: z.string().describe('When the last delivery ended (RFC 3339).'),
        result: z.enum(['Delivered', 'Failed', 'Dropped']).describe('Delivered, Failed (after every attempt) or Dropped (the queue was full).'),
        idempotencyKey: z.string().describe('The Idempotency-Key of the payload: request uid and transition number.'),
        attempts: z.number().int().describe('Attempts made.'),
        message: z.string().max(1024).optional().describe('Why the delivery failed.'),
      })
      .optional()
      .describe('The last delivery and how it ended.'),
    consecutiveFailures: z.number().int().optional().describe('Deliveries failed since the last success.'),
    conditions: z
      .array(Condition)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
      .describe('Ready: the spec is valid, the Secret readable and the last delivery succeeded.'),
  })
  .describe('How deliveries to this sink went.');
export type TriageSinkStatus = z.infer<typeof TriageSinkStatus>;
