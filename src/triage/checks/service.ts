import type { ObjectRef } from '../../crds/envelope';
import { refOf } from '../investigation';
import { conditionOf, type EndpointSlice, type Pod, type Service } from '../objects';
import { selectorMatches as labelSelectorMatches, type LabelSelectorSpec } from '../label-selector';
import { INDEX, type KubeObject } from '../snapshot';
import type { Check, CheckContext } from './check';

function selectorMatches(selector: Readonly<Record<string, string>>, pod: Pod): boolean {
  return Object.entries(selector).every(([key, value]) => pod.metadata?.labels?.[key] === value);
}

/** Proves why a Service has no ready endpoints: no selector, a selector matching nothing, a wrong targetPort, or pods not ready. */
export const serviceEndpoints: Check = {
  name: 'service.endpoints',
  subject: 'Service',
  codes: ['NoReadyEndpoints', 'NoSelector', 'SelectorMatchesNoPods', 'TargetPortMismatch', 'PodsNotReady', 'TrafficDeniedByNetworkPolicy'],
  evidence: ['service', 'endpointSlices'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const service = subject as Service;
    const ref = refOf('Service', service);
    const ns = ref.namespace ?? '';
    inv.note('service');
    const selector = service.spec?.selector;
    const selectorless = selector === undefined || Object.keys(selector).length === 0;
    // Routed to by an Ingress or an HTTPRoute: traffic is expected, so even a selectorless Service is examined.
    const viaIngress = chain.some((c) => c.kind === 'Ingress' || c.kind === 'HTTPRoute');
    // ExternalName and headless Services without selectors are known-benign: nothing to prove, unless an Ingress routes to them.
    if (service.spec?.type === 'ExternalName') return;
    if (service.spec?.clusterIP === 'None' && selectorless && !viaIngress) return;
    const slices = inv.byIndex<EndpointSlice>('EndpointSlice', 'endpointSlices', INDEX.service, `${ns}/${ref.name}`);
    if (slices === undefined) return;
    // A ready endpoint in a slice without ports carries no traffic: 1.35 writes `ports: null` when the
    // targetPort resolves on no pod, while still listing the pods as ready. A Service that declares no
    // ports (headless) only ever gets slices without ports: there they are its endpoints.
    const declaresPorts = (service.spec?.ports ?? []).length > 0;
    const serving = declaresPorts ? slices.filter((s) => (s.ports ?? []).length > 0) : slices;
    const ready = serving.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready === true);
    if (ready.length > 0) {
      if (!selectorless) {
        undeclaredNumericTarget(ctx, service, chain);
        deniedByNetworkPolicy(ctx, service, chain);
      }
      return;
    }
    const portless = slices.find((s) => (s.ports ?? []).length === 0 && (s.endpoints ?? []).some((e) => e.conditions?.ready === true));
    if (portless !== undefined && declaresPorts) {
      const targets = (service.spec?.ports ?? []).map((p) => String(p.targetPort ?? p.port));
      inv.report({
        code: 'TargetPortMismatch', severity: 'Critical', object: ref, confidence: 0.95,
        message: `Service ${ns}/${ref.name} selects ready pods, but targetPort ${targets.join(', ')} matches no port they declare, so its EndpointSlice has no ports`,
        anchors: [inv.anchorField('Service', service, 'spec.ports'), inv.anchorField('EndpointSlice', portless, 'ports')],
        chain: [...chain, ref],
        nextActions: [
          { description: 'Compare the Service targetPort with the container ports', command: `kubectl get svc ${ref.name} -n ${ns} -o jsonpath='{.spec.ports}'`, safety: 'ReadOnly' },
          { description: 'List the pods and their declared ports', command: `kubectl get pods -n ${ns} -o custom-columns=NAME:.metadata.name,PORTS:.spec.containers[*].ports`, safety: 'ReadOnly' },
        ],
      });
      return;
    }
    const endpointsAnchor = slices[0] === undefined
      ? inv.anchorField('Service', service, 'spec.selector')
      : inv.anchorField('EndpointSlice', slices[0], 'endpoints');
    const describe = { description: 'Show the Service and its endpoints', command: `kubectl describe svc ${ref.name} -n ${ns}`, safety: 'ReadOnly' as const };
    if (viaIngress) {
      inv.report({
        code: 'NoReadyEndpoints', severity: 'Critical', object: ref, confidence: 0.7,
        message: `Service ${ns}/${ref.name} behind the ${chain.some((c) => c.kind === 'Ingress') ? 'ingress' : 'route'} has no ready endpoints`,
        anchors: [endpointsAnchor], chain: [...chain, ref],
        nextActions: [describe, { description: 'List its EndpointSlices', command: `kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=${ref.name}`, safety: 'ReadOnly' }],
      });
    }
    if (selectorless) {
      inv.report({
        code: 'NoSelector', severity: 'Warning', object: ref, confidence: 0.8,
        message: `Service ${ns}/${ref.name} has no selector, so its endpoints are managed by hand, and none are ready`,
        anchors: [endpointsAnchor], chain: [...chain, ref], nextActions: [describe],
      });
      return;
    }
    const pods = (inv.list<Pod>('Pod', 'service.pods', ns) ?? []).filter((pod) => selectorMatches(selector, pod));
    const selectorAnchor = inv.anchorField('Service', service, 'spec.selector');
    if (pods.length === 0) {
      inv.report({
        code: 'SelectorMatchesNoPods', severity: 'Critical', object: ref, confidence: 0.95,
        message: `Service ${ns}/${ref.name} selects ${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')}, which matches no pod`,
        anchors: [selectorAnchor, endpointsAnchor], chain: [...chain, ref],
        nextActions: [{ description: 'Compare the selector with pod labels', command: `kubectl get pods -n ${ns} --show-labels`, safety: 'ReadOnly' }, describe],
      });
      return;
    }
    const notReady = pods.filter((pod) => conditionOf(pod.status?.conditions, 'Ready')?.status !== 'True');
    if (notReady.length === 0) {
      // A numeric targetPort is used as is (containerPort is informational); only a name must resolve to a declared port.
      const namedTargetPorts = (service.spec?.ports ?? []).flatMap((p) => (typeof p.targetPort === 'string' ? [p.targetPort] : []));
      const portNames = new Set(pods.flatMap((p) => (p.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).flatMap((port) => (port.name === undefined ? [] : [port.name])))));
      const unmatched = namedTargetPorts.filter((name) => !portNames.has(name));
      if (unmatched.length > 0) {
        inv.report({
          code: 'TargetPortMismatch', severity: 'Critical', object: ref, confidence: 0.8,
          message: `Service ${ns}/${ref.name} targets port ${unmatched.join(', ')}, which its pods do not expose`,
          anchors: [inv.anchorField('Service', service, 'spec.ports')], chain: [...chain, ref],
          nextActions: [describe],
        });
      }
      return;
    }
    const first = notReady[0];
    const chainToPod: ObjectRef[] = first === undefined ? [...chain, ref] : [...chain, ref, refOf('Pod', first)];
    inv.report({
      code: 'PodsNotReady', severity: 'Critical', object: ref, confidence: 0.75,
      message: `${notReady.length} of ${pods.length} pod(s) selected by Service ${ns}/${ref.name} are not Ready`,
      anchors: [selectorAnchor, ...(first === undefined ? [] : [inv.anchorField('Pod', first, 'status.conditions[type=Ready]')])],
      chain: chainToPod,
      nextActions: [{ description: 'List the selected pods', command: `kubectl get pods -n ${ns} -l ${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')}`, safety: 'ReadOnly' }],
    });
    for (const pod of notReady.slice(0, 3)) ctx.follow('Pod', pod, [...chain, ref]);
  },
};

