import { z } from 'zod';
import { TARGET_KINDS } from './intents';

// The TriageEnvelope written to TriageRequest.status.envelope (../shared/BRIEF.md). One source: the
// TypeScript types, the controller's validation and the CRD's status schema all come from here.

const CODE_PATTERN = '^[A-Z][A-Za-z0-9]*$';

export const ObjectRef = z
  .object({
    apiVersion: z.string().optional().describe('API version of the object, e.g. v1 or apps/v1.'),
    kind: z.string().describe('Kind of the object, e.g. Pod.'),
    namespace: z.string().optional().describe('Namespace; empty for cluster-scoped objects.'),
    name: z.string().describe('Name of the object.'),
    uid: z.string().optional().describe('UID of the object that was read.'),
    resourceVersion: z.string().optional().describe('resourceVersion of the object that was read.'),
  })
  .describe('A reference to a Kubernetes object.');
export type ObjectRef = z.infer<typeof ObjectRef>;

export const Severity = z.enum(['Critical', 'Warning', 'Info']);
export type Severity = z.infer<typeof Severity>;

export const Anchor = z
  .object({
    id: z.string().describe('Identifier that findings and the root cause cite.'),
    object: ObjectRef.describe('The object the evidence was read from.'),
    fieldPath: z.string().optional().describe('Field that proves the finding, e.g. status.conditions[type=PodScheduled].message.'),
    event: z
      .object({
        uid: z.string().describe('UID of the Event.'),
        reason: z.string().describe('Reason of the Event.'),
        count: z.number().int().describe('How often the Event was observed.'),
        lastSeen: z.string().optional().describe('When the Event was last observed (RFC 3339).'),
      })
      .optional()
      .describe('The Event that proves the finding, when the evidence is an Event.'),
    excerpt: z.string().max(240).describe('The relevant text, at most 240 characters, secrets redacted.'),
    observedAt: z.string().describe('When the operator read the evidence (RFC 3339).'),
  })
  .describe('Evidence: the exact field or Event a finding rests on.');
export type Anchor = z.infer<typeof Anchor>;

export const NextAction = z
  .object({
    description: z.string().max(512).describe('What to do and, for a mutating action, what it changes.'),
    command: z.string().max(512).describe('A copy-paste command, e.g. kubectl get storageclass.'),
    safety: z.enum(['ReadOnly', 'Mutating']).describe('ReadOnly commands only read; Mutating ones change the cluster.'),
  })
  .describe('A safe next step.');
export type NextAction = z.infer<typeof NextAction>;

export const Finding = z
  .object({
    code: z.string().regex(new RegExp(CODE_PATTERN)).describe('Stable CamelCase code, e.g. StorageClassNotFound.'),
    severity: Severity.describe('Critical, Warning or Info.'),
    object: ObjectRef.describe('The object the finding is about.'),
    message: z.string().describe('One line that explains the finding.'),
    anchors: z.array(z.string()).describe('Ids of the anchors that prove it.'),
    suppressed: z.boolean().optional().describe('True when the code is accepted for this object and not counted.'),
  })
  .describe('One detected condition.');
export type Finding = z.infer<typeof Finding>;

export const RootCause = z
  .object({
    code: z.string().regex(new RegExp(CODE_PATTERN)).describe('Stable CamelCase root-cause code.'),
    confidence: z.number().min(0).max(1).describe('Confidence from 0 to 1.'),
    message: z.string().describe('What is wrong, in one line.'),
    chain: z.array(ObjectRef).describe('The objects from the symptom to the cause, e.g. Pod, PVC, StorageClass.'),
    anchors: z.array(z.string()).describe('Ids of the anchors that prove it.'),
  })
  .describe('The one cause that explains the symptom.');
export type RootCause = z.infer<typeof RootCause>;

// NotCollected: an offline dump (kubectl triage --from-file) holds no objects of the kind; the operator never reports it.
export const UnavailableReason = z.enum(['Forbidden', 'NotFound', 'Timeout', 'NotSynced', 'NotInstalled', 'NotCollected']);
export type UnavailableReason = z.infer<typeof UnavailableReason>;

