import type { NextAction, ObjectRef } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import { selectorMatches, type LabelSelectorSpec } from '../label-selector';
import type { Condition, Service } from '../objects';
import type { KubeObject } from '../snapshot';
import type { Check, CheckContext } from './check';

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
  readonly status?: {
    readonly parents?: readonly { readonly parentRef?: ParentRef; readonly controllerName?: string; readonly conditions?: readonly GatewayCondition[] }[];
  };
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

/** What the Gateway rules share: the Gateway, how it was reached, and the actions its findings offer. */
interface GatewayRun {
  readonly inv: Investigation;
  readonly gateway: Gateway;
  readonly ref: ObjectRef;
  readonly ns: string;
  /** How it was reached, without it. */
  readonly chain: readonly ObjectRef[];
  /** chain plus the Gateway. */
  readonly path: readonly ObjectRef[];
  readonly className: string;
  /** Seconds left of the Gateway's grace minute; undefined once it is over. */
  readonly left: number | undefined;
  readonly describe: NextAction;
  readonly classAction: NextAction;
}

/** The class: missing, refused or never answered blocks the Gateway by itself ('Blocked'). */
function classRule(g: GatewayRun): 'Blocked' | 'Accepted' | 'Unreadable' {
  const { inv, ref, ns, className } = g;
  const lookup = inv.get<GatewayClass>('GatewayClass', 'gatewayClass', className);
  if (lookup.state === 'Unavailable') return 'Unreadable';
  if (lookup.state === 'Absent') {
    inv.report({
      // No class, no controller: nothing below the Gateway matters until it exists.
      code: 'GatewayClassNotFound',
      severity: 'Critical',
      object: ref,
      confidence: 1,
      blocksAlone: true,
      message: `Gateway ${ns}/${ref.name} uses GatewayClass "${className}", which does not exist, so no controller will program it`,
      anchors: [inv.anchorField('Gateway', g.gateway, 'spec.gatewayClassName')],
      chain: [...g.path, refOf('GatewayClass', undefined, { name: className })],
      nextActions: [g.classAction, g.describe],
    });
    return 'Blocked';
  }
  return classAnswerRule(g, lookup.object);
}

/** The class's controller: accepted it, refused it, has a minute left to answer, or never answered (none runs). */
function classAnswerRule(g: GatewayRun, gatewayClass: GatewayClass): 'Blocked' | 'Accepted' {
  const { inv, ref, ns, className } = g;
  const classRef = refOf('GatewayClass', gatewayClass);
  const controller = gatewayClass.spec?.controllerName ?? '?';
  const accepted = answerOf(gatewayClass.status?.conditions, 'Accepted', gatewayClass.metadata?.generation);
  const anchor = () => inv.anchorField('GatewayClass', gatewayClass, 'status.conditions[type=Accepted]');
  if (accepted.state === 'True') return 'Accepted';
  if (accepted.state === 'False') {
    inv.report({
      // The controller refused the class (bad parameters, unsupported version): it will not program Gateways of it.
      code: 'GatewayClassNotAccepted',
      severity: 'Critical',
      object: ref,
      confidence: 0.95,
      blocksAlone: true,
      message: `GatewayClass ${className} of Gateway ${ns}/${ref.name} was refused by its controller ${controller}: ${said(accepted.condition)}`,
      anchors: [anchor()],
      chain: [...g.path, classRef],
      nextActions: [{ description: `Show GatewayClass ${className}`, command: `kubectl describe gatewayclass ${className}`, safety: 'ReadOnly' }, g.describe],
    });
    return 'Blocked';
  }
  const left = graceLeft(inv, gatewayClass);
  if (left !== undefined) {
    inv.report({
      code: 'GatewayPending',
      severity: 'Info',
      object: ref,
      confidence: 0.8,
      benign: true,
      recheckAfterSeconds: left,
      message: `GatewayClass ${className} of Gateway ${ns}/${ref.name} was created moments ago and awaits its controller ${controller}`,
      anchors: [anchor()],
      chain: [...g.path, classRef],
      nextActions: [g.classAction],
    });
    return 'Blocked';
  }
  inv.report({
    // Nothing answered for the controllerName in a minute: no controller of that name runs.
    code: 'GatewayClassNotAccepted',
    severity: 'Critical',
    object: ref,
    confidence: 0.85,
    blocksAlone: true,
    message: `GatewayClass ${className} of Gateway ${ns}/${ref.name} was never accepted: no controller named ${controller} has answered (status still Pending), so none runs`,
    anchors: [inv.anchorField('GatewayClass', gatewayClass, 'spec.controllerName'), anchor()],
    chain: [...g.path, classRef],
    nextActions: [
      {
        description: `Find the controller that should serve ${controller}`,
        command: 'kubectl get pods -A -l app.kubernetes.io/component=controller',
        safety: 'ReadOnly',
      },
      g.classAction,
    ],
  });
  return 'Blocked';
}

