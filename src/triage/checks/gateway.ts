import type { NextAction } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import { selectorMatches, type LabelSelectorSpec } from '../label-selector';
import type { Condition, Service } from '../objects';
import type { KubeObject } from '../snapshot';
import type { Check } from './check';

// Gateway API (gateway.networking.k8s.io/v1), read from the objects' specs and from what their
// controller writes into status. The CRDs set every status to `Accepted: Unknown, reason Pending,
// "Waiting for controller"` until a controller answers, so Pending is read as "no answer yet".

const GATEWAY_GROUP = 'gateway.networking.k8s.io';
/** Controllers answer within seconds; a minute also covers one restarting. Before that, Pending is awaited. */
export const GATEWAY_GRACE_SECONDS = 60;

interface GatewayCondition extends Condition {
  readonly observedGeneration?: number;
}

interface GatewayClass extends KubeObject {
  readonly spec?: { readonly controllerName?: string };
  readonly status?: { readonly conditions?: readonly GatewayCondition[] };
}

interface Listener {
  readonly name?: string;
  readonly hostname?: string;
  readonly port?: number;
  readonly protocol?: string;
  readonly allowedRoutes?: {
    readonly namespaces?: { readonly from?: string; readonly selector?: LabelSelectorSpec };
    readonly kinds?: readonly { readonly group?: string; readonly kind?: string }[];
  };
}

interface ListenerStatus {
  readonly name?: string;
  readonly supportedKinds?: readonly { readonly group?: string; readonly kind?: string }[];
  readonly conditions?: readonly GatewayCondition[];
}

interface Gateway extends KubeObject {
  readonly spec?: { readonly gatewayClassName?: string; readonly listeners?: readonly Listener[] };
  readonly status?: { readonly conditions?: readonly GatewayCondition[]; readonly listeners?: readonly ListenerStatus[] };
}

interface ParentRef {
  readonly group?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly sectionName?: string;
  readonly port?: number;
}

interface BackendRef {
  readonly group?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly port?: number;
  readonly weight?: number;
}

interface HTTPRoute extends KubeObject {
  readonly spec?: {
    readonly parentRefs?: readonly ParentRef[];
    readonly hostnames?: readonly string[];
    readonly rules?: readonly { readonly backendRefs?: readonly BackendRef[] }[];
  };
  readonly status?: { readonly parents?: readonly { readonly parentRef?: ParentRef; readonly controllerName?: string; readonly conditions?: readonly GatewayCondition[] }[] };
}

type Answer = { readonly state: 'True' | 'False'; readonly condition: GatewayCondition; readonly stale: boolean } | { readonly state: 'Pending' };

/**
 * A controller's answer in one condition; Unknown or absent is no answer yet. An answer about an
 * older generation is still the latest word (controllers are seconds behind an edit), marked stale.
 */
function answerOf(conditions: readonly GatewayCondition[] | undefined, type: string, generation: number | undefined): Answer {
  const condition = (conditions ?? []).find((c) => c.type === type);
  if (condition === undefined || (condition.status !== 'True' && condition.status !== 'False')) return { state: 'Pending' };
  const stale = generation !== undefined && condition.observedGeneration !== undefined && condition.observedGeneration < generation;
  return { state: condition.status, condition, stale };
}

const said = (c: GatewayCondition) => `${c.reason ?? 'no reason'}${c.message === undefined || c.message === '' ? '' : `: ${c.message}`}`;

/** Hostnames intersect when equal, or when a wildcard (`*.example.com`, any depth) covers the other. */
export function hostnamesIntersect(a: string, b: string): boolean {
  const covers = (wild: string, other: string) => wild.startsWith('*.') && other.endsWith(wild.slice(1));
  return a === b || covers(a, b) || covers(b, a);
}

/** Still inside the grace period: the time left, for an Info finding that is re-checked when it ends. */
function graceLeft(inv: Investigation, object: KubeObject): number | undefined {
  const age = inv.ageSeconds(object.metadata?.creationTimestamp);
  return age !== undefined && age < GATEWAY_GRACE_SECONDS ? Math.ceil(GATEWAY_GRACE_SECONDS - age) + 1 : undefined;
}

