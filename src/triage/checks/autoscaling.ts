import type { NextAction, ObjectRef } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import { conditionOf, type Condition } from '../objects';
import type { KubeObject } from '../snapshot';
import { codesOf, defineRule, runRules, type Check } from './check';

// HorizontalPodAutoscaler checks, read from what the HPA controller writes (status.conditions:
// AbleToScale, ScalingActive, ScalingLimited) and from the scale target's pod template.

interface MetricSpec {
  readonly type?: string;
  readonly resource?: { readonly name?: string; readonly target?: { readonly type?: string } };
  readonly containerResource?: { readonly name?: string; readonly container?: string; readonly target?: { readonly type?: string } };
}

interface HorizontalPodAutoscaler extends KubeObject {
  readonly spec?: {
    readonly scaleTargetRef?: { readonly kind?: string; readonly name?: string; readonly apiVersion?: string };
    readonly minReplicas?: number;
    readonly maxReplicas?: number;
    readonly metrics?: readonly MetricSpec[];
  };
  readonly status?: { readonly conditions?: readonly Condition[]; readonly currentReplicas?: number; readonly desiredReplicas?: number };
}

interface ScaleTargetObject extends KubeObject {
  readonly spec?: {
    readonly template?: {
      readonly spec?: {
        readonly containers?: readonly {
          readonly name: string;
          readonly resources?: { readonly requests?: Readonly<Record<string, string>>; readonly limits?: Readonly<Record<string, string>> };
        }[];
      };
    };
  };
}

interface LimitRange extends KubeObject {
  readonly spec?: {
    readonly limits?: readonly {
      readonly type?: string;
      readonly default?: Readonly<Record<string, string>>;
      readonly defaultRequest?: Readonly<Record<string, string>>;
    }[];
  };
}

/** Kinds whose scale subresource the operator can follow to a pod template (the built-in workloads). */
const CACHED_TARGETS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);
/** ScalingActive=False reasons that mean the controller could not read a metric. */
const METRIC_FAILURES = /^FailedGet(Resource|ContainerResource|Pods|Object|External)Metric$/;

function describe(ref: ObjectRef): NextAction {
  return {
    description: 'Show the autoscaler, its conditions and recent events',
    command: `kubectl describe hpa ${ref.name} -n ${ref.namespace ?? ''}`,
    safety: 'ReadOnly',
  };
}

/**
 * Utilization targets are a percentage of the request: a container without one gives the HPA nothing to
 * divide by. Pods get a request the template lacks from its limit (defaulting) or a LimitRange default,
 * both applied at pod admission only: those containers are not missing one.
 */
function missingRequests(inv: Investigation, hpa: HorizontalPodAutoscaler, target: ScaleTargetObject): { resource: string; containers: string[] }[] {
  const containers = target.spec?.template?.spec?.containers ?? [];
  const ranges = inv.list<LimitRange>('LimitRange', 'hpa.limitranges', hpa.metadata?.namespace);
  if (ranges === undefined) return [];
  const defaulted = (resource: string) =>
    ranges.some((r) =>
      (r.spec?.limits ?? []).some((l) => l.type === 'Container' && (l.defaultRequest?.[resource] !== undefined || l.default?.[resource] !== undefined)),
    );
  return (hpa.spec?.metrics ?? []).flatMap((metric) => {
    const resource = metric.type === 'Resource' ? metric.resource : metric.type === 'ContainerResource' ? metric.containerResource : undefined;
    if (resource?.name === undefined || resource.target?.type !== 'Utilization') return [];
    const scoped = metric.type === 'ContainerResource' ? containers.filter((c) => c.name === metric.containerResource?.container) : containers;
    const name = resource.name;
    if (defaulted(name)) return [];
    const lacking = scoped.filter((c) => c.resources?.requests?.[name] === undefined && c.resources?.limits?.[name] === undefined).map((c) => c.name);
    return lacking.length === 0 ? [] : [{ resource: resource.name, containers: lacking }];
  });
}

/** The autoscaler's scale target: the object when its kind is cached and it exists, absent when the cache proves it missing. */
interface ScaleTarget {
  readonly ref: ObjectRef;
  readonly object?: ScaleTargetObject;
  readonly absent: boolean;
}