function awaiting(g: GatewayRun, what: 'accepted' | 'programmed'): void {
  g.inv.report({
    code: 'GatewayPending',
    severity: 'Info',
    object: g.ref,
    confidence: 0.8,
    benign: true,
    recheckAfterSeconds: g.left,
    message: `Gateway ${g.ns}/${g.ref.name} was created moments ago and is not ${what} yet`,
    anchors: [g.inv.anchorField('Gateway', g.gateway, `status.conditions[type=${what === 'accepted' ? 'Accepted' : 'Programmed'}]`)],
    chain: g.path,
    nextActions: [g.describe],
  });
}

/** The controller's word on the Gateway itself: refused, never answered, or accepted without a data plane. False: stop here. */
function acceptanceRule(g: GatewayRun, classAccepted: boolean): boolean {
  const { inv, gateway, ref, ns } = g;
  const generation = gateway.metadata?.generation;
  const accepted = answerOf(gateway.status?.conditions, 'Accepted', generation);
  if (accepted.state === 'False') {
    inv.report({
      // The controller read the Gateway and refused it (invalid parameters, unsupported address, no listener valid).
      code: 'GatewayNotAccepted',
      severity: 'Critical',
      object: ref,
      confidence: accepted.stale ? 0.7 : 0.95,
      blocksAlone: true,
      message: `Gateway ${ns}/${ref.name} was refused by its controller: ${said(accepted.condition)}${accepted.stale ? ' (said of an earlier generation: the latest edit is not answered yet)' : ''}`,
      anchors: [inv.anchorField('Gateway', gateway, 'status.conditions[type=Accepted]')],
      chain: g.path,
      nextActions: [g.describe],
    });
    return false;
  }
  if (accepted.state === 'Pending') {
    if (g.left !== undefined) awaiting(g, 'accepted');
    else if (classAccepted) {
      inv.report({
        // The class is accepted, so its controller runs, yet it never answered for this Gateway: it ignores or cannot reach it.
        code: 'GatewayNotAccepted',
        severity: 'Critical',
        object: ref,
        confidence: 0.7,
        blocksAlone: true,
        message: `Gateway ${ns}/${ref.name} has not been accepted by the controller of GatewayClass ${g.className}, which accepted the class: the controller is not reconciling it (down, or watching other namespaces)`,
        anchors: [inv.anchorField('Gateway', gateway, 'status.conditions[type=Accepted]')],
        chain: g.path,
        nextActions: [g.describe, g.classAction],
      });
    }
    return false;
  }
  const programmed = answerOf(gateway.status?.conditions, 'Programmed', generation);
  if (programmed.state === 'True') return true;
  // A new Gateway waits for its data plane (an address, a load balancer): not decidable within the minute.
  if (g.left !== undefined) {
    awaiting(g, 'programmed');
    return false;
  }
  inv.report({
    code: 'GatewayNotProgrammed',
    severity: 'Critical',
    object: ref,
    confidence: programmed.state === 'False' ? 0.9 : 0.7,
    message:
      programmed.state === 'False'
        ? `Gateway ${ns}/${ref.name} was accepted but its controller could not program it: ${said(programmed.condition)}`
        : `Gateway ${ns}/${ref.name} was accepted but its controller has not reported it programmed`,
    anchors: [inv.anchorField('Gateway', gateway, 'status.conditions[type=Programmed]')],
    chain: g.path,
    nextActions: [g.describe],
  });
  return true;
}