/**
 * Proves why a Gateway serves nothing: its class missing or refused (no controller will ever program
 * it), then the controller's own refusal of the Gateway, its data plane, and its listeners.
 */
export const gatewayStatus: Check = {
  name: 'gateway.status',
  subject: 'Gateway',
  codes: ['GatewayClassNotFound', 'GatewayClassNotAccepted', 'GatewayNotAccepted', 'GatewayNotProgrammed', 'GatewayListenerInvalid', 'GatewayPending'],
  evidence: ['gateway', 'gatewayClass'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const gateway = subject as Gateway;
    const ref = refOf('Gateway', gateway);
    const ns = ref.namespace ?? '';
    const path = [...chain, ref];
    inv.note('gateway');
    const describe: NextAction = { description: 'Show the Gateway, its conditions and listeners', command: `kubectl describe gateway ${ref.name} -n ${ns}`, safety: 'ReadOnly' };
    const className = gateway.spec?.gatewayClassName ?? '';
    const classAction: NextAction = { description: 'List GatewayClasses and whether their controller accepted them', command: 'kubectl get gatewayclass', safety: 'ReadOnly' };
    const lookup = inv.get<GatewayClass>('GatewayClass', 'gatewayClass', className);
    if (lookup.state === 'Absent') {
      inv.report({
        // No class, no controller: nothing below the Gateway matters until it exists.
        code: 'GatewayClassNotFound', severity: 'Critical', object: ref, confidence: 1, blocksAlone: true,
        message: `Gateway ${ns}/${ref.name} uses GatewayClass "${className}", which does not exist, so no controller will program it`,
        anchors: [inv.anchorField('Gateway', gateway, 'spec.gatewayClassName')],
        chain: [...path, refOf('GatewayClass', undefined, { name: className })],
        nextActions: [classAction, describe],
      });
      return;
    }
    if (lookup.state === 'Found') {
      const gatewayClass = lookup.object;
      const classRef = refOf('GatewayClass', gatewayClass);
      const controller = gatewayClass.spec?.controllerName ?? '?';
      const accepted = answerOf(gatewayClass.status?.conditions, 'Accepted', gatewayClass.metadata?.generation);
      const anchor = () => inv.anchorField('GatewayClass', gatewayClass, 'status.conditions[type=Accepted]');
      if (accepted.state === 'False') {
        inv.report({
          // The controller refused the class (bad parameters, unsupported version): it will not program Gateways of it.
          code: 'GatewayClassNotAccepted', severity: 'Critical', object: ref, confidence: 0.95, blocksAlone: true,
          message: `GatewayClass ${className} of Gateway ${ns}/${ref.name} was refused by its controller ${controller}: ${said(accepted.condition)}`,
          anchors: [anchor()], chain: [...path, classRef], nextActions: [{ description: `Show GatewayClass ${className}`, command: `kubectl describe gatewayclass ${className}`, safety: 'ReadOnly' }, describe],
        });
        return;
      }
      if (accepted.state === 'Pending') {
        const left = graceLeft(inv, gatewayClass);
        if (left !== undefined) {
          inv.report({
            code: 'GatewayPending', severity: 'Info', object: ref, confidence: 0.8, benign: true, recheckAfterSeconds: left,
            message: `GatewayClass ${className} of Gateway ${ns}/${ref.name} was created moments ago and awaits its controller ${controller}`,
            anchors: [anchor()], chain: [...path, classRef], nextActions: [classAction],
          });
          return;
        }
        inv.report({
          // Nothing answered for the controllerName in a minute: no controller of that name runs.
          code: 'GatewayClassNotAccepted', severity: 'Critical', object: ref, confidence: 0.85, blocksAlone: true,
          message: `GatewayClass ${className} of Gateway ${ns}/${ref.name} was never accepted: no controller named ${controller} has answered (status still Pending), so none runs`,
          anchors: [inv.anchorField('GatewayClass', gatewayClass, 'spec.controllerName'), anchor()], chain: [...path, classRef],
          nextActions: [{ description: `Find the controller that should serve ${controller}`, command: 'kubectl get pods -A -l app.kubernetes.io/component=controller', safety: 'ReadOnly' }, classAction],
        });
        return;
      }
    }

    const generation = gateway.metadata?.generation;
    const left = graceLeft(inv, gateway);
    const awaiting = (what: string, condition: string) => { inv.report({
        code: 'GatewayPending', severity: 'Info', object: ref, confidence: 0.8, benign: true, recheckAfterSeconds: left,
        message: `Gateway ${ns}/${ref.name} was created moments ago and is not ${what} yet`,
        anchors: [inv.anchorField('Gateway', gateway, `status.conditions[type=${condition}]`)], chain: path, nextActions: [describe],
      }); };
    const accepted = answerOf(gateway.status?.conditions, 'Accepted', generation);
    if (accepted.state === 'False') {
      inv.report({
        // The controller read the Gateway and refused it (invalid parameters, unsupported address, no listener valid).
        code: 'GatewayNotAccepted', severity: 'Critical', object: ref, confidence: accepted.stale ? 0.7 : 0.95, blocksAlone: true,
        message: `Gateway ${ns}/${ref.name} was refused by its controller: ${said(accepted.condition)}${accepted.stale ? ' (said of an earlier generation: the latest edit is not answered yet)' : ''}`,
        anchors: [inv.anchorField('Gateway', gateway, 'status.conditions[type=Accepted]')], chain: path, nextActions: [describe],
      });
      return;
    }
    if (accepted.state === 'Pending') {
      if (left !== undefined) {
        awaiting('accepted', 'Accepted');
      } else if (lookup.state === 'Found') {
        inv.report({
          // The class is accepted, so its controller runs, yet it never answered for this Gateway: it ignores or cannot reach it.
          code: 'GatewayNotAccepted', severity: 'Critical', object: ref, confidence: 0.7, blocksAlone: true,
          message: `Gateway ${ns}/${ref.name} has not been accepted by the controller of GatewayClass ${className}, which accepted the class: the controller is not reconciling it (down, or watching other namespaces)`,
          anchors: [inv.anchorField('Gateway', gateway, 'status.conditions[type=Accepted]')], chain: path, nextActions: [describe, classAction],
        });
      }
      return;
    }
    const programmed = answerOf(gateway.status?.conditions, 'Programmed', generation);
    if (programmed.state !== 'True') {
      // A new Gateway waits for its data plane (an address, a load balancer): not decidable within the minute.
      if (left !== undefined) {
        awaiting('programmed', 'Programmed');
        return;
      }
      inv.report({
        code: 'GatewayNotProgrammed', severity: 'Critical', object: ref, confidence: programmed.state === 'False' ? 0.9 : 0.7,
        message: programmed.state === 'False'
          ? `Gateway ${ns}/${ref.name} was accepted but its controller could not program it: ${said(programmed.condition)}`
          : `Gateway ${ns}/${ref.name} was accepted but its controller has not reported it programmed`,
        anchors: [inv.anchorField('Gateway', gateway, 'status.conditions[type=Programmed]')], chain: path, nextActions: [describe],
      });
    }
    // Reached from a route: only the listeners that route attaches to are its business.
    const attached = attachedListeners(inv, chain, gateway);
    const listeners = (gateway.status?.listeners ?? []).filter((l) => attached === undefined || attached.has(l.name ?? ''));
    const broken = listeners.flatMap((listener) => {
      const conditions = listener.conditions ?? [];
      const bad = conditions.find((c) => listenerFault(c, listener, left !== undefined));
      return bad === undefined ? [] : [{ listener, bad }];
    });
    for (const { listener, bad } of broken) {
      const all = broken.length === listeners.length;
      inv.report({
        code: 'GatewayListenerInvalid', severity: all ? 'Critical' : 'Warning', object: ref, confidence: 0.9,
        message: `Listener ${listener.name ?? '?'} of Gateway ${ns}/${ref.name} is ${bad.type === 'Conflicted' ? 'in conflict' : `not ${bad.type === 'ResolvedRefs' ? 'resolving its references' : (bad.type ?? '').toLowerCase()}`}: ${said(bad)}`,
        anchors: [inv.anchorField('Gateway', gateway, `status.listeners[name=${listener.name ?? ''}].conditions[type=${bad.type ?? ''}]`)], chain: path, nextActions: [describe],
      });
    }
  },
};

