import type { NextAction, ObjectRef } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import { conditionOf, type EndpointSlice, type Pod, type Service } from '../objects';
import { selectorMatches as labelSelectorMatches, type LabelSelectorSpec } from '../label-selector';
import { INDEX, type KubeObject } from '../snapshot';
import { codesOf, defineRule, runRules, type Check, type CheckContext, type Rule } from './check';

function selectorMatches(selector: Readonly<Record<string, string>>, pod: Pod): boolean {
  return Object.entries(selector).every(([key, value]) => pod.metadata?.labels?.[key] === value);
}

const selectorText = (selector: Readonly<Record<string, string>>) =>
  Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** What the Service rules share: the Service, how it was reached, and its EndpointSlices. */
interface ServiceRun {
  readonly ctx: CheckContext;
  readonly inv: Investigation;
  readonly service: Service;
  readonly ref: ObjectRef;
  readonly ns: string;
  /** How it was reached, without it. */
  readonly chain: readonly ObjectRef[];
  /** spec.selector; empty when it has none. */
  readonly selector: Readonly<Record<string, string>>;
  readonly selectorless: boolean;
  /** Routed to by an Ingress or an HTTPRoute: traffic is expected, so even a selectorless Service is examined. */
  readonly viaIngress: boolean;
  readonly slices: readonly EndpointSlice[];
  /** A Service that declares no ports (headless) only ever gets slices without ports: there they are its endpoints. */
  readonly declaresPorts: boolean;
  readonly describe: NextAction;
}

/** The Service as the rules see it; undefined when there is nothing to prove (known-benign) or its slices cannot be read. */
function serviceRun(ctx: CheckContext, service: Service, chain: readonly ObjectRef[]): ServiceRun | undefined {
  const { inv } = ctx;
  const ref = refOf('Service', service);
  const ns = ref.namespace ?? '';
  inv.note('service');
  const selector = service.spec?.selector ?? {};
  const selectorless = Object.keys(selector).length === 0;
  const viaIngress = chain.some((c) => c.kind === 'Ingress' || c.kind === 'HTTPRoute');
  // ExternalName and headless Services without selectors are known-benign: nothing to prove, unless an Ingress routes to them.
  if (service.spec?.type === 'ExternalName') return undefined;
  if (service.spec?.clusterIP === 'None' && selectorless && !viaIngress) return undefined;
  const slices = inv.byIndex<EndpointSlice>('EndpointSlice', 'endpointSlices', INDEX.service, `${ns}/${ref.name}`);
  if (slices === undefined) return undefined;
  return {
    ctx,
    inv,
    service,
    ref,
    ns,
    chain,
    selector,
    selectorless,
    viaIngress,
    slices,
    declaresPorts: (service.spec?.ports ?? []).length > 0,
    describe: { description: 'Show the Service and its endpoints', command: `kubectl describe svc ${ref.name} -n ${ns}`, safety: 'ReadOnly' },
  };
}

/**
 * A ready endpoint in a slice without ports carries no traffic: 1.35 writes `ports: null` when the
 * targetPort resolves on no pod, while still listing the pods as ready.
 */
function hasReadyEndpoints(s: ServiceRun): boolean {
  const serving = s.declaresPorts ? s.slices.filter((slice) => (slice.ports ?? []).length > 0) : s.slices;
  return serving.flatMap((slice) => slice.endpoints ?? []).some((e) => e.conditions?.ready === true);
}

/** The pods a Service with a selector selects. */
function selectedPods(s: ServiceRun): Pod[] {
  return (s.inv.list<Pod>('Pod', 'service.pods', s.ns) ?? []).filter((pod) => selectorMatches(s.selector, pod));
}

// --- a Service with ready endpoints: do they accept traffic? ---------------------------------------------

/** The ports the pod's first port-declaring container declares: the field itself, not the container around it. */
function declaredPortsAnchor(inv: Investigation, pod: Pod): string[] {
  const inList = (list: 'containers' | 'initContainers') =>
    (pod.spec?.[list] ?? []).filter((c) => (c.ports ?? []).length > 0).map((c) => `spec.${list}[name=${c.name}].ports`);
  const [path] = [...inList('containers'), ...inList('initContainers')];
  return path === undefined ? [] : [inv.anchorField('Pod', pod, path)];
}