/** Listeners that cannot serve: Critical when every one that matters is down, Warning when some still serve. */
function listenersRule(g: GatewayRun): void {
  // Reached from a route: only the listeners that route attaches to are its business.
  const attached = attachedListeners(g.inv, g.chain, g.gateway);
  const listeners = (g.gateway.status?.listeners ?? []).filter((l) => attached === undefined || attached.has(l.name ?? ''));
  const broken = listeners.flatMap((listener) => {
    const bad = (listener.conditions ?? []).find((c) => listenerFault(c, listener, g.left !== undefined));
    return bad === undefined ? [] : [{ listener, bad }];
  });
  for (const { listener, bad } of broken) {
    const state =
      bad.type === 'Conflicted' ? 'in conflict' : `not ${bad.type === 'ResolvedRefs' ? 'resolving its references' : (bad.type ?? '').toLowerCase()}`;
    g.inv.report({
      code: 'GatewayListenerInvalid',
      severity: broken.length === listeners.length ? 'Critical' : 'Warning',
      object: g.ref,
      confidence: 0.9,
      message: `Listener ${listener.name ?? '?'} of Gateway ${g.ns}/${g.ref.name} is ${state}: ${said(bad)}`,
      anchors: [g.inv.anchorField('Gateway', g.gateway, `status.listeners[name=${listener.name ?? ''}].conditions[type=${bad.type ?? ''}]`)],
      chain: g.path,
      nextActions: [g.describe],
    });
  }
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
    const gateway = subject as Gateway;
    const ref = refOf('Gateway', gateway);
    const ns = ref.namespace ?? '';
    ctx.inv.note('gateway');
    const g: GatewayRun = {
      inv: ctx.inv,
      gateway,
      ref,
      ns,
      chain,
      path: [...chain, ref],
      className: gateway.spec?.gatewayClassName ?? '',
      left: graceLeft(ctx.inv, gateway),
      describe: { description: 'Show the Gateway, its conditions and listeners', command: `kubectl describe gateway ${ref.name} -n ${ns}`, safety: 'ReadOnly' },
      classAction: { description: 'List GatewayClasses and whether their controller accepted them', command: 'kubectl get gatewayclass', safety: 'ReadOnly' },
    };
    const classState = classRule(g);
    if (classState === 'Blocked' || !acceptanceRule(g, classState === 'Accepted')) return;
    listenersRule(g);
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
function attachedListeners(
  inv: Investigation,
  chain: readonly { kind: string; name: string; namespace?: string }[],
  gateway: Gateway,
): ReadonlySet<string> | undefined {
  const last = chain[chain.length - 1];
  if (last?.kind !== 'HTTPRoute') return undefined;
  const lookup = inv.get<HTTPRoute>('HTTPRoute', 'httproute', last.name, last.namespace);
  if (lookup.state !== 'Found') return undefined;
  const routeNs = last.namespace ?? '';
  const refs = (lookup.object.spec?.parentRefs ?? []).filter(
    (p) => (p.kind ?? 'Gateway') === 'Gateway' && p.name === gateway.metadata?.name && (p.namespace ?? routeNs) === gateway.metadata?.namespace,
  );
  if (refs.some((p) => p.sectionName === undefined && p.port === undefined)) return undefined;
  const listeners = gateway.spec?.listeners ?? [];
  return new Set(
    refs.flatMap((p) =>
      listeners
        .filter((l) => (p.sectionName === undefined || l.name === p.sectionName) && (p.port === undefined || l.port === p.port))
        .map((l) => l.name ?? ''),
    ),
  );
}

const sameParent = (a: ParentRef | undefined, b: ParentRef, routeNamespace: string) =>
  a !== undefined &&
  a.name === b.name &&
  (a.namespace ?? routeNamespace) === (b.namespace ?? routeNamespace) &&
  (a.kind ?? 'Gateway') === (b.kind ?? 'Gateway') &&
  a.sectionName === b.sectionName &&
  a.port === b.port;

/** Why a listener would refuse this route, from the Gateway's spec; undefined when it accepts it. */
function listenerRefusal(
  listener: Listener,
  route: HTTPRoute,
  routeNamespace: string,
  gatewayNamespace: string,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): string | undefined {
  const name = `listener ${listener.name ?? '?'}`;
  const kinds = listener.allowedRoutes?.kinds;
  if (kinds !== undefined && kinds.length > 0) {
    if (!kinds.some((k) => (k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && k.kind === 'HTTPRoute'))
      return `${name} allows only ${kinds.map((k) => k.kind ?? '?').join(', ')}`;
  } else if (listener.protocol === 'TLS' || listener.protocol === 'TCP' || listener.protocol === 'UDP') {
    // Without kinds, a listener allows the route kinds of its protocol: HTTPRoute only on HTTP and HTTPS.
    return `${name} speaks ${listener.protocol}, which takes no HTTPRoute`;
  }
  const from = listener.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'Same' && routeNamespace !== gatewayNamespace) return `${name} allows routes from its own namespace ${gatewayNamespace} only`;
  if (from === 'Selector') {
    const selector = listener.allowedRoutes?.namespaces?.selector ?? {};
    // An unreadable Namespace proves nothing either way.
    if (namespaceLabels !== undefined && !selectorMatches(selector, namespaceLabels))
      return `${name} allows routes only from namespaces its selector matches, and ${routeNamespace} does not`;
  }
  const hostnames = route.spec?.hostnames ?? [];
  if (listener.hostname !== undefined && hostnames.length > 0 && !hostnames.some((h) => hostnamesIntersect(h, listener.hostname ?? ''))) {
    return `${name} serves hostname ${listener.hostname}, which none of the route's hostnames (${hostnames.join(', ')}) match`;
  }
  return undefined;
}

/** What the route rules share: the route, how it was reached, and the actions its findings offer. */
interface RouteRun {
  readonly ctx: CheckContext;
  readonly inv: Investigation;
  readonly route: HTTPRoute;
  readonly ref: ObjectRef;
  readonly ns: string;
  /** How it was reached, plus the route. */
  readonly path: readonly ObjectRef[];
  /** Seconds left of the route's grace minute; undefined once it is over. */
  readonly left: number | undefined;
  readonly describe: NextAction;
}

/** The controllers' answers in the route's status for one parentRef. */
interface ParentAnswers {
  readonly entries: readonly { readonly i: number; readonly accepted: Answer; readonly resolved: Answer }[];
  readonly refused: { readonly i: number; readonly condition: GatewayCondition } | undefined;
  readonly acceptedBySome: boolean;
  /** Unknown or absent entries are no answer: only True or False says the controller looked. */
  readonly answered: boolean;
}

function answersFor(r: RouteRun, parent: ParentRef): ParentAnswers {
  const generation = r.route.metadata?.generation;
  const entries = (r.route.status?.parents ?? []).flatMap((s, i) =>
    sameParent(s.parentRef, parent, r.ns)
      ? [{ i, accepted: answerOf(s.conditions, 'Accepted', generation), resolved: answerOf(s.conditions, 'ResolvedRefs', generation) }]
      : [],
  );
  const refused = entries.flatMap((a) => (a.accepted.state === 'False' ? [{ i: a.i, condition: a.accepted.condition }] : []))[0];
  return { entries, refused, acceptedBySome: entries.some((a) => a.accepted.state === 'True'), answered: entries.some((a) => a.accepted.state !== 'Pending') };
}

/** Backends: missing, or on a port the Service lacks; otherwise the chain goes on into the Service. True when one is missing. */
function backendsRule(r: RouteRun): boolean {
  const { inv, route, ref, ns } = r;
  let missing = false;
  (route.spec?.rules ?? []).forEach((rule, ri) => {
    (rule.backendRefs ?? []).forEach((backend, bi) => {
      const backendNs = backend.namespace ?? ns;
      // Weight 0 sends no traffic on purpose; other kinds are not Services; another tenant's namespace is not ours to read.
      if (backend.weight === 0 || (backend.group ?? '') !== '' || (backend.kind ?? 'Service') !== 'Service' || !inv.mayRead('Service', backendNs)) return;
      const name = backend.name ?? '';
      const field = `spec.rules[${ri}].backendRefs[${bi}]`;
      const lookup = inv.get<Service>('Service', 'route.backends', name, backendNs);
      const serviceRef = refOf('Service', lookup.state === 'Found' ? lookup.object : undefined, { name, namespace: backendNs });
      if (lookup.state === 'Absent') {
        missing = true;
        inv.report({
          code: 'RouteBackendNotFound',
          severity: 'Critical',
          object: ref,
          confidence: 1,
          message: `HTTPRoute ${ns}/${ref.name} sends traffic to Service ${backendNs === ns ? `"${name}"` : `${backendNs}/${name}`}, which does not exist`,
          anchors: [inv.anchorField('HTTPRoute', route, `${field}.name`)],
          chain: [...r.path, serviceRef],
          nextActions: [{ description: 'List Services in the namespace', command: `kubectl get svc -n ${backendNs}`, safety: 'ReadOnly' }, r.describe],
        });
        return;
      }
      if (lookup.state !== 'Found') return;
      const service = lookup.object;
      const ports = service.spec?.ports ?? [];
      // An ExternalName Service forwards by DNS: its ports are optional and no port check applies.
      if (service.spec?.type !== 'ExternalName' && backend.port !== undefined && !ports.some((p) => p.port === backend.port)) {
        inv.report({
          code: 'RouteBackendPortMismatch',
          severity: 'Critical',
          object: ref,
          confidence: 1,
          message: `HTTPRoute ${ns}/${ref.name} sends traffic to port ${backend.port} of Service ${name}, which exposes ${ports.map((p) => String(p.port)).join(', ') || 'no ports'}`,
          anchors: [inv.anchorField('HTTPRoute', route, `${field}.port`), inv.anchorField('Service', service, 'spec.ports')],
          chain: [...r.path, serviceRef],
          nextActions: [
            { description: 'Show the Service ports', command: `kubectl get svc ${name} -n ${backendNs} -o jsonpath='{.spec.ports}'`, safety: 'ReadOnly' },
            r.describe,
          ],
        });
        return;
      }
      r.ctx.follow('Service', service, r.path);
    });
  });
  return missing;
}

/** Every listener the route could attach to refuses it by the Gateway's own rules: the controller will too. True when reported. */
function specRefusalRule(r: RouteRun, parent: ParentRef, index: number, gateway: Gateway): boolean {
  const { inv, ref, ns } = r;
  const parentNs = parent.namespace ?? ns;
  const listeners = (gateway.spec?.listeners ?? []).filter(
    (l) => (parent.sectionName === undefined || l.name === parent.sectionName) && (parent.port === undefined || l.port === parent.port),
  );
  const namespaceLookup = inv.get<KubeObject>('Namespace', 'route.namespace', ns);
  const labels = namespaceLookup.state === 'Found' ? (namespaceLookup.object.metadata?.labels ?? {}) : undefined;
  const refusals = listeners.map((l) => listenerRefusal(l, r.route, ns, parentNs, labels));
  const noListener =
    listeners.length === 0
      ? `it has no listener${parent.sectionName === undefined ? '' : ` named ${parent.sectionName}`}${parent.port === undefined ? '' : ` on port ${parent.port}`}`
      : undefined;
  if (noListener === undefined && refusals.some((refusal) => refusal === undefined)) return false;
  const name = gateway.metadata?.name ?? '';
  inv.report({
    code: 'RouteNotAllowed',
    severity: 'Critical',
    object: ref,
    confidence: 0.9,
    blocksAlone: true,
    message: `Gateway ${parentNs}/${name} does not accept HTTPRoute ${ns}/${ref.name}: ${noListener ?? refusals.join('; ')}`,
    anchors: [inv.anchorField('HTTPRoute', r.route, `spec.parentRefs[${index}]`), inv.anchorField('Gateway', gateway, 'spec.listeners')],
    chain: [...r.path, refOf('Gateway', gateway)],
    nextActions: [
      r.describe,
      { description: 'Show the Gateway listeners', command: `kubectl get gateway ${name} -n ${parentNs} -o jsonpath='{.spec.listeners}'`, safety: 'ReadOnly' },
    ],
  });
  return true;
}

/** One Gateway parent: missing, refusing (its controller's word, else its spec), silent, or unable to resolve backends. */
function parentRule(r: RouteRun, parent: ParentRef, index: number, backendMissing: boolean): void {
  const { inv, ref, ns } = r;
  const parentNs = parent.namespace ?? ns;
  const parentName = parent.name ?? '';
  const answers = answersFor(r, parent);
  const parentAnchor = () => inv.anchorField('HTTPRoute', r.route, `spec.parentRefs[${index}]`);
  // Another namespace's Gateway is shared infrastructure, read across the boundary (see Investigation).
  const lookup = inv.get<Gateway>('Gateway', 'route.parents', parentName, parentNs);
  const gateway = lookup.state === 'Found' ? lookup.object : undefined;
  const gatewayRef = refOf('Gateway', gateway, { name: parentName, namespace: parentNs });
  if (lookup.state === 'Absent') {
    inv.report({
      // A route attached to nothing is served by nothing, whatever its backends.
      code: 'RouteParentNotFound',
      severity: 'Critical',
      object: ref,
      confidence: 1,
      blocksAlone: true,
      message: `HTTPRoute ${ns}/${ref.name} attaches to Gateway ${parentNs}/${parentName}, which does not exist`,
      anchors: [parentAnchor()],
      chain: [...r.path, gatewayRef],
      nextActions: [{ description: 'List the Gateways', command: 'kubectl get gateways -A', safety: 'ReadOnly' }, r.describe],
    });
    return;
  }
  if (answers.refused !== undefined) {
    inv.report({
      // The Gateway's controller itself said no (listeners' allowedRoutes, hostnames, a missing section).
      code: 'RouteNotAllowed',
      severity: 'Critical',
      object: ref,
      confidence: 0.95,
      blocksAlone: !answers.acceptedBySome,
      message: `Gateway ${parentNs}/${parentName} does not accept HTTPRoute ${ns}/${ref.name}: ${said(answers.refused.condition)}`,
      anchors: [inv.anchorField('HTTPRoute', r.route, `status.parents[${answers.refused.i}].conditions[type=Accepted]`), parentAnchor()],
      chain: [...r.path, gatewayRef],
      nextActions: [r.describe],
    });
  }
  const refusedBySpec = answers.refused === undefined && gateway !== undefined && !answers.acceptedBySome && specRefusalRule(r, parent, index, gateway);
  if (answers.refused === undefined && !refusedBySpec && !answers.answered) silenceRule(r, parentAnchor, gatewayRef, gateway === undefined);
  unresolvedRefsRule(r, answers, gatewayRef, backendMissing);
  if (gateway !== undefined) r.ctx.follow('Gateway', gateway, r.path);
}

/** No controller answered for this parent: awaited within the grace minute, RouteNotAccepted after it. */
function silenceRule(r: RouteRun, parentAnchor: () => string, gatewayRef: ObjectRef, unreadable: boolean): void {
  const where = `${gatewayRef.namespace ?? ''}/${gatewayRef.name}`;
  if (r.left !== undefined) {
    r.inv.report({
      code: 'GatewayPending',
      severity: 'Info',
      object: r.ref,
      confidence: 0.8,
      benign: true,
      recheckAfterSeconds: r.left,
      message: `HTTPRoute ${r.ns}/${r.ref.name} was created moments ago and Gateway ${where} has not answered yet`,
      anchors: [parentAnchor()],
      chain: [...r.path, gatewayRef],
      nextActions: [r.describe],
    });
    return;
  }
  r.inv.report({
    // The Gateway's own state usually explains the silence (class, controller): it is examined next and ranks deeper.
    code: 'RouteNotAccepted',
    severity: 'Warning',
    object: r.ref,
    confidence: 0.6,
    message: `No controller has accepted HTTPRoute ${r.ns}/${r.ref.name} for Gateway ${where}: the route's status has no answer for it${unreadable ? ' (the Gateway could not be read)' : ''}`,
    anchors: [parentAnchor()],
    chain: [...r.path, gatewayRef],
    nextActions: [r.describe],
  });
}

/** Refs the controller could not resolve, for reasons the spec alone cannot show (ReferenceGrants, kinds). */
function unresolvedRefsRule(r: RouteRun, answers: ParentAnswers, gatewayRef: ObjectRef, backendMissing: boolean): void {
  for (const answer of answers.entries) {
    if (answer.resolved.state !== 'False') continue;
    const reason = answer.resolved.condition.reason;
    // A missing backend the spec rule found is already named, with the Service.
    if (reason === 'BackendNotFound' && backendMissing) continue;
    const permitted = reason !== 'RefNotPermitted';
    r.inv.report({
      code: reason === 'BackendNotFound' ? 'RouteBackendNotFound' : permitted ? 'RouteBackendUnresolved' : 'RouteBackendNotPermitted',
      severity: 'Critical',
      object: r.ref,
      confidence: 0.9,
      message: `Gateway ${gatewayRef.namespace ?? ''}/${gatewayRef.name} cannot resolve a backend of HTTPRoute ${r.ns}/${r.ref.name}: ${said(answer.resolved.condition)}${permitted ? '' : ' (a backend in another namespace needs a ReferenceGrant there)'}`,
      anchors: [r.inv.anchorField('HTTPRoute', r.route, `status.parents[${answer.i}].conditions[type=ResolvedRefs]`)],
      chain: r.path,
      nextActions: [r.describe],
    });
  }
}

/**
 * Proves why an HTTPRoute carries no traffic: a parent Gateway that is missing, refuses it or never
 * answered, and backends that are missing, on a port the Service lacks, or not permitted.
 */
export const httpRouteRouting: Check = {
  name: 'httproute.routing',
  subject: 'HTTPRoute',
  codes: [
    'RouteParentNotFound',
    'RouteNotAllowed',
    'RouteNotAccepted',
    'RouteBackendNotFound',
    'RouteBackendPortMismatch',
    'RouteBackendNotPermitted',
    'RouteBackendUnresolved',
    'GatewayPending',
  ],
  evidence: ['httproute'],
  run(ctx, subject, chain) {
    const route = subject as HTTPRoute;
    const ref = refOf('HTTPRoute', route);
    const ns = ref.namespace ?? '';
    ctx.inv.note('httproute');
    const r: RouteRun = {
      ctx,
      inv: ctx.inv,
      route,
      ref,
      ns,
      path: [...chain, ref],
      left: graceLeft(ctx.inv, route),
      describe: {
        description: 'Show the route and the status its Gateways wrote',
        command: `kubectl describe httproute ${ref.name} -n ${ns}`,
        safety: 'ReadOnly',
      },
    };
    const backendMissing = backendsRule(r);
    const parents = route.spec?.parentRefs ?? [];
    if (parents.length === 0) {
      ctx.inv.report({
        // A route with no parent is attached to nothing, so nothing serves it.
        code: 'RouteParentNotFound',
        severity: 'Critical',
        object: ref,
        confidence: 0.95,
        blocksAlone: true,
        message: `HTTPRoute ${ns}/${ref.name} names no parent Gateway (spec.parentRefs is empty), so nothing serves it`,
        anchors: [ctx.inv.anchorField('HTTPRoute', route, 'spec.parentRefs')],
        chain: r.path,
        nextActions: [{ description: 'List the Gateways', command: 'kubectl get gateways -A', safety: 'ReadOnly' }, r.describe],
      });
    }
    parents.forEach((parent, index) => {
      // Other parent kinds (a Service, for a mesh) are not Gateways: nothing here to prove about them.
      if ((parent.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && (parent.kind ?? 'Gateway') === 'Gateway') parentRule(r, parent, index, backendMissing);
    });
  },
};

export const gatewayChecks: readonly Check[] = [gatewayStatus, httpRouteRouting];
