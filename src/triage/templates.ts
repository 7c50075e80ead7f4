import { createHash } from 'node:crypto';
import { isBuiltInIntent, type TargetKind } from '../crds/intents';
import { TriageTemplateSpec } from '../crds/triage-template';
import type { NextAction } from '../crds/envelope';
import type { Matcher } from '../crds/triage-template';
import type { Bounds } from '../crds/triage-request';
import type { Check, CheckContext } from './checks/check';
import type { KubeObject } from './snapshot';
import { customCode } from './catalogue';
import { isEvidenceKey, matcherEventsKey, nearbyEvidenceKeys, type EvidenceKey } from './evidence';
import { refOf } from './investigation';
import type { Condition } from './objects';
import { CHECKS } from './checks/registry';
import { BUILT_IN_TEMPLATES } from '../crds/built-in-templates';
import { compileLinear, matchesLinear, UnsafePatternError } from './linear-regex';

export class TemplateError extends Error {
  constructor(
    readonly template: string,
    readonly problems: readonly string[],
  ) {
    super(`template ${template}: ${problems.join('; ')}`);
    this.name = 'TemplateError';
  }
}

export interface CompiledStep {
  readonly name: string;
  readonly checks: readonly Check[];
}

export interface CompiledTemplate {
  readonly name: string;
  readonly version: string;
  readonly hash: string;
  readonly targetKinds: readonly TargetKind[];
  readonly steps: readonly CompiledStep[];
  readonly requiredEvidence: readonly EvidenceKey[];
  readonly suppress: readonly string[];
  readonly ranking: 'Chain' | 'BlastRadius';
  readonly scope: 'Namespace' | 'Cluster';
  /** The template's default bounds: a request's own win, field by field (resolveBounds). */
  readonly bounds: Bounds | undefined;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}

const compiled = new Map<string, CompiledTemplate>();

/** Fills {name}, {namespace} and {kind} of the examined object into a template's text. */
function fill(text: string, values: { name: string; namespace: string; kind: string }): string {
  return text.replaceAll('{name}', values.name).replaceAll('{namespace}', values.namespace).replaceAll('{kind}', values.kind);
}

/** The anchor of what a matcher matched on the subject (its newest matching Event, or the condition), if anything. */
function matcherAnchor(ctx: CheckContext, matcher: Matcher, regex: RegExp | undefined, subject: KubeObject, kind: string): string | undefined {
  if (matcher.event !== undefined) {
    const eventsKey = matcherEventsKey(kind);
    const event = (eventsKey === undefined ? [] : ctx.inv.events(kind, subject, eventsKey)).find(
      (e) => (matcher.event?.reason === undefined || e.reason === matcher.event.reason) && (regex === undefined || matchesLinear(regex, e.message)),
    );
    return event === undefined ? undefined : ctx.inv.anchorEvent(event);
  }
  const wanted = matcher.condition;
  if (wanted === undefined) return undefined;
  const conditions = (subject as { status?: { conditions?: readonly Condition[] } }).status?.conditions ?? [];
  const found = conditions.find(
    (c) => c.type === wanted.type && (wanted.status === undefined || c.status === wanted.status) && (wanted.reason === undefined || c.reason === wanted.reason),
  );
  return found === undefined ? undefined : ctx.inv.anchorField(kind, subject, `status.conditions[type=${wanted.type}]`);
}

/** A template's declarative matchers as one check: each Event or condition that matches becomes a finding. */
function matcherCheck(templateName: string, matchers: readonly Matcher[], problems: string[]): Check {
  const compiledMatchers = matchers.map((matcher, i) => {
    let regex: RegExp | undefined;
    if (matcher.event?.messageRegex !== undefined) {
      try {
        regex = compileLinear(matcher.event.messageRegex);
      } catch (error: unknown) {
        if (!(error instanceof UnsafePatternError)) throw error;
        problems.push(`spec.matchers[${i}].event.messageRegex: ${error.reason}`);
      }
    }
    return { matcher, regex };
  });
  return {
    name: `${templateName}.matchers`,
    subject: '*',
    codes: matchers.map((m) => customCode(m.finding.code)),
    evidence: [],
    run(ctx, subject, chain, kind) {
      const ref = refOf(kind, subject);
      const values = { name: ref.name, namespace: ref.namespace ?? '', kind };
      for (const { matcher, regex } of compiledMatchers) {
        const anchor = matcherAnchor(ctx, matcher, regex, subject, kind);
        if (anchor === undefined) continue;
        const action: NextAction[] =
          matcher.nextAction === undefined
            ? []
            : [{ ...matcher.nextAction, command: fill(matcher.nextAction.command, values), description: fill(matcher.nextAction.description, values) }];
        const benign = matcher.finding.severity === 'Info';
        ctx.inv.report({
          code: customCode(matcher.finding.code),
          severity: matcher.finding.severity,
          object: ref,
          message: fill(matcher.finding.message, values),
          anchors: [anchor],
          nextActions: action,
          confidence: 0.9,
          ...(benign ? { benign: true } : {}),
          chain: [...chain, ref],
        });
      }
    },
  };
}

