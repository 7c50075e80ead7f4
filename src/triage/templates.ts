import { createHash } from 'node:crypto';
import type { TargetKind } from '../crds/intents';
import { TriageTemplateSpec } from '../crds/triage-template';
import type { NextAction } from '../crds/envelope';
import type { Matcher } from '../crds/triage-template';
import type { Check } from './checks/check';
import { customCode } from './catalogue';
import { refOf } from './investigation';
import type { Condition } from './objects';
import { CHECKS } from './checks/registry';
import { compileLinear, matchesLinear, UnsafePatternError } from './linear-regex';

const WORKLOAD_CHECKS = ['deployment.pods', 'statefulset.pods', 'replicaset.pods', 'job.pods', 'daemonset.pods'];
/** Everything that can be wrong with a pod, in one step: a chain that reaches a pod learns its own cause. */
const POD_CHECKS = ['pod.scheduling', 'pod.image-pull', 'pod.crashloop'];
const ROLLOUT_CHECKS = ['deployment.rollout', 'statefulset.rollout', 'daemonset.rollout'];
/** What namespace-health looks at first: every symptom-level object of a namespace. */
const NAMESPACE_CHECKS = ['claim.binding', ...POD_CHECKS, 'ingress.routing', 'httproute.routing', 'gateway.status', 'service.endpoints', ...ROLLOUT_CHECKS, 'hpa.scaling'];