/**
 * A numeric targetPort is used as is, so the EndpointSlice lists ready endpoints even when nothing
 * listens there; containerPort is informational, but when every selected pod declares its ports and
 * none declares this one, traffic most likely lands on a closed port.
 */
function undeclaredNumericTarget(ctx: CheckContext, service: Service, chain: readonly ObjectRef[]): void {
  const { inv } = ctx;
  const ref = refOf('Service', service);
  const ns = ref.namespace ?? '';
  const numeric = (service.spec?.ports ?? []).filter((p) => typeof p.targetPort === 'number' || (p.targetPort === undefined && typeof p.port === 'number'));
  if (numeric.length === 0) return;
  const pods = (inv.list<Pod>('Pod', 'service.pods', ns) ?? []).filter((pod) => selectorMatches(service.spec?.selector ?? {}, pod));
  // Native sidecars (restartable init containers) serve ports too.
  const serving = (pod: Pod) => [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => (c as { restartPolicy?: string }).restartPolicy === 'Always')];
  const declared = pods.map((pod) => serving(pod).flatMap((c) => (c.ports ?? []).map((port) => `${port.containerPort}/${port.protocol ?? 'TCP'}`)));
  if (pods.length === 0 || declared.some((ports) => ports.length === 0)) return;
  const missing = numeric.filter((p) => {
    const target = `${String(p.targetPort ?? p.port)}/${p.protocol ?? 'TCP'}`;
    return declared.every((ports) => !ports.includes(target));
  });
  if (missing.length === 0) return;
  const podPorts = [...new Set(declared.flat())].sort().join(', ');
  inv.report({
    // containerPort is informational (an app may serve a port it does not declare): a Warning, not Critical.
    code: 'TargetPortMismatch', severity: 'Warning', object: ref, confidence: 0.7,
    message: `Service ${ns}/${ref.name} sends traffic to targetPort ${missing.map((p) => String(p.targetPort ?? p.port)).join(', ')}, which none of its ${pods.length} pod(s) declares (they declare ${podPorts}): connections most likely reach a closed port`,
    anchors: [inv.anchorField('Service', service, 'spec.ports'), ...(pods[0] === undefined ? [] : [inv.anchorField('Pod', pods[0], 'spec.containers')])],
    chain: [...chain, ref],
    nextActions: [
      { description: 'Compare the Service targetPort with the container ports', command: `kubectl get svc ${ref.name} -n ${ns} -o jsonpath='{.spec.ports}'`, safety: 'ReadOnly' },
      { description: 'List the pods and their declared ports', command: `kubectl get pods -n ${ns} -o custom-columns=NAME:.metadata.name,PORTS:.spec.containers[*].ports`, safety: 'ReadOnly' },
    ],
  });
}