/** Indexes of steps that still name collectors (zod drops unknown fields, so they are looked for in the raw spec). */
function stepsWithCollectors(spec: unknown): number[] {
  const steps = typeof spec === 'object' && spec !== null && 'steps' in spec && Array.isArray(spec.steps) ? (spec.steps as unknown[]) : [];
  // The old CRD defaulted `collectors: []` on every step: an empty list, still stored where the CRD is not yet upgraded, asked for nothing.
  const names = (step: unknown) =>
    typeof step === 'object' && step !== null && 'collectors' in step && Array.isArray(step.collectors) ? step.collectors.length : 0;
  return steps.flatMap((step, i) => (names(step) > 0 ? [i] : []));
}

/** Validates a template (zod, then every check name against the registry), compiles it once per content hash. */
export function compileTemplate(name: string, spec: unknown): CompiledTemplate {
  const hash = `sha256:${createHash('sha256').update(canonical(spec)).digest('hex').slice(0, 16)}`;
  const cached = compiled.get(`${name}@${hash}`);
  if (cached !== undefined) return cached;
  const parsed = TriageTemplateSpec.safeParse(spec);
  if (!parsed.success)
    throw new TemplateError(
      name,
      parsed.error.issues.map((i) => `spec.${i.path.join('.')}: ${i.message}`),
    );
  const problems: string[] = [];
  // `collectors` was a reserved field, removed: checks gather their own evidence, so a named collector would silently do nothing.
  stepsWithCollectors(spec).forEach((s) => problems.push(`spec.steps[${s}].collectors: no longer a field (checks gather their own evidence); remove it`));
  // A key nothing records would count as missing forever: completeness could never reach 1.
  parsed.data.requiredEvidence.forEach((key, i) => {
    if (!isEvidenceKey(key))
      problems.push(`spec.requiredEvidence[${i}]: unknown evidence key "${key}" (nearby: ${nearbyEvidenceKeys(key).join(', ')}; all keys: docs/codes.md)`);
  });
  const steps = parsed.data.steps.map((step, s) => ({
    name: step.name,
    checks: step.checks.flatMap((checkName, c) => {
      const check = CHECKS.get(checkName);
      if (check === undefined) problems.push(`spec.steps[${s}].checks[${c}]: unknown check "${checkName}"`);
      return check === undefined ? [] : [check];
    }),
  }));
  if (parsed.data.matchers.length > 0) {
    const check = matcherCheck(name, parsed.data.matchers, problems);
    // Matchers look at what the template targets: they join its first step (or are its only step).
    if (steps[0] === undefined) steps.push({ name: 'matchers', checks: [check] });
    else steps[0] = { ...steps[0], checks: [...steps[0].checks, check] };
  }
  if (problems.length > 0) throw new TemplateError(name, problems);
  const template: CompiledTemplate = {
    name,
    version: parsed.data.version,
    hash,
    targetKinds: parsed.data.targetKinds,
    steps,
    requiredEvidence: parsed.data.requiredEvidence.filter(isEvidenceKey),
    suppress: parsed.data.suppress,
    ranking: parsed.data.ranking,
    bounds: parsed.data.bounds,
    scope: parsed.data.scope,
  };
  compiled.set(`${name}@${hash}`, template);
  return template;
}

export function builtInTemplate(intent: string): CompiledTemplate | undefined {
  return isBuiltInIntent(intent) ? compileTemplate(intent, BUILT_IN_TEMPLATES[intent]) : undefined;
}
