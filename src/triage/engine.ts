import { createHash } from 'node:crypto';
import type { Envelope, Finding, NextAction, ObjectRef, Severity, Step, UnavailableReason } from '../crds/envelope';
import type { TargetKind } from '../crds/intents';
import type { LabelSelector } from '../crds/triage-request';
import type { Code } from './catalogue';
import type { EvidenceKey } from './evidence';
import type { CheckContext } from './checks/check';
import { podSettled } from './checks/workload';
import { Investigation, refOf, type Candidate } from './investigation';
import { apiVersionOf, isClusterScoped, listEvidenceOf } from './kinds';
import { compareStrings, type Pod } from './objects';
import type { ClusterSnapshot, KubeObject } from './snapshot';
import { excerpt, redact } from './redact';
import type { CompiledTemplate } from './templates';
import { selectorMatches } from './label-selector';

export type DiagnosisVerdict = 'Healthy' | 'RootCauseFound' | 'Inconclusive';

export interface DiagnosisTarget {
  readonly kind: TargetKind;
  readonly namespace?: string;
  readonly name?: string;
  readonly selector?: LabelSelector;
}

export interface DiagnosisInput {
  readonly intent: string;
  readonly template: CompiledTemplate;
  readonly templateSource: Envelope['template']['source'];
  readonly target: DiagnosisTarget;
  readonly maxSteps: number;
  readonly timeoutMs: number;
  readonly minCompleteness: number;
  readonly snapshot: ClusterSnapshot;
  /** Injected clock: the engine never reads the system time itself. */
  readonly now: () => Date;
  /** The request's namespace when it is not trusted: reads by name stop at it (see Investigation). */
  readonly fence?: string;
  /** Aborted when the answer is no longer wanted (leadership lost, shutdown): the run throws DiagnosisAborted. */
  readonly signal?: AbortSignal;
  /** How the engine lets the event loop run between subjects; tests may pass their own. */
  readonly yieldToEventLoop?: () => Promise<void>;
}

export interface Diagnosis {
  readonly verdict: DiagnosisVerdict;
  readonly envelope: Envelope;
  /** When a time rule may change the result (the earliest threshold among findings), in ms. */
  readonly recheckAfterMs?: number;
  /** What the run looked at, as watch keys: a Continuous request re-runs when one of them changes. */
  readonly watchKeys: readonly string[];
}

const MAX_FINDINGS = 20;
/**
 * Objects of one kind showing a fault that one step examines: bounds a sweep of a large, broken cluster
 * (the rest is reported left out). Objects without a fault do not count, so a large healthy cluster is
 * examined whole (within the deadline) and can read Healthy.
 */
export const MAX_SUBJECTS_PER_KIND = 500;
/** Subjects examined between two turns of the event loop: a few milliseconds of checks at most. */
const YIELD_EVERY_SUBJECTS = 25;
const NOT_SYNCED_RECHECK_MS = 5_000;
/** Object annotation naming finding codes accepted for that object: `triage.dev/accept: "NodeCordoned,..."`. */
export const ACCEPT_ANNOTATION = 'triage.dev/accept';
const MAX_ANCHORS_PER_FINDING = 3;
/** The whole status stays under 16 KiB; conditions and the rest of status need the remainder. */
export const ENVELOPE_BUDGET_BYTES = 12 * 1024;
/** Room for what the reconciler adds to the envelope after diagnosis (recurrence: code, count, first seen). */
const RECURRENCE_RESERVE_BYTES = 256;
const MAX_NEXT_ACTIONS = 6;
const SEVERITY_RANK: Readonly<Record<Severity, number>> = { Critical: 3, Warning: 2, Info: 1 };
/** Codes that name a symptom further up the chain: a concrete cause beside them explains them. */
const SYMPTOM_CODES = new Set([
  'UnboundPersistentVolumeClaim',
  'NoReadyEndpoints',
  'PodsNotReady',
  'IngressControllerNotReporting',
  'Unschedulable',
  'ProgressDeadlineExceeded',
  'RolloutStalled',
  'ReplicasUnavailable',
  'RouteNotAccepted',
]);

interface Subject {
  readonly kind: string;
  readonly object: KubeObject;
  readonly chain: readonly ObjectRef[];
}

