import { createHash } from 'node:crypto';
import type { Envelope } from '../crds/envelope';
import type { TargetKind } from '../crds/intents';
import type { LabelSelector } from '../crds/triage-request';
import type { ClusterSnapshot, KubeObject } from './snapshot';

export type DiagnosisVerdict = 'Healthy' | 'RootCauseFound' | 'Inconclusive';

export interface DiagnosisTarget {
  readonly kind: TargetKind;
  readonly namespace?: string;
  readonly name?: string;
  readonly selector?: LabelSelector;
}

export interface DiagnosisInput {
  readonly intent: string;
  readonly template: Envelope['template'];
  readonly target: DiagnosisTarget;
  readonly maxSteps: number;
  readonly timeoutMs: number;
  readonly minCompleteness: number;
  readonly snapshot: ClusterSnapshot;
  /** Injected clock: the engine never reads the system time itself. */
  readonly now: () => Date;
}

export interface Diagnosis {
  readonly verdict: DiagnosisVerdict;
  readonly envelope: Envelope;
}

function targetObject(input: DiagnosisInput): KubeObject | undefined {
  const { kind, name, namespace } = input.target;
  if (name === undefined) return undefined;
  return kind === 'Node' || kind === 'Namespace' ? input.snapshot.get(kind, name) : input.snapshot.get(kind, name, namespace);
}

/** Hash of the uids and resourceVersions read: equal fingerprints mean equal inputs. */
export function fingerprint(objects: readonly KubeObject[]): string {
  const hash = createHash('sha256');
  for (const key of objects.map((o) => `${o.metadata?.uid ?? ''}@${o.metadata?.resourceVersion ?? ''}`).sort()) hash.update(key);
  return `sha256:${hash.digest('hex').slice(0, 32)}`;
}

/**
 * Diagnoses the target from the snapshot. Pure: same input, same envelope (timing aside).
 * No checks are registered yet, so every run ends Inconclusive and says so in its summary.
 */
export function diagnose(input: DiagnosisInput): Diagnosis {
  const startedAt = input.now();
  const target = targetObject(input);
  const inputs = target === undefined ? [] : [target];
  const completedAt = input.now();
  return {
    verdict: 'Inconclusive',
    envelope: {
      intent: input.intent,
      template: input.template,
      target: {
        kind: input.target.kind,
        ...(input.target.namespace === undefined ? {} : { namespace: input.target.namespace }),
        ...(input.target.name === undefined ? {} : { name: input.target.name }),
        ...(target?.metadata?.uid === undefined ? {} : { uid: target.metadata.uid }),
      },
      summary: `No checks ran: the ${input.intent} intent has no diagnosis checks in this version`,
      findings: [],
      evidence: { completeness: 0, threshold: input.minCompleteness, present: [], missing: [], unavailable: [] },
      anchors: [],
      nextActions: [],
      steps: [],
      bounds: { stepsUsed: 0, maxSteps: input.maxSteps, timeoutMs: input.timeoutMs, truncated: false },
      timing: {
        startedAt: startedAt.toISOString(),
        completedAt: completedAt.toISOString(),
        durationMs: completedAt.getTime() - startedAt.getTime(),
      },
      inputs: { fingerprint: fingerprint(inputs), objectCount: inputs.length },
    },
  };
}