export const Evidence = z
  .object({
    completeness: z
      .number()
      .min(0)
      .max(1)
      .describe('Share of the required evidence that was gathered (an API that is not installed counts as gathered: nothing of it can exist).'),
    threshold: z.number().min(0).max(1).describe('The minCompleteness the request asked for.'),
    present: z.array(z.string()).describe('Evidence keys gathered.'),
    missing: z.array(z.string()).describe('Required evidence keys not gathered.'),
    unavailable: z
      .array(
        z.object({
          key: z.string().describe('The evidence key.'),
          reason: UnavailableReason.describe(
            'Forbidden, NotFound, Timeout, NotSynced, NotInstalled, or NotCollected (an offline dump holds no objects of the kind).',
          ),
        }),
      )
      .describe('Evidence that could not be read, and why (Forbidden is never reported as NotFound).'),
  })
  .describe('How complete the evidence is.');
export type Evidence = z.infer<typeof Evidence>;

export const Step = z
  .object({
    name: z.string().describe('Step name.'),
    status: z.enum(['Done', 'Skipped', 'TimedOut', 'Failed']).describe('Done, Skipped (nothing to examine, or a bound), TimedOut or Failed.'),
    durationMs: z.number().describe('How long the step took.'),
    evidenceKeys: z.array(z.string()).describe('Evidence keys the step gathered.'),
  })
  .describe('One step of evidence gathering.');
export type Step = z.infer<typeof Step>;

export const Envelope = z
  .object({
    intent: z.string().describe('The intent that ran.'),
    template: z
      .object({
        name: z.string().describe('The intent or TriageTemplate name.'),
        version: z.string().describe("The template's own version."),
        hash: z.string().describe('Content hash of the template that ran.'),
        source: z.enum(['BuiltIn', 'Custom', 'Override']).describe('Override: a TriageTemplate replaced a built-in.'),
      })
      .describe('The template that ran.'),
    target: z
      .object({
        kind: z.enum(TARGET_KINDS).describe('Kind of the target.'),
        namespace: z.string().optional().describe('Namespace of the target.'),
        name: z.string().optional().describe('Name of the target; absent for a selector or a whole namespace.'),
        uid: z.string().optional().describe('UID of the target object that was read.'),
      })
      .describe('What was diagnosed.'),
    summary: z.string().max(256).describe('One line, at most 256 characters.'),
    rootCause: RootCause.optional(),
    findings: z.array(Finding).max(20).describe('At most 20, most severe first, in a stable order.'),
    evidence: Evidence,
    anchors: z.array(Anchor).describe('The evidence the root cause and findings cite.'),
    nextActions: z.array(NextAction).describe('Safe next steps.'),
    steps: z.array(Step).describe('The hops along the causal chain, in order.'),
    bounds: z
      .object({
        stepsUsed: z.number().int().describe('Steps that ran.'),
        maxSteps: z.number().int().describe('The step bound the request set.'),
        timeoutMs: z.number().int().describe('The time bound the request set.'),
        truncated: z.boolean().describe('True when a bound stopped the diagnosis early.'),
      })
      .describe('The bounds and how much of them was used.'),
    timing: z
      .object({
        startedAt: z.string().describe('When the diagnosis started (RFC 3339).'),
        completedAt: z.string().describe('When it ended (RFC 3339).'),
        durationMs: z.number().describe('How long it took.'),
      })
      .describe('When the diagnosis ran.'),
    inputs: z
      .object({
        fingerprint: z.string().describe("Hash of the inputs' uids and resourceVersions."),
        objectCount: z.number().int().describe('How many objects it read.'),
      })
      .describe('What the diagnosis read.'),
    recurrence: z
      .object({
        code: z.string().optional().describe('The root-cause code counted (kept while the target is healthy, so a return counts).'),
        count: z.number().int().describe('Transitions into this root cause.'),
        firstSeen: z.string().describe('When this root cause was first seen for the target (RFC 3339).'),
      })
      .optional()
      .describe('How often this root cause was seen for this target (transitions into it), and since when.'),
  })
  .describe('The result of a triage.');
export type Envelope = z.infer<typeof Envelope>;