function labelsMatch(selector: LabelSelector | undefined, object: KubeObject): boolean {
  return selectorMatches(selector ?? {}, object.metadata?.labels ?? {});
}

function selectorText(selector: LabelSelector | undefined): string {
  const labels = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  const expressions = (selector?.matchExpressions ?? []).map((e) => `${e.key} ${e.operator}${e.values === undefined ? '' : ` (${e.values.join(',')})`}`);
  return [...labels, ...expressions].join(',') || '(empty: every object)';
}

/** Kinds the template's steps can examine, in step order. */
function subjectKinds(template: CompiledTemplate): string[] {
  return [...new Set(template.steps.flatMap((s) => s.checks.map((c) => c.subject)))];
}

const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'Job', 'DaemonSet']);

/** Lists a kind for a run: namespaced kinds in the namespace (all when undefined), cluster-scoped ones whole. */
function listSubjects(inv: Investigation, kind: string, namespace: string | undefined): readonly KubeObject[] {
  return inv.list(kind, listEvidenceOf(kind), isClusterScoped(kind) ? undefined : namespace) ?? [];
}

/** Pods that are Running and Ready (or done) hold no fault: a sweep does not examine them. */
function unsettled(inv: Investigation, kind: string, objects: readonly KubeObject[]): Subject[] {
  const relevant = kind === 'Pod' ? objects.filter((p) => !podSettled(p as Pod, (t) => inv.ageSeconds(t))) : objects;
  return relevant.map((object) => ({ kind, object, chain: [] }));
}

/** What the first step examines for this target: the object itself, its claims, or every fitting object of the namespace. */
function resolveSubjects(inv: Investigation, template: CompiledTemplate, target: DiagnosisTarget): Subject[] | string {
  if (subjectKinds(template).length === 0) return `template ${template.name} has no checks and no matchers: there is nothing to examine`;
  if (target.kind !== 'Namespace') return namedSubjects(inv, template, target);
  const namespace = target.name ?? target.namespace ?? '';
  // A declarative template examines the kinds it names, across the namespace.
  if (subjectKinds(template).includes('*')) {
    return template.targetKinds
      .filter((k) => k !== 'Namespace')
      .flatMap((kind) => listSubjects(inv, kind, namespace).map((object) => ({ kind, object, chain: [] })));
  }
  return isSweep(template) ? sweepSubjects(inv, template, namespace) : symptomSubjects(inv, template, namespace);
}

/**
 * A health sweep's first step examines several kinds of its own (not only workloads' pods); an intent
 * about one symptom (claims, pending pods) starts at that symptom's kind instead.
 */
function isSweep(template: CompiledTemplate): boolean {
  const stepZero = template.steps[0]?.checks ?? [];
  const ownKinds = new Set(stepZero.map((c) => c.subject).filter((k) => !WORKLOAD_KINDS.has(k)));
  return ownKinds.size > 1 || !stepZero.every((c) => c.follows !== undefined);
}

/** Every kind the first step names, in the namespace or across the cluster. */
function sweepSubjects(inv: Investigation, template: CompiledTemplate, namespace: string): Subject[] | string {
  const ns = template.scope === 'Cluster' ? undefined : namespace;
  const kinds = [...new Set(template.steps[0]?.checks.map((c) => c.subject) ?? [])];
  // An intent whose every kind has no API here (Gateway API without its CRDs) has nothing to examine: say so, not Healthy.
  const served = kinds.filter((kind) => inv.snapshot.availability(kind) !== 'NotInstalled');
  if (served.length === 0 && kinds.length > 0) {
    for (const kind of kinds) inv.list(kind, listEvidenceOf(kind), ns);
    return `the ${kinds.join(' and ')} APIs are not installed in this cluster (no CRD serves them)`;
  }
  return kinds.flatMap((kind) => unsettled(inv, kind, listSubjects(inv, kind, ns)));
}

/** The first examined kind is the symptom the intent is about (PVCs, pending pods, ingresses). */
function symptomSubjects(inv: Investigation, template: CompiledTemplate, namespace: string): Subject[] {
  const kinds = subjectKinds(template);
  const kind = kinds.find((k) => !WORKLOAD_KINDS.has(k)) ?? kinds[0] ?? '';
  return unsettled(inv, kind, listSubjects(inv, kind, namespace));
}

