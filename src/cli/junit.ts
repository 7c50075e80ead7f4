import type { Anchor, Envelope, Finding, ObjectRef } from '../crds/envelope';
import type { Condition } from '../crds/triage-request';
import type { TriageResult } from './result';

// `kubectl triage -o junit`: results as the JUnit XML that CI systems read (Jenkins' JUnit plugin, GitLab,
// GitHub test reporters), after the de facto schema: testsuites > testsuite > testcase > failure | error | skipped.

type Outcome =
  | { readonly kind: 'passed'; readonly out?: string }
  | { readonly kind: 'failure' | 'error'; readonly type: string; readonly message: string; readonly body: string }
  | { readonly kind: 'skipped'; readonly message: string };

interface TestCase {
  readonly classname: string;
  readonly name: string;
  readonly seconds: number;
  readonly outcome: Outcome;
}

interface TestSuite {
  readonly name: string;
  /** In the schema's form: local time without a zone, here UTC. */
  readonly timestamp?: string;
  readonly seconds: number;
  readonly properties: readonly (readonly [string, string])[];
  readonly cases: readonly TestCase[];
}

/** Verdicts a CI job must not pass on: a cause was found, or the triage could not tell. */
const FAILING_VERDICTS: ReadonlySet<string> = new Set(['RootCauseFound', 'Inconclusive', 'Failed', 'Rejected']);

