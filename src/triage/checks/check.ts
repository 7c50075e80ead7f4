import type { ObjectRef } from '../../crds/envelope';
import type { Code, CustomCode } from '../catalogue';
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
  readonly evidence: readonly string[];
  run(ctx: CheckContext, subject: KubeObject, chain: readonly ObjectRef[], kind: string): void;
}