/** Why the target could not be read; NotInstalled and NotCollected say what the reader can do about it. */
function unreadableTarget(kind: string, reason: UnavailableReason): string {
  if (reason === 'NotInstalled') return `cannot exist: the ${kind} API is not installed (no CRD serves it)`;
  if (reason === 'NotCollected') return `could not be read (NotCollected): the dump holds no ${kind} objects`;
  return `could not be read (${reason})`;
}

/** The target by name, or the objects its selector picks; a string says why there is nothing to examine. */
function namedSubjects(inv: Investigation, template: CompiledTemplate, target: DiagnosisTarget): Subject[] | string {
  const { kind, namespace } = target;
  const objects: KubeObject[] = [];
  if (target.name !== undefined) {
    const found = inv.get(kind, 'target', target.name, namespace);
    if (found.state === 'Absent') return 'was not found';
    if (found.state === 'Unavailable') return unreadableTarget(kind, found.reason);
    objects.push(found.object);
  } else {
    const listed = inv.list(kind, 'target', isClusterScoped(kind) ? undefined : namespace);
    if (listed === undefined) return `could not be read`;
    objects.push(...listed.filter((o) => labelsMatch(target.selector, o)));
    // Nothing selected is not "nothing wrong": a typo in a label must not read as Healthy.
    if (objects.length === 0) return `no ${kind} matches the selector ${selectorText(target.selector)}`;
  }
  const firstKinds = template.steps[0]?.checks.map((c) => c.subject) ?? [];
  if (kind === 'Pod' && !firstKinds.includes('Pod') && firstKinds.includes('PersistentVolumeClaim')) return claimsOf(inv, objects);
  const kinds = subjectKinds(template);
  if (kinds.includes(kind) || kinds.includes('*')) return objects.map((object) => ({ kind, object, chain: [] }));
  return `intent ${template.name} does not examine ${kind} objects`;
}

/** A Pod target for an intent that starts at claims (pvc-binding): its claims, the pod at the head of the chain. */
function claimsOf(inv: Investigation, pods: readonly KubeObject[]): Subject[] {
  return pods.flatMap((pod) =>
    ((pod as Pod).spec?.volumes ?? []).flatMap((v) => {
      const claimName = v.persistentVolumeClaim?.claimName;
      if (claimName === undefined) return [];
      const claim = inv.get('PersistentVolumeClaim', 'pod.claims', claimName, pod.metadata?.namespace);
      return claim.state === 'Found' ? [{ kind: 'PersistentVolumeClaim', object: claim.object, chain: [refOf('Pod', pod)] }] : [];
    }),
  );
}

/**
 * The root cause: a fault before any known-benign state; a fault that blocks the symptom by itself
 * before the rest; then the candidate furthest down a chain (it explains those above it); then the
 * most specific, surest, most severe, widest.
 */
/** Between two causes of the same symptom (same chain head), the one that blocks it by itself first. */
function blocksFirst(a: Candidate, b: Candidate): number {
  const head = (c: Candidate) => (c.chain?.[0] === undefined ? refKey(c.object) : refKey(c.chain[0]));
  if (head(a) !== head(b)) return 0;
  return Number(b.blocksAlone === true) - Number(a.blocksAlone === true);
}

function chooseRootCause(candidates: readonly Candidate[], ranking: 'Chain' | 'BlastRadius'): Candidate | undefined {
  const causes = candidates.filter((c) => c.chain !== undefined);
  // Counted once: a comparator that filters all candidates made ranking O(n² log n) on a large namespace.
  const perCode = new Map<string, number>();
  for (const c of candidates) perCode.set(c.code, (perCode.get(c.code) ?? 0) + 1);
  const blastRadius = (code: string) => perCode.get(code) ?? 0;
  const ranked = causes
    .map((candidate, order) => ({ candidate, order }))
    .sort(
      (a, b) =>
        Number(a.candidate.benign === true) - Number(b.candidate.benign === true) ||
        blocksFirst(a.candidate, b.candidate) ||
        (ranking === 'BlastRadius'
          ? SEVERITY_RANK[b.candidate.severity] - SEVERITY_RANK[a.candidate.severity] || blastRadius(b.candidate.code) - blastRadius(a.candidate.code)
          : 0) ||
        (b.candidate.chain?.length ?? 0) - (a.candidate.chain?.length ?? 0) ||
        Number(SYMPTOM_CODES.has(a.candidate.code)) - Number(SYMPTOM_CODES.has(b.candidate.code)) ||
        (b.candidate.confidence ?? 0) - (a.candidate.confidence ?? 0) ||
        SEVERITY_RANK[b.candidate.severity] - SEVERITY_RANK[a.candidate.severity] ||
        blastRadius(b.candidate.code) - blastRadius(a.candidate.code) ||
        a.order - b.order,
    );
  return ranked[0]?.candidate;
}

