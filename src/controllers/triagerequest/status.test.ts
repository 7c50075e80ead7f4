import type { Envelope } from '../../crds/envelope';
import type { TriageRequestObject, TriageRequestStatus } from '../../crds/triage-request';
import { diagnose } from '../../triage/engine';
import type { KubeObject } from '../../triage/snapshot';
import { EVIDENCE, type EvidenceKey } from '../../triage/evidence';
import { compileTemplate } from '../../triage/templates';
import { MemorySnapshot } from '../../triage/memory-snapshot';
import { announcementOf, answerOf, boundStatus, decideRun, nextStatus, STATUS_BUDGET_BYTES, stableView, transitionKey } from './status';

const NOW = new Date('2026-11-21T12:00:00.000Z');

/** A deterministic generator: fuzzed inputs are the same on every run, so a failure reproduces. */
function generator(seed: number): (max: number) => number {
  let state = seed;
  return (max) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % max;
  };
}

function text(random: (max: number) => number, length: number): string {
  const alphabet = 'abcdefghij klmnop=:/-_.QRSTUVWXYZ0123456789€😀';
  return Array.from({ length }, () => alphabet[random(alphabet.length)] ?? 'x').join('');
}

const LONGEST_EVIDENCE_KEYS = (Object.keys(EVIDENCE) as EvidenceKey[]).sort((a, b) => b.length - a.length).slice(0, 32);

// The largest template the CRD admits: 10 steps, 50 matchers with 512-character messages and actions.
function largestTemplate(random: (max: number) => number, seed: number) {
  return compileTemplate(`fuzz-${seed}.example.com`, {
    targetKinds: ['Pod', 'Namespace'],
    steps: Array.from({ length: 10 }, (_, i) => ({ name: `${text(random, 50)}${i}`, checks: ['pod.crashloop', 'pod.image-pull', 'pod.scheduling'] })),
    // Evidence keys are the catalogue's (an unknown key is rejected); the longest 32 of them, none read by these checks.
    requiredEvidence: LONGEST_EVIDENCE_KEYS,
    matchers: Array.from({ length: 50 }, (_, i) => ({
      event: { reason: 'Fuzz' },
      finding: { code: `Fuzz${i}`, severity: 'Warning', message: `{name} ${text(random, 500)}` },
      nextAction: { description: text(random, 512), command: `kubectl ${text(random, 500)}`, safety: 'ReadOnly' },
    })),
  });
}

