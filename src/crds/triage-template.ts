import { z } from 'zod';
import { NextAction, Severity } from './envelope';
import { TARGET_KINDS } from './intents';
import { Bounds, Condition } from './triage-request';

const CODE = z
  .string()
  .max(64)
  .regex(/^[A-Z][A-Za-z0-9]*$/, 'must be a CamelCase code');

// RE2 in CEL: a backslash-digit or \k< backreference, or a (?= (?! (?<= (?<! group. The operator's
// linear-time engine refuses the same patterns (and a few more, reported in the Accepted condition).
const LINEAR_PATTERN_RULE = String.raw`!self.matches(r'\\([1-9]|k<)|\(\?<?[=!]')`;
const LINEAR_PATTERN_MESSAGE = 'must run in linear time: backreferences and lookahead/lookbehind are not supported';

export const Matcher = z
  .object({
    event: z
      .object({
        reason: z.string().max(128).optional().describe('Event reason to match exactly.'),
        messageRegex: z
          .string()
          .max(512)
          .optional()
          .meta({ 'x-kubernetes-validations': [{ rule: LINEAR_PATTERN_RULE, message: LINEAR_PATTERN_MESSAGE }] })
          .describe('Regular expression the Event message must match (first 1 KiB), run by a linear-time engine: no backreferences or lookaround.'),
      })
      .optional()
      .describe('Match an Event about the target.'),
    condition: z
      .object({
        type: z.string().min(1).max(316).describe('Condition type, e.g. PodScheduled.'),
        status: z.enum(['True', 'False', 'Unknown']).optional().describe('Condition status to match; any when absent.'),
        reason: z.string().max(128).optional().describe('Condition reason to match exactly; any when absent.'),
      })
      .optional()
      .describe("Match a condition in the target's status."),
    finding: z
      .object({
        code: CODE.describe('Finding code to report.'),
        severity: Severity.describe('Critical, Warning or Info (Info is benign).'),
        message: z.string().max(512).describe('Message of the finding; {name}, {namespace} and {kind} are filled in.'),
      })
      .describe('The finding reported when the matcher holds.'),
    nextAction: NextAction.optional(),
  })
  .refine((m) => (m.event === undefined) !== (m.condition === undefined), {
    message: 'exactly one of event and condition is required',
    path: ['event'],
  })
  .meta({
    'x-kubernetes-validations': [{ rule: 'has(self.event) != has(self.condition)', message: 'exactly one of event and condition is required' }],
  })
  .describe('A declarative check: an Event or condition that, when present, becomes a finding.');
export type Matcher = z.infer<typeof Matcher>;

export const TemplateStep = z
  .object({
    name: z.string().min(1).max(63).describe('Step name, shown in the envelope.'),
    checks: z.array(z.string().max(63)).max(20).default([]).describe('Built-in checks to run on what the previous step reached.'),
  })
  .describe('One hop of evidence gathering.');

export const TriageTemplateSpec = z
  .object({
    description: z.string().max(1024).optional().describe('What the intent answers, for humans.'),
    version: z.string().max(63).default('1').describe('Version of the template, reported in the envelope.'),
    targetKinds: z.array(z.enum(TARGET_KINDS)).min(1).describe('Kinds the template can diagnose.'),
    steps: z.array(TemplateStep).max(10).default([]).describe('Steps over built-in checks, in order: each examines what the previous one reached.'),
    requiredEvidence: z.array(z.string().max(128)).max(32).default([]).describe('Evidence keys that completeness is measured against.'),
    matchers: z.array(Matcher).max(50).default([]).describe('Declarative checks.'),
    suppress: z.array(CODE).max(50).default([]).describe('Finding codes accepted: reported as suppressed, not counted.'),
    ranking: z
      .enum(['Chain', 'BlastRadius'])
      .default('Chain')
      .describe('How the root cause is chosen: Chain, the cause furthest down a causal chain; BlastRadius, the cause affecting the most objects.'),
    scope: z
      .enum(['Namespace', 'Cluster'])
      .default('Namespace')
      .describe('Cluster: a request without target examines every namespace (needs a trusted namespace).'),
    bounds: Bounds.optional().describe("Default bounds of the template's runs; a request's own bounds win, field by field."),
  })
  .describe('An intent written as data: what to collect, what to check, what evidence is required.');
export type TriageTemplateSpec = z.infer<typeof TriageTemplateSpec>;

export const TriageTemplateStatus = z
  .object({
    observedGeneration: z.number().int().optional().describe('The metadata.generation this status describes.'),
    hash: z.string().optional().describe('Content hash of the accepted spec.'),
    conditions: z
      .array(Condition)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
      .describe('Accepted (reason and message say what is wrong when False).'),
  })
  .describe('Whether the template was accepted.');
