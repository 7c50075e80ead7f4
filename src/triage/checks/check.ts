import type { ObjectRef } from '../../crds/envelope';
import type { Code, CustomCode } from '../catalogue';
import type { EvidenceKey } from '../evidence';
import type { Investigation } from '../investigation';
import type { KubeObject } from '../snapshot';

/** What a check sees: the investigation, and how to hop to a related object in the next step. */
export interface CheckContext {
  readonly inv: Investigation;
  /** Continue the chain at `object` in the next step; bounded by maxSteps. */
  follow(kind: string, object: KubeObject, chain: readonly ObjectRef[]): void;
}

/** A small named function that examines one kind of object and reports findings with stable codes. */
export interface Check {
  readonly name: string;
  /** Kind of object it examines; '*' for any (declarative matchers of a TriageTemplate). */
  readonly subject: string;
  /** Every code it can report: catalogued ones, or a template's own. */
  readonly codes: readonly (Code | CustomCode)[];
  /** Evidence keys it always gathers: when a bound skips the check, these are reported missing. */
  readonly evidence: readonly EvidenceKey[];
  /** The kind it hops to (a Deployment's pods): a follower leads to subjects rather than examining its own. */
  readonly follows?: string;
  run(ctx: CheckContext, subject: KubeObject, chain: readonly ObjectRef[], kind: string): void;
}

/**
 * One rule of a check's chain: it proves one fault (one code, or the few variants of one fault's
 * reading, such as OOMKilled at the kubelet or at the kernel) about what the check examines.
 */
export interface Rule<S> {
  readonly name: string;
  /** The codes this rule can report: a check's `codes` is the union of its rules'. */
  readonly proves: readonly Code[];
  /** True when the rule reported the fault that explains the subject: later rules would only restate it. */
  readonly run: (subject: S) => boolean;
}

/** Declares a rule; typed so a code outside the catalogue does not compile. */
export function defineRule<S>(rule: Rule<S>): Rule<S> {
  return rule;
}

/** Runs rules in order until one explains the subject; true when one did. */
export function runRules<S>(rules: readonly Rule<S>[], subject: S): boolean {
  return rules.some((rule) => rule.run(subject));
}

/** Every code a chain of rules can report, once each, in rule order. */
export function codesOf(rules: readonly Rule<never>[]): Code[] {
  return [...new Set(rules.flatMap((rule) => rule.proves))];
}
