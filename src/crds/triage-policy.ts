import { z } from 'zod';
import { BUILT_IN_INTENTS, BUILT_IN_INTENT_NAMES, isBuiltInIntent } from './intents';
import { Bounds, Condition, LabelSelector, TriageRequestSpec } from './triage-request';

// TriagePolicy: standing triage without authoring requests. A cluster admin selects namespaces by
// label; the operator keeps one owned TriageRequest per selected namespace and intent, and counts the
// namespaces by verdict. Cluster-scoped, so only whoever may write cluster objects can create one.

/** Built-in intents that read past the namespace they run in (the cluster, webhooks, nodes): only a trusted namespace may run them. */
const REACHING_INTENTS: ReadonlySet<string> = new Set(['cluster-health', 'admission-webhooks', 'drain-blocked']);

/** Built-in intents a policy can run: those that diagnose a whole Namespace from inside it. */
export const POLICY_BUILT_IN_INTENTS = BUILT_IN_INTENT_NAMES.filter(
  (name) => BUILT_IN_INTENTS[name].targetKinds.includes('Namespace') && !REACHING_INTENTS.has(name),
);

const policyIntentMessage = `must be a built-in intent that diagnoses a namespace (${POLICY_BUILT_IN_INTENTS.join(', ')}) or a TriageTemplate name (with a dot)`;
const POLICY_INTENT_RULE = `self in [${POLICY_BUILT_IN_INTENTS.map((n) => `'${n}'`).join(', ')}] || self.contains('.')`;

export const TriagePolicySpec = z
  .object({
    namespaceSelector: LabelSelector.describe('Namespaces to triage, by label; {} selects every namespace.'),
    intents: z
      .array(
        TriageRequestSpec.shape.intent
          .refine((intent) => !isBuiltInIntent(intent) || (POLICY_BUILT_IN_INTENTS as readonly string[]).includes(intent), policyIntentMessage)
          .meta({ 'x-kubernetes-validations': [{ rule: POLICY_INTENT_RULE, message: policyIntentMessage }] }),
      )
      .min(1)
      .max(5)
      .refine((intents) => new Set(intents).size === intents.length, 'each intent once')
      .meta({ 'x-kubernetes-list-type': 'set' })
      .default(['namespace-health'])
      .describe('Intents run on each selected namespace, each its own TriageRequest. Default: namespace-health.'),
    mode: z.enum(['Once', 'Continuous']).default('Continuous').describe('Mode of the requests: Continuous (default) re-runs when what they read changes.'),
    bounds: Bounds.optional(),
    minCompleteness: z.number().min(0).max(1).optional().describe('Passed to each request; default 0.8.'),
  })
  .describe('Which namespaces to triage standing, and how.');
export type TriagePolicySpec = z.infer<typeof TriagePolicySpec>;

export const TriagePolicyStatus = z
  .object({
    observedGeneration: z.number().int().optional().describe('The metadata.generation this status describes.'),
    selectedNamespaces: z.number().int().optional().describe('Namespaces the selector matches now.'),
    healthy: z.number().int().optional().describe('Selected namespaces whose every request is Healthy.'),
    rootCauseFound: z.number().int().optional().describe('Selected namespaces where a request found a root cause.'),
    inconclusive: z.number().int().optional().describe('Selected namespaces where a request is Inconclusive (and none found a root cause).'),
    failed: z.number().int().optional().describe('Selected namespaces where a request was Rejected or Failed (e.g. an intent that needs a trusted namespace).'),
    pending: z.number().int().optional().describe('Selected namespaces not answered yet.'),
    conditions: z
      .array(Condition)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
      .describe('Ready: every selected namespace has its requests, as the spec says.'),
  })
  .describe('What the policy keeps and what its namespaces look like.');
export type TriagePolicyStatus = z.infer<typeof TriagePolicyStatus>;