/** The built-in intents, written in the TriageTemplate format: steps are hops along the causal chain. */
export const BUILT_IN_TEMPLATES: Readonly<Record<string, unknown>> = {
  'pvc-binding': {
    version: '1',
    description: 'Why a PersistentVolumeClaim is not Bound.',
    targetKinds: ['PersistentVolumeClaim', 'Pod', 'Namespace'],
    steps: [
      { name: 'claim', checks: ['claim.binding'] },
      { name: 'consumer', checks: ['pod.scheduling'] },
    ],
  },
  'scheduling-failures': {
    version: '1',
    description: 'Why pods stay Pending without a node.',
    targetKinds: ['Pod', 'Deployment', 'StatefulSet', 'ReplicaSet', 'Job', 'Namespace'],
    steps: [
      { name: 'workload', checks: WORKLOAD_CHECKS },
      { name: 'pod', checks: ['pod.scheduling'] },
      { name: 'claim', checks: ['claim.binding'] },
    ],
  },
  'ingress-pending': {
    version: '1',
    description: 'Why an Ingress has no address or cannot route.',
    targetKinds: ['Ingress', 'Namespace'],
    steps: [
      { name: 'ingress', checks: ['ingress.routing'] },
      { name: 'service', checks: ['service.endpoints'] },
      { name: 'pod', checks: POD_CHECKS },
      { name: 'claim', checks: ['claim.binding'] },
    ],
  },
  'gateway-pending': {
    version: '1',
    description: 'Why a Gateway API Gateway or HTTPRoute does not serve traffic.',
    targetKinds: ['Gateway', 'HTTPRoute', 'Namespace'],
    // A route leads to its Gateways (then their class) and its backend Services (then their pods).
    steps: [
      { name: 'objects', checks: ['httproute.routing', 'gateway.status'] },
      { name: 'parents-and-backends', checks: ['gateway.status', 'service.endpoints'] },
      { name: 'pod', checks: POD_CHECKS },
      { name: 'claim', checks: ['claim.binding'] },
    ],
  },
  'service-no-endpoints': {
    version: '1',
    description: 'Why a Service has no ready endpoints.',
    targetKinds: ['Service', 'Namespace'],
    steps: [
      { name: 'service', checks: ['service.endpoints'] },
      { name: 'pod', checks: POD_CHECKS },
      { name: 'claim', checks: ['claim.binding'] },
    ],
  },
  crashloop: {
    version: '1',
    description: 'Why containers crash or restart.',
    targetKinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'Namespace'],
    steps: [
      { name: 'workload', checks: WORKLOAD_CHECKS },
      { name: 'pod', checks: ['pod.crashloop'] },
    ],
  },
  'image-pull': {
    version: '1',
    description: 'Why container images cannot be pulled.',
    targetKinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'Namespace'],
    steps: [
      { name: 'workload', checks: WORKLOAD_CHECKS },
      { name: 'pod', checks: ['pod.image-pull'] },
    ],
  },
  'rollout-stuck': {
    version: '1',
    description: 'Why a rollout does not progress.',
    targetKinds: ['Deployment', 'StatefulSet', 'DaemonSet'],
    steps: [
      { name: 'rollout', checks: ROLLOUT_CHECKS },
      { name: 'replicaset', checks: ['replicaset.pods'] },
      { name: 'pod', checks: POD_CHECKS },
      { name: 'claim', checks: ['claim.binding'] },
    ],
  },
  'drain-blocked': {
    version: '1',
    description: 'Why a cordoned node does not empty: disruption budgets that allow no eviction.',
    targetKinds: ['Node', 'Namespace'],
    steps: [{ name: 'drain', checks: ['node.drain', 'pdb.blocking'] }],
  },
  'admission-webhooks': {
    version: '1',
    description: 'Which admission webhooks the apiserver cannot call, cluster-wide.',
    targetKinds: ['Namespace'],
    // Webhook configurations are cluster-scoped and affect every namespace: a trusted namespace's question.
    scope: 'Cluster',
    ranking: 'BlastRadius',
    steps: [{ name: 'webhooks', checks: ['validatingwebhook.backend', 'mutatingwebhook.backend'] }],
  },
  'job-failures': {
    version: '1',
    description: 'Why a Job failed or does not run, and why a CronJob does not start Jobs.',
    targetKinds: ['Job', 'CronJob', 'Namespace'],
    // A step examines only what the previous one reached: pods a Job leads to are examined one hop on,
    // whether the Job was the target (step 1) or reached from its CronJob (step 2).
    steps: [
      { name: 'objects', checks: ['cronjob.status', 'job.status', 'job.pods'] },
      { name: 'job', checks: ['job.status', 'job.pods', 'pod.crashloop', 'pod.image-pull', 'pod.scheduling'] },
      { name: 'pod', checks: ['pod.crashloop', 'pod.image-pull', 'pod.scheduling'] },
    ],
  },
  autoscaling: {
    version: '1',
    description: 'Why a HorizontalPodAutoscaler does not scale.',
    targetKinds: ['HorizontalPodAutoscaler', 'Deployment', 'StatefulSet', 'ReplicaSet', 'Namespace'],
    steps: [
      { name: 'workload', checks: ['deployment.autoscalers', 'statefulset.autoscalers', 'replicaset.autoscalers'] },
      { name: 'autoscaler', checks: ['hpa.scaling'] },
    ],
  },
  'namespace-health': {
    version: '1',
    description: 'Every check over one namespace, ranked by severity and blast radius.',
    targetKinds: ['Namespace'],
    ranking: 'BlastRadius',
    steps: [
      { name: 'objects', checks: NAMESPACE_CHECKS },
      { name: 'related', checks: ['replicaset.pods', 'service.endpoints', 'gateway.status', 'claim.binding', ...POD_CHECKS] },
      { name: 'deeper', checks: [...POD_CHECKS, 'claim.binding'] },
    ],
  },
  'cluster-health': {
    version: '1',
    description: 'Nodes, then every namespace, bounded and ranked by blast radius.',
    targetKinds: ['Namespace'],
    ranking: 'BlastRadius',
    scope: 'Cluster',
    steps: [
      { name: 'objects', checks: ['node.health', ...NAMESPACE_CHECKS] },
      { name: 'related', checks: ['replicaset.pods', 'service.endpoints', 'gateway.status', 'claim.binding', ...POD_CHECKS] },
      { name: 'deeper', checks: [...POD_CHECKS, 'claim.binding'] },
    ],
  },
  'node-pressure': {
    version: '1',
    description: 'Why nodes are NotReady, under pressure or cordoned.',
    targetKinds: ['Node'],
    steps: [{ name: 'node', checks: ['node.health'] }],
  },
};

export class TemplateError extends Error {
  constructor(
    readonly template: string,
    readonly problems: readonly string[],
  ) {
    super(`template ${template}: ${problems.join('; ')}`);
    this.name = 'TemplateError';
  }
}

export interface CompiledStep {
  readonly name: string;
  readonly checks: readonly Check[];
}

export interface CompiledTemplate {
  readonly name: string;
  readonly version: string;
  readonly hash: string;
  readonly targetKinds: readonly TargetKind[];
  readonly steps: readonly CompiledStep[];
  readonly requiredEvidence: readonly string[];
  readonly suppress: readonly string[];
  readonly ranking: 'Chain' | 'BlastRadius';
  readonly scope: 'Namespace' | 'Cluster';
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}

const compiled = new Map<string, CompiledTemplate>();

/** Fills {name}, {namespace} and {kind} of the examined object into a template's text. */
function fill(text: string, values: { name: string; namespace: string; kind: string }): string {
  return text.replaceAll('{name}', values.name).replaceAll('{namespace}', values.namespace).replaceAll('{kind}', values.kind);
}

