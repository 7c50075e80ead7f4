import type { ObjectRef } from '../../crds/envelope';
import { refOf } from '../investigation';
import { annotation, conditionOf, type EndpointSlice, type Ingress, type IngressBackend, type IngressClass, type Pod, type Service } from '../objects';
import { INDEX } from '../snapshot';
import type { Check } from './check';

const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

function backends(ingress: Ingress): { backend: IngressBackend; path: string }[] {
  const found: { backend: IngressBackend; path: string }[] = [];
  if (ingress.spec?.defaultBackend !== undefined) found.push({ backend: ingress.spec.defaultBackend, path: 'spec.defaultBackend' });
  (ingress.spec?.rules ?? []).forEach((rule, r) => {
    (rule.http?.paths ?? []).forEach((p, i) => {
      if (p.backend !== undefined) found.push({ backend: p.backend, path: `spec.rules[${r}].http.paths[${i}].backend` });
    });
  });
  return found;
}

/** Proves why an Ingress has no address or cannot route: its class, its backends, their ports, then the controller. */
export const ingressRouting: Check = {
  name: 'ingress.routing',
  subject: 'Ingress',
  codes: ['NoIngressClass', 'IngressClassNotFound', 'BackendServiceNotFound', 'BackendServicePortMismatch', 'TLSSecretNotFound', 'IngressControllerNotReporting'],
  evidence: ['ingress'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const ingress = subject as Ingress;
    const ref = refOf('Ingress', ingress);
    const ns = ref.namespace ?? '';
    inv.note('ingress');
    const describe = { description: 'Show the ingress and its events', command: `kubectl describe ingress ${ref.name} -n ${ns}`, safety: 'ReadOnly' as const };
    let sound = true;
    const unreadable: string[] = [];

    const className = ingress.spec?.ingressClassName ?? annotation(ingress, LEGACY_CLASS_ANNOTATION);
    if (className === undefined) {
      const classes = inv.list<IngressClass>('IngressClass', 'ingressClass');
      if (classes !== undefined && !classes.some((c) => annotation(c, DEFAULT_CLASS_ANNOTATION) === 'true')) {
        sound = false;
        inv.report({
          code: 'NoIngressClass', severity: 'Critical', object: ref, confidence: 0.95,
          message: `Ingress ${ns}/${ref.name} names no IngressClass and the cluster has no default IngressClass, so no controller will serve it`,
          anchors: [inv.anchorField('Ingress', ingress, 'spec.ingressClassName')], chain: [...chain, ref],
          nextActions: [describe, { description: 'List IngressClasses', command: 'kubectl get ingressclass', safety: 'ReadOnly' }],
        });
      }
    } else {
      const lookup = inv.get<IngressClass>('IngressClass', 'ingressClass', className);
      // What could not be read cannot be called sound: no "controller not reporting" guess on top of it.
      if (lookup.state === 'Unavailable') unreadable.push(`IngressClass ${className} (${lookup.reason})`);
      if (lookup.state === 'Absent') {
        sound = false;
        inv.report({
          code: 'IngressClassNotFound', severity: 'Critical', object: ref, confidence: 1,
          message: `Ingress ${ns}/${ref.name} uses IngressClass "${className}", which does not exist`,
          anchors: [inv.anchorField('Ingress', ingress, 'spec.ingressClassName')],
          chain: [...chain, ref, refOf('IngressClass', undefined, { name: className })],
          nextActions: [{ description: 'List IngressClasses', command: 'kubectl get ingressclass', safety: 'ReadOnly' }, describe],
        });
      }
    }

    for (const { backend, path } of backends(ingress)) {
      const serviceName = backend.service?.name;
      if (serviceName === undefined) continue;
      const lookup = inv.get<Service>('Service', 'service', serviceName, ns);
      const serviceRef = refOf('Service', lookup.state === 'Found' ? lookup.object : undefined, { name: serviceName, namespace: ns });
      if (lookup.state === 'Absent') {
        sound = false;
        inv.report({
          code: 'BackendServiceNotFound', severity: 'Critical', object: ref, confidence: 1,
          message: `Ingress ${ns}/${ref.name} routes to Service "${serviceName}", which does not exist`,
          anchors: [inv.anchorField('Ingress', ingress, `${path}.service.name`)], chain: [...chain, ref, serviceRef],
          nextActions: [{ description: 'List Services in the namespace', command: `kubectl get svc -n ${ns}`, safety: 'ReadOnly' }, describe],
        });
        continue;
      }
      if (lookup.state !== 'Found') {
        unreadable.push(`Service ${serviceName} (${lookup.reason})`);
        continue;
      }
      const service = lookup.object;
      const port = backend.service?.port;
      const ports = service.spec?.ports ?? [];
      const portMatches = port === undefined || ports.some((p) => (port.number !== undefined ? p.port === port.number : p.name === port.name));
      if (!portMatches) {
        sound = false;
        const wanted = port.number ?? port.name ?? '?';
        inv.report({
          code: 'BackendServicePortMismatch', severity: 'Critical', object: ref, confidence: 1,
          message: `Ingress ${ns}/${ref.name} routes to port ${wanted} of Service ${serviceName}, which exposes ${ports.map((p) => `${p.port}${p.name === undefined ? '' : ` (${p.name})`}`).join(', ') || 'no ports'}`,
          anchors: [inv.anchorField('Ingress', ingress, `${path}.service.port`), inv.anchorField('Service', service, 'spec.ports')],
          chain: [...chain, ref, serviceRef],
          nextActions: [{ description: 'Show the Service ports', command: `kubectl get svc ${serviceName} -n ${ns} -o jsonpath='{.spec.ports}'`, safety: 'ReadOnly' }, describe],
        });
        continue;
      }
      ctx.follow('Service', service, [...chain, ref]);
    }

    // Secrets are cached metadata-only and only when enabled: otherwise this evidence is unavailable (Forbidden).
    for (const [index, tls] of (ingress.spec?.tls ?? []).entries()) {
      if (tls.secretName === undefined) continue;
      const secret = inv.get('Secret', 'tlsSecrets', tls.secretName, ns);
      if (secret.state !== 'Absent') continue;
      sound = false;
      inv.report({
        code: 'TLSSecretNotFound', severity: 'Critical', object: ref, confidence: 1,
        message: `Ingress ${ns}/${ref.name} terminates TLS with Secret "${tls.secretName}", which does not exist`,
        anchors: [inv.anchorField('Ingress', ingress, `spec.tls[${index}].secretName`)],
        chain: [...chain, ref, refOf('Secret', undefined, { name: tls.secretName, namespace: ns })],
        nextActions: [
          { description: 'List the TLS Secrets in the namespace (names only)', command: `kubectl get secrets -n ${ns} --field-selector type=kubernetes.io/tls`, safety: 'ReadOnly' },
          describe,
        ],
      });
    }

    const addresses = ingress.status?.loadBalancer?.ingress ?? [];
    if (sound && addresses.length === 0) {
      // With part of the ingress unreadable it is a finding, not a root cause: "looks correct" is unproven.
      const unproven = unreadable.length > 0;
      inv.report({
        code: 'IngressControllerNotReporting', severity: 'Warning', object: ref, confidence: 0.6,
        message: unproven
          ? `Ingress ${ns}/${ref.name} has no address, and ${unreadable.join(', ')} could not be read to tell why`
          : `Ingress ${ns}/${ref.name} looks correct but no ingress controller has given it an address${className === undefined ? '' : ` (class ${className})`}`,
        anchors: [inv.anchorField('Ingress', ingress, 'status.loadBalancer.ingress')],
        ...(unproven ? {} : { chain: [...chain, ref] }),
        nextActions: [{ description: 'Find the ingress controller pods', command: 'kubectl get pods -A -l app.kubernetes.io/component=controller', safety: 'ReadOnly' }, describe],
      });
    }
  },
};

