import type { NextAction, ObjectRef } from '../../crds/envelope';
import { refOf, type Investigation, type Lookup } from '../investigation';
import { annotation, type Ingress, type IngressBackend, type IngressClass, type Service } from '../objects';
import { codesOf, defineRule, runRules, type Check, type CheckContext } from './check';

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

/** What the Ingress rules share: the Ingress, how it was reached, its class, and what could not be read. */
interface IngressRun {
  readonly ctx: CheckContext;
  readonly inv: Investigation;
  readonly ingress: Ingress;
  readonly ref: ObjectRef;
  readonly ns: string;
  /** How it was reached, without it. */
  readonly chain: readonly ObjectRef[];
  /** An address proves a controller serves the ingress: a class problem beside it is at most Info. */
  readonly served: boolean;
  /** spec.ingressClassName: the only field that refers to an IngressClass object. */
  readonly referencedClass: string | undefined;
  /** The legacy annotation, read only without spec.ingressClassName: a string each controller reads itself. */
  readonly legacyClass: string | undefined;
  /** The class by either field. */
  readonly className: string | undefined;
  /** What could not be read cannot be called sound: filled by the rules, read by the last one. */
  readonly unreadable: string[];
  readonly describe: NextAction;
  readonly classList: NextAction;
}

function ingressRun(ctx: CheckContext, ingress: Ingress, chain: readonly ObjectRef[]): IngressRun {
  const ref = refOf('Ingress', ingress);
  const ns = ref.namespace ?? '';
  ctx.inv.note('ingress');
  const referencedClass = ingress.spec?.ingressClassName;
  const legacyClass = referencedClass === undefined ? annotation(ingress, LEGACY_CLASS_ANNOTATION) : undefined;
  return {
    ctx,
    inv: ctx.inv,
    ingress,
    ref,
    ns,
    chain,
    served: (ingress.status?.loadBalancer?.ingress ?? []).length > 0,
    referencedClass,
    legacyClass,
    className: referencedClass ?? legacyClass,
    unreadable: [],
    describe: { description: 'Show the ingress and its events', command: `kubectl describe ingress ${ref.name} -n ${ns}`, safety: 'ReadOnly' },
    classList: { description: 'List IngressClasses', command: 'kubectl get ingressclass', safety: 'ReadOnly' },
  };
}

// No controller picks up a classless Ingress without a default class: a backend fix changes nothing.
const noIngressClassRule = defineRule<IngressRun>({
  name: 'NoIngressClass',
  proves: ['NoIngressClass'],
  run(r) {
    const { inv, ref, ns } = r;
    if (r.className !== undefined) return false;
    const classes = inv.list<IngressClass>('IngressClass', 'ingressClass');
    if (classes === undefined || classes.some((c) => annotation(c, DEFAULT_CLASS_ANNOTATION) === 'true')) return false;
    const message = `Ingress ${ns}/${ref.name} names no IngressClass and the cluster has no default IngressClass`;
    const anchors = [inv.anchorField('Ingress', r.ingress, 'spec.ingressClassName')];
    const nextActions = [r.describe, r.classList];
    if (r.served) {
      inv.report({
        code: 'NoIngressClass',
        severity: 'Info',
        object: ref,
        benign: true,
        message: `${message}, yet it has an address: a controller serves ingresses without a class`,
        anchors,
        nextActions,
      });
      return false;
    }
    inv.report({
      code: 'NoIngressClass',
      severity: 'Critical',
      object: ref,
      confidence: 0.95,
      blocksAlone: true,
      message: `${message}, so no controller will serve it`,
      anchors,
      chain: [...r.chain, ref],
      nextActions,
    });
    return true;
  },
});

// A class nothing defines is a class no controller serves: the backend's state is moot until it exists.
const ingressClassNotFoundRule = defineRule<IngressRun>({
  name: 'IngressClassNotFound',
  proves: ['IngressClassNotFound'],
  run(r) {
    const { inv, ref, ns, referencedClass: className } = r;
    if (className === undefined) return false;
    const lookup = inv.get<IngressClass>('IngressClass', 'ingressClass', className);
    if (lookup.state === 'Unavailable') r.unreadable.push(`IngressClass ${className} (${lookup.reason})`);
    if (lookup.state !== 'Absent') return false;
    const message = `Ingress ${ns}/${ref.name} uses IngressClass "${className}", which does not exist`;
    const anchors = [inv.anchorField('Ingress', r.ingress, 'spec.ingressClassName')];
    const nextActions = [r.classList, r.describe];
    if (r.served) {
      inv.report({
        code: 'IngressClassNotFound',
        severity: 'Info',
        object: ref,
        benign: true,
        message: `${message}, yet it has an address: a controller serves the class without an IngressClass object (cloud controllers do), or did before the object was removed`,
        anchors,
        nextActions,
      });
      return false;
    }
    inv.report({
      code: 'IngressClassNotFound',
      severity: 'Critical',
      object: ref,
      confidence: 1,
      blocksAlone: true,
      message,
      anchors,
      chain: [...r.chain, ref, refOf('IngressClass', undefined, { name: className })],
      nextActions,
    });
    return true;
  },
});