// A numeric targetPort is used as is, so endpoints are ready even when no selected pod declares (listens on) the port.
const undeclaredTargetPortRule = defineRule<ServiceRun>({
  name: 'TargetPortMismatch (undeclared numeric port)',
  proves: ['TargetPortMismatch'],
  run(s) {
    const { inv, ref, ns, service } = s;
    const numeric = (service.spec?.ports ?? []).filter((p) => typeof p.targetPort === 'number' || (p.targetPort === undefined && typeof p.port === 'number'));
    if (numeric.length === 0) return false;
    const pods = selectedPods(s);
    // Native sidecars (restartable init containers) serve ports too.
    const serving = (pod: Pod) => [
      ...(pod.spec?.containers ?? []),
      ...(pod.spec?.initContainers ?? []).filter((c) => (c as { restartPolicy?: string }).restartPolicy === 'Always'),
    ];
    const declared = pods.map((pod) => serving(pod).flatMap((c) => (c.ports ?? []).map((port) => `${port.containerPort}/${port.protocol ?? 'TCP'}`)));
    // containerPort is informational: only when every selected pod declares its ports does a missing one say anything.
    if (pods.length === 0 || declared.some((ports) => ports.length === 0)) return false;
    const missing = numeric.filter((p) => {
      const target = `${String(p.targetPort ?? p.port)}/${p.protocol ?? 'TCP'}`;
      return declared.every((ports) => !ports.includes(target));
    });
    if (missing.length === 0) return false;
    const podPorts = [...new Set(declared.flat())].sort().join(', ');
    inv.report({
      // containerPort is informational (an app may serve a port it does not declare): a Warning, not Critical.
      code: 'TargetPortMismatch',
      severity: 'Warning',
      object: ref,
      confidence: 0.7,
      message: `Service ${ns}/${ref.name} sends traffic to targetPort ${missing.map((p) => String(p.targetPort ?? p.port)).join(', ')}, which none of its ${pods.length} pod(s) declares (they declare ${podPorts}): connections most likely reach a closed port`,
      anchors: [inv.anchorField('Service', service, 'spec.ports'), ...(pods[0] === undefined ? [] : declaredPortsAnchor(inv, pods[0]))],
      chain: [...s.chain, ref],
      nextActions: portActions(ref, ns),
    });
    return true;
  },
});

/** What a reader does about a targetPort no pod serves: compare the two lists of ports. */
function portActions(ref: ObjectRef, ns: string): NextAction[] {
  return [
    {
      description: 'Compare the Service targetPort with the container ports',
      command: `kubectl get svc ${ref.name} -n ${ns} -o jsonpath='{.spec.ports}'`,
      safety: 'ReadOnly',
    },
    {
      description: 'List the pods and their declared ports',
      command: `kubectl get pods -n ${ns} -o custom-columns=NAME:.metadata.name,PORTS:.spec.containers[*].ports`,
      safety: 'ReadOnly',
    },
  ];
}

interface NetworkPolicy extends KubeObject {
  readonly spec?: { readonly podSelector?: LabelSelectorSpec; readonly policyTypes?: readonly string[]; readonly ingress?: readonly unknown[] };
}

/** Whether a policy isolates its pods for ingress: policyTypes says Ingress, or (unset) it is implied. */
function isolatesIngress(policy: NetworkPolicy): boolean {
  const types = policy.spec?.policyTypes;
  return types === undefined || types.length === 0 || types.includes('Ingress');
}

// NetworkPolicies are additive: a pod isolated for ingress by policies none of whose rules allow anything accepts no connection.
const trafficDeniedByNetworkPolicyRule = defineRule<ServiceRun>({
  name: 'TrafficDeniedByNetworkPolicy',
  proves: ['TrafficDeniedByNetworkPolicy'],
  run(s) {
    const { inv, ref, ns, service } = s;
    const policies = (inv.list<NetworkPolicy>('NetworkPolicy', 'service.networkpolicies', ns) ?? []).filter(isolatesIngress);
    if (policies.length === 0) return false;
    const pods = selectedPods(s);
    if (pods.length === 0) return false;
    const selecting = pods.map((pod) => policies.filter((p) => labelSelectorMatches(p.spec?.podSelector ?? {}, pod.metadata?.labels ?? {})));
    // Every selected pod must be isolated, and no rule of any policy selecting it may allow anything.
    const deniedEverywhere = selecting.every((list) => list.length > 0 && list.every((p) => (p.spec?.ingress ?? []).length === 0));
    if (!deniedEverywhere) return false;
    const names = [...new Set(selecting.flat().map((p) => p.metadata?.name ?? ''))].sort();
    const first = selecting[0]?.[0];
    inv.report({
      code: 'TrafficDeniedByNetworkPolicy',
      severity: 'Warning',
      object: ref,
      confidence: 0.8,
      message: `Service ${ns}/${ref.name} has ready endpoints, but NetworkPolicy ${names.join(', ')} isolates all ${pods.length} of its pod(s) for ingress with no rule that allows any source: connections are dropped wherever the network plugin enforces NetworkPolicy`,
      anchors: [...(first === undefined ? [] : [inv.anchorField('NetworkPolicy', first, 'spec')]), inv.anchorField('Service', service, 'spec.selector')],
      chain: [...s.chain, ref, ...(first === undefined ? [] : [refOf('NetworkPolicy', first)])],
      nextActions: [
        { description: `Show the NetworkPolicies of ${ns} and which pods they select`, command: `kubectl describe networkpolicy -n ${ns}`, safety: 'ReadOnly' },
      ],
    });
    return true;
  },
});