/** One finding per (code, object, message): a pod reached directly and through its Deployment keeps the longer chain. */
function dedupeCandidates(candidates: Candidate[]): void {
  const kept = new Map<string, Candidate>();
  for (const candidate of candidates) {
    const key = `${candidate.code}|${candidate.object.kind}/${candidate.object.namespace ?? ''}/${candidate.object.name}|${candidate.message}`;
    const existing = kept.get(key);
    if (existing === undefined || (candidate.chain?.length ?? 0) > (existing.chain?.length ?? 0)) kept.set(key, candidate);
  }
  candidates.splice(0, candidates.length, ...kept.values());
}

function refKey(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

function findingOf(candidate: Candidate, suppressed: boolean): Finding {
  return {
    code: candidate.code,
    severity: suppressed ? 'Info' : candidate.severity,
    object: candidate.object,
    message: candidate.message,
    anchors: candidate.anchors.slice(0, MAX_ANCHORS_PER_FINDING),
    ...(suppressed ? { suppressed: true } : {}),
  };
}

/** Stable order (no status churn): most severe first, then (for health sweeps) widest, then code, then object. */
function sortFindings(findings: Finding[], ranking: 'Chain' | 'BlastRadius'): Finding[] {
  const radius = new Map<string, number>();
  for (const f of findings) radius.set(f.code, (radius.get(f.code) ?? 0) + 1);
  const widest = (a: Finding, b: Finding) => (ranking === 'BlastRadius' ? (radius.get(b.code) ?? 0) - (radius.get(a.code) ?? 0) : 0);
  return findings.sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      widest(a, b) ||
      compareStrings(a.code, b.code) ||
      compareStrings(`${a.object.namespace ?? ''}/${a.object.name}`, `${b.object.namespace ?? ''}/${b.object.name}`),
  );
}

function summarise(
  target: DiagnosisTarget,
  root: Candidate | undefined,
  verdict: DiagnosisVerdict,
  findings: readonly Finding[],
  note: string | undefined,
  unavailable: readonly { key: string; reason: string }[],
): string {
  const what = `${target.kind} ${target.kind === 'Namespace' ? (target.name ?? target.namespace ?? '') : `${target.namespace === undefined ? '' : `${target.namespace}/`}${target.name ?? '(selector)'}`}`;
  let text: string;
  if (note !== undefined) text = `${what}: ${note}`;
  else if (root !== undefined && verdict === 'RootCauseFound') {
    const head = root.chain?.[0];
    const startsElsewhere = head !== undefined && (head.kind !== root.object.kind || head.name !== root.object.name);
    text = startsElsewhere ? `${head.kind} ${head.namespace === undefined ? '' : `${head.namespace}/`}${head.name} is stuck: ${root.message}` : root.message;
  } else if (verdict === 'Healthy') {
    text = root?.benign === true ? root.message : `${what}: no problem found`;
  } else {
    const unreadable = unavailable.map((u) => `${u.key} (${u.reason})`).join(', ');
    const why = unreadable === '' ? 'not enough evidence for a diagnosis' : `not enough evidence; could not read ${unreadable}`;
    text = findings.length > 0 ? `${what}: no root cause proven; ${findings[0]?.message ?? ''}` : `${what}: ${why}`;
  }
  // Messages quote Event text: redact before anything reaches status or an Event note.
  return excerpt(text, 256);
}

/** Codes the engine reports itself, about the run rather than an object's fault. */
export const ENGINE_CODES: readonly Code[] = ['BreadthLimitReached'];