/**
 * A listener condition that makes it unusable: not accepted, refs unresolved (a TLS Secret), not
 * programmed, or in conflict. Not: route kinds it cannot serve beside ones it does (the valid kinds are
 * still served), nor a young Gateway's listener still being programmed.
 */
function listenerFault(c: GatewayCondition, listener: ListenerStatus, young: boolean): boolean {
  if (c.type === 'Conflicted') return c.status === 'True';
  if (c.status !== 'False') return false;
  if (c.type === 'ResolvedRefs' && c.reason === 'InvalidRouteKinds' && (listener.supportedKinds ?? []).length > 0) return false;
  if (c.type === 'Programmed' && young) return false;
  return c.type === 'Accepted' || c.type === 'ResolvedRefs' || c.type === 'Programmed';
}

/** The listener names the route at the end of `chain` attaches to on this Gateway; undefined for all (or no route). */
function attachedListeners(inv: Investigation, chain: readonly { kind: string; name: string; namespace?: string }[], gateway: Gateway): ReadonlySet<string> | undefined {
  const last = chain[chain.length - 1];
  if (last?.kind !== 'HTTPRoute') return undefined;
  const lookup = inv.get<HTTPRoute>('HTTPRoute', 'httproute', last.name, last.namespace);
  if (lookup.state !== 'Found') return undefined;
  const routeNs = last.namespace ?? '';
  const refs = (lookup.object.spec?.parentRefs ?? []).filter((p) => (p.kind ?? 'Gateway') === 'Gateway' && p.name === gateway.metadata?.name && (p.namespace ?? routeNs) === gateway.metadata?.namespace);
  if (refs.some((p) => p.sectionName === undefined && p.port === undefined)) return undefined;
  const listeners = gateway.spec?.listeners ?? [];
  return new Set(refs.flatMap((p) => listeners.filter((l) => (p.sectionName === undefined || l.name === p.sectionName) && (p.port === undefined || l.port === p.port)).map((l) => l.name ?? '')));
}

