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

// Label keys and values as Kubernetes validates them (apimachinery validation.IsQualifiedName / IsValidLabelValue).
const LABEL_NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const LABEL_KEY = `^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?${LABEL_NAME}$`;
const LABEL_VALUE = `^(${LABEL_NAME})?$`;
const LABEL_KEY_MESSAGE = 'a label key is an optional DNS-subdomain prefix and "/", then a name of at most 63 letters, digits, "-", "_" or "."';
const EXPRESSION_VALUES_RULE = "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)";
const EXPRESSION_VALUES_MESSAGE = 'values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist';

const LabelValue = z
  .string()
  .max(63)
  .regex(new RegExp(LABEL_VALUE), 'must be a label value: at most 63 letters, digits, "-", "_" or ".", starting and ending alphanumeric');

export const LabelSelector = z
  .object({
    matchLabels: z
      .record(z.string(), LabelValue)
      .optional()
      .refine((labels) => Object.keys(labels ?? {}).every((key) => new RegExp(LABEL_KEY).test(key)), LABEL_KEY_MESSAGE)
      .refine((labels) => Object.keys(labels ?? {}).length <= 32, 'at most 32 labels')
      .meta({ maxProperties: 32, 'x-kubernetes-validations': [{ rule: `self.all(k, k.matches('${LABEL_KEY}'))`, message: LABEL_KEY_MESSAGE }] })
      .describe('Labels the objects must carry.'),
    matchExpressions: z
      .array(
        z
          .object({
            key: z.string().max(317).regex(new RegExp(LABEL_KEY), LABEL_KEY_MESSAGE).describe('The label key.'),
            operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']).describe('How the label relates to values.'),
            values: z.array(LabelValue).max(64).optional().describe('Values for In and NotIn; empty for Exists and DoesNotExist.'),
          })
          .refine((e) => (e.operator === 'In' || e.operator === 'NotIn' ? (e.values?.length ?? 0) > 0 : (e.values?.length ?? 0) === 0), {
            message: EXPRESSION_VALUES_MESSAGE,
            path: ['values'],
          })
          .meta({ 'x-kubernetes-validations': [{ rule: EXPRESSION_VALUES_RULE, message: EXPRESSION_VALUES_MESSAGE, fieldPath: '.values' }] }),
      )
      .max(32)
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
      { rule: "self.kind != 'Namespace' || !has(self.selector)", message: 'a Namespace target is named, not selected', fieldPath: '.selector' },
      {
        rule: "self.kind != 'Namespace' || !has(self.name) || !has(self.namespace) || self.name == self.namespace",
        message: 'a Namespace target is named by name alone: namespace must be empty or the same',
        fieldPath: '.namespace',
      },
    ],
  })
  .describe("What to diagnose. Default: the request's whole namespace.");
export type Target = z.infer<typeof Target>;

/** The bounds a run uses when neither the request nor its template sets them. */
export const DEFAULT_BOUNDS = { maxSteps: 3, timeoutSeconds: 15 } as const;
/** The most a request or a template may ask for; the engine yields to the event loop, so 120 s never holds the Lease (ADR 0008). */
export const BOUNDS_LIMITS = { maxSteps: 10, timeoutSeconds: 120 } as const;

export const Bounds = z
  .object({
    maxSteps: z
      .number()
      .int()
      .min(1)
      .max(BOUNDS_LIMITS.maxSteps)
      .optional()
      .describe(`Hops of evidence gathering along the causal chain, 1 to ${BOUNDS_LIMITS.maxSteps}. Unset: the template's, else ${DEFAULT_BOUNDS.maxSteps}.`),
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(BOUNDS_LIMITS.timeoutSeconds)
      .optional()
      .describe(`Time budget of one triage in seconds, 1 to ${BOUNDS_LIMITS.timeoutSeconds}. Unset: the template's, else ${DEFAULT_BOUNDS.timeoutSeconds}.`),
  })
  .describe("Limits of one triage run; each field unset takes the template's default, then the built-in one.");
export type Bounds = z.infer<typeof Bounds>;

/** The bounds a run uses: the request's own, else its template's defaults, else the built-in ones. */
export function resolveBounds(request: Bounds | undefined, template: Bounds | undefined): { readonly maxSteps: number; readonly timeoutSeconds: number } {
  return {
    maxSteps: request?.maxSteps ?? template?.maxSteps ?? DEFAULT_BOUNDS.maxSteps,
    timeoutSeconds: request?.timeoutSeconds ?? template?.timeoutSeconds ?? DEFAULT_BOUNDS.timeoutSeconds,
  };
}

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
    bounds: Bounds.optional(),
    minCompleteness: z.number().min(0).max(1).default(0.8).describe('Evidence completeness (0 to 1) below which a run without root cause is Inconclusive.'),
    mode: z.enum(['Once', 'Continuous']).default('Once').describe('Once: run per generation. Continuous: re-run when an input changes.'),
  })
  .meta({ 'x-kubernetes-validations': [INTENT_TARGET_RULE] })
  .describe('What to triage and how far to look.');
export type TriageRequestSpec = z.infer<typeof TriageRequestSpec>;

export const Verdict = z.enum(['Healthy', 'RootCauseFound', 'Inconclusive', 'Failed', 'Rejected']);
export type Verdict = z.infer<typeof Verdict>;

export const Condition = z
  .object({
    type: z.string().describe('Complete or RootCauseFound.'),
    status: z.enum(['True', 'False', 'Unknown']).describe('True, False or Unknown.'),
    observedGeneration: z.number().int().optional().describe('The metadata.generation the condition describes.'),
    lastTransitionTime: z.string().describe('When the status last changed.'),
    reason: z.string().describe('CamelCase reason; for RootCauseFound, the root-cause code.'),
    message: z.string().describe('What happened, for a human.'),
  })
  .describe('A metav1.Condition.');
export type Condition = z.infer<typeof Condition>;

export const TriageRequestStatus = z
  .object({
    answer: z
      .array(z.string().max(512))
      .max(4)
      .optional()
      .describe('Read this first: the verdict and root-cause code, what is wrong, the causal chain and the first next action, one line each.'),
    observedGeneration: z.number().int().optional().describe('The metadata.generation this status describes.'),
    verdict: Verdict.optional().describe('Healthy, RootCauseFound, Inconclusive, Failed or Rejected.'),
    target: z.string().optional().describe('What was diagnosed, as Kind/name (shown by kubectl get).'),
    rerunToken: z.string().optional().describe('The triage.dev/rerun annotation value this status answered; a new value re-runs a Once request.'),
    nextCheckAt: z.string().optional().describe('When a time-dependent result (e.g. a grace period) is checked again, even in Once mode (RFC 3339).'),
    conditions: z
      .array(Condition)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
      .describe('Complete (the request was answered) and RootCauseFound (reason: the code).'),
    transitions: z.number().int().optional().describe('How many times the verdict or its reason changed; each change is announced by one Event.'),
    announcedTransitions: z
      .number()
      .int()
      .optional()
      .describe('Transitions whose Event was written; one not yet announced (after a restart or an outage) is announced once.'),
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