interface NetworkPolicy extends KubeObject {
  readonly spec?: { readonly podSelector?: LabelSelectorSpec; readonly policyTypes?: readonly string[]; readonly ingress?: readonly unknown[] };
}

/** Whether a policy isolates its pods for ingress: policyTypes says Ingress, or (unset) it is implied. */
function isolatesIngress(policy: NetworkPolicy): boolean {
  const types = policy.spec?.policyTypes;
  return types === undefined || types.length === 0 || types.includes('Ingress');
}

/**
 * NetworkPolicies are additive: a pod selected by an ingress policy accepts only what some selecting
 * policy's rules allow. When every selected pod is isolated and no rule of any policy selecting it
 * allows anything, the Service's ready endpoints accept no connection (where the network plugin
 * enforces NetworkPolicy).
 */
function deniedByNetworkPolicy(ctx: CheckContext, service: Service, chain: readonly ObjectRef[]): void {
  const { inv } = ctx;
  const ref = refOf('Service', service);
  const ns = ref.namespace ?? '';
  const policies = (inv.list<NetworkPolicy>('NetworkPolicy', 'service.networkpolicies', ns) ?? []).filter(isolatesIngress);
  if (policies.length === 0) return;
  const pods = (inv.list<Pod>('Pod', 'service.pods', ns) ?? []).filter((pod) => selectorMatches(service.spec?.selector ?? {}, pod));
  if (pods.length === 0) return;
  const selecting = pods.map((pod) => policies.filter((p) => labelSelectorMatches(p.spec?.podSelector ?? {}, pod.metadata?.labels ?? {})));
  const deniedEverywhere = selecting.every((list) => list.length > 0 && list.every((p) => (p.spec?.ingress ?? []).length === 0));
  if (!deniedEverywhere) return;
  const names = [...new Set(selecting.flat().map((p) => p.metadata?.name ?? ''))].sort();
  const first = selecting[0]?.[0];
  inv.report({
    code: 'TrafficDeniedByNetworkPolicy', severity: 'Warning', object: ref, confidence: 0.8,
    message: `Service ${ns}/${ref.name} has ready endpoints, but NetworkPolicy ${names.join(', ')} isolates all ${pods.length} of its pod(s) for ingress with no rule that allows any source: connections are dropped wherever the network plugin enforces NetworkPolicy`,
    anchors: [...(first === undefined ? [] : [inv.anchorField('NetworkPolicy', first, 'spec')]), inv.anchorField('Service', service, 'spec.selector')],
    chain: [...chain, ref, ...(first === undefined ? [] : [refOf('NetworkPolicy', first)])],
    nextActions: [{ description: `Show the NetworkPolicies of ${ns} and which pods they select`, command: `kubectl describe networkpolicy -n ${ns}`, safety: 'ReadOnly' }],
  });
}