const sameParent = (a: ParentRef | undefined, b: ParentRef, routeNamespace: string) =>
  a !== undefined &&
  a.name === b.name &&
  (a.namespace ?? routeNamespace) === (b.namespace ?? routeNamespace) &&
  (a.kind ?? 'Gateway') === (b.kind ?? 'Gateway') &&
  a.sectionName === b.sectionName &&
  a.port === b.port;

/** Why a listener would refuse this route, from the Gateway's spec; undefined when it accepts it. */
function listenerRefusal(listener: Listener, route: HTTPRoute, routeNamespace: string, gatewayNamespace: string, namespaceLabels: Readonly<Record<string, string>> | undefined): string | undefined {
  const name = `listener ${listener.name ?? '?'}`;
  const kinds = listener.allowedRoutes?.kinds;
  if (kinds !== undefined && kinds.length > 0) {
    if (!kinds.some((k) => (k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && k.kind === 'HTTPRoute')) return `${name} allows only ${kinds.map((k) => k.kind ?? '?').join(', ')}`;
  } else if (listener.protocol === 'TLS' || listener.protocol === 'TCP' || listener.protocol === 'UDP') {
    // Without kinds, a listener allows the route kinds of its protocol: HTTPRoute only on HTTP and HTTPS.
    return `${name} speaks ${listener.protocol}, which takes no HTTPRoute`;
  }
  const from = listener.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'Same' && routeNamespace !== gatewayNamespace) return `${name} allows routes from its own namespace ${gatewayNamespace} only`;
  if (from === 'Selector') {
    const selector = listener.allowedRoutes?.namespaces?.selector ?? {};
    // An unreadable Namespace proves nothing either way.
    if (namespaceLabels !== undefined && !selectorMatches(selector, namespaceLabels)) return `${name} allows routes only from namespaces its selector matches, and ${routeNamespace} does not`;
  }
  const hostnames = route.spec?.hostnames ?? [];
  if (listener.hostname !== undefined && hostnames.length > 0 && !hostnames.some((h) => hostnamesIntersect(h, listener.hostname ?? ''))) {
    return `${name} serves hostname ${listener.hostname}, which none of the route's hostnames (${hostnames.join(', ')}) match`;
  }
  return undefined;
}