function scaleTargetOf(inv: Investigation, hpa: HorizontalPodAutoscaler): ScaleTarget | undefined {
  const target = hpa.spec?.scaleTargetRef;
  if (target?.kind === undefined || target.name === undefined) return undefined;
  const ns = hpa.metadata?.namespace;
  if (!CACHED_TARGETS.has(target.kind))
    return { ref: refOf(target.kind, undefined, { name: target.name, ...(ns === undefined ? {} : { namespace: ns }) }), absent: false };
  const lookup = inv.get<ScaleTargetObject>(target.kind, 'hpa.target', target.name, ns);
  if (lookup.state === 'Unavailable') return undefined;
  const found = lookup.state === 'Found' ? lookup.object : undefined;
  return {
    ref: refOf(target.kind, found, { name: target.name, ...(ns === undefined ? {} : { namespace: ns }) }),
    ...(found === undefined ? {} : { object: found }),
    absent: lookup.state === 'Absent',
  };
}

/** What the autoscaler rules share: the autoscaler, how it was reached, and its scale target as the cache shows it. */
interface HpaRun {
  readonly inv: Investigation;
  readonly hpa: HorizontalPodAutoscaler;
  readonly ref: ObjectRef;
  readonly ns: string;
  /** "HorizontalPodAutoscaler shop/api" */
  readonly who: string;
  /** How it was reached, without it. */
  readonly chain: readonly ObjectRef[];
  /** undefined when it names none, or its kind's cache could not be read. */
  readonly target: ScaleTarget | undefined;
}

// The controller reports FailedGetScale for a missing target; the cache proves the target itself is gone, so nothing else matters.
const scaleTargetNotFoundRule = defineRule<HpaRun>({
  name: 'scaleTargetNotFound',
  proves: ['ScaleTargetNotFound'],
  run: ({ inv, hpa, ref, ns, who, chain, target }) => {
    if (target?.absent !== true) return false;
    const ableToScale = conditionOf(hpa.status?.conditions, 'AbleToScale');
    inv.report({
      code: 'ScaleTargetNotFound',
      severity: 'Critical',
      object: ref,
      confidence: 0.95,
      message: `${who} scales ${target.ref.kind} ${target.ref.name}, which does not exist, so it does nothing`,
      anchors: [
        inv.anchorField('HorizontalPodAutoscaler', hpa, 'spec.scaleTargetRef'),
        ...(ableToScale?.status === 'False' ? [inv.anchorField('HorizontalPodAutoscaler', hpa, 'status.conditions[type=AbleToScale].message')] : []),
      ],
      chain: [...chain, ref, target.ref],
      nextActions: [
        {
          description: `List the ${target.ref.kind}s of ${ns} to find the name the autoscaler should target`,
          command: `kubectl get ${target.ref.kind.toLowerCase()} -n ${ns}`,
          safety: 'ReadOnly',
        },
        describe(ref),
      ],
    });
    return true;
  },
});

// Utilization is a share of the request: a container without one leaves the controller nothing to divide by. Independent of
// the rules below (a metrics failure for another reason, a bound), so it does not end the chain.
const missingRequestsRule = defineRule<HpaRun>({
  name: 'missingResourceRequests',
  proves: ['MissingResourceRequests'],
  run: ({ inv, hpa, ref, ns, who, chain, target }) => {
    // A controller that computes a replica count (ScalingActive=True) has found the requests it needs.
    const computing = conditionOf(hpa.status?.conditions, 'ScalingActive')?.status === 'True';
    const object = target?.object;
    if (target === undefined || object === undefined || computing) return false;
    const lacking = missingRequests(inv, hpa, object);
    if (lacking.length === 0) return false;
    const what = lacking.map((l) => `${l.resource} (container${l.containers.length === 1 ? '' : 's'} ${l.containers.join(', ')})`).join('; ');
    inv.report({
      code: 'MissingResourceRequests',
      severity: 'Critical',
      object: ref,
      confidence: 0.9,
      message: `${who} scales on utilization of ${what}, but ${target.ref.kind} ${target.ref.name}'s pod template sets no request for it: utilization is a share of the request, so it cannot be computed`,
      anchors: [
        inv.anchorField('HorizontalPodAutoscaler', hpa, 'spec.metrics'),
        // The resources of the first container lacking the request: the field that proves it, not the whole container list.
        inv.anchorField(target.ref.kind, object, `spec.template.spec.containers[name=${lacking[0]?.containers[0] ?? ''}].resources`),
      ],
      // Reached from the workload itself, the chain already starts at it: Deployment → HPA, not → Deployment again.
      chain: [...chain, ref, ...(chain.some((c) => c.kind === target.ref.kind && c.name === target.ref.name) ? [] : [target.ref])],
      nextActions: [
        {
          description: `Show the requests of ${target.ref.kind} ${target.ref.name}'s containers`,
          command: `kubectl get ${target.ref.kind.toLowerCase()} ${target.ref.name} -n ${ns} -o jsonpath='{range .spec.template.spec.containers[*]}{.name}{": "}{.resources.requests}{"\\n"}{end}'`,
          safety: 'ReadOnly',
        },
        describe(ref),
      ],
    });
    return false;
  },
});

