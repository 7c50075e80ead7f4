import { z } from 'zod';
import { Envelope } from './envelope';
import { BUILT_IN_INTENTS, BUILT_IN_INTENT_NAMES, TARGET_KINDS } from './intents';

export const GROUP = 'triage.dev';
export const VERSION = 'v1alpha1';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * A custom intent is a TriageTemplate named with a dot (my-check.example.com), so a typo of a
 * built-in ("pvc-bindng") is rejected at `kubectl apply` rather than waiting for a template.
 */
/** Annotation that re-runs a Once request when its value changes (any token, e.g. a timestamp). */
export const RERUN_ANNOTATION = 'triage.dev/rerun';

export const CUSTOM_INTENT_RULE = `self in [${BUILT_IN_INTENT_NAMES.map((n) => `'${n}'`).join(', ')}] || self.contains('.')`;

/** CEL: a built-in intent only targets the kinds it diagnoses (the operator re-checks as InvalidTarget). */
const intentKindsMap = `{${Object.entries(BUILT_IN_INTENTS)
  .map(([name, info]) => `'${name}': [${info.targetKinds.map((k) => `'${k}'`).join(', ')}]`)
  .join(', ')}}`;
export const INTENT_TARGET_RULE = {
  rule: `!has(self.target) || !(self.intent in ${intentKindsMap}) || self.target.kind in ${intentKindsMap}[self.intent]`,
  messageExpression: `'intent ' + self.intent + ' cannot target ' + self.target.kind`,
  fieldPath: '.target.kind',
  reason: 'FieldValueInvalid',
};

export function isValidIntentName(intent: string): boolean {
  return (BUILT_IN_INTENT_NAMES as readonly string[]).includes(intent) || intent.includes('.');
}

const intentMessage = `must be a built-in intent (${BUILT_IN_INTENT_NAMES.join(', ')}) or the name of a TriageTemplate, which contains a dot (e.g. my-check.example.com)`;

export const LabelSelector = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional().describe('Labels the objects must carry.'),
    matchExpressions: z
      .array(
        z.object({
          key: z.string(),
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
          values: z.array(z.string()).optional(),
        }),
      )
      .optional()
      .describe('Label requirements.'),
  })
  .describe('A label selector, as in a Deployment.');
export type LabelSelector = z.infer<typeof LabelSelector>;

export const Target = z
  .object({
    kind: z.enum(TARGET_KINDS).describe('Kind of the object to diagnose.'),
    name: z.string().min(1).max(253).optional().describe('Name of the object. Mutually exclusive with selector.'),
    selector: LabelSelector.optional().describe('Diagnose every object of this kind whose labels match. Mutually exclusive with name.'),
    namespace: z
      .string()
      .max(63)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
      .optional()
      .describe("Namespace of the target. Default: the request's namespace; another one only from a trusted namespace."),
  })
  .refine((t) => !(t.name !== undefined && t.selector !== undefined), {
    message: 'name and selector are mutually exclusive',
    path: ['name'],
  })
  .meta({
    'x-kubernetes-validations': [
      { rule: '!(has(self.name) && has(self.selector))', message: 'name and selector are mutually exclusive', fieldPath: '.name' },
    ],
  })
  .describe("What to diagnose. Default: the request's whole namespace.");
export type Target = z.infer<typeof Target>;

export const Bounds = z
  .object({
    maxSteps: z.number().int().min(1).max(10).default(3).describe('Hops of evidence gathering along the causal chain, 1 to 10.'),
    timeoutSeconds: z.number().int().min(1).max(120).default(15).describe('Time budget of one triage in seconds, 1 to 120.'),
  })
  .describe('Limits of one triage run.');

export const TriageRequestSpec = z
  .object({
    intent: z
      .string()
      .min(1)
      .max(253)
      .regex(DNS_SUBDOMAIN, 'must be a lowercase DNS name')
      .refine(isValidIntentName, intentMessage)
      .meta({ 'x-kubernetes-validations': [{ rule: CUSTOM_INTENT_RULE, message: intentMessage }] })
      .describe(`What to diagnose: a built-in intent (${BUILT_IN_INTENT_NAMES.join(', ')}) or the name of a TriageTemplate.`),
    target: Target.optional(),
    bounds: Bounds.default({ maxSteps: 3, timeoutSeconds: 15 }),
    minCompleteness: z
      .number()
      .min(0)
      .max(1)
      .default(0.8)
      .describe('Evidence completeness (0 to 1) below which a run without root cause is Inconclusive.'),
    mode: z
      .enum(['Once', 'Continuous'])
      .default('Once')
      .describe('Once: run per generation. Continuous: re-run when an input changes.'),
  })
  .meta({ 'x-kubernetes-validations': [INTENT_TARGET_RULE] })
  .describe('What to triage and how far to look.');
export type TriageRequestSpec = z.infer<typeof TriageRequestSpec>;

export const Verdict = z.enum(['Healthy', 'RootCauseFound', 'Inconclusive', 'Failed', 'Rejected']);
export type Verdict = z.infer<typeof Verdict>;

export const Condition = z
  .object({
    type: z.string().describe('Complete or RootCauseFound.'),
    status: z.enum(['True', 'False', 'Unknown']),
    observedGeneration: z.number().int().optional(),
    lastTransitionTime: z.string().describe('When the status last changed.'),
    reason: z.string().describe('CamelCase reason; for RootCauseFound, the root-cause code.'),
    message: z.string(),
  })
  .describe('A metav1.Condition.');
export type Condition = z.infer<typeof Condition>;

export const TriageRequestStatus = z
  .object({
    observedGeneration: z.number().int().optional().describe('The metadata.generation this status describes.'),
    verdict: Verdict.optional().describe('Healthy, RootCauseFound, Inconclusive, Failed or Rejected.'),
    target: z.string().optional().describe('What was diagnosed, as Kind/name (shown by kubectl get).'),
    rerunToken: z
      .string()
      .optional()
      .describe('The triage.dev/rerun annotation value this status answered; a new value re-runs a Once request.'),
    nextCheckAt: z
      .string()
      .optional()
      .describe('When a time-dependent result (e.g. a grace period) is checked again, even in Once mode (RFC 3339).'),
    conditions: z
      .array(Condition)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
    envelope: Envelope.optional(),
  })
  .describe('The outcome of the latest triage.');
export type TriageRequestStatus = z.infer<typeof TriageRequestStatus>;

export interface ObjectMetaLike {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly generation?: number;
  readonly resourceVersion?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly creationTimestamp?: string | Date;
  readonly deletionTimestamp?: string | Date;
}

/** A TriageRequest as the cache holds it: spec not yet validated, status as last written. */
export interface TriageRequestObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: ObjectMetaLike;
  readonly spec?: unknown;
  readonly status?: TriageRequestStatus;
}