/** A closed port and a policy that drops everything are separate faults of ready endpoints: both rules run. */
const readyEndpointRules: readonly Rule<ServiceRun>[] = [undeclaredTargetPortRule, trafficDeniedByNetworkPolicyRule];

// --- a Service without ready endpoints: why? --------------------------------------------------------------

// The EndpointSlice controller writes a slice without ports when no selected pod declares the named targetPort.
const portlessSliceRule = defineRule<ServiceRun>({
  name: 'TargetPortMismatch (slice without ports)',
  proves: ['TargetPortMismatch'],
  run(s) {
    const { inv, ref, ns, service } = s;
    const portless = s.slices.find((slice) => (slice.ports ?? []).length === 0 && (slice.endpoints ?? []).some((e) => e.conditions?.ready === true));
    if (portless === undefined || !s.declaresPorts) return false;
    const targets = (service.spec?.ports ?? []).map((p) => String(p.targetPort ?? p.port));
    inv.report({
      code: 'TargetPortMismatch',
      severity: 'Critical',
      object: ref,
      confidence: 0.95,
      message: `Service ${ns}/${ref.name} selects ready pods, but targetPort ${targets.join(', ')} matches no port they declare, so its EndpointSlice has no ports`,
      anchors: [inv.anchorField('Service', service, 'spec.ports'), inv.anchorField('EndpointSlice', portless, 'ports')],
      chain: [...s.chain, ref],
      nextActions: portActions(ref, ns),
    });
    return true;
  },
});

/** A Service without ready endpoints, with the anchor its findings cite for them. */
interface EmptyServiceRun extends ServiceRun {
  readonly endpointsAnchor: string;
}

// An Ingress or a route in front of a Service without endpoints answers 503: the symptom, said; the rules after it say why.
const noReadyEndpointsRule = defineRule<EmptyServiceRun>({
  name: 'NoReadyEndpoints',
  proves: ['NoReadyEndpoints'],
  run(s) {
    const { inv, ref, ns, chain } = s;
    if (!s.viaIngress) return false;
    inv.report({
      code: 'NoReadyEndpoints',
      severity: 'Critical',
      object: ref,
      confidence: 0.7,
      message: `Service ${ns}/${ref.name} behind the ${chain.some((c) => c.kind === 'Ingress') ? 'ingress' : 'route'} has no ready endpoints`,
      anchors: [s.endpointsAnchor],
      chain: [...chain, ref],
      nextActions: [
        s.describe,
        {
          description: 'List its EndpointSlices',
          command: `kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=${ref.name}`,
          safety: 'ReadOnly',
        },
      ],
    });
    return false;
  },
});

// Without a selector no controller writes endpoints: whoever manages them by hand has none ready.
const noSelectorRule = defineRule<EmptyServiceRun>({
  name: 'NoSelector',
  proves: ['NoSelector'],
  run(s) {
    const { inv, ref, ns } = s;
    if (!s.selectorless) return false;
    inv.report({
      code: 'NoSelector',
      severity: 'Warning',
      object: ref,
      confidence: 0.8,
      message: `Service ${ns}/${ref.name} has no selector, so its endpoints are managed by hand, and none are ready`,
      anchors: [s.endpointsAnchor],
      chain: [...s.chain, ref],
      nextActions: [s.describe],
    });
    return true;
  },
});

/** A Service with a selector and no ready endpoints, with the pods it selects. */
interface SelectingServiceRun extends EmptyServiceRun {
  readonly pods: readonly Pod[];
  readonly selectorAnchor: string;
  readonly notReady: readonly Pod[];
}

// The EndpointSlice controller lists only pods the selector matches: none matched, no endpoints.
const selectorMatchesNoPodsRule = defineRule<SelectingServiceRun>({
  name: 'SelectorMatchesNoPods',
  proves: ['SelectorMatchesNoPods'],
  run(s) {
    const { inv, ref, ns } = s;
    if (s.pods.length > 0) return false;
    inv.report({
      code: 'SelectorMatchesNoPods',
      severity: 'Critical',
      object: ref,
      confidence: 0.95,
      message: `Service ${ns}/${ref.name} selects ${selectorText(s.selector)}, which matches no pod`,
      anchors: [s.selectorAnchor, s.endpointsAnchor],
      chain: [...s.chain, ref],
      nextActions: [
        { description: 'Compare the selector with pod labels', command: `kubectl get pods -n ${ns} --show-labels`, safety: 'ReadOnly' },
        s.describe,
      ],
    });
    return true;
  },
});

