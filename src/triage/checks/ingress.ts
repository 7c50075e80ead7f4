import { refOf } from '../investigation';
import { annotation, type Ingress, type IngressBackend, type IngressClass, type Service } from '../objects';
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
  codes: ['NoIngressClass', 'IngressClassNotFound', 'LegacyIngressClassAnnotation', 'BackendServiceNotFound', 'BackendServicePortMismatch', 'TLSSecretNotFound', 'IngressControllerNotReporting'],
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

    // An address proves a controller serves the ingress: a class problem beside it is at most Info.
    const addresses = ingress.status?.loadBalancer?.ingress ?? [];
    const served = addresses.length > 0;
    const classList = { description: 'List IngressClasses', command: 'kubectl get ingressclass', safety: 'ReadOnly' as const };
    // Only spec.ingressClassName refers to an IngressClass object; the legacy annotation is a string each controller reads itself.
    const referencedClass = ingress.spec?.ingressClassName;
    const legacyClass = referencedClass === undefined ? annotation(ingress, LEGACY_CLASS_ANNOTATION) : undefined;
    const className = referencedClass ?? legacyClass;
    if (className === undefined) {
      const classes = inv.list<IngressClass>('IngressClass', 'ingressClass');
      if (classes !== undefined && !classes.some((c) => annotation(c, DEFAULT_CLASS_ANNOTATION) === 'true')) {
        const message = `Ingress ${ns}/${ref.name} names no IngressClass and the cluster has no default IngressClass`;
        const anchors = [inv.anchorField('Ingress', ingress, 'spec.ingressClassName')];
        const nextActions = [describe, classList];
        if (served) {
          inv.report({ code: 'NoIngressClass', severity: 'Info', object: ref, benign: true, message: `${message}, yet it has an address: a controller serves ingresses without a class`, anchors, nextActions });
        } else {
          sound = false;
          inv.report({
            // No controller picks up a classless Ingress without a default class: a backend fix changes nothing.
            code: 'NoIngressClass', severity: 'Critical', object: ref, confidence: 0.95, blocksAlone: true,
            message: `${message}, so no controller will serve it`, anchors, chain: [...chain, ref], nextActions,
          });
        }
      }
    } else if (legacyClass !== undefined) {
      const lookup = inv.get<IngressClass>('IngressClass', 'ingressClass', legacyClass);
      // No IngressClass object is normal here (GKE's "gce" has none): worth a note only while no controller answers.
      if (lookup.state === 'Absent' && !served) {
        inv.report({
          code: 'LegacyIngressClassAnnotation', severity: 'Info', object: ref, benign: true,
          message: `Ingress ${ns}/${ref.name} selects class "${legacyClass}" with the deprecated ${LEGACY_CLASS_ANNOTATION} annotation, which no IngressClass names: normal for controllers that read the annotation themselves (GKE's "gce"), so check that one handling "${legacyClass}" runs`,
          anchors: [inv.anchorField('Ingress', ingress, `metadata.annotations[${LEGACY_CLASS_ANNOTATION}]`)],
          nextActions: [classList, describe],
        });
      }
    } else {
      const lookup = inv.get<IngressClass>('IngressClass', 'ingressClass', className);
      // What could not be read cannot be called sound: no "controller not reporting" guess on top of it.
      if (lookup.state === 'Unavailable') unreadable.push(`IngressClass ${className} (${lookup.reason})`);
      if (lookup.state === 'Absent') {
        const message = `Ingress ${ns}/${ref.name} uses IngressClass "${className}", which does not exist`;
        const anchors = [inv.anchorField('Ingress', ingress, 'spec.ingressClassName')];
        const nextActions = [classList, describe];
        if (served) {
          inv.report({ code: 'IngressClassNotFound', severity: 'Info', object: ref, benign: true, message: `${message}, yet it has an address: a controller serves the class without an IngressClass object (cloud controllers do), or did before the object was removed`, anchors, nextActions });
        } else {
          sound = false;
          inv.report({
            // A class nothing defines is a class no controller serves: the backend's state is moot until it exists.
            code: 'IngressClassNotFound', severity: 'Critical', object: ref, confidence: 1, blocksAlone: true, message, anchors,
            chain: [...chain, ref, refOf('IngressClass', undefined, { name: className })], nextActions,
          });
        }
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

    if (sound && !served) {
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
