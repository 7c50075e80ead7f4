import { createHash } from 'node:crypto';
import type { Envelope, Finding, NextAction, ObjectRef, Severity, Step } from '../crds/envelope';
import type { TargetKind } from '../crds/intents';
import type { LabelSelector } from '../crds/triage-request';
import type { CheckContext } from './checks/check';
import { podSettled } from './checks/workload';
import { Investigation, refOf, type Candidate } from './investigation';
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
  'UnboundPersistentVolumeClaim', 'NoReadyEndpoints', 'PodsNotReady', 'IngressControllerNotReporting', 'Unschedulable',
  'ProgressDeadlineExceeded', 'RolloutStalled', 'ReplicasUnavailable', 'RouteNotAccepted',
]);

/** Kinds a check can examine that live outside namespaces: a template examining one reads cluster-wide. */
export const CLUSTER_SCOPED_SUBJECTS: ReadonlySet<string> = new Set(['Node', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);

/** Evidence key of a namespace-wide read of each kind. */
const NAMESPACE_EVIDENCE: Readonly<Record<string, string>> = {
  Pod: 'pods',
  PersistentVolumeClaim: 'claims',
  Ingress: 'ingresses',
  Service: 'services',
  Node: 'nodes',
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  HorizontalPodAutoscaler: 'autoscalers',
  Job: 'jobs',
  CronJob: 'cronjobs',
  Gateway: 'gateways',
  HTTPRoute: 'httproutes',
  PodDisruptionBudget: 'budgets',
  ValidatingWebhookConfiguration: 'webhooks',
  MutatingWebhookConfiguration: 'webhooks',
};

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

/** What the first step examines for this target: the object itself, its claims, or every fitting object of the namespace. */
function resolveSubjects(inv: Investigation, template: CompiledTemplate, target: DiagnosisTarget): Subject[] | string {
  const kinds = subjectKinds(template);
  const namespace = target.namespace;
  if (target.kind === 'Namespace' && kinds.includes('*')) {
    // A declarative template examines the kinds it names, across the namespace.
    const ns = target.name ?? namespace ?? '';
    return template.targetKinds
      .filter((k) => k !== 'Namespace')
      .flatMap((k) => (inv.list(k, NAMESPACE_EVIDENCE[k] ?? k, CLUSTER_SCOPED_SUBJECTS.has(k) ? undefined : ns) ?? []).map((object) => ({ kind: k, object, chain: [] })));
  }
  const workloadKinds = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'Job', 'DaemonSet']);
  const stepZeroKinds = [...new Set(template.steps[0]?.checks.map((c) => c.subject) ?? [])];
  // Followers (deployment.pods, ...) hop from workloads to pods; other first-step checks examine workloads themselves.
  const stepZeroFollowsOnly = (template.steps[0]?.checks ?? []).every((c) => c.name.endsWith('.pods'));
  if (target.kind === 'Namespace' && (stepZeroKinds.filter((k) => !workloadKinds.has(k)).length > 1 || !stepZeroFollowsOnly)) {
    // A health sweep examines every kind its first step names, in the namespace or across the cluster.
    const ns = template.scope === 'Cluster' ? undefined : (target.name ?? namespace ?? '');
    // An intent whose every kind has no API here (Gateway API without its CRDs) has nothing to examine: say so, not Healthy.
    const served = stepZeroKinds.filter((kind) => inv.snapshot.availability(kind) !== 'NotInstalled');
    if (served.length === 0 && stepZeroKinds.length > 0) {
      for (const kind of stepZeroKinds) inv.list(kind, NAMESPACE_EVIDENCE[kind] ?? kind, ns);
      return `the ${stepZeroKinds.join(' and ')} APIs are not installed in this cluster (no CRD serves them)`;
    }
    return stepZeroKinds.flatMap((kind) => {
      const objects = inv.list(kind, NAMESPACE_EVIDENCE[kind] ?? kind, CLUSTER_SCOPED_SUBJECTS.has(kind) ? undefined : ns) ?? [];
      return (kind === 'Pod' ? objects.filter((p) => !podSettled(p as Pod, (t) => inv.ageSeconds(t))) : objects).map((object) => ({ kind, object, chain: [] }));
    });
  }
  if (target.kind === 'Namespace') {
    const ns = target.name ?? namespace ?? '';
    // The first examined kind is the symptom the intent is about (PVCs, pending pods, ingresses).
    const kind = kinds.find((k) => !workloadKinds.has(k)) ?? kinds[0] ?? '';
    // Cluster-scoped kinds (nodes) are listed whole: a namespace does not contain them.
    const objects = inv.list(kind, NAMESPACE_EVIDENCE[kind] ?? kind, CLUSTER_SCOPED_SUBJECTS.has(kind) ? undefined : ns) ?? [];
    const relevant = kind === 'Pod' ? objects.filter((p) => !podSettled(p as Pod, (t) => inv.ageSeconds(t))) : objects;
    return relevant.map((object) => ({ kind, object, chain: [] }));
  }
  const lookupKind = target.kind;
  const objects: KubeObject[] = [];
  if (target.name !== undefined) {
    const found = inv.get(lookupKind, 'target', target.name, namespace);
    if (found.state === 'Absent') return 'was not found';
    if (found.state === 'Unavailable') return found.reason === 'NotInstalled' ? `cannot exist: the ${lookupKind} API is not installed (no CRD serves it)` : `could not be read (${found.reason})`;
    objects.push(found.object);
  } else {
    const listed = inv.list(lookupKind, 'target', CLUSTER_SCOPED_SUBJECTS.has(lookupKind) ? undefined : namespace);
    if (listed === undefined) return `could not be read`;
    objects.push(...listed.filter((o) => labelsMatch(target.selector, o)));
    // Nothing selected is not "nothing wrong": a typo in a label must not read as Healthy.
    if (objects.length === 0) return `no ${lookupKind} matches the selector ${selectorText(target.selector)}`;
  }
  // A Pod target for an intent that starts at claims (pvc-binding): examine the claims it mounts,
  // keeping the pod at the head of the chain.
  const firstKinds = template.steps[0]?.checks.map((c) => c.subject) ?? [];
  if (lookupKind === 'Pod' && !firstKinds.includes('Pod') && firstKinds.includes('PersistentVolumeClaim')) {
    return objects.flatMap((pod) =>
      ((pod as Pod).spec?.volumes ?? []).flatMap((v) => {
        const claimName = v.persistentVolumeClaim?.claimName;
        if (claimName === undefined) return [];
        const claim = inv.get('PersistentVolumeClaim', 'pod.claims', claimName, pod.metadata?.namespace);
        return claim.state === 'Found' ? [{ kind: 'PersistentVolumeClaim', object: claim.object, chain: [refOf('Pod', pod)] }] : [];
      }),
    );
  }
  if (kinds.includes(lookupKind) || kinds.includes('*')) return objects.map((object) => ({ kind: lookupKind, object, chain: [] }));
  return `intent ${template.name} does not examine ${lookupKind} objects`;
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
        (ranking === 'BlastRadius' ? SEVERITY_RANK[b.candidate.severity] - SEVERITY_RANK[a.candidate.severity] || blastRadius(b.candidate.code) - blastRadius(a.candidate.code) : 0) ||
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

