import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { Envelope } from '../crds/envelope';
import type { Transition } from '../controllers/triagerequest/transitions';
import { buildPayload, idempotencyKey, payloadJsonSchema, slackMessage, TriageTransitionPayload } from './payload';

const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data', uid: 'uid-pvc', resourceVersion: '7' };

/** A RootCauseFound transition whose envelope carries a cited and an uncited anchor. */
function sampleTransition(number = 1): Transition {
  const envelope = Envelope.parse({
    intent: 'pvc-binding',
    template: { name: 'pvc-binding', version: '1', hash: 'sha256:0', source: 'BuiltIn' },
    target: { kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data', uid: 'uid-pvc' },
    summary: 'PersistentVolumeClaim shop/data is Pending because StorageClass "fast" does not exist',
    rootCause: { code: 'StorageClassNotFound', confidence: 1, message: 'StorageClass "fast" does not exist <!channel>', chain: [PVC], anchors: ['a1'] },
    findings: [{ code: 'UnboundPersistentVolumeClaim', severity: 'Info', object: PVC, message: 'claim is unbound', anchors: ['a1'] }],
    evidence: { completeness: 1, threshold: 0.8, present: ['claim'], missing: [], unavailable: [] },
    anchors: [
      { id: 'a1', object: PVC, fieldPath: 'spec.storageClassName', excerpt: 'fast', observedAt: '2026-12-01T00:00:00Z' },
      { id: 'a9', object: PVC, fieldPath: 'metadata.name', excerpt: 'data', observedAt: '2026-12-01T00:00:00Z' },
    ],
    nextActions: [{ description: 'List the StorageClasses', command: 'kubectl get storageclass', safety: 'ReadOnly' }],
    steps: [],
    bounds: { stepsUsed: 1, maxSteps: 3, timeoutMs: 15000, truncated: false },
    timing: { startedAt: '2026-12-01T00:00:00Z', completedAt: '2026-12-01T00:00:01Z', durationMs: 1000 },
    inputs: { fingerprint: 'sha256:1', objectCount: 2 },
  });
  return {
    request: { namespace: 'shop', name: 'why-data', uid: 'uid-req' },
    status: { verdict: 'RootCauseFound', answer: ['RootCauseFound StorageClassNotFound'], envelope },
    number,
  };
}

const now = () => new Date('2026-12-01T00:00:02Z');

test('a payload carries the envelope fields, only cited anchors, and validates against the published schema', () => {
  const payload = buildPayload(sampleTransition(3), 'Healthy', now);
  expect(payload).toMatchObject({
    apiVersion: 'triage.dev/v1alpha1',
    kind: 'TriageTransition',
    idempotencyKey: 'uid-req/3',
    transition: 3,
    verdict: 'RootCauseFound',
    previousVerdict: 'Healthy',
    rootCause: { code: 'StorageClassNotFound', chain: [{ kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data' }] },
    findings: [{ code: 'UnboundPersistentVolumeClaim', severity: 'Info', message: 'claim is unbound' }],
    observedAt: '2026-12-01T00:00:01Z',
  });
  expect(payload.anchors.map((a) => a.id)).toEqual(['a1']);
  expect(TriageTransitionPayload.parse(payload)).toEqual(payload);
  const validate = new Ajv({ allErrors: true }).compile(payloadJsonSchema());
  expect(validate(JSON.parse(JSON.stringify(payload)))).toBe(true);
  expect(validate({ ...payload, token: 'x' })).toBe(false);
});

test('the published schema file is the one generated from the zod schema', () => {
  const published: unknown = JSON.parse(fs.readFileSync(path.join(__dirname, '../../docs/sink-payload.schema.json'), 'utf8'));
  expect(published).toEqual(payloadJsonSchema());
});

test('a payload without an envelope (Rejected) still validates', () => {
  const payload = buildPayload(
    { request: { namespace: 'a', name: 'b', uid: 'u' }, status: { verdict: 'Rejected', answer: ['Rejected: bad spec'] }, number: 1 },
    undefined,
    now,
  );
  expect(new Ajv().compile(payloadJsonSchema())(payload)).toBe(true);
  expect(payload.summary).toBe('Rejected: bad spec');
  expect(payload.observedAt).toBe('2026-12-01T00:00:02.000Z');
});

test('the Slack message has the same content, with mrkdwn control characters escaped', () => {
  const message = slackMessage(buildPayload(sampleTransition(), 'Healthy', now));
  expect(message.text).toBe('shop/why-data: Healthy → RootCauseFound (StorageClassNotFound)');
  const block = JSON.stringify(message.blocks);
  expect(block).toContain('chain: PersistentVolumeClaim data');
  expect(block).toContain('kubectl get storageclass');
  expect(block).not.toContain('<!channel>');
});

test('a cluster name, when the operator has one, is in the payload and leads the Slack title', () => {
  const payload = buildPayload(sampleTransition(), 'Healthy', now, 'prod-eu-1');
  expect(payload.cluster).toBe('prod-eu-1');
  expect(new Ajv().compile(payloadJsonSchema())(payload)).toBe(true);
  expect(slackMessage(payload).text).toBe('[prod-eu-1] shop/why-data: Healthy → RootCauseFound (StorageClassNotFound)');
  expect('cluster' in buildPayload(sampleTransition(), 'Healthy', now)).toBe(false);
});

test('the idempotency key names the request and the transition', () => {
  expect(idempotencyKey({ request: { namespace: 'a', name: 'b', uid: 'u1' }, number: 4 })).toBe('u1/4');
});