function selectorMatches(selector: Readonly<Record<string, string>>, pod: Pod): boolean {
  return Object.entries(selector).every(([key, value]) => pod.metadata?.labels?.[key] === value);
}

/** Proves why a Service has no ready endpoints: no selector, a selector matching nothing, a wrong targetPort, or pods not ready. */
export const serviceEndpoints: Check = {
  name: 'service.endpoints',
  subject: 'Service',
  codes: ['NoReadyEndpoints', 'NoSelector', 'SelectorMatchesNoPods', 'TargetPortMismatch', 'PodsNotReady'],
  evidence: ['service', 'endpointSlices'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const service = subject as Service;
    const ref = refOf('Service', service);
    const ns = ref.namespace ?? '';
    inv.note('service');
    // ExternalName and headless Services without selectors are known-benign: nothing to prove.
    if (service.spec?.type === 'ExternalName') return;
    const slices = inv.byIndex<EndpointSlice>('EndpointSlice', 'endpointSlices', INDEX.service, `${ns}/${ref.name}`);
    if (slices === undefined) return;
    // A ready endpoint in a slice without ports carries no traffic: 1.35 writes `ports: null` when the
    // targetPort resolves on no pod, while still listing the pods as ready.
    const withPorts = slices.filter((s) => (s.ports ?? []).length > 0);
    const ready = withPorts.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready === true);
    if (ready.length > 0) return;
    const portless = slices.find((s) => (s.ports ?? []).length === 0 && (s.endpoints ?? []).some((e) => e.conditions?.ready === true));
    if (portless !== undefined) {
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
    const viaIngress = chain.some((c) => c.kind === 'Ingress');
    const endpointsAnchor = slices[0] === undefined
      ? inv.anchorField('Service', service, 'spec.selector')
      : inv.anchorField('EndpointSlice', slices[0], 'endpoints');
    const describe = { description: 'Show the Service and its endpoints', command: `kubectl describe svc ${ref.name} -n ${ns}`, safety: 'ReadOnly' as const };
    if (viaIngress) {
      inv.report({
        code: 'NoReadyEndpoints', severity: 'Critical', object: ref, confidence: 0.7,
        message: `Service ${ns}/${ref.name} behind the ingress has no ready endpoints`,
        anchors: [endpointsAnchor], chain: [...chain, ref],
        nextActions: [describe, { description: 'List its EndpointSlices', command: `kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=${ref.name}`, safety: 'ReadOnly' }],
      });
    }
    const selector = service.spec?.selector;
    if (selector === undefined || Object.keys(selector).length === 0) {
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
      const targetPorts = (service.spec?.ports ?? []).map((p) => p.targetPort ?? p.port);
      const containerPorts = pods.flatMap((p) => (p.spec?.containers ?? []).flatMap((c) => c.ports ?? []));
      const unmatched = targetPorts.filter((t) => (typeof t === 'number' ? !containerPorts.some((c) => c.containerPort === t) : !containerPorts.some((c) => c.name === t)));
      if (unmatched.length > 0 && containerPorts.length > 0) {
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