/**
 * Diagnoses the target from the snapshot. Pure: a function of (template, snapshot, target, bounds,
 * clock); the same inputs give the same envelope, timing aside. Steps are hops along the causal chain,
 * bounded by maxSteps and timeoutMs; a bound that cuts the chain marks the envelope truncated.
 */
export function diagnose(input: DiagnosisInput): Diagnosis {
  const startedAt = input.now();
  const deadline = startedAt.getTime() + input.timeoutMs;
  const inv = new Investigation(input.snapshot, startedAt, input.fence);
  const { template } = input;
  const resolved = resolveSubjects(inv, template, input.target);
  const note = typeof resolved === 'string' ? resolved : undefined;
  let frontier: Subject[] = typeof resolved === 'string' ? [] : resolved;

  // Start at the first step that examines what the target resolved to (a Pod target skips the workload hop).
  const firstKinds = new Set(frontier.map((s) => s.kind));
  const firstStep = Math.max(0, template.steps.findIndex((step) => step.checks.some((c) => c.subject === '*' || firstKinds.has(c.subject))));
  const steps: Step[] = [];
  const missing = new Set<string>();
  let stepsUsed = 0;
  let truncated = false;
  template.steps.forEach((step, index) => {
    const examines = (check: { subject: string }, kind: string) => check.subject === kind || check.subject === '*';
    const subjects = frontier.filter((s) => step.checks.some((c) => examines(c, s.kind)));
    const needed = index >= firstStep && subjects.length > 0;
    if (!needed) {
      if (index >= firstStep) frontier = frontier.filter((s) => !subjects.includes(s));
      steps.push({ name: step.name, status: 'Skipped', durationMs: 0, evidenceKeys: [] });
      return;
    }
    const cutBySteps = stepsUsed >= input.maxSteps;
    const cutByTime = input.now().getTime() > deadline;
    if (cutBySteps || cutByTime) {
      truncated = true;
      for (const check of step.checks) for (const key of check.evidence) missing.add(key);
      steps.push({ name: step.name, status: cutByTime ? 'TimedOut' : 'Skipped', durationMs: 0, evidenceKeys: [] });
      frontier = [];
      return;
    }
    stepsUsed += 1;
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
    for (const subject of subjects) {
      const checks = step.checks.filter((check) => examines(check, subject.kind));
      if (timedOut || input.now().getTime() > deadline) {
        // What the deadline kept us from examining is evidence we needed and do not have.
        timedOut = true;
        for (const check of checks) for (const key of check.evidence) missing.add(key);
        continue;
      }
      for (const check of checks) check.run(ctx, subject.object, subject.chain, subject.kind);
    }
    if (timedOut) truncated = true;
    steps.push({
      name: step.name,
      status: timedOut ? 'TimedOut' : 'Done',
      durationMs: input.now().getTime() - stepStart.getTime(),
      evidenceKeys: inv.evidence().present.filter((key) => !before.has(key)),
    });
    frontier = timedOut ? [] : next;
  });

  const evidence = inv.evidence();
  for (const key of template.requiredEvidence) if (!evidence.present.includes(key)) missing.add(key);
  for (const key of evidence.present) missing.delete(key);
  for (const { key } of evidence.unavailable) missing.delete(key);
  const required = evidence.present.length + evidence.unavailable.length + missing.size;
  // An API that is not installed is known, not missing: nothing of that kind can exist to be read.
  const known = evidence.present.length + evidence.unavailable.filter((u) => u.reason === 'NotInstalled').length;
  const completeness = required === 0 ? 0 : Math.round((known / required) * 100) / 100;

  // Accepted codes, by the template or by the object itself (annotation), are reported as suppressed.
  const acceptedByObject = (c: Candidate) =>
    (input.snapshot.get(c.object.kind, c.object.name, c.object.namespace)?.metadata?.annotations?.[ACCEPT_ANNOTATION] ?? '')
      .split(',')
      .map((code) => code.trim())
      .includes(c.code);
  const isSuppressed = (c: Candidate) => template.suppress.includes(c.code) || acceptedByObject(c);
  dedupeCandidates(inv.candidates);
  const active = inv.candidates.filter((c) => !isSuppressed(c));
  const root = chooseRootCause(active, template.ranking);
  const problem = root !== undefined && root.benign !== true ? root : undefined;
  // Objects on the chain of some concrete (non-symptom) cause: a symptom there is explained by it.
  const onCauseChains = new Set(inv.candidates.filter((c) => !SYMPTOM_CODES.has(c.code)).flatMap((c) => (c.chain ?? []).map(refKey)));
  const findings = sortFindings(
    inv.candidates.filter((c) => c !== problem).map((c) => {
      const finding = findingOf(c, isSuppressed(c));
      // A symptom that a deeper cause explains (its object lies on that cause's chain) is context, not a fault.
      const explained = SYMPTOM_CODES.has(c.code) && onCauseChains.has(refKey(c.object));
      return explained ? { ...finding, severity: 'Info' as const } : finding;
    }),
    template.ranking,
  )
    .slice(0, MAX_FINDINGS)
    // Redacted after the cut: only what is kept is quoted, and a hostile namespace's thousands of candidates cost nothing more.
    .map((finding) => ({ ...finding, message: redact(finding.message) }));
  const unexplained = findings.some((f) => f.suppressed !== true && f.severity !== 'Info');
  // A benign state with a deadline (a provisioner's grace period, a rollout within its progress
  // deadline) is not decidable yet: it must not read Healthy before the deadline passes.
  const awaited = problem === undefined ? active.find((c) => c.benign === true && c.recheckAfterSeconds !== undefined) : undefined;
  const verdict: DiagnosisVerdict =
    problem !== undefined ? 'RootCauseFound' : awaited === undefined && note === undefined && !unexplained && completeness >= input.minCompleteness ? 'Healthy' : 'Inconclusive';
  // The time itself is status.nextCheckAt: one computed from now would change the summary on every run.
  const undecided = awaited === undefined ? undefined : `${awaited.message}; not decidable yet, checked again when the wait ends (status.nextCheckAt)`;

  const actions: NextAction[] = [];
  for (const candidate of [...(root === undefined ? [] : [root]), ...active]) {
    for (const action of candidate.nextActions) {
      if (actions.length < MAX_NEXT_ACTIONS && !actions.some((a) => a.command === action.command)) actions.push(action);
    }
  }
  const inputs = inv.inputEntries();
  const hash = createHash('sha256');
  for (const [uid, resourceVersion] of inputs.sort(([a], [b]) => compareStrings(a, b))) hash.update(`${uid}@${resourceVersion};`);
  const targetObject =
    input.target.name === undefined || input.target.kind === 'Namespace' ? undefined : input.snapshot.get(input.target.kind, input.target.name, input.target.namespace);
  const completedAt = input.now();

  const envelope: Envelope = {
      intent: input.intent,
      template: { name: template.name, version: template.version, hash: template.hash, source: input.templateSource },
      target: {
        kind: input.target.kind,
        ...(input.target.namespace === undefined ? {} : { namespace: input.target.namespace }),
        ...(input.target.name === undefined ? {} : { name: input.target.name }),
        ...(targetObject?.metadata?.uid === undefined ? {} : { uid: targetObject.metadata.uid }),
      },
      summary: undecided === undefined ? summarise(input.target, root, verdict, findings, note, evidence.unavailable) : excerpt(undecided, 256),
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
      findings,
      evidence: {
        completeness,
        threshold: input.minCompleteness,
        present: evidence.present,
        missing: [...missing].sort(),
        unavailable: evidence.unavailable,
      },
      anchors: inv.anchorList(),
      nextActions: actions,
      steps,
      bounds: { stepsUsed, maxSteps: input.maxSteps, timeoutMs: input.timeoutMs, truncated },
      timing: { startedAt: startedAt.toISOString(), completedAt: completedAt.toISOString(), durationMs: completedAt.getTime() - startedAt.getTime() },
      inputs: { fingerprint: `sha256:${hash.digest('hex').slice(0, 32)}`, objectCount: inputs.length },
  };
  const rechecks = inv.candidates.flatMap((c) => (c.recheckAfterSeconds === undefined ? [] : [c.recheckAfterSeconds * 1000]));
  // A cache that is catching up answers in seconds: look again rather than keep an answer made without it.
  if (evidence.unavailable.some((u) => u.reason === 'NotSynced')) rechecks.push(NOT_SYNCED_RECHECK_MS);
  return {
    verdict,
    envelope: fitToBudget(envelope),
    watchKeys: inv.watchKeys(),
    ...(rechecks.length === 0 ? {} : { recheckAfterMs: Math.min(...rechecks) }),
  };
}

/** Keeps only the anchors something cites, then drops the least severe findings until the envelope fits its budget. */
function fitToBudget(envelope: Envelope): Envelope {
  let fitted = envelope;
  for (;;) {
    const cited = new Set([...(fitted.rootCause?.anchors ?? []), ...fitted.findings.flatMap((f) => f.anchors)]);
    fitted = { ...fitted, anchors: envelope.anchors.filter((a) => cited.has(a.id)) };
    if (JSON.stringify(fitted).length <= ENVELOPE_BUDGET_BYTES - RECURRENCE_RESERVE_BYTES || fitted.findings.length === 0) return fitted;
    fitted = { ...fitted, findings: fitted.findings.slice(0, -1), bounds: { ...fitted.bounds, truncated: true } };
  }
}