// No IngressClass named by the legacy annotation is normal (GKE's "gce" has none): a note only while no controller answers.
const legacyClassAnnotationRule = defineRule<IngressRun>({
  name: 'LegacyIngressClassAnnotation',
  proves: ['LegacyIngressClassAnnotation'],
  run(r) {
    const { inv, ref, ns, legacyClass } = r;
    if (legacyClass === undefined) return false;
    const lookup = inv.get<IngressClass>('IngressClass', 'ingressClass', legacyClass);
    if (lookup.state !== 'Absent' || r.served) return false;
    inv.report({
      code: 'LegacyIngressClassAnnotation',
      severity: 'Info',
      object: ref,
      benign: true,
      message: `Ingress ${ns}/${ref.name} selects class "${legacyClass}" with the deprecated ${LEGACY_CLASS_ANNOTATION} annotation, which no IngressClass names: normal for controllers that read the annotation themselves (GKE's "gce"), so check that one handling "${legacyClass}" runs`,
      anchors: [inv.anchorField('Ingress', r.ingress, `metadata.annotations[${LEGACY_CLASS_ANNOTATION}]`)],
      nextActions: [r.classList, r.describe],
    });
    // A note, not a fault: the controller that reads the annotation may well serve it.
    return false;
  },
});

/** The class rules apply to exclusive cases (no class, spec.ingressClassName, the annotation): at most one reports. */
const classRules = [noIngressClassRule, ingressClassNotFoundRule, legacyClassAnnotationRule];

/** One backend of the Ingress and what reading its Service found. */
interface BackendRun {
  readonly r: IngressRun;
  readonly backend: IngressBackend;
  /** The field path of the backend in the Ingress. */
  readonly path: string;
  readonly serviceName: string;
  readonly lookup: Lookup<Service>;
  readonly serviceRef: ObjectRef;
}

// The ingress controller has no endpoints to send a missing Service's traffic to: it answers 503.
const backendServiceNotFoundRule = defineRule<BackendRun>({
  name: 'BackendServiceNotFound',
  proves: ['BackendServiceNotFound'],
  run({ r, path, serviceName, lookup, serviceRef }) {
    const { inv, ref, ns } = r;
    if (lookup.state !== 'Absent') return false;
    inv.report({
      code: 'BackendServiceNotFound',
      severity: 'Critical',
      object: ref,
      confidence: 1,
      message: `Ingress ${ns}/${ref.name} routes to Service "${serviceName}", which does not exist`,
      anchors: [inv.anchorField('Ingress', r.ingress, `${path}.service.name`)],
      chain: [...r.chain, ref, serviceRef],
      nextActions: [{ description: 'List Services in the namespace', command: `kubectl get svc -n ${ns}`, safety: 'ReadOnly' }, r.describe],
    });
    return true;
  },
});

// The controller resolves the backend port against the Service's ports: one the Service lacks has no endpoints.
const backendServicePortMismatchRule = defineRule<BackendRun>({
  name: 'BackendServicePortMismatch',
  proves: ['BackendServicePortMismatch'],
  run({ r, backend, path, serviceName, lookup, serviceRef }) {
    const { inv, ref, ns } = r;
    if (lookup.state !== 'Found') return false;
    const service = lookup.object;
    const port = backend.service?.port;
    const ports = service.spec?.ports ?? [];
    if (port === undefined || ports.some((p) => (port.number !== undefined ? p.port === port.number : p.name === port.name))) return false;
    const wanted = port.number ?? port.name ?? '?';
    inv.report({
      code: 'BackendServicePortMismatch',
      severity: 'Critical',
      object: ref,
      confidence: 1,
      message: `Ingress ${ns}/${ref.name} routes to port ${wanted} of Service ${serviceName}, which exposes ${ports.map((p) => `${p.port}${p.name === undefined ? '' : ` (${p.name})`}`).join(', ') || 'no ports'}`,
      anchors: [inv.anchorField('Ingress', r.ingress, `${path}.service.port`), inv.anchorField('Service', service, 'spec.ports')],
      chain: [...r.chain, ref, serviceRef],
      nextActions: [
        { description: 'Show the Service ports', command: `kubectl get svc ${serviceName} -n ${ns} -o jsonpath='{.spec.ports}'`, safety: 'ReadOnly' },
        r.describe,
      ],
    });
    return true;
  },
});

