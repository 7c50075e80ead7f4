export type SchedulingReasonCode =
  | 'InsufficientResources'
  | 'TooManyPods'
  | 'UntoleratedTaint'
  | 'NodeAffinityMismatch'
  | 'PodAffinityUnsatisfied'
  | 'PodAntiAffinityConflict'
  | 'TopologySpreadUnsatisfiable'
  | 'HostPortConflict'
  | 'NodesUnschedulable'
  | 'UnboundPersistentVolumeClaim'
  | 'PersistentVolumeClaimNotFound'
  | 'VolumeNodeAffinityConflict'
  | 'NoNodes'
  | 'NodeNameMismatch'
  | 'Unknown';

/** Missing, terminating (deletionTimestamp set), or a generic ephemeral claim its controller has not created yet. */
export type ClaimState = 'NotFound' | 'BeingDeleted' | 'NotYetCreated';

export interface SchedulingCause {
  readonly code: SchedulingReasonCode;
  /** "3 Insufficient cpu" -> 3; undefined for PreFilter and post-filter messages, which carry no count. */
  readonly nodeCount: number | undefined;
  /** 'cpu', 'memory', 'nvidia.com/gpu' for InsufficientResources. */
  readonly resource?: string;
  /** Only when the (pre-1.35) message names the taint; the scheduler never printed the effect. */
  readonly taint?: { key: string; value?: string; effect?: string };
  /** The claim a PersistentVolumeClaim PreFilter message names. */
  readonly claimName?: string;
  /** Why a PersistentVolumeClaimNotFound claim is unusable: the messages differ and so does the fix. */
  readonly claimState?: ClaimState;
  /** The reason as written, without its leading node count. */
  readonly text: string;
}

export interface ParsedSchedulingMessage {
  /** N in "0/N nodes are available". */
  readonly totalNodes: number | undefined;
  /** In message order; a PreFilter message is a single cause. */
  readonly causes: readonly SchedulingCause[];
  /** True when a PreFilter message replaced the per-node list. */
  readonly preFilter: boolean;
  /** The text after "preemption: ", if any. */
  readonly preemption: string | undefined;
}

type CauseDetail = Omit<SchedulingCause, 'nodeCount' | 'text'>;

interface PatternRule {
  readonly pattern: RegExp;
  readonly detail: (match: RegExpExecArray) => CauseDetail;
}

// FitError.Error() in pkg/scheduler/framework/types.go: "0/%v nodes are available:".
const HEADER = /^\d+\/(\d+) nodes are available\b:?\s*/;
// DefaultPreemption prefixes its PostFilter message so it can be told apart from the filter reasons.
const PREEMPTION_PREFIX = 'preemption: ';
// schedule_one.go truncateMessage() marks events cut at the 1024-character note limit.
const TRUNCATION_MARKER = ' ...';
// DynamicResources PostFilter statuses: notes about claim deallocation, not reasons a node was rejected.
const DRA_POST_FILTER: readonly string[] = [
  'no new claims to deallocate',
  'plugin disabled',
  'deallocation of ResourceClaim completed',
  'deletion of ResourceClaim completed',
  'still not schedulable',
];

// Fixed reason strings, current and historical; see scheduler-message.test.ts for the source of each.
const EXACT: ReadonlyMap<string, SchedulingReasonCode> = new Map<string, SchedulingReasonCode>([
  ['Too many pods', 'TooManyPods'],
  ['Insufficient pods', 'TooManyPods'],
  ['node(s) had untolerated taint(s)', 'UntoleratedTaint'],
  ["node(s) had taints that the pod didn't tolerate", 'UntoleratedTaint'],
  ["node(s) didn't match Pod's node affinity/selector", 'NodeAffinityMismatch'],
  ["node(s) didn't match Pod's node affinity", 'NodeAffinityMismatch'],
  ["node(s) didn't match node selector", 'NodeAffinityMismatch'],
  ["node(s) didn't match scheduler-enforced node affinity", 'NodeAffinityMismatch'],
  // NodeAffinity PreFilter: the pod's metadata.name node-affinity terms exclude each other.
  ['pod affinity terms conflict', 'NodeAffinityMismatch'],
  ["node(s) didn't match pod affinity rules", 'PodAffinityUnsatisfied'],
  // Pre-1.22 umbrella reason, always printed beside the specific affinity or anti-affinity one.
  ["node(s) didn't match pod affinity/anti-affinity", 'PodAffinityUnsatisfied'],
  ["node(s) didn't match pod affinity/anti-affinity rules", 'PodAffinityUnsatisfied'],
  ["node(s) didn't match pod anti-affinity rules", 'PodAntiAffinityConflict'],
  ["node(s) didn't satisfy existing pods anti-affinity rules", 'PodAntiAffinityConflict'],
  ["node(s) didn't match pod topology spread constraints", 'TopologySpreadUnsatisfiable'],
  ["node(s) didn't match pod topology spread constraints (missing required label)", 'TopologySpreadUnsatisfiable'],
  ["node(s) didn't have free ports for the requested pod ports", 'HostPortConflict'],
  ['node(s) were unschedulable', 'NodesUnschedulable'],
  ["node(s) didn't find available persistent volumes to bind", 'UnboundPersistentVolumeClaim'],
  // The volume binder cannot provision the claim on that node, so it stays unbound there.
  ['node(s) did not have enough free storage', 'UnboundPersistentVolumeClaim'],
  // The claim is Lost: its binding points at a volume that is gone.
  ['node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)', 'UnboundPersistentVolumeClaim'],
  ['pod has unbound immediate PersistentVolumeClaims', 'UnboundPersistentVolumeClaim'],
  ['pod has unbound PersistentVolumeClaims', 'UnboundPersistentVolumeClaim'],
  ["node(s) didn't match PersistentVolume's node affinity", 'VolumeNodeAffinityConflict'],
  ['node(s) had volume node affinity conflict', 'VolumeNodeAffinityConflict'],
  ['node(s) had no available volume zone', 'VolumeNodeAffinityConflict'],
  ["node(s) didn't match the requested node name", 'NodeNameMismatch'],
  ["node(s) didn't match the requested hostname", 'NodeNameMismatch'],
  ['no nodes available to schedule pods', 'NoNodes'],
]);

