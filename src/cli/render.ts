import type { Anchor, Envelope, ObjectRef, Severity } from '../crds/envelope';
import type { TriageRequestObject } from '../crds/triage-request';
import { CATALOGUE, isCatalogued, type CodeInfo } from '../triage/catalogue';
import { CHECKS } from '../triage/checks/registry';
import { editDistance } from '../triage/evidence';
import type { TriageResult } from './result';

// What the plugin prints for a person: the envelope read top-down (answer, proof, findings, evidence,
// next actions), tables for lists, the catalogue for a code. Colour only when asked (a terminal).

export interface Style {
  readonly colour: boolean;
}

const ANSI = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36' } as const;
type Paint = keyof typeof ANSI;

function painter(style: Style): (paint: Paint, text: string) => string {
  return (paint, text) => (style.colour ? `\u001b[${ANSI[paint]}m${text}\u001b[0m` : text);
}

const VERDICT_PAINT: Readonly<Record<string, Paint>> = { Healthy: 'green', RootCauseFound: 'red', Inconclusive: 'yellow', Failed: 'red', Rejected: 'red' };
const SEVERITY_PAINT: Readonly<Record<Severity, Paint>> = { Critical: 'red', Warning: 'yellow', Info: 'cyan' };

/** C0 and C1 controls but tab and newline: a terminal would act on them (move the cursor, set the clipboard). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text from the cluster (Event and termination messages, template descriptions) is anyone's to write:
 * control characters are shown as \uXXXX, never sent to the terminal as they are.
 */
export function printable<T>(value: T): T {
  const escape = (text: string) => text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return JSON.parse(JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'string' ? escape(inner) : inner))) as T;
}

export const refText = (r: Pick<ObjectRef, 'kind' | 'name'> & { namespace?: string }) =>
  `${r.kind} ${r.namespace === undefined ? '' : `${r.namespace}/`}${r.name}`;

/** Where an anchor points: the Event's reason and count, or the field. */
function anchorPlace(anchor: Anchor): string {
  return anchor.event === undefined ? (anchor.fieldPath ?? '') : `Event ${anchor.event.reason} x${anchor.event.count}`;
}

/** One triage for a terminal, most important first. */
export function renderResult(untrusted: TriageResult, style: Style): string {
  const result = printable(untrusted);
  const paint = painter(style);
  const verdict = result.verdict ?? 'not triaged yet';
  const origin = result.request === undefined ? `${result.source} run` : `TriageRequest ${result.request}`;
  const lines = [`${paint('bold', result.target)}  ${paint(VERDICT_PAINT[verdict] ?? 'bold', verdict)}  (${result.intent}, ${origin})`];
  const envelope = result.envelope;
  if (envelope === undefined) {
    for (const c of result.conditions ?? []) if (c.type === 'Complete') lines.push(`  ${c.reason}: ${c.message}`);
    return lines.join('\n');
  }
  lines.push(`  ${envelope.summary}`, '');
  lines.push(...rootCauseLines(envelope, paint));
  if (envelope.findings.length > 0) {
    lines.push(paint('bold', 'Findings'));
    for (const f of envelope.findings)
      lines.push(`  ${paint(SEVERITY_PAINT[f.severity], f.severity.padEnd(8))} ${f.code}${f.suppressed === true ? ' (suppressed)' : ''}: ${f.message}`);
    lines.push('');
  }
  lines.push(...evidenceLines(envelope, paint));
  if (envelope.nextActions.length > 0) {
    lines.push(paint('bold', 'Next actions'));
    for (const a of envelope.nextActions) lines.push(`  [${a.safety}] ${a.description}`, `      ${paint('dim', '$')} ${a.command}`);
  }
  return lines.join('\n');
}

function rootCauseLines(envelope: Envelope, paint: (paint: Paint, text: string) => string): string[] {
  const root = envelope.rootCause;
  if (root === undefined) return [];
  const lines = [
    `${paint('bold', 'Root cause')}  ${paint('red', root.code)} (confidence ${root.confidence})`,
    `  ${root.message}`,
    `  chain: ${root.chain.map(refText).join(' → ')}`,
  ];
  for (const id of root.anchors) {
    const anchor = envelope.anchors.find((a) => a.id === id);
    // An Event's own name is noise to a reader (the JSON output keeps it): its reason and count say what it is.
    const where = anchor === undefined ? undefined : anchor.event === undefined ? `${refText(anchor.object)} ${anchorPlace(anchor)}` : anchorPlace(anchor);
    if (anchor !== undefined) lines.push(`  proof [${id}] ${where ?? ''}: ${anchor.excerpt}`);
  }
  return [...lines, ''];
}

function evidenceLines(envelope: Envelope, paint: (paint: Paint, text: string) => string): string[] {
  const e = envelope.evidence;
  const b = envelope.bounds;
  return [
    `${paint('bold', 'Evidence')}    completeness ${e.completeness} (threshold ${e.threshold}); gathered: ${e.present.join(', ') || '-'}`,
    ...(e.missing.length > 0 ? [`  missing: ${e.missing.join(', ')}`] : []),
    ...(e.unavailable.length > 0 ? [`  unavailable: ${e.unavailable.map((u) => `${u.key} (${u.reason})`).join(', ')}`] : []),
    `${paint('bold', 'Steps')}       ${envelope.steps.map((s) => `${s.name}:${s.status}`).join(' → ')}  (${b.stepsUsed}/${b.maxSteps} hops${b.truncated ? ', truncated' : ''}, ${envelope.timing.durationMs} ms)`,
    '',
  ];
}