// A pod that is not Ready is listed as a not-ready endpoint and gets no traffic: why it is not Ready is the pod's to say.
const podsNotReadyRule = defineRule<SelectingServiceRun>({
  name: 'PodsNotReady',
  proves: ['PodsNotReady'],
  run(s) {
    const { inv, ref, ns, notReady } = s;
    const first = notReady[0];
    if (first === undefined) return false;
    inv.report({
      code: 'PodsNotReady',
      severity: 'Critical',
      object: ref,
      confidence: 0.75,
      message: `${notReady.length} of ${s.pods.length} pod(s) selected by Service ${ns}/${ref.name} are not Ready`,
      anchors: [s.selectorAnchor, inv.anchorField('Pod', first, 'status.conditions[type=Ready]')],
      chain: [...s.chain, ref, refOf('Pod', first)],
      nextActions: [{ description: 'List the selected pods', command: `kubectl get pods -n ${ns} -l ${selectorText(s.selector)}`, safety: 'ReadOnly' }],
    });
    for (const pod of notReady.slice(0, 3)) s.ctx.follow('Pod', pod, [...s.chain, ref]);
    return true;
  },
});

// A numeric targetPort is used as is (containerPort is informational); only a name must resolve to a port the ready pods declare.
const namedTargetPortRule = defineRule<SelectingServiceRun>({
  name: 'TargetPortMismatch (named port)',
  proves: ['TargetPortMismatch'],
  run(s) {
    const { inv, ref, ns, service } = s;
    const namedTargetPorts = (service.spec?.ports ?? []).flatMap((p) => (typeof p.targetPort === 'string' ? [p.targetPort] : []));
    const portNames = new Set(
      s.pods.flatMap((p) => (p.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).flatMap((port) => (port.name === undefined ? [] : [port.name])))),
    );
    const unmatched = namedTargetPorts.filter((name) => !portNames.has(name));
    if (unmatched.length === 0) return false;
    inv.report({
      code: 'TargetPortMismatch',
      severity: 'Critical',
      object: ref,
      confidence: 0.8,
      message: `Service ${ns}/${ref.name} targets port ${unmatched.join(', ')}, which its pods do not expose`,
      anchors: [inv.anchorField('Service', service, 'spec.ports')],
      chain: [...s.chain, ref],
      nextActions: [s.describe],
    });
    return true;
  },
});

/** With pods selected, the first rule that explains the missing endpoints wins: not-ready pods before a port only ready ones would reveal. */
const selectingRules: readonly Rule<SelectingServiceRun>[] = [selectorMatchesNoPodsRule, podsNotReadyRule, namedTargetPortRule];

/** Why no endpoint is ready, in stages: each stage reads (and anchors) only what the rules before it left unexplained. */
function explainNoReadyEndpoints(s: ServiceRun): void {
  const { inv, service, slices } = s;
  if (portlessSliceRule.run(s)) return;
  const empty: EmptyServiceRun = {
    ...s,
    endpointsAnchor: slices[0] === undefined ? inv.anchorField('Service', service, 'spec.selector') : inv.anchorField('EndpointSlice', slices[0], 'endpoints'),
  };
  if (runRules([noReadyEndpointsRule, noSelectorRule], empty)) return;
  const pods = selectedPods(s);
  runRules(selectingRules, {
    ...empty,
    pods,
    selectorAnchor: inv.anchorField('Service', service, 'spec.selector'),
    notReady: pods.filter((pod) => conditionOf(pod.status?.conditions, 'Ready')?.status !== 'True'),
  });
}

/** Proves why a Service has no ready endpoints: no selector, a selector matching nothing, a wrong targetPort, or pods not ready. */
export const serviceEndpoints: Check = {
  name: 'service.endpoints',
  subject: 'Service',
  codes: codesOf([
    noReadyEndpointsRule,
    noSelectorRule,
    selectorMatchesNoPodsRule,
    portlessSliceRule,
    namedTargetPortRule,
    podsNotReadyRule,
    ...readyEndpointRules,
  ]),
  evidence: ['service', 'endpointSlices'],
  run(ctx, subject, chain) {
    const s = serviceRun(ctx, subject, chain);
    if (s === undefined) return;
    if (!hasReadyEndpoints(s)) {
      explainNoReadyEndpoints(s);
      return;
    }
    // Endpoints a controller wrote from a selector can still refuse traffic; hand-managed ones are not ours to judge.
    if (!s.selectorless) for (const rule of readyEndpointRules) rule.run(s);
  },
};