const PATTERNS: readonly PatternRule[] = [
  { pattern: /^Insufficient (\S+)$/, detail: (m) => ({ code: 'InsufficientResources', resource: m[1] ?? '' }) },
  { pattern: /^node\(s\) had untolerated taint \{(.*)\}$/, detail: (m) => taintDetail(m[1] ?? '') },
  { pattern: /^node\(s\) had taint \{(.*)\}, that the pod didn't tolerate$/, detail: (m) => taintDetail(m[1] ?? '') },
  { pattern: /^persistentvolumeclaim "([^"]+)" not found$/, detail: (m) => unusableClaim(m, 'NotFound') },
  // A claim being deleted is as unusable as a missing one, and the brief groups them.
  { pattern: /^persistentvolumeclaim "([^"]+)" is being deleted$/, detail: (m) => unusableClaim(m, 'BeingDeleted') },
  {
    pattern: /^waiting for ephemeral volume controller to create the persistentvolumeclaim "([^"]+)"$/,
    detail: (m) => unusableClaim(m, 'NotYetCreated'),
  },
  {
    pattern: /^persistentvolumeclaim "([^"]+)" bound to non-existent persistentvolume "[^"]+"$/,
    detail: (m) => claimDetail('UnboundPersistentVolumeClaim', m),
  },
  // Absent-node status when a PreFilterResult (NodeAffinity on metadata.name) names no existing node.
  {
    pattern: /^node\(s\) didn't satisfy plugin(?:\(s\))? \[?NodeAffinity\]?(?: simultaneously)?$/,
    detail: () => ({ code: 'NodeAffinityMismatch' }),
  },
];

/** "key: value" as the old taint reasons printed it; an empty value means the taint had none. */
function taintDetail(inner: string): CauseDetail {
  const split = inner.indexOf(': ');
  const key = split === -1 ? inner : inner.slice(0, split);
  const value = split === -1 ? '' : inner.slice(split + 2).trim();
  return { code: 'UntoleratedTaint', taint: value === '' ? { key } : { key, value } };
}

function claimDetail(code: SchedulingReasonCode, match: RegExpExecArray): CauseDetail {
  return { code, claimName: match[1] ?? '' };
}

function unusableClaim(match: RegExpExecArray, claimState: ClaimState): CauseDetail {
  return { ...claimDetail('PersistentVolumeClaimNotFound', match), claimState };
}

function classify(reason: string): CauseDetail {
  const exact = EXACT.get(reason);
  if (exact !== undefined) return { code: exact };
  for (const rule of PATTERNS) {
    const match = rule.pattern.exec(reason);
    if (match !== null) return rule.detail(match);
  }
  return { code: 'Unknown' };
}

function causeOf(reason: string, nodeCount: number | undefined): SchedulingCause {
  return { ...classify(reason), nodeCount, text: reason };
}

function unknownCause(reason: string, nodeCount: number | undefined): SchedulingCause {
  return { code: 'Unknown', nodeCount, text: reason };
}