/** The results as one JUnit XML document: a testsuite per result, a testcase per finding plus one named `verdict`. */
export function renderJUnit(results: readonly TriageResult[]): string {
  const suites = results.map(suiteOf);
  const cases = suites.flatMap((s) => s.cases);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="kubectl triage"${counts(cases)} time="${seconds(suites.reduce((sum, s) => sum + s.seconds, 0))}">`,
    ...suites.flatMap(suiteXml),
    '</testsuites>',
  ];
  return `${lines.join('\n')}\n`;
}

function suiteOf(result: TriageResult): TestSuite {
  const envelope = result.envelope;
  const classname = `${result.intent}.${envelope?.target.kind ?? targetKindOf(result.target)}`;
  const properties: [string, string][] = [['source', result.source]];
  if (result.request !== undefined) properties.push(['request', result.request]);
  properties.push(['verdict', result.verdict ?? 'None']);
  if (envelope === undefined) {
    return {
      name: `${result.intent} ${result.target}`,
      seconds: 0,
      properties,
      cases: [{ classname, name: 'verdict', seconds: 0, outcome: unanswered(result) }],
    };
  }
  properties.push(['template', `${envelope.template.name} ${envelope.template.hash}`], ['completeness', String(envelope.evidence.completeness)]);
  const duration = envelope.timing.durationMs / 1000;
  return {
    name: `${result.intent} ${result.target}`,
    ...(timestampOf(envelope.timing.startedAt) === undefined ? {} : { timestamp: timestampOf(envelope.timing.startedAt) }),
    seconds: duration,
    properties,
    cases: [
      ...envelope.findings.map((finding) => ({ classname, name: finding.code, seconds: 0, outcome: findingOutcome(finding, envelope) })),
      { classname, name: 'verdict', seconds: duration, outcome: verdictOutcome(result, envelope) },
    ],
  };
}

/** `Pod/web-0` or `Pod shop/web-0` → `Pod`. */
const targetKindOf = (target: string): string => /^[^\s/]+/.exec(target)?.[0] ?? 'Unknown';

/** RFC 3339 as the schema's xs:dateTime without a zone (readers reject or misread the zone and fraction). */
function timestampOf(rfc3339: string): string | undefined {
  const at = Date.parse(rfc3339);
  return Number.isNaN(at) ? undefined : new Date(at).toISOString().slice(0, 19);
}

/** No envelope: the request was refused, failed, or has no answer yet; its conditions say why. */
function unanswered(result: TriageResult): Outcome {
  const conditions = result.conditions ?? [];
  const complete = conditions.find((c) => c.type === 'Complete') ?? conditions[0];
  const message = complete === undefined ? `no envelope (verdict ${result.verdict ?? 'none yet'})` : conditionText(complete);
  return { kind: 'error', type: result.verdict ?? 'NoVerdict', message, body: conditions.map((c) => `${c.type}=${c.status} ${conditionText(c)}`).join('\n') };
}

const conditionText = (c: Condition): string => (c.message === '' ? c.reason : `${c.reason}: ${c.message}`);

function findingOutcome(finding: Finding, envelope: Envelope): Outcome {
  const body = [`object: ${refText(finding.object)}`, ...proofs(finding.anchors, envelope)].join('\n');
  // Accepted for this object (triage.dev/accept): reported, not counted, as the envelope does.
  if (finding.suppressed === true) return { kind: 'skipped', message: `accepted: ${finding.message}` };
  if (finding.severity === 'Info') return { kind: 'passed', out: `${finding.message}\n${body}` };
  return { kind: 'failure', type: finding.severity, message: finding.message, body };
}

function verdictOutcome(result: TriageResult, envelope: Envelope): Outcome {
  const verdict = result.verdict;
  const body = verdictBody(envelope);
  if (verdict === 'Healthy') return { kind: 'passed', out: `${envelope.summary}\n${body}` };
  if (verdict !== undefined && FAILING_VERDICTS.has(verdict)) return { kind: 'failure', type: verdict, message: envelope.summary, body };
  return { kind: 'error', type: 'NoVerdict', message: envelope.summary, body };
}

function verdictBody(envelope: Envelope): string {
  const lines: string[] = [];
  const root = envelope.rootCause;
  if (root !== undefined) {
    lines.push(`root cause: ${root.code} (confidence ${root.confidence})`, root.message, `chain: ${root.chain.map(refText).join(' -> ')}`);
    lines.push(...proofs(root.anchors, envelope));
  }
  const e = envelope.evidence;
  lines.push(`evidence: completeness ${e.completeness} (threshold ${e.threshold})`);
  if (e.missing.length > 0) lines.push(`missing: ${e.missing.join(', ')}`);
  if (e.unavailable.length > 0) lines.push(`unavailable: ${e.unavailable.map((u) => `${u.key} (${u.reason})`).join(', ')}`);
  for (const action of envelope.nextActions) lines.push(`next [${action.safety}]: ${action.description}: ${action.command}`);
  return lines.join('\n');
}

/** The excerpts of the anchors cited, where each was read. */
function proofs(ids: readonly string[], envelope: Envelope): string[] {
  const byId = new Map(envelope.anchors.map((a): [string, Anchor] => [a.id, a]));
  return ids.flatMap((id) => {
    const anchor = byId.get(id);
    if (anchor === undefined) return [];
    const where = anchor.event === undefined ? (anchor.fieldPath ?? '') : `event ${anchor.event.reason} x${anchor.event.count}`;
    return [`proof [${id}] ${refText(anchor.object)} ${where}: ${anchor.excerpt}`];
  });
}

const refText = (r: ObjectRef): string => `${r.kind} ${r.namespace === undefined ? '' : `${r.namespace}/`}${r.name}`;

// --- XML -----------------------------------------------------------------------------------------

function counts(cases: readonly TestCase[]): string {
  const of = (kind: Outcome['kind']) => cases.filter((c) => c.outcome.kind === kind).length;
  return ` tests="${cases.length}" failures="${of('failure')}" errors="${of('error')}" skipped="${of('skipped')}"`;
}

const seconds = (value: number): string => (Number.isFinite(value) && value > 0 ? value.toFixed(3) : '0.000');

function suiteXml(suite: TestSuite): string[] {
  const timestamp = suite.timestamp === undefined ? '' : ` timestamp="${attr(suite.timestamp)}"`;
  return [
    `  <testsuite name="${attr(suite.name)}"${counts(suite.cases)} time="${seconds(suite.seconds)}"${timestamp}>`,
    '    <properties>',
    ...suite.properties.map(([name, value]) => `      <property name="${attr(name)}" value="${attr(value)}"/>`),
    '    </properties>',
    ...suite.cases.map(caseXml),
    '  </testsuite>',
  ];
}

function caseXml(testCase: TestCase): string {
  const open = `    <testcase classname="${attr(testCase.classname)}" name="${attr(testCase.name)}" time="${seconds(testCase.seconds)}"`;
  const outcome = testCase.outcome;
  switch (outcome.kind) {
    case 'passed':
      return outcome.out === undefined ? `${open}/>` : `${open}>\n      <system-out>${text(outcome.out)}</system-out>\n    </testcase>`;
    case 'skipped':
      return `${open}>\n      <skipped message="${attr(outcome.message)}"/>\n    </testcase>`;
    case 'failure':
    case 'error':
      return `${open}>\n      <${outcome.kind} type="${attr(outcome.type)}" message="${attr(outcome.message)}">${text(outcome.body)}</${outcome.kind}>\n    </testcase>`;
  }
}

/**
 * Characters XML 1.0 forbids even as references (controls but tab and newlines, lone surrogates,
 * U+FFFE/U+FFFF): written as the `\uXXXX` text they were, so the document stays well-formed.
 */
const FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const visible = (value: string): string => value.replace(FORBIDDEN, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);

/** Element content: `>` too, so a `]]>` in a message cannot end anything. */
const text = (value: string): string => visible(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Attribute values: quotes, and line breaks and tabs as references (a parser turns literal ones into spaces). */
const attr = (value: string): string =>
  text(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
