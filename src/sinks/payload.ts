import { z } from 'zod';
import { Anchor, Finding, NextAction, ObjectRef, RootCause } from '../crds/envelope';
import { GROUP, VERSION, Verdict } from '../crds/triage-request';
import type { Transition } from '../controllers/triagerequest/transitions';

// The versioned payload a TriageSink receives: built from the envelope only (already redacted), so no
// spec value, Secret or token of the operator's reaches it. docs/sink-payload.schema.json is generated from it.

export const PAYLOAD_KIND = 'TriageTransition';

export const TriageTransitionPayload = z
  .object({
    apiVersion: z.literal(`${GROUP}/${VERSION}`).describe('Version of this payload schema.'),
    kind: z.literal(PAYLOAD_KIND).describe('Always TriageTransition.'),
    idempotencyKey: z.string().describe('request.uid/transition: the same for every retry of this payload, so a receiver can dedupe.'),
    cluster: z.string().optional().describe("The sending operator's --cluster-name, for a collector serving several clusters; absent when unset."),
    request: z.object({ namespace: z.string(), name: z.string(), uid: z.string() }).describe('The TriageRequest that changed.'),
    transition: z.number().int().min(0).describe("status.transitions of the request at this change: with the request's uid, it names the transition."),
    verdict: Verdict.describe('The verdict after the transition.'),
    previousVerdict: Verdict.optional().describe('The verdict before it, when this operator process saw it.'),
    intent: z.string().describe('The intent that ran.'),
    target: z.object({ kind: z.string(), namespace: z.string().optional(), name: z.string().optional() }).optional().describe('What was diagnosed.'),
    rootCause: RootCause.pick({ code: true, message: true, chain: true })
      .extend({ chain: z.array(ObjectRef.pick({ kind: true, namespace: true, name: true })) })
      .optional()
      .describe('The root cause, when one was found.'),
    summary: z.string().max(256).describe('One line, at most 256 characters.'),
    answer: z.array(z.string().max(512)).max(4).describe('The request status answer: read this first.'),
    findings: z
      .array(Finding.pick({ code: true, severity: true, message: true }))
      .max(20)
      .describe('The findings, most severe first.'),
    anchors: z
      .array(Anchor.pick({ id: true, fieldPath: true, excerpt: true }).extend({ object: ObjectRef.pick({ kind: true, namespace: true, name: true }) }))
      .max(64)
      .describe('The evidence the root cause and findings cite (only cited anchors).'),
    nextActions: z.array(NextAction).max(20).describe('Safe next steps.'),
    observedAt: z.string().describe('When the diagnosis completed (RFC 3339).'),
  })
  .strict()
  .describe('One verdict or root-cause transition of a TriageRequest, as POSTed to a TriageSink.');
export type TriageTransitionPayload = z.infer<typeof TriageTransitionPayload>;

/** The Idempotency-Key header and payload field: the same for every attempt of one transition. */
export function idempotencyKey(transition: Pick<Transition, 'request' | 'number'>): string {
  return `${transition.request.uid}/${transition.number}`;
}

/** The payload of a transition, from its envelope (redacted already) and answer; nothing from the spec. */
export function buildPayload(transition: Transition, previousVerdict: Verdict | undefined, now: () => Date, cluster?: string): TriageTransitionPayload {
  const { status } = transition;
  const envelope = status.envelope;
  const rootCause = envelope?.rootCause;
  const cited = new Set([...(rootCause?.anchors ?? []), ...(envelope?.findings ?? []).flatMap((f) => f.anchors)]);
  const ref = (o: ObjectRef) => ({ kind: o.kind, name: o.name, ...(o.namespace === undefined ? {} : { namespace: o.namespace }) });
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: PAYLOAD_KIND,
    idempotencyKey: idempotencyKey(transition),
    ...(cluster === undefined ? {} : { cluster }),
    request: { namespace: transition.request.namespace, name: transition.request.name, uid: transition.request.uid },
    transition: transition.number,
    verdict: status.verdict ?? 'Inconclusive',
    ...(previousVerdict === undefined ? {} : { previousVerdict }),
    intent: envelope?.intent ?? '',
    ...(envelope === undefined
      ? {}
      : {
          target: {
            kind: envelope.target.kind,
            ...(envelope.target.namespace === undefined ? {} : { namespace: envelope.target.namespace }),
            ...(envelope.target.name === undefined ? {} : { name: envelope.target.name }),
          },
        }),
    ...(rootCause === undefined ? {} : { rootCause: { code: rootCause.code, message: rootCause.message, chain: rootCause.chain.map(ref) } }),
    summary: envelope?.summary ?? status.answer?.[0]?.slice(0, 256) ?? '',
    answer: status.answer ?? [],
    findings: (envelope?.findings ?? []).slice(0, 20).map((f) => ({ code: f.code, severity: f.severity, message: f.message })),
    anchors: (envelope?.anchors ?? [])
      .filter((a) => cited.has(a.id))
      .slice(0, 64)
      .map((a) => ({ id: a.id, object: ref(a.object), excerpt: a.excerpt, ...(a.fieldPath === undefined ? {} : { fieldPath: a.fieldPath }) })),
    nextActions: (envelope?.nextActions ?? []).slice(0, 20),
    observedAt: envelope?.timing.completedAt ?? now().toISOString(),
  };
}

/** A Slack-compatible message (incoming webhooks take {text, blocks}) with the same content, kept short. */
export function slackMessage(payload: TriageTransitionPayload): { text: string; blocks: object[] } {
  const title = `${payload.cluster === undefined ? '' : `[${payload.cluster}] `}${payload.request.namespace}/${payload.request.name}: ${payload.previousVerdict === undefined ? '' : `${payload.previousVerdict} → `}${payload.verdict}${payload.rootCause === undefined ? '' : ` (${payload.rootCause.code})`}`;
  const lines = [
    `*${escapeSlack(title)}*`,
    escapeSlack(payload.summary),
    ...(payload.rootCause === undefined ? [] : [`chain: ${escapeSlack(payload.rootCause.chain.map((o) => `${o.kind} ${o.name}`).join(' → '))}`]),
    ...payload.findings.slice(0, 5).map((f) => `• ${f.severity} ${f.code}: ${escapeSlack(f.message)}`),
    ...payload.nextActions.slice(0, 1).map((a) => `next: \`${escapeSlack(a.command).replaceAll('`', "'")}\``),
  ];
  const text = lines.join('\n').slice(0, 2900);
  return { text: escapeSlack(title).slice(0, 300), blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** Slack's control characters in mrkdwn: &, < and > (a cluster-written message must not become a link or a mention). */
function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** The published JSON Schema (draft-07) of the payload: docs/sink-payload.schema.json. */
export function payloadJsonSchema(): object {
  const schema = z.toJSONSchema(TriageTransitionPayload, { target: 'draft-7', io: 'output' });
  return { ...schema, $id: 'https://triage.dev/schemas/sink-payload/v1alpha1.json', title: 'TriageTransition' };
}