/** The engine stopped because its caller no longer wants the answer (leadership lost, shutdown). */
export class DiagnosisAborted extends Error {
  override readonly name = 'DiagnosisAborted';
}

/** What the walk along the template's steps did: the envelope's steps, bounds and missing evidence. */
interface Walk {
  readonly steps: Step[];
  readonly missing: Set<EvidenceKey>;
  stepsUsed: number;
  truncated: boolean;
  /** Subjects per kind the breadth cap left out. */
  readonly leftOut: Map<string, number>;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Lets the event loop run (Lease renewal, probes, other requests) and stops when the caller has given up. */
async function pause(input: DiagnosisInput): Promise<void> {
  stopIfAborted(input.signal);
  await (input.yieldToEventLoop ?? nextTurn)();
  // The caller may have given up while other work ran.
  stopIfAborted(input.signal);
}

function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new DiagnosisAborted('diagnosis aborted: the caller no longer wants the answer');
}

/**
 * Diagnoses the target from the snapshot. Pure: a function of (template, snapshot, target, bounds,
 * clock); the same inputs give the same envelope, timing aside. Steps are hops along the causal chain,
 * bounded by maxSteps, timeoutMs and a breadth cap per kind; a bound that cuts the run marks the
 * envelope truncated. It yields to the event loop between subjects and phases: the thread it runs on
 * also renews the Lease and answers probes.
 */
export async function diagnose(input: DiagnosisInput): Promise<Diagnosis> {
  const startedAt = input.now();
  const deadline = startedAt.getTime() + input.timeoutMs;
  const inv = new Investigation(input.snapshot, startedAt, input.fence);
  const resolved = resolveSubjects(inv, input.template, input.target);
  const note = typeof resolved === 'string' ? resolved : undefined;
  const walk = await walkSteps(input, inv, typeof resolved === 'string' ? [] : resolved, deadline);
  reportLeftOut(inv, input.target, walk.leftOut);
  await pause(input);
  const judged = judge(input, inv, walk, note);
  return { ...judged, envelope: fitToBudget(buildEnvelope(input, inv, walk, judged, note, startedAt)) };
}

const examines = (check: { readonly subject: string }, kind: string): boolean => check.subject === kind || check.subject === '*';

/** Walks the template's steps from the first that examines what the target resolved to (a Pod target skips the workload hop). */
async function walkSteps(input: DiagnosisInput, inv: Investigation, start: readonly Subject[], deadline: number): Promise<Walk> {
  const { template } = input;
  const walk: Walk = { steps: [], missing: new Set(), stepsUsed: 0, truncated: false, leftOut: new Map() };
  const firstKinds = new Set(start.map((s) => s.kind));
  const firstStep = Math.max(
    0,
    template.steps.findIndex((step) => step.checks.some((c) => c.subject === '*' || firstKinds.has(c.subject))),
  );
  let frontier = start;
  for (const [index, step] of template.steps.entries()) {
    const subjects = frontier.filter((s) => step.checks.some((c) => examines(c, s.kind)));
    if (index < firstStep || subjects.length === 0) {
      walk.steps.push({ name: step.name, status: 'Skipped', durationMs: 0, evidenceKeys: [] });
      continue;
    }
    const cutByTime = input.now().getTime() > deadline;
    if (walk.stepsUsed >= input.maxSteps || cutByTime) {
      walk.truncated = true;
      for (const check of step.checks) for (const key of check.evidence) walk.missing.add(key);
      walk.steps.push({ name: step.name, status: cutByTime ? 'TimedOut' : 'Skipped', durationMs: 0, evidenceKeys: [] });
      frontier = [];
      continue;
    }
    walk.stepsUsed += 1;
    frontier = await runStep(input, inv, step, subjects, deadline, walk);
  }
  return walk;
}

