import type { NextAction, ObjectRef } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import { conditionOf, type Condition } from '../objects';
import type { KubeObject } from '../snapshot';
import type { Check } from './check';

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

interface ScaleTarget extends KubeObject {
  readonly spec?: {
    readonly template?: {
      readonly spec?: {
        readonly containers?: readonly { readonly name: string; readonly resources?: { readonly requests?: Readonly<Record<string, string>>; readonly limits?: Readonly<Record<string, string>> } }[];
      };
    };
  };
}

interface LimitRange extends KubeObject {
  readonly spec?: { readonly limits?: readonly { readonly type?: string; readonly default?: Readonly<Record<string, string>>; readonly defaultRequest?: Readonly<Record<string, string>> }[] };
}

/** Kinds whose scale subresource the operator can follow to a pod template (the built-in workloads). */
const CACHED_TARGETS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);
/** ScalingActive=False reasons that mean the controller could not read a metric. */
const METRIC_FAILURES = /^FailedGet(Resource|ContainerResource|Pods|Object|External)Metric$/;

function describe(ref: ObjectRef): NextAction {
  return { description: 'Show the autoscaler, its conditions and recent events', command: `kubectl describe hpa ${ref.name} -n ${ref.namespace ?? ''}`, safety: 'ReadOnly' };
}

/**
 * Utilization targets are a percentage of the request: a container without one gives the HPA nothing to
 * divide by. Pods get a request the template lacks from its limit (defaulting) or a LimitRange default,
 * both applied at pod admission only: those containers are not missing one.
 */
