import { GROUP, VERSION, type Condition } from '../../crds/triage-request';
import type { ClusterCache } from '../../kube/cluster-cache';
import type { KubeClient } from '../../kube/client';
import { ApiError, isTransientError } from '../../kube/errors';
import { mergePatch } from '../../kube/merge-patch';
import type { ReconcileContext } from '../../kube/controller-runner';
import { outcome, type ReconcileOutcome } from '../../kube/workqueue';
import { compileTemplate, TemplateError } from '../../triage/templates';
import { setCondition } from '../conditions';

interface TemplateObject {
  readonly metadata: { readonly name?: string; readonly generation?: number; readonly resourceVersion?: string };
  readonly spec?: unknown;
  readonly status?: { readonly observedGeneration?: number; readonly hash?: string; readonly conditions?: readonly Condition[] };
}

/**
 * Validates a TriageTemplate the way requests will use it (schema, check names, regexes) and says so
 * in its status: Accepted=True with the content hash, or Accepted=False with the exact error. An
 * invalid template is never used: requests naming it end Failed/InvalidTemplate.
 */
export class TriageTemplateReconciler {
  constructor(private readonly deps: { readonly cache: ClusterCache; readonly client: KubeClient; readonly now: () => Date }) {}

  async reconcile(name: string, { log }: Pick<ReconcileContext, 'log'>): Promise<ReconcileOutcome> {
    const template = this.deps.cache.get('TriageTemplate', name) as TemplateObject | undefined;
    if (template === undefined) return outcome.done;
    const generation = template.metadata.generation ?? 0;
    let accepted: Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;
    let hash: string | undefined;
    try {
      const compiled = compileTemplate(name, template.spec);
      hash = compiled.hash;
      const checks = compiled.steps.reduce((sum, step) => sum + step.checks.length, 0);
      accepted = { type: 'Accepted', status: 'True', reason: 'Valid', message: `${compiled.steps.length} step(s), ${checks} check(s)` };
    } catch (error: unknown) {
      if (!(error instanceof TemplateError)) throw error;
      accepted = { type: 'Accepted', status: 'False', reason: 'InvalidTemplate', message: error.message.slice(0, 1024) };
    }
    const status = {
      observedGeneration: generation,
      ...(hash === undefined ? {} : { hash }),
      conditions: setCondition(template.status?.conditions ?? [], { ...accepted, observedGeneration: generation }, this.deps.now()),
    };
    const patch = mergePatch(template.status ?? {}, status);
    if (patch === undefined) return outcome.done;
    try {
      await this.deps.client.mergePatch(`/apis/${GROUP}/${VERSION}/triagetemplates/${name}/status`, {
        metadata: { resourceVersion: template.metadata.resourceVersion },
        status: patch,
      });
      log.info('Template status written', { template: name, accepted: accepted.status, reason: accepted.reason });
      return outcome.done;
    } catch (error: unknown) {
      if (error instanceof ApiError && error.isNotFound) return outcome.done;
      return isTransientError(error) ? outcome.retry(error) : outcome.terminal(error);
    }
  }
}
