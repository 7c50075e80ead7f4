import type { Anchor, NextAction, ObjectRef, Severity, UnavailableReason } from '../crds/envelope';
import type { Code, CustomCode } from './catalogue';
import { compareStrings, type EventRecord } from './objects';
import { fieldText, resolveField } from './field-path';
import type { EvidenceKey } from './evidence';
import { apiVersionOf, isClusterScoped } from './kinds';
import { excerpt } from './redact';
import { INDEX, type CacheAvailability, type ClusterSnapshot, type KubeObject } from './snapshot';

/** Cluster-scoped kinds only a trusted namespace may read (admission-webhooks has scope Cluster for them). */
const BEYOND_FENCE: ReadonlySet<string> = new Set(['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);
/**
 * Namespaced kinds that are shared infrastructure tenants attach to by name: a route's parent Gateway
 * (its listeners decide which namespaces may attach, and the route's status already reports on it).
 */
const SHARED_ACROSS_FENCE: ReadonlySet<string> = new Set(['Gateway']);

// Watch keys: how a run's reads are matched against later changes (src/kube watch index).
export const uidKey = (uid: string): string => `uid:${uid}`;
export const nameKey = (kind: string, namespace: string, name: string): string => `name:${kind}/${namespace}/${name}`;
export const listKey = (kind: string, namespace: string): string => `list:${kind}/${namespace}`;
export const indexKey = (kind: string, index: string, value: string): string => `index:${kind}/${index}/${value}`;
/** Events about an object: a new Event must wake whoever read that object's Events. */
export const subjectKey = (uid: string): string => `events:${uid}`;

/** A finding a check proposes; the engine picks the root cause among those that can be one. */
export interface Candidate {
  readonly code: Code | CustomCode;
  readonly severity: Severity;
  readonly object: ObjectRef;
  readonly message: string;
  readonly anchors: readonly string[];
  readonly nextActions: readonly NextAction[];
  /** Present when this finding can explain the symptom: the objects from symptom to cause. */
  readonly chain?: readonly ObjectRef[];
  /** 0..1; how sure the evidence makes us. */
  readonly confidence?: number;
  /** A known-benign state (e.g. WaitForFirstConsumer with no consumer): Info, verdict Healthy. */
  readonly benign?: boolean;
  /** Seconds until this finding's time rule may change it (e.g. a grace period ends): re-check then. */
  readonly recheckAfterSeconds?: number;
  /**
   * The symptom cannot resolve while this holds, whatever else is fixed (nothing will ever serve an
   * Ingress without a usable class): it outranks causes further down the chain.
   */
  readonly blocksAlone?: boolean;
}

/**
 * Cache order moves with every update and differs between replicas: reads hand objects over sorted, so
 * subjects, follows, ties between candidates and anchor numbers come out the same on every run.
 */
function byNamespaceAndName<T extends KubeObject>(objects: readonly T[]): T[] {
  return [...objects].sort(
    (a, b) => compareStrings(a.metadata?.namespace ?? '', b.metadata?.namespace ?? '') || compareStrings(a.metadata?.name ?? '', b.metadata?.name ?? ''),
  );
}

export function refOf(kind: string, object: KubeObject | undefined, fallback?: { name: string; namespace?: string }): ObjectRef {
  const namespace = isClusterScoped(kind) ? undefined : (object?.metadata?.namespace ?? fallback?.namespace);
  return {
    apiVersion: apiVersionOf(kind),
    kind,
    ...(namespace === undefined ? {} : { namespace }),
    name: object?.metadata?.name ?? fallback?.name ?? '',
    ...(object?.metadata?.uid === undefined ? {} : { uid: object.metadata.uid }),
    ...(object?.metadata?.resourceVersion === undefined ? {} : { resourceVersion: object.metadata.resourceVersion }),
  };
}

/** Why a kind that is not Synced cannot be read, as evidence reports it (Syncing and Stale are both NotSynced). */
export function unavailableReasonOf(state: Exclude<CacheAvailability, 'Synced'>): UnavailableReason {
  return state === 'Forbidden' || state === 'NotInstalled' || state === 'NotCollected' ? state : 'NotSynced';
}

/** What a read found: Unavailable means we could not look (Forbidden, not synced) — never "absent". */
export type Lookup<T> =
  { readonly state: 'Found'; readonly object: T } | { readonly state: 'Absent' } | { readonly state: 'Unavailable'; readonly reason: UnavailableReason };

interface RawEvent extends KubeObject {
  readonly involvedObject?: { readonly kind?: string; readonly name?: string; readonly uid?: string; readonly fieldPath?: string };
  readonly regarding?: { readonly kind?: string; readonly name?: string; readonly uid?: string; readonly fieldPath?: string };
  readonly reason?: string;
  readonly message?: string;
  readonly note?: string;
  readonly type?: string;
  readonly count?: number;
  readonly series?: { readonly count?: number; readonly lastObservedTime?: string };
  readonly deprecatedCount?: number;
  readonly lastTimestamp?: string;
  readonly firstTimestamp?: string;
  readonly deprecatedFirstTimestamp?: string;
  readonly deprecatedLastTimestamp?: string;
  readonly eventTime?: string;
  readonly source?: { readonly component?: string };
  /** events.k8s.io/v1's name for a core/v1 writer's source. */
  readonly deprecatedSource?: { readonly component?: string };
  readonly reportingController?: string;
  readonly reportingComponent?: string;
}

// core/v1 and events.k8s.io/v1 name the same facts differently (series, deprecated*, note, regarding):
// each reading takes the newest API's field first.
const countOf = (raw: RawEvent): number => raw.series?.count ?? raw.count ?? raw.deprecatedCount ?? 1;
const lastSeenOf = (raw: RawEvent): string | undefined =>
  raw.series?.lastObservedTime ?? raw.lastTimestamp ?? raw.deprecatedLastTimestamp ?? raw.eventTime ?? raw.metadata?.creationTimestamp ?? undefined;
const firstSeenOf = (raw: RawEvent): string | undefined =>
  raw.firstTimestamp ?? raw.deprecatedFirstTimestamp ?? raw.eventTime ?? raw.metadata?.creationTimestamp ?? undefined;
// An empty reportingController (a core/v1 writer, read through events.k8s.io) says nothing: the source is in deprecatedSource.
const sourceOf = (raw: RawEvent): string =>
  [raw.reportingController, raw.reportingComponent, raw.source?.component, raw.deprecatedSource?.component].find((s) => s !== undefined && s !== '') ?? '';

function normaliseEvent(raw: RawEvent): EventRecord {
  const about = raw.involvedObject ?? raw.regarding;
  const metadata = raw.metadata ?? {};
  return {
    uid: metadata.uid ?? '',
    resourceVersion: metadata.resourceVersion ?? '',
    namespace: metadata.namespace ?? '',
    name: metadata.name ?? '',
    type: raw.type ?? '',
    reason: raw.reason ?? '',
    message: raw.message ?? raw.note ?? '',
    count: countOf(raw),
    lastSeen: lastSeenOf(raw),
    firstSeen: firstSeenOf(raw),
    source: sourceOf(raw),
    fieldPath: about?.fieldPath ?? undefined,
    ...(about?.uid === undefined ? {} : { subject: { kind: about.kind ?? '', name: about.name ?? '', uid: about.uid } }),
  };
}

/**
 * Everything one diagnosis reads and proves: reads go through here so evidence (present /
 * unavailable with reason), anchors and the input fingerprint are recorded as a side effect.
 */
export class Investigation {
  readonly candidates: Candidate[] = [];
  private readonly present = new Set<EvidenceKey>();
  private readonly unavailable = new Map<EvidenceKey, UnavailableReason>();
  private readonly anchors = new Map<string, Anchor>();
  private readonly anchorIds = new Map<string, string>();
  private readonly inputs = new Map<string, string>();
  /** What this run looked at, as watch keys (see watchKeysOf): a change to any of them may change the result. */
  private readonly looked = new Set<string>();

  private readonly observedAt: string;

  constructor(
    readonly snapshot: ClusterSnapshot,
    /** The injected time of the run: age rules ("waiting for more than a minute") read it. */
    readonly now: Date,
    /** The one namespace an untrusted request may read by name; undefined for a trusted one. */
    readonly fence?: string,
  ) {
    this.observedAt = now.toISOString();
  }

  /** Seconds from a timestamp to the run's time; undefined when there is no timestamp. */
  ageSeconds(timestamp: string | undefined): number | undefined {
    if (timestamp === undefined) return undefined;
    const at = Date.parse(timestamp);
    return Number.isNaN(at) ? undefined : (this.now.getTime() - at) / 1000;
  }

  // --- reading -------------------------------------------------------------------------------

  private availability(kind: string, evidenceKey: EvidenceKey): UnavailableReason | undefined {
    const state = this.snapshot.availability(kind);
    if (state === 'Synced') return undefined;
    const reason = unavailableReasonOf(state);
    if (!this.present.has(evidenceKey)) this.unavailable.set(evidenceKey, reason);
    return reason;
  }

  private gathered(evidenceKey: EvidenceKey): void {
    this.present.add(evidenceKey);
    this.unavailable.delete(evidenceKey);
  }

  private input(object: KubeObject): void {
    const uid = object.metadata?.uid;
    if (uid !== undefined) {
      this.inputs.set(uid, object.metadata?.resourceVersion ?? '');
      this.looked.add(uidKey(uid));
    }
  }

  /**
   * The namespace boundary, for reads by name: an untrusted request reads objects of its own namespace
   * and cluster-wide configuration (nodes, classes), never another tenant's objects or the cluster's
   * webhook configurations (an admission-webhooks question, trusted namespaces only).
   */
  private fenced(kind: string, namespace: string | undefined): boolean {
    if (this.fence === undefined) return false;
    if (BEYOND_FENCE.has(kind)) return true;
    if (SHARED_ACROSS_FENCE.has(kind)) return false;
    return !isClusterScoped(kind) && namespace !== undefined && namespace !== this.fence;
  }

  /** Whether a read by name would cross the namespace boundary (checks skip such reads or say so). */
  mayRead(kind: string, namespace?: string): boolean {
    return !this.fenced(kind, namespace);
  }

  get<T extends KubeObject>(kind: string, evidenceKey: EvidenceKey, name: string, namespace?: string): Lookup<T> {
    // Looked up by name, found or not: creating the missing object must wake a Continuous request.
    this.looked.add(nameKey(kind, isClusterScoped(kind) ? '' : (namespace ?? ''), name));
    if (this.fenced(kind, namespace)) {
      // Beyond the boundary is evidence we may not read, as if RBAC refused it: never "absent".
      if (!this.present.has(evidenceKey)) this.unavailable.set(evidenceKey, 'Forbidden');
      return { state: 'Unavailable', reason: 'Forbidden' };
    }
    const reason = this.availability(kind, evidenceKey);
    if (reason !== undefined) return { state: 'Unavailable', reason };
    this.gathered(evidenceKey);
    const object = this.snapshot.get(kind, name, isClusterScoped(kind) ? undefined : namespace) as T | undefined;
    if (object === undefined) return { state: 'Absent' };
    this.input(object);
    return { state: 'Found', object };
  }

  /** Lists a kind; undefined when the list could not be read. */
  list<T extends KubeObject>(kind: string, evidenceKey: EvidenceKey, namespace?: string): readonly T[] | undefined {
    this.looked.add(listKey(kind, namespace ?? ''));
    if (this.fenced(kind, namespace)) {
      if (!this.present.has(evidenceKey)) this.unavailable.set(evidenceKey, 'Forbidden');
      return undefined;
    }
    if (this.availability(kind, evidenceKey) !== undefined) return undefined;
    this.gathered(evidenceKey);
    return this.readOnce(listKey(kind, namespace ?? ''), () => this.snapshot.list(kind, namespace) as readonly T[]);
  }

  byIndex<T extends KubeObject>(kind: string, evidenceKey: EvidenceKey, index: string, value: string): readonly T[] | undefined {
    this.looked.add(indexKey(kind, index, value));
    if (this.availability(kind, evidenceKey) !== undefined) return undefined;
    this.gathered(evidenceKey);
    return this.readOnce(indexKey(kind, index, value), () => this.snapshot.byIndex(kind, index, value) as readonly T[]);
  }

  private readonly reads = new Map<string, readonly KubeObject[]>();

  /**
   * A list or index read sorted and recorded once per run: a sweep asks for the same list once per subject
   * (every pending pod reads all nodes), and sorting 5,000 nodes per pod held a cluster-health run for seconds.
   */
  private readOnce<T extends KubeObject>(key: string, read: () => readonly T[]): readonly T[] {
    const done = this.reads.get(key);
    if (done !== undefined) return done as readonly T[];
    const objects = byNamespaceAndName(read());
    for (const object of objects) this.input(object);
    this.reads.set(key, objects);
    return objects;
  }

  /** Events about an object, from both Event APIs, matched by namespace, kind and uid (never by name), newest first. */
  events(kind: string, object: KubeObject, evidenceKey: EvidenceKey): readonly EventRecord[] {
    const uid = object.metadata?.uid;
    if (uid === undefined) return [];
    this.looked.add(subjectKey(uid));
    // Recorders file an Event in its subject's namespace (cluster-scoped subjects: default). Anyone can
    // write an Event in their own namespace naming any uid: one filed elsewhere is not evidence.
    const home = object.metadata?.namespace ?? '';
    const filedAtHome = (raw: KubeObject) => {
      const at = raw.metadata?.namespace ?? '';
      return home === '' ? at === 'default' || at === '' : at === home;
    };
    return this.readEvents(INDEX.subject, `${kind}/${uid}`, evidenceKey, filedAtHome);
  }

  /**
   * Events from both Event APIs filed under one index value (e.g. the webhook a FailedCreate names),
   * in every namespace, newest first. Who they are about is the writer's claim: callers look the
   * subject up by uid in the Event's own namespace before trusting it.
   */
  indexedEvents(index: string, value: string, evidenceKey: EvidenceKey): readonly EventRecord[] {
    this.looked.add(indexKey('Event', index, value));
    // Behind the boundary only the request's own namespace's Events count.
    return this.readEvents(index, value, evidenceKey, (raw) => this.fence === undefined || raw.metadata?.namespace === this.fence);
  }

  /** The Event cache's entries under one index value that `keep` accepts, deduplicated by uid, newest first. */
  private readEvents(index: string, value: string, evidenceKey: EvidenceKey, keep: (raw: KubeObject) => boolean): readonly EventRecord[] {
    const byUid = new Map<string, { readonly event: EventRecord; readonly rank: number }>();
    const readable = this.snapshot.availability('Event') === 'Synced';
    if (readable) {
      for (const raw of this.snapshot.byIndex('Event', index, value)) {
        if (!keep(raw)) continue;
        const event = normaliseEvent(raw);
        // A dump can hold one Event in both APIs' shapes: the events.k8s.io one wins (it keeps series and MicroTime), whatever the order.
        const rank = raw.apiVersion?.startsWith('events.k8s.io/') === true ? 1 : 0;
        if ((byUid.get(event.uid)?.rank ?? -1) < rank) byUid.set(event.uid, { event, rank });
      }
    }
    if (!readable) {
      this.availability('Event', evidenceKey);
      return [];
    }
    this.gathered(evidenceKey);
    // As time, not text: "…:30Z" and "…:30.123456Z" (MicroTime) sort wrongly as strings.
    const at = (event: EventRecord) => Date.parse(event.lastSeen ?? '') || 0;
    const events = [...byUid.values()].map((kept) => kept.event).sort((a, b) => at(b) - at(a) || compareStrings(a.uid, b.uid));
    for (const event of events) this.inputs.set(event.uid, event.resourceVersion);
    return events;
  }

  /** Marks an evidence key gathered when it needs no read of its own (derived from objects in hand). */
  note(evidenceKey: EvidenceKey): void {
    this.gathered(evidenceKey);
  }

  // --- proving -------------------------------------------------------------------------------

  /** An anchor on a field of an object, quoting what the field holds; the same field gets the same id. */
  anchorField(kind: string, object: KubeObject, fieldPath: string): string {
    const ref = refOf(kind, object);
    return this.addAnchor(`${ref.uid ?? ref.name}#${fieldPath}`, () => ({
      object: ref,
      fieldPath,
      excerpt: excerpt(fieldText(resolveField(object, fieldPath))),
    }));
  }

  /** An anchor on an Event about `subject`. */
  anchorEvent(event: EventRecord): string {
    return this.addAnchor(`event#${event.uid}`, () => ({
      object: { apiVersion: 'v1', kind: 'Event', namespace: event.namespace, name: event.name, uid: event.uid, resourceVersion: event.resourceVersion },
      event: { uid: event.uid, reason: event.reason, count: event.count, ...(event.lastSeen === undefined ? {} : { lastSeen: event.lastSeen }) },
      excerpt: excerpt(event.message),
    }));
  }

  // The anchor is built (and its excerpt redacted) once per evidence, however many checks cite it.
  private addAnchor(key: string, build: () => Omit<Anchor, 'id' | 'observedAt'>): string {
    const existing = this.anchorIds.get(key);
    if (existing !== undefined) return existing;
    const id = `a${this.anchorIds.size + 1}`;
    this.anchorIds.set(key, id);
    this.anchors.set(id, { id, ...build(), observedAt: this.observedAt });
    return id;
  }

  private readonly memos = new Map<string, unknown>();

  /** A value computed once per run: derived sums (a node's requested resources) are asked for repeatedly. */
  memo<T>(key: string, compute: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const value = compute();
    this.memos.set(key, value);
    return value;
  }

  report(candidate: Candidate): void {
    // Two pieces of evidence can fall back to the same field; a finding cites each anchor once.
    this.candidates.push({ ...candidate, anchors: [...new Set(candidate.anchors)] });
  }

  // --- results -------------------------------------------------------------------------------

  anchorList(): Anchor[] {
    return [...this.anchors.values()];
  }

  anchor(id: string): Anchor | undefined {
    return this.anchors.get(id);
  }

  evidence(): { present: EvidenceKey[]; unavailable: { key: EvidenceKey; reason: UnavailableReason }[] } {
    return {
      present: [...this.present].sort(),
      unavailable: [...this.unavailable.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([key, reason]) => ({ key, reason })),
    };
  }

  inputEntries(): [string, string][] {
    return [...this.inputs.entries()];
  }

  watchKeys(): string[] {
    return [...this.looked];
  }
}
