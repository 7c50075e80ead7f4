import type { Envelope } from '../crds/envelope';
import type { TriageRequestStatus } from '../crds/triage-request';

const ref = (r: { kind: string; namespace?: string; name: string }) => `${r.kind} ${r.namespace === undefined ? '' : `${r.namespace}/`}${r.name}`;

/** A TriageRequest's result laid out for a terminal: what `kubectl describe` shows as YAML, read top-down. */
export function renderStatus(name: string, status: TriageRequestStatus | undefined): string {
  const lines: string[] = [];
  const envelope: Envelope | undefined = status?.envelope;
  lines.push(`TriageRequest ${name}: ${status?.verdict ?? 'not triaged yet'}`);
  if (envelope === undefined) {
    for (const c of status?.conditions ?? []) lines.push(`  ${c.type}=${c.status} ${c.reason}: ${c.message}`);
    return lines.join('\n');
  }
  lines.push(`  ${envelope.summary}`, '');
  if (envelope.rootCause !== undefined) {
    const root = envelope.rootCause;
    lines.push(`Root cause  ${root.code} (confidence ${root.confidence})`, `  ${root.message}`, `  chain: ${root.chain.map(ref).join(' → ')}`);
    for (const id of root.anchors) {
      const anchor = envelope.anchors.find((a) => a.id === id);
      if (anchor === undefined) continue;
      const where = anchor.event === undefined ? (anchor.fieldPath ?? '') : `${anchor.event.reason} x${anchor.event.count}`;
      lines.push(`  proof [${id}] ${ref(anchor.object)} ${where}: ${anchor.excerpt}`);
    }
    lines.push('');
  }
  if (envelope.findings.length > 0) {
    lines.push('Findings');
    for (const f of envelope.findings) lines.push(`  ${f.severity.padEnd(8)} ${f.code}${f.suppressed === true ? ' (suppressed)' : ''}: ${f.message}`);
    lines.push('');
  }
  const e = envelope.evidence;
  lines.push(
    `Evidence    completeness ${e.completeness} (threshold ${e.threshold}); gathered: ${e.present.join(', ') || '-'}`,
    ...(e.missing.length > 0 ? [`  missing: ${e.missing.join(', ')}`] : []),
    ...(e.unavailable.length > 0 ? [`  unavailable: ${e.unavailable.map((u) => `${u.key} (${u.reason})`).join(', ')}`] : []),
    `Steps       ${envelope.steps.map((s) => `${s.name}:${s.status}`).join(' → ')}  (${envelope.bounds.stepsUsed}/${envelope.bounds.maxSteps} hops${envelope.bounds.truncated ? ', truncated' : ''}, ${envelope.timing.durationMs} ms)`,
    '',
  );
  if (envelope.nextActions.length > 0) {
    lines.push('Next actions');
    for (const a of envelope.nextActions) lines.push(`  [${a.safety}] ${a.description}`, `      $ ${a.command}`);
  }
  return lines.join('\n');
}