function fuzzedPods(random: (max: number) => number, count: number): KubeObject[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `pod-${i}-${text(random, 40).replace(/[^a-z0-9]/g, 'x')}`;
    const uid = `uid-${i}`;
    return [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'shop', uid, resourceVersion: String(i + 1), labels: { app: text(random, 60) } },
        spec: { containers: [{ name: 'c', image: `registry.example.com/${text(random, 200)}` }] },
        status: {
          phase: 'Running',
          containerStatuses: [
            {
              name: 'c',
              ready: false,
              restartCount: 9,
              state: { waiting: { reason: 'CrashLoopBackOff', message: text(random, 4000) } },
              lastState: { terminated: { exitCode: 1, reason: 'Error', message: text(random, 4000) } },
            },
          ],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${name}.e`, namespace: 'shop', uid: `ev-${i}`, resourceVersion: String(i + 1000) },
        involvedObject: { kind: 'Pod', namespace: 'shop', name, uid },
        reason: 'Fuzz',
        type: 'Warning',
        message: text(random, 8000),
        count: 3,
        lastTimestamp: NOW.toISOString(),
      },
    ] as unknown as KubeObject[];
  }).flat();
}

function statusOf(envelope: Envelope, target: string): TriageRequestStatus {
  return {
    observedGeneration: 1,
    verdict: envelope.rootCause === undefined ? 'Inconclusive' : 'RootCauseFound',
    target,
    conditions: [
      { type: 'Complete', status: 'True', reason: 'Completed', message: envelope.summary, lastTransitionTime: NOW.toISOString(), observedGeneration: 1 },
      {
        type: 'RootCauseFound',
        status: 'True',
        reason: envelope.rootCause?.code ?? 'None',
        message: envelope.rootCause?.message ?? '',
        lastTransitionTime: NOW.toISOString(),
        observedGeneration: 1,
      },
    ],
    envelope,
  };
}

describe('the status budget holds for every fuzzed input', () => {
  test.each(Array.from({ length: 12 }, (_, seed) => seed))('seed %i', async (seed) => {
    const random = generator(seed + 1);
    const template = largestTemplate(random, seed);
    const { envelope } = await diagnose({
      intent: template.name,
      template,
      templateSource: 'Custom',
      target: { kind: 'Namespace', name: 'shop', namespace: 'shop' },
      maxSteps: 10,
      timeoutMs: 120_000,
      minCompleteness: 0.8,
      snapshot: new MemorySnapshot(fuzzedPods(random, 5 + random(40))),
      now: () => NOW,
    });
    // The selector text of a target at the CRD's limits (32 labels of 317 + 63 characters).
    const target = `Pod/${Array.from({ length: 32 }, () => `${text(random, 317)}=${text(random, 63)}`).join(',')}`;
    const status = boundStatus(statusOf(envelope, target));
    expect(Buffer.byteLength(JSON.stringify(status), 'utf8')).toBeLessThanOrEqual(STATUS_BUDGET_BYTES);
    expect(status.envelope?.summary).toBe(envelope.summary);
  });

  test('a status already within budget is left as it is', () => {
    const status: TriageRequestStatus = { observedGeneration: 1, verdict: 'Healthy', target: 'Pod/web', conditions: [] };
    expect(boundStatus(status)).toEqual(status);
  });
});

describe('transitions and their Events', () => {
  const base: TriageRequestStatus = {
    verdict: 'RootCauseFound',
    conditions: [{ type: 'Complete', status: 'True', reason: 'Completed', message: 'm', lastTransitionTime: 't' }],
    envelope: {
      summary: 'Pod shop/web-0 is OOMKilled',
      rootCause: { code: 'OOMKilled', confidence: 1, message: 'm', chain: [], anchors: [] },
    } as unknown as Envelope,
  };

  test('a transition is a new verdict or reason; the Event is derived from status alone', () => {
    expect(transitionKey(base)).toBe('RootCauseFound/OOMKilled');
    expect(announcementOf(base)).toEqual({ type: 'Warning', reason: 'OOMKilled', action: 'Triage', note: 'Pod shop/web-0 is OOMKilled' });
    const rejected: TriageRequestStatus = {
      verdict: 'Rejected',
      conditions: [{ type: 'Complete', status: 'False', reason: 'NamespaceNotTrusted', message: 'spec.target: outside', lastTransitionTime: 't' }],
    };
    expect(transitionKey(rejected)).toBe('Rejected/NamespaceNotTrusted');
    expect(announcementOf(rejected)).toMatchObject({ type: 'Warning', reason: 'NamespaceNotTrusted', note: 'spec.target: outside' });
    const healthy: TriageRequestStatus = {
      verdict: 'Healthy',
      conditions: [{ type: 'Complete', status: 'True', reason: 'Completed', message: 'ok', lastTransitionTime: 't' }],
    };
    expect(announcementOf(healthy)).toMatchObject({ type: 'Normal', reason: 'Healthy' });
  });

  test('timings, resourceVersions, observation times and Event counters are not changes', () => {
    const anchor = {
      id: 'a1',
      object: { kind: 'Pod', name: 'web-0', resourceVersion: '1' },
      event: { uid: 'e', reason: 'BackOff', count: 3, lastSeen: 't1' },
      excerpt: 'x',
      observedAt: 't1',
    };
    const before = { ...base, envelope: { ...base.envelope, anchors: [anchor], timing: { startedAt: 't1', completedAt: 't1', durationMs: 3 } } as Envelope };
    const moved = { ...anchor, object: { ...anchor.object, resourceVersion: '9' }, event: { ...anchor.event, count: 7, lastSeen: 't2' }, observedAt: 't2' };
    const after = { ...base, envelope: { ...base.envelope, anchors: [moved], timing: { startedAt: 't2', completedAt: 't2', durationMs: 5 } } as Envelope };
    expect(stableView(after)).toBe(stableView(before));
    // The apiserver returns keys in its own order.
    const reversed = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reversed)
        : typeof value === 'object' && value !== null
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reversed(v)]),
            )
          : value;
    expect(stableView(reversed(before) as TriageRequestStatus)).toBe(stableView(before));
    const reworded = { ...base, envelope: { ...base.envelope, anchors: [{ ...moved, excerpt: 'y' }] } as Envelope };
    expect(stableView(reworded)).not.toBe(stableView(before));
  });
});

describe('whether a reconcile diagnoses again', () => {
  const at = new Date('2026-11-21T12:00:00Z');
  const request = (status: TriageRequestStatus | undefined, extra: { mode?: string; rerun?: string; generation?: number } = {}): TriageRequestObject => ({
    apiVersion: 'triage.dev/v1alpha1',
    kind: 'TriageRequest',
    metadata: {
      name: 'r',
      namespace: 'shop',
      generation: extra.generation ?? 2,
      ...(extra.rerun === undefined ? {} : { annotations: { 'triage.dev/rerun': extra.rerun } }),
    },
    spec: { intent: 'crashloop', ...(extra.mode === undefined ? {} : { mode: extra.mode }) },
    ...(status === undefined ? {} : { status }),
  });
  const settled: TriageRequestStatus = { observedGeneration: 2, verdict: 'RootCauseFound', conditions: [] };

  test('a new request runs', () => {
    expect(decideRun(request(undefined), at)).toEqual({ kind: 'Run' });
  });
  test('a settled Once request does not run again for the same generation', () => {
    expect(decideRun(request(settled), at)).toEqual({ kind: 'Skip' });
  });
  test('a new generation runs', () => {
    expect(decideRun(request(settled, { generation: 3 }), at)).toEqual({ kind: 'Run' });
  });
  test('a new rerun token runs once; the same token again does not', () => {
    expect(decideRun(request(settled, { rerun: 't1' }), at)).toEqual({ kind: 'Run' });
    expect(decideRun(request({ ...settled, rerunToken: 't1' }, { rerun: 't1' }), at)).toEqual({ kind: 'Skip' });
  });
  test('a pending re-check is kept until due, then runs', () => {
    expect(decideRun(request({ ...settled, nextCheckAt: '2026-11-21T12:00:30Z' }), at)).toEqual({ kind: 'Skip', recheckInMs: 30_000 });
    expect(decideRun(request({ ...settled, nextCheckAt: '2026-11-21T11:59:59Z' }), at)).toEqual({ kind: 'Run' });
  });
  test('a Failed status runs again, unless the apiserver refused it as too large', () => {
    expect(decideRun(request({ ...settled, verdict: 'Failed' }), at)).toEqual({ kind: 'Run' });
    const tooLarge = {
      ...settled,
      verdict: 'Failed' as const,
      conditions: [{ type: 'Complete', status: 'False' as const, reason: 'StatusTooLarge', message: '', lastTransitionTime: at.toISOString() }],
    };
    expect(decideRun(request(tooLarge), at)).toEqual({ kind: 'Skip' });
  });
  test('a Continuous request always runs', () => {
    expect(decideRun(request(settled, { mode: 'Continuous' }), at)).toEqual({ kind: 'Run' });
  });
});

describe('the status a run writes', () => {
  const at = new Date('2026-11-21T12:00:00Z');
  const status = (verdict: TriageRequestStatus['verdict'], reason: string, durationMs = 3): TriageRequestStatus => ({
    observedGeneration: 1,
    verdict,
    conditions: [{ type: 'RootCauseFound', status: 'True', reason, message: '', lastTransitionTime: at.toISOString(), observedGeneration: 1 }],
    envelope: {
      summary: `root cause ${reason}`,
      rootCause: { code: reason, message: `the ${reason} message`, chain: [], anchors: [] },
      nextActions: [],
      timing: { startedAt: at.toISOString(), completedAt: at.toISOString(), durationMs },
    } as unknown as Envelope,
  });

  test('a run that changed nothing a reader sees writes nothing (timing moves)', () => {
    const written = nextStatus({}, status('RootCauseFound', 'OOMKilled', 3), undefined, at) ?? {};
    expect(nextStatus(written, status('RootCauseFound', 'OOMKilled', 9), undefined, at)).toBeUndefined();
  });
  test('a new root cause is a transition, counted once', () => {
    const next = nextStatus(
      { ...status('RootCauseFound', 'OOMKilled'), transitions: 1, announcedTransitions: 1 },
      status('RootCauseFound', 'ImageNotFound'),
      undefined,
      at,
    );
    expect({ transitions: next?.transitions, announced: next?.announcedTransitions }).toEqual({ transitions: 2, announced: 1 });
  });
  test('the rerun token asked for is recorded', () => {
    expect(nextStatus(status('Healthy', 'None'), status('Healthy', 'None'), 't2', at)?.rerunToken).toBe('t2');
  });
});

describe('the answer block kubectl describe shows first', () => {
  const complete = (verdict: TriageRequestStatus['verdict'], reason: string, message: string): TriageRequestStatus => ({
    verdict,
    conditions: [{ type: 'Complete', status: 'False', reason, message, lastTransitionTime: '2026-11-21T12:00:00Z' }],
  });

  test('a root cause reads code, message, chain and the first next action, in that order', () => {
    const status: TriageRequestStatus = {
      verdict: 'RootCauseFound',
      envelope: {
        summary: 'Pod orders-db-0 is Pending: StorageClass fast-ssd does not exist',
        rootCause: {
          code: 'StorageClassNotFound',
          message: 'PersistentVolumeClaim data-orders-db-0 names StorageClass fast-ssd, which does not exist',
          chain: [
            { kind: 'Pod', namespace: 'shop', name: 'orders-db-0' },
            { kind: 'StorageClass', name: 'fast-ssd' },
          ],
          anchors: [],
        },
        nextActions: [
          { description: 'List the classes', command: 'kubectl get storageclass', safety: 'ReadOnly' },
          { description: 'second', command: 'kubectl edit pvc', safety: 'Mutating' },
        ],
      } as unknown as Envelope,
    };
    expect(answerOf(status)).toEqual([
      'RootCauseFound: StorageClassNotFound',
      'PersistentVolumeClaim data-orders-db-0 names StorageClass fast-ssd, which does not exist',
      'Chain: Pod orders-db-0 → StorageClass fast-ssd',
      'Next (ReadOnly): kubectl get storageclass',
    ]);
  });

  test('a rejected request says why from its Complete condition', () => {
    expect(answerOf(complete('Rejected', 'InvalidTarget', 'target.name: required'))).toEqual(['Rejected: target.name: required']);
  });

  test('no verdict yet, no answer; a huge message is cut to the budget', () => {
    expect(answerOf({})).toBeUndefined();
    expect(answerOf(complete('Failed', 'X', 'x'.repeat(5000)))?.[0]?.length).toBeLessThanOrEqual(400);
  });

  test('nextStatus writes the answer with the status', () => {
    const next = nextStatus({}, complete('Rejected', 'InvalidSpec', 'intent: required'), undefined, new Date());
    expect(next?.answer).toEqual(['Rejected: intent: required']);
  });
});
