import type { Condition } from '../../crds/triage-request';
import type { ClusterCache } from '../../kube/cluster-cache';
import type { KubeClient } from '../../kube/client';
import { createLogger } from '../../logger';
import { TriageTemplateReconciler } from './reconciler';

const NOW = new Date('2026-11-21T12:00:00.000Z');
const log = createLogger('error', { silent: true });

/** Reconciles one TriageTemplate against a cache holding it; returns the status patch written. */
async function acceptedCondition(spec: unknown): Promise<Condition | undefined> {
  const template = {
    apiVersion: 'triage.dev/v1alpha1',
    kind: 'TriageTemplate',
    metadata: { name: 'migrations.example.com', generation: 2, resourceVersion: '7' },
    spec,
  };
  const patches: { path: string; body: { status?: { conditions?: Condition[] } } }[] = [];
  // Only what the reconciler uses: a cache read by name and a status merge patch.
  const cache = {
    get: (kind: string, name: string) => (kind === 'TriageTemplate' && name === template.metadata.name ? template : undefined),
  } as unknown as ClusterCache;
  const client = {
    mergePatch: (path: string, body: { status?: { conditions?: Condition[] } }) => {
      patches.push({ path, body });
      return Promise.resolve({});
    },
  } as unknown as KubeClient;
  await new TriageTemplateReconciler({ cache, client, now: () => NOW }).reconcile(template.metadata.name, { log });
  expect(patches.map((p) => p.path)).toEqual(['/apis/triage.dev/v1alpha1/triagetemplates/migrations.example.com/status']);
  return patches[0]?.body.status?.conditions?.find((c) => c.type === 'Accepted');
}

const spec = (requiredEvidence: readonly string[]) => ({ targetKinds: ['Job'], steps: [{ name: 'job', checks: ['job.pods'] }], requiredEvidence });

describe('the Accepted condition of a TriageTemplate', () => {
  test('an unknown requiredEvidence key makes it False, naming the field and the keys nearby', async () => {
    const condition = await acceptedCondition(spec(['workload.pods', 'job.event']));
    expect(condition).toMatchObject({ status: 'False', reason: 'InvalidTemplate', observedGeneration: 2 });
    expect(condition?.message).toContain('spec.requiredEvidence[1]: unknown evidence key "job.event" (nearby: job.events');
  });

  test('known keys are Accepted', async () => {
    expect(await acceptedCondition(spec(['workload.pods', 'job.events']))).toMatchObject({ status: 'True', reason: 'Valid', observedGeneration: 2 });
  });
});