/**
 * Proves why an HTTPRoute carries no traffic: a parent Gateway that is missing, refuses it or never
 * answered, and backends that are missing, on a port the Service lacks, or not permitted. Parents
 * and backends in other namespaces are judged from the route's own status only (the namespace boundary).
 */
export const httpRouteRouting: Check = {
  name: 'httproute.routing',
  subject: 'HTTPRoute',
  codes: ['RouteParentNotFound', 'RouteNotAllowed', 'RouteNotAccepted', 'RouteBackendNotFound', 'RouteBackendPortMismatch', 'RouteBackendNotPermitted', 'RouteBackendUnresolved', 'GatewayPending'],
  evidence: ['httproute'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const route = subject as HTTPRoute;
    const ref = refOf('HTTPRoute', route);
    const ns = ref.namespace ?? '';
    const path = [...chain, ref];
    inv.note('httproute');
    const describe: NextAction = { description: 'Show the route and the status its Gateways wrote', command: `kubectl describe httproute ${ref.name} -n ${ns}`, safety: 'ReadOnly' };
    const generation = route.metadata?.generation;
    const statuses = route.status?.parents ?? [];
    const left = graceLeft(inv, route);

    // Backends first: a missing one found here is named from the spec, so the status need not repeat it.
    let backendMissing = false;
    (route.spec?.rules ?? []).forEach((rule, r) => {
      (rule.backendRefs ?? []).forEach((backend, b) => {
        const backendNs = backend.namespace ?? ns;
        // Weight 0 sends no traffic on purpose; other kinds are not Services; another tenant's namespace is not ours to read.
        if (backend.weight === 0 || (backend.group ?? '') !== '' || (backend.kind ?? 'Service') !== 'Service' || !inv.mayRead('Service', backendNs)) return;
        const name = backend.name ?? '';
        const field = `spec.rules[${r}].backendRefs[${b}]`;
        const lookup = inv.get<Service>('Service', 'route.backends', name, backendNs);
        const serviceRef = refOf('Service', lookup.state === 'Found' ? lookup.object : undefined, { name, namespace: backendNs });
        if (lookup.state === 'Absent') {
          backendMissing = true;
          inv.report({
            code: 'RouteBackendNotFound', severity: 'Critical', object: ref, confidence: 1,
            message: `HTTPRoute ${ns}/${ref.name} sends traffic to Service ${backendNs === ns ? `"${name}"` : `${backendNs}/${name}`}, which does not exist`,
            anchors: [inv.anchorField('HTTPRoute', route, `${field}.name`)], chain: [...path, serviceRef],
            nextActions: [{ description: 'List Services in the namespace', command: `kubectl get svc -n ${backendNs}`, safety: 'ReadOnly' }, describe],
          });
          return;
        }
        if (lookup.state !== 'Found') return;
        const service = lookup.object;
        const ports = service.spec?.ports ?? [];
        // An ExternalName Service forwards by DNS: its ports are optional and no port check applies.
        if (service.spec?.type !== 'ExternalName' && backend.port !== undefined && !ports.some((p) => p.port === backend.port)) {
          inv.report({
            code: 'RouteBackendPortMismatch', severity: 'Critical', object: ref, confidence: 1,
            message: `HTTPRoute ${ns}/${ref.name} sends traffic to port ${backend.port} of Service ${name}, which exposes ${ports.map((p) => String(p.port)).join(', ') || 'no ports'}`,
            anchors: [inv.anchorField('HTTPRoute', route, `${field}.port`), inv.anchorField('Service', service, 'spec.ports')],
            chain: [...path, serviceRef],
            nextActions: [{ description: 'Show the Service ports', command: `kubectl get svc ${name} -n ${backendNs} -o jsonpath='{.spec.ports}'`, safety: 'ReadOnly' }, describe],
          });
          return;
        }
        ctx.follow('Service', service, path);
      });
    });

    const parents = route.spec?.parentRefs ?? [];
    if (parents.length === 0) {
      inv.report({
        // A route with no parent is attached to nothing, so nothing serves it.
        code: 'RouteParentNotFound', severity: 'Critical', object: ref, confidence: 0.95, blocksAlone: true,
        message: `HTTPRoute ${ns}/${ref.name} names no parent Gateway (spec.parentRefs is empty), so nothing serves it`,
        anchors: [inv.anchorField('HTTPRoute', route, 'spec.parentRefs')], chain: path,
        nextActions: [{ description: 'List the Gateways', command: 'kubectl get gateways -A', safety: 'ReadOnly' }, describe],
      });
    }
    parents.forEach((parent, index) => {
      // Other parent kinds (a Service, for a mesh) are not Gateways: nothing here to prove about them.
      if ((parent.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (parent.kind ?? 'Gateway') !== 'Gateway') return;
      const parentNs = parent.namespace ?? ns;
      const parentName = parent.name ?? '';
      const entries = statuses.map((s, i) => ({ s, i })).filter(({ s }) => sameParent(s.parentRef, parent, ns));
      const answers = entries.map(({ s, i }) => ({ i, accepted: answerOf(s.conditions, 'Accepted', generation), resolved: answerOf(s.conditions, 'ResolvedRefs', generation) }));
      const refused = answers.flatMap((a) => (a.accepted.state === 'False' ? [{ i: a.i, condition: a.accepted.condition }] : []))[0];
      const acceptedBySome = answers.some((a) => a.accepted.state === 'True');
      // Unknown or absent entries are no answer: only True or False says the controller looked.
      const answered = answers.some((a) => a.accepted.state !== 'Pending');
      const parentAnchor = () => inv.anchorField('HTTPRoute', route, `spec.parentRefs[${index}]`);

      // Another namespace's Gateway is read only for a trusted request (the boundary answers Forbidden otherwise).
      const lookup = inv.get<Gateway>('Gateway', 'route.parents', parentName, parentNs);
      const gateway = lookup.state === 'Found' ? lookup.object : undefined;
      const gatewayRef = refOf('Gateway', gateway, { name: parentName, namespace: parentNs });
      if (lookup.state === 'Absent') {
        inv.report({
          // A route attached to nothing is served by nothing, whatever its backends.
          code: 'RouteParentNotFound', severity: 'Critical', object: ref, confidence: 1, blocksAlone: true,
          message: `HTTPRoute ${ns}/${ref.name} attaches to Gateway ${parentNs}/${parentName}, which does not exist`,
          anchors: [parentAnchor()], chain: [...path, gatewayRef],
          nextActions: [{ description: 'List the Gateways', command: 'kubectl get gateways -A', safety: 'ReadOnly' }, describe],
        });
        return;
      }

      let refusedBySpec = false;
      if (refused !== undefined) {
        inv.report({
          // The Gateway's controller itself said no (listeners' allowedRoutes, hostnames, a missing section).
          code: 'RouteNotAllowed', severity: 'Critical', object: ref, confidence: 0.95, blocksAlone: !acceptedBySome,
          message: `Gateway ${parentNs}/${parentName} does not accept HTTPRoute ${ns}/${ref.name}: ${said(refused.condition)}`,
          anchors: [inv.anchorField('HTTPRoute', route, `status.parents[${refused.i}].conditions[type=Accepted]`), parentAnchor()],
          chain: [...path, gatewayRef], nextActions: [describe],
        });
      } else if (gateway !== undefined && !acceptedBySome) {
        const listeners = (gateway.spec?.listeners ?? []).filter((l) => (parent.sectionName === undefined || l.name === parent.sectionName) && (parent.port === undefined || l.port === parent.port));
        const namespaceLookup = inv.get<KubeObject>('Namespace', 'route.namespace', ns);
        const labels = namespaceLookup.state === 'Found' ? (namespaceLookup.object.metadata?.labels ?? {}) : undefined;
        const refusals = listeners.map((l) => listenerRefusal(l, route, ns, parentNs, labels));
        const noListener = listeners.length === 0 ? `it has no listener${parent.sectionName === undefined ? '' : ` named ${parent.sectionName}`}${parent.port === undefined ? '' : ` on port ${parent.port}`}` : undefined;
        if (noListener !== undefined || refusals.every((r) => r !== undefined)) {
          refusedBySpec = true;
          inv.report({
            // Every listener the route could attach to refuses it by the Gateway's own rules: the controller will too.
            code: 'RouteNotAllowed', severity: 'Critical', object: ref, confidence: 0.9, blocksAlone: true,
            message: `Gateway ${parentNs}/${parentName} does not accept HTTPRoute ${ns}/${ref.name}: ${noListener ?? refusals.join('; ')}`,
            anchors: [parentAnchor(), inv.anchorField('Gateway', gateway, 'spec.listeners')],
            chain: [...path, gatewayRef], nextActions: [describe, { description: 'Show the Gateway listeners', command: `kubectl get gateway ${parentName} -n ${parentNs} -o jsonpath='{.spec.listeners}'`, safety: 'ReadOnly' }],
          });
        }
      }
      if (refused === undefined && !refusedBySpec && !answered) {
        if (left !== undefined) {
          inv.report({
            code: 'GatewayPending', severity: 'Info', object: ref, confidence: 0.8, benign: true, recheckAfterSeconds: left,
            message: `HTTPRoute ${ns}/${ref.name} was created moments ago and Gateway ${parentNs}/${parentName} has not answered yet`,
            anchors: [parentAnchor()], chain: [...path, gatewayRef], nextActions: [describe],
          });
        } else {
          inv.report({
            // The Gateway's own state usually explains the silence (class, controller): it is examined next and ranks deeper.
            code: 'RouteNotAccepted', severity: 'Warning', object: ref, confidence: 0.6,
            message: `No controller has accepted HTTPRoute ${ns}/${ref.name} for Gateway ${parentNs}/${parentName}: the route's status has no answer for it${gateway === undefined ? ' (the Gateway is in a namespace this request may not read: diagnose it from there)' : ''}`,
            anchors: [parentAnchor()], chain: [...path, gatewayRef], nextActions: [describe],
          });
        }
      }
      // Refs the controller could not resolve, for reasons the spec alone cannot show (ReferenceGrants, kinds).
      for (const answer of answers) {
        if (answer.resolved.state !== 'False') continue;
        const reason = answer.resolved.condition.reason;
        if (reason === 'BackendNotFound' && backendMissing) continue;
        const permitted = reason !== 'RefNotPermitted';
        inv.report({
          code: reason === 'BackendNotFound' ? 'RouteBackendNotFound' : permitted ? 'RouteBackendUnresolved' : 'RouteBackendNotPermitted', severity: 'Critical', object: ref, confidence: 0.9,
          message: `Gateway ${parentNs}/${parentName} cannot resolve a backend of HTTPRoute ${ns}/${ref.name}: ${said(answer.resolved.condition)}${permitted ? '' : ' (a backend in another namespace needs a ReferenceGrant there)'}`,
          anchors: [inv.anchorField('HTTPRoute', route, `status.parents[${answer.i}].conditions[type=ResolvedRefs]`)], chain: path, nextActions: [describe],
        });
      }
      if (gateway !== undefined) ctx.follow('Gateway', gateway, path);
    });
  },
};

export const gatewayChecks: readonly Check[] = [gatewayStatus, httpRouteRouting];