function missingRequests(inv: Investigation, hpa: HorizontalPodAutoscaler, target: ScaleTarget): { resource: string; containers: string[] }[] {
  const containers = target.spec?.template?.spec?.containers ?? [];
  const ranges = inv.list<LimitRange>('LimitRange', 'hpa.limitranges', hpa.metadata?.namespace);
  if (ranges === undefined) return [];
  const defaulted = (resource: string) =>
    ranges.some((r) => (r.spec?.limits ?? []).some((l) => l.type === 'Container' && (l.defaultRequest?.[resource] !== undefined || l.default?.[resource] !== undefined)));
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

function scaleTargetOf(inv: Investigation, hpa: HorizontalPodAutoscaler): { ref: ObjectRef; object?: ScaleTarget; absent: boolean } | undefined {
  const target = hpa.spec?.scaleTargetRef;
  if (target?.kind === undefined || target.name === undefined) return undefined;
  const ns = hpa.metadata?.namespace;
  if (!CACHED_TARGETS.has(target.kind)) return { ref: refOf(target.kind, undefined, { name: target.name, ...(ns === undefined ? {} : { namespace: ns }) }), absent: false };
  const lookup = inv.get<ScaleTarget>(target.kind, 'hpa.target', target.name, ns);
  if (lookup.state === 'Unavailable') return undefined;
  const found = lookup.state === 'Found' ? lookup.object : undefined;
  return { ref: refOf(target.kind, found, { name: target.name, ...(ns === undefined ? {} : { namespace: ns }) }), ...(found === undefined ? {} : { object: found }), absent: lookup.state === 'Absent' };
}

/** Proves why an autoscaler cannot scale: its target is missing, its metrics cannot be read, its pods set no requests; or that it rests at a bound (benign). */
export const hpaScaling: Check = {
  name: 'hpa.scaling',
  subject: 'HorizontalPodAutoscaler',
  codes: ['ScaleTargetNotFound', 'MetricsUnavailable', 'MissingResourceRequests', 'ScalingLimited'],
  evidence: ['hpa', 'hpa.target'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const hpa = subject as HorizontalPodAutoscaler;
    const ref = refOf('HorizontalPodAutoscaler', hpa);
    const ns = ref.namespace ?? '';
    inv.note('hpa');
    const conditions = hpa.status?.conditions;
    const target = scaleTargetOf(inv, hpa);
    const who = `HorizontalPodAutoscaler ${ns}/${ref.name}`;
    if (target?.absent === true) {
      // The controller reports FailedGetScale; the cache proves the target itself is gone.
      const ableToScale = conditionOf(conditions, 'AbleToScale');
      inv.report({
        code: 'ScaleTargetNotFound', severity: 'Critical', object: ref, confidence: 0.95,
        message: `${who} scales ${target.ref.kind} ${target.ref.name}, which does not exist, so it does nothing`,
        anchors: [inv.anchorField('HorizontalPodAutoscaler', hpa, 'spec.scaleTargetRef'), ...(ableToScale?.status === 'False' ? [inv.anchorField('HorizontalPodAutoscaler', hpa, 'status.conditions[type=AbleToScale].message')] : [])],
        chain: [...chain, ref, target.ref],
        nextActions: [{ description: `List the ${target.ref.kind}s of ${ns} to find the name the autoscaler should target`, command: `kubectl get ${target.ref.kind.toLowerCase()} -n ${ns}`, safety: 'ReadOnly' }, describe(ref)],
      });
      return;
    }
    // A controller that computes a replica count (ScalingActive=True) has found the requests it needs.
    const computing = conditionOf(conditions, 'ScalingActive')?.status === 'True';
    const lacking = target?.object === undefined || computing ? [] : missingRequests(inv, hpa, target.object);
    if (target?.object !== undefined && lacking.length > 0) {
      const what = lacking.map((l) => `${l.resource} (container${l.containers.length === 1 ? '' : 's'} ${l.containers.join(', ')})`).join('; ');
      inv.report({
        code: 'MissingResourceRequests', severity: 'Critical', object: ref, confidence: 0.9,
        message: `${who} scales on utilization of ${what}, but ${target.ref.kind} ${target.ref.name}'s pod template sets no request for it: utilization is a share of the request, so it cannot be computed`,
        anchors: [inv.anchorField('HorizontalPodAutoscaler', hpa, 'spec.metrics'), inv.anchorField(target.ref.kind, target.object, 'spec.template.spec.containers')],
        // Reached from the workload itself, the chain already starts at it: Deployment → HPA, not → Deployment again.
        chain: [...chain, ref, ...(chain.some((c) => c.kind === target.ref.kind && c.name === target.ref.name) ? [] : [target.ref])],
        nextActions: [
          { description: `Show the requests of ${target.ref.kind} ${target.ref.name}'s containers`, command: `kubectl get ${target.ref.kind.toLowerCase()} ${target.ref.name} -n ${ns} -o jsonpath='{range .spec.template.spec.containers[*]}{.name}{": "}{.resources.requests}{"\\n"}{end}'`, safety: 'ReadOnly' },
          describe(ref),
        ],
      });
    }
    const active = conditionOf(conditions, 'ScalingActive');
    if (active?.status === 'False' && METRIC_FAILURES.test(active.reason ?? '') && !/missing request for/.test(active.message ?? '')) {
      inv.report({
        code: 'MetricsUnavailable', severity: 'Critical', object: ref, confidence: 0.85,
        message: `${who} cannot read its metrics (${active.reason ?? ''}), so it does not scale: ${(active.message ?? '').slice(0, 200)}`,
        anchors: [inv.anchorField('HorizontalPodAutoscaler', hpa, 'status.conditions[type=ScalingActive].message')],
        chain: [...chain, ref],
        nextActions: [
          { description: 'Check that a metrics API is served (metrics-server for resource metrics, an adapter for custom and external ones)', command: 'kubectl get apiservices | grep metrics', safety: 'ReadOnly' },
          describe(ref),
        ],
      });
    }
    const limited = conditionOf(conditions, 'ScalingLimited');
    if (limited?.status === 'True') {
      // At a bound is the configured behaviour (minReplicas at rest is the common case): Info, not a fault.
      inv.report({
        code: 'ScalingLimited', severity: 'Info', object: ref, benign: true, confidence: 0.6,
        message: `${who} is held at a bound (${limited.reason ?? ''}: ${limited.message ?? ''}; min ${hpa.spec?.minReplicas ?? 1}, max ${hpa.spec?.maxReplicas ?? '?'})`,
        anchors: [inv.anchorField('HorizontalPodAutoscaler', hpa, 'status.conditions[type=ScalingLimited].reason')],
        chain: [...chain, ref],
        nextActions: [describe(ref)],
      });
    }
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