/** "3 Insufficient cpu" -> count 3 and reason; a fragment without a count keeps it undefined. */
function countedCause(fragment: string, truncated: boolean): SchedulingCause {
  const match = /^(\d+) ([\s\S]*)$/.exec(fragment);
  const nodeCount = match === null ? undefined : Number(match[1]);
  const reason = match?.[2] ?? fragment;
  // A reason cut by the event length limit may read as a different one ("Insufficient c"), so it is not classified.
  return truncated ? unknownCause(reason, nodeCount) : causeOf(reason, nodeCount);
}

function startsPostFilter(text: string): boolean {
  return text.startsWith(PREEMPTION_PREFIX) || DRA_POST_FILTER.some((note) => text === note || text.startsWith(`${note}, `));
}

/** Index where the PostFilter message starts: the body start or just after a ". " that ends the reasons. */
function postFilterStart(body: string): number {
  let at = 0;
  while (at !== -1) {
    if (startsPostFilter(body.slice(at))) return at;
    const period = body.indexOf('. ', at);
    at = period === -1 ? -1 : period + 2;
  }
  return -1;
}

/** The reasons part without its closing period, and the PostFilter part. */
function splitBody(body: string, truncated: boolean): { reasons: string; postFilter: string } {
  const start = postFilterStart(body);
  if (start !== -1) return { reasons: body.slice(0, Math.max(0, start - 2)), postFilter: body.slice(start) };
  // A PreFilter message (no node count) never contains ". ": what follows the first one is PostFilter
  // text, e.g. the bare "not found" 1.35 appends after `persistentvolumeclaim "x" not found.`
  const preFilterEnd = /^\d+ /.test(body) ? -1 : body.indexOf('. ');
  if (preFilterEnd !== -1) return { reasons: body.slice(0, preFilterEnd), postFilter: body.slice(preFilterEnd + 2) };
  // A truncated message lost its closing period, and the dot it ends with belongs to the " ..." marker.
  const reasons = !truncated && body.endsWith('.') ? body.slice(0, -1) : body;
  return { reasons, postFilter: '' };
}

/** PostFilter reasons are joined by ", " and DefaultPreemption's is the last one. */
function splitPostFilter(postFilter: string): { preemption: string | undefined; others: string[] } {
  const joined = postFilter.indexOf(`, ${PREEMPTION_PREFIX}`);
  const at = postFilter.startsWith(PREEMPTION_PREFIX) ? 0 : joined === -1 ? -1 : joined + 2;
  const head = at === -1 ? postFilter : postFilter.slice(0, Math.max(0, at - 2));
  const preemption = at === -1 ? undefined : postFilter.slice(at + PREEMPTION_PREFIX.length);
  const others = head === '' ? [] : head.split(', ').filter((note) => !DRA_POST_FILTER.includes(note));
  return { preemption, others };
}

/** The per-node list, or the PreFilter message that replaced it (it has no leading count). */
function reasonCauses(reasons: string, truncated: boolean): { causes: SchedulingCause[]; preFilter: boolean } {
  if (reasons === '') return { causes: [], preFilter: false };
  if (!/^\d+ /.test(reasons)) return { causes: [countedCause(reasons, truncated)], preFilter: true };
  // Split only before a count: old taint reasons contain ", that the pod didn't tolerate".
  const fragments = reasons.split(/, (?=\d+ )/);
  const causes = fragments.map((fragment, index) => countedCause(fragment, truncated && index === fragments.length - 1));
  return { causes, preFilter: false };
}

function parseWithHeader(message: string, header: RegExpExecArray): ParsedSchedulingMessage {
  const totalNodes = Number(header[1]);
  const truncated = message.endsWith(TRUNCATION_MARKER);
  const { reasons, postFilter } = splitBody(message.slice(header[0].length), truncated);
  const listed = reasonCauses(reasons, truncated && postFilter === '');
  const { preemption, others } = splitPostFilter(postFilter);
  const causes = [...listed.causes, ...others.map((note) => unknownCause(note, undefined))];
  // "0/0 nodes are available" lists nothing, yet the cause is plain: there is no node at all.
  if (totalNodes === 0 && causes.length === 0) causes.push({ code: 'NoNodes', nodeCount: undefined, text: message });
  return { totalNodes, causes, preFilter: listed.preFilter, preemption };
}

/**
 * Parses a FailedScheduling event message (or the PodScheduled=False condition message) into causes.
 * Pure and total: unknown or malformed text becomes an Unknown cause, never an exception.
 */
export function parseSchedulingMessage(message: string): ParsedSchedulingMessage {
  const trimmed = message.trim();
  if (trimmed === '') return { totalNodes: undefined, causes: [], preFilter: false, preemption: undefined };
  const header = HEADER.exec(trimmed);
  if (header !== null) return parseWithHeader(trimmed, header);
  // Without the FitError header the whole text is one status, e.g. ErrNoNodesAvailable.
  return { totalNodes: undefined, causes: [causeOf(trimmed, undefined)], preFilter: false, preemption: undefined };
}