/** Runs one step's checks over its subjects; returns the subjects they follow into the next step. */
async function runStep(
  input: DiagnosisInput,
  inv: Investigation,
  step: CompiledTemplate['steps'][number],
  subjects: readonly Subject[],
  deadline: number,
  walk: Walk,
): Promise<Subject[]> {
  const stepStart = input.now();
  const before = new Set(inv.evidence().present);
  const next: Subject[] = [];
  const seen = new Set<string>();
  const ctx: CheckContext = {
    inv,
    follow: (kind, object, chain) => {
      const key = `${kind}/${object.metadata?.uid ?? object.metadata?.name ?? ''}`;
      if (seen.has(key)) return;
      seen.add(key);
      next.push({ kind, object, chain });
    },
  };
  let timedOut = false;
  const faulty = new Map<string, number>();
  for (const [index, subject] of subjects.entries()) {
    if (index > 0 && index % YIELD_EVERY_SUBJECTS === 0) await pause(input);
    const checks = step.checks.filter((check) => examines(check, subject.kind));
    if (timedOut || input.now().getTime() > deadline) {
      // What the deadline kept us from examining is evidence we needed and do not have.
      timedOut = true;
      for (const check of checks) for (const key of check.evidence) walk.missing.add(key);
      continue;
    }
    if ((faulty.get(subject.kind) ?? 0) >= MAX_SUBJECTS_PER_KIND) {
      walk.truncated = true;
      walk.leftOut.set(subject.kind, (walk.leftOut.get(subject.kind) ?? 0) + 1);
      continue;
    }
    const reported = inv.candidates.length;
    for (const check of checks) check.run(ctx, subject.object, subject.chain, subject.kind);
    if (inv.candidates.length > reported) faulty.set(subject.kind, (faulty.get(subject.kind) ?? 0) + 1);
  }
  if (timedOut) walk.truncated = true;
  walk.steps.push({
    name: step.name,
    status: timedOut ? 'TimedOut' : 'Done',
    durationMs: input.now().getTime() - stepStart.getTime(),
    evidenceKeys: inv.evidence().present.filter((key) => !before.has(key)),
  });
  return timedOut ? [] : next;
}

/** An Info finding per kind the breadth cap cut, naming how many were left out: a truncated sweep says what it did not see. */
function reportLeftOut(inv: Investigation, target: DiagnosisTarget, leftOut: ReadonlyMap<string, number>): void {
  const object: ObjectRef =
    target.kind === 'Namespace'
      ? { apiVersion: 'v1', kind: 'Namespace', name: target.name ?? target.namespace ?? '' }
      : {
          apiVersion: apiVersionOf(target.kind),
          kind: target.kind,
          ...(target.namespace === undefined ? {} : { namespace: target.namespace }),
          name: target.name ?? '',
        };
  for (const [kind, count] of [...leftOut.entries()].sort(([a], [b]) => compareStrings(a, b))) {
    inv.report({
      code: 'BreadthLimitReached',
      severity: 'Info',
      object,
      message: `${count} more ${kind} objects were not examined: ${MAX_SUBJECTS_PER_KIND} already showed a fault (a step examines at most ${MAX_SUBJECTS_PER_KIND} faulty objects of a kind, in namespace/name order)`,
      anchors: [],
      nextActions: [],
    });
  }
}

/** What the run proved: the root cause, findings, completeness and verdict, from the candidates the checks reported. */
interface Judgement {
  readonly verdict: DiagnosisVerdict;
  readonly root: Candidate | undefined;
  readonly problem: Candidate | undefined;
  readonly findings: Finding[];
  readonly completeness: number;
  readonly missing: readonly EvidenceKey[];
  readonly undecided: string | undefined;
  readonly actions: NextAction[];
  readonly watchKeys: readonly string[];
  readonly recheckAfterMs?: number;
}

/** Evidence that was needed and neither read nor known to be unreadable; completeness is the share known. */
function measureCompleteness(template: CompiledTemplate, inv: Investigation, walk: Walk): { completeness: number; missing: EvidenceKey[] } {
  const evidence = inv.evidence();
  const missing = new Set(walk.missing);
  for (const key of template.requiredEvidence) if (!evidence.present.includes(key)) missing.add(key);
  for (const key of evidence.present) missing.delete(key);
  for (const { key } of evidence.unavailable) missing.delete(key);
  const required = evidence.present.length + evidence.unavailable.length + missing.size;
  // An API that is not installed is known, not missing: nothing of that kind can exist to be read.
  const known = evidence.present.length + evidence.unavailable.filter((u) => u.reason === 'NotInstalled').length;
  return { completeness: required === 0 ? 0 : Math.round((known / required) * 100) / 100, missing: [...missing].sort() };
}