const backendRules = [backendServiceNotFoundRule, backendServicePortMismatchRule];

/** Every backend, in spec order: a faulty one is reported, an unreadable one noted, a sound one followed into its Service. True when one is faulty. */
function examineBackends(r: IngressRun): boolean {
  let faulty = false;
  for (const { backend, path } of backends(r.ingress)) {
    const serviceName = backend.service?.name;
    if (serviceName === undefined) continue;
    const lookup = r.inv.get<Service>('Service', 'service', serviceName, r.ns);
    const serviceRef = refOf('Service', lookup.state === 'Found' ? lookup.object : undefined, { name: serviceName, namespace: r.ns });
    if (runRules(backendRules, { r, backend, path, serviceName, lookup, serviceRef })) faulty = true;
    else if (lookup.state === 'Unavailable') r.unreadable.push(`Service ${serviceName} (${lookup.reason})`);
    else if (lookup.state === 'Found') r.ctx.follow('Service', lookup.object, [...r.chain, r.ref]);
  }
  return faulty;
}

// The controller cannot terminate TLS without the Secret: it serves its default certificate or drops the host.
const tlsSecretNotFoundRule = defineRule<IngressRun>({
  name: 'TLSSecretNotFound',
  proves: ['TLSSecretNotFound'],
  run(r) {
    const { inv, ref, ns } = r;
    let missing = false;
    for (const [index, tls] of (r.ingress.spec?.tls ?? []).entries()) {
      if (tls.secretName === undefined) continue;
      // Secrets are cached metadata-only and only when enabled: otherwise this evidence is unavailable (Forbidden).
      const secret = inv.get('Secret', 'tlsSecrets', tls.secretName, ns);
      if (secret.state !== 'Absent') continue;
      missing = true;
      inv.report({
        code: 'TLSSecretNotFound',
        severity: 'Critical',
        object: ref,
        confidence: 1,
        message: `Ingress ${ns}/${ref.name} terminates TLS with Secret "${tls.secretName}", which does not exist`,
        anchors: [inv.anchorField('Ingress', r.ingress, `spec.tls[${index}].secretName`)],
        chain: [...r.chain, ref, refOf('Secret', undefined, { name: tls.secretName, namespace: ns })],
        nextActions: [
          {
            description: 'List the TLS Secrets in the namespace (names only)',
            command: `kubectl get secrets -n ${ns} --field-selector type=kubernetes.io/tls`,
            safety: 'ReadOnly',
          },
          r.describe,
        ],
      });
    }
    return missing;
  },
});

// A controller that serves an Ingress writes its address into status: a sound Ingress without one has no controller serving it.
const ingressControllerNotReportingRule = defineRule<IngressRun>({
  name: 'IngressControllerNotReporting',
  proves: ['IngressControllerNotReporting'],
  run(r) {
    const { inv, ref, ns, className } = r;
    if (r.served) return false;
    // With part of the ingress unreadable it is a finding, not a root cause: "looks correct" is unproven.
    const unproven = r.unreadable.length > 0;
    inv.report({
      code: 'IngressControllerNotReporting',
      severity: 'Warning',
      object: ref,
      confidence: 0.6,
      message: unproven
        ? `Ingress ${ns}/${ref.name} has no address, and ${r.unreadable.join(', ')} could not be read to tell why`
        : `Ingress ${ns}/${ref.name} looks correct but no ingress controller has given it an address${className === undefined ? '' : ` (class ${className})`}`,
      anchors: [inv.anchorField('Ingress', r.ingress, 'status.loadBalancer.ingress')],
      ...(unproven ? {} : { chain: [...r.chain, ref] }),
      nextActions: [
        { description: 'Find the ingress controller pods', command: 'kubectl get pods -A -l app.kubernetes.io/component=controller', safety: 'ReadOnly' },
        r.describe,
      ],
    });
    return true;
  },
});

/** Proves why an Ingress has no address or cannot route: its class, its backends, their ports, then the controller. */
export const ingressRouting: Check = {
  name: 'ingress.routing',
  subject: 'Ingress',
  codes: codesOf([...classRules, ...backendRules, tlsSecretNotFoundRule, ingressControllerNotReportingRule]),
  evidence: ['ingress'],
  run(ctx, subject, chain) {
    const r = ingressRun(ctx, subject, chain);
    // Class, backends and TLS are separate parts: each is examined, since fixing one does not fix another.
    const classFault = runRules(classRules, r);
    const backendFault = examineBackends(r);
    const tlsFault = tlsSecretNotFoundRule.run(r);
    // Only an Ingress with nothing wrong in it leaves the controller as the explanation.
    if (!classFault && !backendFault && !tlsFault) ingressControllerNotReportingRule.run(r);
  },
};