/** A TriageRequest as the plugin hands it on. */
export function resultOfRequest(request: TriageRequestObject): TriageResult {
  const { metadata, status } = request;
  const spec = request.spec as { intent?: unknown } | undefined;
  return {
    request: `${metadata.namespace ?? ''}/${metadata.name ?? ''}`,
    source: 'operator',
    intent: typeof spec?.intent === 'string' ? spec.intent : '',
    target: status?.target ?? '',
    ...(status?.verdict === undefined ? {} : { verdict: status.verdict }),
    ...(status?.envelope === undefined ? {} : { envelope: status.envelope }),
    ...(status?.conditions === undefined ? {} : { conditions: status.conditions }),
  };
}

/** Columns padded to their widest cell, two spaces apart (kubectl's table style). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('   ')).join('\n');
}

/** Age as kubectl prints it: 45s, 12m, 3h, 5d. */
export function age(since: string | Date | undefined, now: Date): string {
  if (since === undefined) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now.getTime() - new Date(since).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  return seconds < 172_800 ? `${Math.floor(seconds / 3600)}h` : `${Math.floor(seconds / 86_400)}d`;
}

/** Severities of what a result found: its findings, and its root cause when no finding repeats it (single-target intents report it alone). */
function severitiesOf(result: TriageResult): Severity[] {
  const envelope = result.envelope;
  if (envelope === undefined) return [];
  const found = envelope.findings.map((f) => f.severity);
  const root = envelope.rootCause?.code;
  if (root === undefined || envelope.findings.some((f) => f.code === root)) return found;
  return [...found, isCatalogued(root) ? CATALOGUE[root].severity : 'Critical'];
}

/** `kubectl triage list`: one row per request, with its findings counted by severity. */
export function renderList(untrusted: readonly TriageRequestObject[], allNamespaces: boolean, now: Date): string {
  const requests = printable(untrusted);
  if (requests.length === 0) return allNamespaces ? 'No TriageRequests found.' : 'No TriageRequests found in this namespace.';
  const header = [...(allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'INTENT', 'TARGET', 'VERDICT', 'ROOT-CAUSE', 'CRITICAL', 'WARNING', 'INFO', 'AGE'];
  const rows = [...requests]
    .sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`))
    .map((request) => {
      const result = resultOfRequest(request);
      const count = (severity: Severity) => String(severitiesOf(result).filter((s) => s === severity).length);
      return [
        ...(allNamespaces ? [request.metadata.namespace ?? ''] : []),
        request.metadata.name ?? '',
        result.intent,
        result.target,
        result.verdict ?? '',
        result.envelope?.rootCause?.code ?? '',
        count('Critical'),
        count('Warning'),
        count('Info'),
        age(request.metadata.creationTimestamp, now),
      ];
    });
  return table([header, ...rows]);
}

export interface IntentRow {
  readonly name: string;
  readonly source: 'BuiltIn' | 'Custom' | 'Override';
  readonly targetKinds: readonly string[];
  readonly description: string;
}

export function renderIntents(untrusted: readonly IntentRow[]): string {
  const intents = printable(untrusted);
  return table([['INTENT', 'SOURCE', 'TARGETS', 'DESCRIPTION'], ...intents.map((i) => [i.name, i.source, i.targetKinds.join(','), i.description])]);
}

/** What `kubectl triage explain <Code>` says of a code, or undefined with the closest codes for a typo. */
export function explainCode(code: string): { readonly text: string } | { readonly suggestions: readonly string[] } {
  const known = Object.keys(CATALOGUE).find((c) => c.toLowerCase() === code.toLowerCase());
  if (known === undefined || !isCatalogued(known)) {
    const byDistance = Object.keys(CATALOGUE).sort(
      (a, b) => editDistance(code.toLowerCase(), a.toLowerCase()) - editDistance(code.toLowerCase(), b.toLowerCase()) || a.localeCompare(b),
    );
    return { suggestions: byDistance.slice(0, 3) };
  }
  const info: CodeInfo = CATALOGUE[known];
  const checks = [...CHECKS.values()].filter((check) => check.codes.includes(known)).map((check) => check.name);
  const lines = [
    known,
    `  severity:    ${info.benign === true ? `${info.severity} (benign: not a fault, the verdict stays Healthy or Inconclusive)` : info.severity}`,
    `  intent:      ${info.intent} (namespace-health and cluster-health report it too)`,
    `  meaning:     ${info.meaning}`,
    ...(info.notAFault === undefined ? [] : [`  not a fault: ${info.notAFault}`]),
    ...(checks.length === 0 ? [] : [`  checks:      ${checks.sort().join(', ')}`]),
  ];
  return { text: lines.join('\n') };
}