/** Accepted codes, by the template or by the object itself (annotation), are reported as suppressed. */
function suppression(input: DiagnosisInput): (c: Candidate) => boolean {
  const acceptedByObject = (c: Candidate) =>
    (input.snapshot.get(c.object.kind, c.object.name, c.object.namespace)?.metadata?.annotations?.[ACCEPT_ANNOTATION] ?? '')
      .split(',')
      .map((code) => code.trim())
      .includes(c.code);
  return (c) => input.template.suppress.includes(c.code) || acceptedByObject(c);
}

/** The findings beside the root cause, most severe first; a symptom a deeper cause explains is context (Info). */
function findingsOf(
  candidates: readonly Candidate[],
  problem: Candidate | undefined,
  isSuppressed: (c: Candidate) => boolean,
  ranking: 'Chain' | 'BlastRadius',
): Finding[] {
  // Objects on the chain of some concrete (non-symptom) cause: a symptom there is explained by it.
  const onCauseChains = new Set(candidates.filter((c) => !SYMPTOM_CODES.has(c.code)).flatMap((c) => (c.chain ?? []).map(refKey)));
  const all = sortFindings(
    candidates
      .filter((c) => c !== problem)
      .map((c) => {
        const finding = findingOf(c, isSuppressed(c));
        const explained = SYMPTOM_CODES.has(c.code) && onCauseChains.has(refKey(c.object));
        return explained ? { ...finding, severity: 'Info' as const } : finding;
      }),
    ranking,
  );
  // What the breadth cap left out is always said, whatever else fills the list.
  const leftOut = all.filter((f) => f.code === 'BreadthLimitReached');
  const kept = [...all.filter((f) => f.code !== 'BreadthLimitReached').slice(0, MAX_FINDINGS - leftOut.length), ...leftOut];
  // Redacted after the cut: only what is kept is quoted, and a hostile namespace's thousands of candidates cost nothing more.
  return kept.map((finding) => ({ ...finding, message: redact(finding.message) }));
}

function judge(input: DiagnosisInput, inv: Investigation, walk: Walk, note: string | undefined): Judgement {
  const { completeness, missing } = measureCompleteness(input.template, inv, walk);
  const isSuppressed = suppression(input);
  dedupeCandidates(inv.candidates);
  const active = inv.candidates.filter((c) => !isSuppressed(c));
  const root = chooseRootCause(active, input.template.ranking);
  const problem = root !== undefined && root.benign !== true ? root : undefined;
  const findings = findingsOf(inv.candidates, problem, isSuppressed, input.template.ranking);
  const unexplained = findings.some((f) => f.suppressed !== true && f.severity !== 'Info');
  // A benign state with a deadline (a provisioner's grace period, a rollout within its progress
  // deadline) is not decidable yet: it must not read Healthy before the deadline passes.
  const awaited = problem === undefined ? active.find((c) => c.benign === true && c.recheckAfterSeconds !== undefined) : undefined;
  // Objects the breadth cap left out may hold the fault: a sample that looks fine is not a healthy cluster.
  const decidable = awaited === undefined && note === undefined && !unexplained && walk.leftOut.size === 0;
  const verdict: DiagnosisVerdict = problem !== undefined ? 'RootCauseFound' : decidable && completeness >= input.minCompleteness ? 'Healthy' : 'Inconclusive';
  const rechecks = inv.candidates.flatMap((c) => (c.recheckAfterSeconds === undefined ? [] : [c.recheckAfterSeconds * 1000]));
  // A cache that is catching up answers in seconds: look again rather than keep an answer made without it.
  if (inv.evidence().unavailable.some((u) => u.reason === 'NotSynced')) rechecks.push(NOT_SYNCED_RECHECK_MS);
  return {
    verdict,
    root,
    problem,
    findings,
    completeness,
    missing,
    // The time itself is status.nextCheckAt: one computed from now would change the summary on every run.
    undecided: awaited === undefined ? undefined : `${awaited.message}; not decidable yet, checked again when the wait ends (status.nextCheckAt)`,
    actions: nextActionsOf(root, active),
    watchKeys: inv.watchKeys(),
    ...(rechecks.length === 0 ? {} : { recheckAfterMs: Math.min(...rechecks) }),
  };
}

