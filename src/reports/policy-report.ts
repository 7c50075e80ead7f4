import type { ObjectRef, Severity } from '../crds/envelope';
import type { TriageRequestObject } from '../crds/triage-request';
import { apiVersionOf } from '../triage/kinds';

// TriageRequests of a namespace as a wgpolicyk8s.io/v1alpha2 PolicyReport (the Policy WG's format),
// so Policy Reporter's UI and notification targets show triage findings unchanged. Pure: the writer
// puts the result to the apiserver.

export const REPORT_NAME = 'triage-operator';
export const REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';
/** A report is one object (etcd's 1.5 MiB limit): the most severe results first, this many at most. */
export const MAX_RESULTS = 500;

type ReportResult = 'pass' | 'fail' | 'warn' | 'error' | 'skip';
type ReportSeverity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export interface PolicyReportResult {
  readonly policy: string;
  readonly rule: string;
  readonly result: ReportResult;
  readonly severity: ReportSeverity;
  readonly source: 'triage-operator';
  readonly category: string;
  readonly message: string;
  readonly resources: readonly { apiVersion: string; kind: string; name: string; namespace?: string; uid?: string }[];
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
  readonly scored: boolean;
  readonly properties: Readonly<Record<string, string>>;
}

export interface PolicyReportBody {
  readonly results: readonly PolicyReportResult[];
  readonly summary: { readonly pass: number; readonly fail: number; readonly warn: number; readonly error: number; readonly skip: number };
}

// A finding's severity as the report's result and severity: a Critical fault fails, a Warning warns, Info (benign) passes.
const MAPPED: Readonly<Record<Severity, { result: ReportResult; severity: ReportSeverity }>> = {
  Critical: { result: 'fail', severity: 'critical' },
  Warning: { result: 'warn', severity: 'medium' },
  Info: { result: 'pass', severity: 'info' },
};
const ORDER: readonly ReportResult[] = ['error', 'fail', 'warn', 'skip', 'pass'];

function resourceOf(ref: ObjectRef): PolicyReportResult['resources'][number] {
  return { apiVersion: apiVersionOf(ref.kind), kind: ref.kind, name: ref.name, ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }) };
}

function timestampOf(time: string | undefined): PolicyReportResult['timestamp'] {
  const ms = time === undefined ? 0 : Date.parse(time);
  return { seconds: Math.floor((Number.isFinite(ms) ? ms : 0) / 1000), nanos: 0 };
}

/** The results one request contributes: a result per finding, its root cause when no finding repeats it, a pass when it found nothing. */
function resultsOf(request: TriageRequestObject): PolicyReportResult[] {
  const status = request.status;
  const envelope = status?.envelope;
  const intent = (request.spec as { intent?: unknown } | undefined)?.intent;
  const category = typeof intent === 'string' ? intent : 'triage';
  const base = {
    policy: `triage/${category}`,
    source: 'triage-operator' as const,
    category,
    timestamp: timestampOf(envelope?.timing.completedAt),
    scored: true,
    properties: { triageRequest: request.metadata.name ?? '', verdict: status?.verdict ?? '', completeness: String(envelope?.evidence.completeness ?? '') },
  };
  if (envelope === undefined || status?.verdict === undefined) {
    // Rejected, Failed or not answered yet: nothing was diagnosed, which a report calls an error or a skip.
    const failedToRun = status?.verdict === 'Rejected' || status?.verdict === 'Failed';
    const message = status?.conditions?.find((c) => c.type === 'Complete')?.message ?? 'not triaged yet';
    return [{ ...base, rule: status?.verdict ?? 'Pending', result: failedToRun ? 'error' : 'skip', severity: 'info', message, resources: [] }];
  }
  const results: PolicyReportResult[] = envelope.findings.map((finding) => ({
    ...base,
    rule: finding.code,
    ...(finding.suppressed === true ? { result: 'skip' as const, severity: MAPPED[finding.severity].severity } : MAPPED[finding.severity]),
    message: finding.message,
    resources: [resourceOf(finding.object)],
  }));
  const root = envelope.rootCause;
  if (root !== undefined && !envelope.findings.some((f) => f.code === root.code)) {
    const subject = root.chain[root.chain.length - 1] ?? root.chain[0];
    results.push({ ...base, rule: root.code, ...MAPPED.Critical, message: root.message, resources: subject === undefined ? [] : [resourceOf(subject)] });
  }
  if (results.length === 0) results.push({ ...base, rule: category, result: 'pass', severity: 'info', message: envelope.summary, resources: [] });
  return results;
}

/** A namespace's report from its requests: results ordered by outcome then request and rule (stable, so an unchanged namespace writes nothing). */
export function buildReport(requests: readonly TriageRequestObject[]): PolicyReportBody {
  const all = requests.flatMap(resultsOf);
  // Code-unit comparison: localeCompare over thousands of results would hold the event loop for a second.
  const text = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  all.sort(
    (a, b) =>
      ORDER.indexOf(a.result) - ORDER.indexOf(b.result) ||
      text(a.properties.triageRequest ?? '', b.properties.triageRequest ?? '') ||
      text(a.rule, b.rule) ||
      text(a.resources[0]?.name ?? '', b.resources[0]?.name ?? ''),
  );
  const results = all.slice(0, MAX_RESULTS);
  const count = (result: ReportResult) => results.filter((r) => r.result === result).length;
  return { results, summary: { pass: count('pass'), fail: count('fail'), warn: count('warn'), error: count('error'), skip: count('skip') } };
}