// ScalingActive=False with a FailedGet*Metric reason: the metrics API did not answer, so the controller keeps the replica count.
// A "missing request for" message is MissingResourceRequests' fault, not the metrics API's. Does not end the chain either.
const metricsUnavailableRule = defineRule<HpaRun>({
  name: 'metricsUnavailable',
  proves: ['MetricsUnavailable'],
  run: ({ inv, hpa, ref, who, chain }) => {
    const active = conditionOf(hpa.status?.conditions, 'ScalingActive');
    if (active?.status !== 'False' || !METRIC_FAILURES.test(active.reason ?? '') || /missing request for/.test(active.message ?? '')) return false;
    inv.report({
      code: 'MetricsUnavailable',
      severity: 'Critical',
      object: ref,
      confidence: 0.85,
      message: `${who} cannot read its metrics (${active.reason ?? ''}), so it does not scale: ${(active.message ?? '').slice(0, 200)}`,
      anchors: [inv.anchorField('HorizontalPodAutoscaler', hpa, 'status.conditions[type=ScalingActive].message')],
      chain: [...chain, ref],
      nextActions: [
        {
          description: 'Check that a metrics API is served (metrics-server for resource metrics, an adapter for custom and external ones)',
          command: 'kubectl get apiservices | grep metrics',
          safety: 'ReadOnly',
        },
        describe(ref),
      ],
    });
    return false;
  },
});

// ScalingLimited=True: the controller wants more (or fewer) replicas than min/maxReplicas allow; at a bound is the configured
// behaviour (minReplicas at rest is the common case): Info, not a fault.
const scalingLimitedRule = defineRule<HpaRun>({
  name: 'scalingLimited',
  proves: ['ScalingLimited'],
  run: ({ inv, hpa, ref, who, chain }) => {
    const limited = conditionOf(hpa.status?.conditions, 'ScalingLimited');
    if (limited?.status !== 'True') return false;
    inv.report({
      code: 'ScalingLimited',
      severity: 'Info',
      object: ref,
      benign: true,
      confidence: 0.6,
      message: `${who} is held at a bound (${limited.reason ?? ''}: ${limited.message ?? ''}; min ${hpa.spec?.minReplicas ?? 1}, max ${hpa.spec?.maxReplicas ?? '?'})`,
      anchors: [inv.anchorField('HorizontalPodAutoscaler', hpa, 'status.conditions[type=ScalingLimited].reason')],
      chain: [...chain, ref],
      nextActions: [describe(ref)],
    });
    return true;
  },
});

/** Why an autoscaler cannot scale, in report order: only a missing target ends the chain, the others can hold together. */
const HPA_RULES = [scaleTargetNotFoundRule, missingRequestsRule, metricsUnavailableRule, scalingLimitedRule];

/** Proves why an autoscaler cannot scale: its target is missing, its metrics cannot be read, its pods set no requests; or that it rests at a bound (benign). */
export const hpaScaling: Check = {
  name: 'hpa.scaling',
  subject: 'HorizontalPodAutoscaler',
  codes: codesOf(HPA_RULES),
  evidence: ['hpa', 'hpa.target'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const hpa = subject as HorizontalPodAutoscaler;
    const ref = refOf('HorizontalPodAutoscaler', hpa);
    const ns = ref.namespace ?? '';
    inv.note('hpa');
    runRules(HPA_RULES, { inv, hpa, ref, ns, who: `HorizontalPodAutoscaler ${ns}/${ref.name}`, chain, target: scaleTargetOf(inv, hpa) });
  },
};

/** Follows a workload to the autoscalers that scale it (scaleTargetRef names it), for hpa.scaling. */
function workloadAutoscalers(kind: string): Check {
  return {
    name: `${kind.toLowerCase()}.autoscalers`,
    subject: kind,
    codes: [],
    evidence: ['workload.autoscalers'],
    run(ctx, subject, chain) {
      const ref = refOf(kind, subject);
      const hpas = ctx.inv.list<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', 'workload.autoscalers', ref.namespace) ?? [];
      for (const hpa of hpas) {
        if (hpa.spec?.scaleTargetRef?.kind === kind && hpa.spec.scaleTargetRef.name === ref.name) ctx.follow('HorizontalPodAutoscaler', hpa, [...chain, ref]);
      }
    },
  };
}

export const autoscalerFollowers: readonly Check[] = ['Deployment', 'StatefulSet', 'ReplicaSet'].map(workloadAutoscalers);