/** The root cause's actions first, then the others', without repeats. */
function nextActionsOf(root: Candidate | undefined, active: readonly Candidate[]): NextAction[] {
  const actions: NextAction[] = [];
  for (const candidate of [...(root === undefined ? [] : [root]), ...active]) {
    for (const action of candidate.nextActions) {
      if (actions.length < MAX_NEXT_ACTIONS && !actions.some((a) => a.command === action.command)) actions.push(action);
    }
  }
  return actions;
}

/** sha256 over the (uid, resourceVersion) of everything read: equal fingerprints mean the run saw the same objects. */
function fingerprintOf(inv: Investigation): Envelope['inputs'] {
  const inputs = inv.inputEntries();
  const hash = createHash('sha256');
  for (const [uid, resourceVersion] of inputs.sort(([a], [b]) => compareStrings(a, b))) hash.update(`${uid}@${resourceVersion};`);
  return { fingerprint: `sha256:${hash.digest('hex').slice(0, 32)}`, objectCount: inputs.length };
}

function buildEnvelope(input: DiagnosisInput, inv: Investigation, walk: Walk, judged: Judgement, note: string | undefined, startedAt: Date): Envelope {
  const { template, target } = input;
  const { problem } = judged;
  const evidence = inv.evidence();
  const targetObject = target.name === undefined || target.kind === 'Namespace' ? undefined : input.snapshot.get(target.kind, target.name, target.namespace);
  const completedAt = input.now();
  return {
    intent: input.intent,
    template: { name: template.name, version: template.version, hash: template.hash, source: input.templateSource },
    target: {
      kind: target.kind,
      ...(target.namespace === undefined ? {} : { namespace: target.namespace }),
      ...(target.name === undefined ? {} : { name: target.name }),
      ...(targetObject?.metadata?.uid === undefined ? {} : { uid: targetObject.metadata.uid }),
    },
    summary:
      judged.undecided === undefined
        ? summarise(target, judged.root, judged.verdict, judged.findings, note, evidence.unavailable)
        : excerpt(judged.undecided, 256),
    ...(problem === undefined
      ? {}
      : {
          rootCause: {
            code: problem.code,
            confidence: problem.confidence ?? 0.5,
            message: redact(problem.message),
            chain: [...(problem.chain ?? [])],
            anchors: [...problem.anchors],
          },
        }),
    findings: judged.findings,
    evidence: {
      completeness: judged.completeness,
      threshold: input.minCompleteness,
      present: evidence.present,
      missing: [...judged.missing],
      unavailable: evidence.unavailable,
    },
    anchors: inv.anchorList(),
    nextActions: judged.actions,
    steps: walk.steps,
    bounds: { stepsUsed: walk.stepsUsed, maxSteps: input.maxSteps, timeoutMs: input.timeoutMs, truncated: walk.truncated },
    timing: { startedAt: startedAt.toISOString(), completedAt: completedAt.toISOString(), durationMs: completedAt.getTime() - startedAt.getTime() },
    inputs: fingerprintOf(inv),
  };
}

/** Keeps only the anchors something cites, then drops the least severe findings until the envelope fits its budget. */
function fitToBudget(envelope: Envelope): Envelope {
  let fitted = envelope;
  for (;;) {
    const cited = new Set([...(fitted.rootCause?.anchors ?? []), ...fitted.findings.flatMap((f) => f.anchors)]);
    fitted = { ...fitted, anchors: envelope.anchors.filter((a) => cited.has(a.id)) };
    if (JSON.stringify(fitted).length <= ENVELOPE_BUDGET_BYTES - RECURRENCE_RESERVE_BYTES || fitted.findings.length === 0) return fitted;
    // What the breadth cap left out is said to the end: it is why the rest may be incomplete.
    const last = fitted.findings.findLastIndex((f) => f.code !== 'BreadthLimitReached');
    if (last < 0) return fitted;
    fitted = { ...fitted, findings: fitted.findings.filter((_, i) => i !== last), bounds: { ...fitted.bounds, truncated: true } };
  }
}