/** A template's declarative matchers as one check: each Event or condition that matches becomes a finding. */
function matcherCheck(templateName: string, matchers: readonly Matcher[], problems: string[]): Check {
  const compiledMatchers = matchers.map((matcher, i) => {
    let regex: RegExp | undefined;
    if (matcher.event?.messageRegex !== undefined) {
      try {
        regex = compileLinear(matcher.event.messageRegex);
      } catch (error: unknown) {
        if (!(error instanceof UnsafePatternError)) throw error;
        problems.push(`spec.matchers[${i}].event.messageRegex: ${error.reason}`);
      }
    }
    return { matcher, regex };
  });
  return {
    name: `${templateName}.matchers`,
    subject: '*',
    codes: matchers.map((m) => customCode(m.finding.code)),
    evidence: [],
    run(ctx, subject, chain, kind) {
      const ref = refOf(kind, subject);
      const values = { name: ref.name, namespace: ref.namespace ?? '', kind };
      for (const { matcher, regex } of compiledMatchers) {
        let anchor: string | undefined;
        if (matcher.event !== undefined) {
          const event = ctx.inv
            .events(kind, subject, `${kind.charAt(0).toLowerCase()}${kind.slice(1)}.events`)
            .find((e) => (matcher.event?.reason === undefined || e.reason === matcher.event.reason) && (regex === undefined || matchesLinear(regex, e.message)));
          if (event !== undefined) anchor = ctx.inv.anchorEvent(event);
        } else if (matcher.condition !== undefined) {
          const wanted = matcher.condition;
          const conditions = (subject as { status?: { conditions?: readonly Condition[] } }).status?.conditions ?? [];
          const found = conditions.find((c) => c.type === wanted.type && (wanted.status === undefined || c.status === wanted.status) && (wanted.reason === undefined || c.reason === wanted.reason));
          if (found !== undefined) anchor = ctx.inv.anchorField(kind, subject, `status.conditions[type=${wanted.type}]`);
        }
        if (anchor === undefined) continue;
        const action: NextAction[] = matcher.nextAction === undefined ? [] : [{ ...matcher.nextAction, command: fill(matcher.nextAction.command, values), description: fill(matcher.nextAction.description, values) }];
        const benign = matcher.finding.severity === 'Info';
        ctx.inv.report({
          code: customCode(matcher.finding.code),
          severity: matcher.finding.severity,
          object: ref,
          message: fill(matcher.finding.message, values),
          anchors: [anchor],
          nextActions: action,
          confidence: 0.9,
          ...(benign ? { benign: true } : {}),
          chain: [...chain, ref],
        });
      }
    },
  };
}

/** Validates a template (zod, then every check name against the registry), compiles it once per content hash. */
export function compileTemplate(name: string, spec: unknown): CompiledTemplate {
  const hash = `sha256:${createHash('sha256').update(canonical(spec)).digest('hex').slice(0, 16)}`;
  const cached = compiled.get(`${name}@${hash}`);
  if (cached !== undefined) return cached;
  const parsed = TriageTemplateSpec.safeParse(spec);
  if (!parsed.success) throw new TemplateError(name, parsed.error.issues.map((i) => `spec.${i.path.join('.')}: ${i.message}`));
  const problems: string[] = [];
  parsed.data.steps.forEach((step, s) => {
    // Checks gather their own evidence: no collector exists, so a named one would silently do nothing.
    step.collectors.forEach((collector, c) => problems.push(`spec.steps[${s}].collectors[${c}]: unknown collector "${collector}" (checks gather their own evidence)`));
  });
  const steps = parsed.data.steps.map((step, s) => ({
    name: step.name,
    checks: step.checks.flatMap((checkName, c) => {
      const check = CHECKS.get(checkName);
      if (check === undefined) problems.push(`spec.steps[${s}].checks[${c}]: unknown check "${checkName}"`);
      return check === undefined ? [] : [check];
    }),
  }));
  if (parsed.data.matchers.length > 0) {
    const check = matcherCheck(name, parsed.data.matchers, problems);
    // Matchers look at what the template targets: they join its first step (or are its only step).
    if (steps[0] === undefined) steps.push({ name: 'matchers', checks: [check] });
    else steps[0] = { ...steps[0], checks: [...steps[0].checks, check] };
  }
  if (problems.length > 0) throw new TemplateError(name, problems);
  const template: CompiledTemplate = {
    name,
    version: parsed.data.version,
    hash,
    targetKinds: parsed.data.targetKinds,
    steps,
    requiredEvidence: parsed.data.requiredEvidence,
    suppress: parsed.data.suppress,
    ranking: parsed.data.ranking,
    scope: parsed.data.scope,
  };
  compiled.set(`${name}@${hash}`, template);
  return template;
}

export function builtInTemplate(intent: string): CompiledTemplate | undefined {
  const spec = BUILT_IN_TEMPLATES[intent];
  return spec === undefined ? undefined : compileTemplate(intent, spec);
}
