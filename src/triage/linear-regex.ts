import v8 from 'node:v8';

// User-written patterns (TriageTemplate matchers) meet text written by tenants and kubelets: a
// backtracking engine lets one pattern like (a+)+$ hold the event loop for tens of seconds. V8 ships a
// non-backtracking engine (the `l` flag); patterns it cannot run in linear time are refused.

/** Event notes are at most 1 KiB in events.k8s.io/v1: longer text is matched on its first 1 KiB. */
export const MATCH_TEXT_LIMIT = 1024;

let enabled = false;

/**
 * Turns on V8's linear-time engine for the process: the `l` flag, and a fallback to it for any regex
 * that backtracks excessively (defence in depth for every built-in pattern too). Idempotent.
 */
export function enableLinearRegExp(): void {
  if (enabled) return;
  v8.setFlagsFromString('--enable-experimental-regexp-engine');
  v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  enabled = true;
}

export class UnsafePatternError extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'UnsafePatternError';
  }
}

/**
 * Compiles a user-written pattern for the linear-time engine, or throws UnsafePatternError saying why:
 * backreferences, lookaround and huge nested counted repeats cannot be matched in linear time.
 */
export function compileLinear(pattern: string): RegExp {
  enableLinearRegExp();
  try {
    // eslint-disable-next-line no-invalid-regexp -- `l` is V8's linear-time engine, enabled just above.
    return new RegExp(pattern, 'l');
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    const linear = message.includes('linear time');
    throw new UnsafePatternError(
      pattern,
      linear
        ? 'cannot be matched in linear time (backreferences, lookahead/lookbehind and nested counted repeats are not supported)'
        : message.replace(/^Invalid regular expression: /, ''),
    );
  }
}

/** Tests a linear-time pattern against at most MATCH_TEXT_LIMIT characters of text. */
export function matchesLinear(regex: RegExp, text: string): boolean {
  return regex.test(text.length > MATCH_TEXT_LIMIT ? text.slice(0, MATCH_TEXT_LIMIT) : text);
}
