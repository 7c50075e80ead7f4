type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with object keys sorted: the apiserver re-orders keys, which must not count as a change. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isObject(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

/**
 * The JSON merge patch (RFC 7386) that turns `before` into `after`, or undefined when they are equal.
 * Keys gone from `after` become null (merge patch would otherwise keep them); arrays are replaced whole.
 */
export function mergePatch(before: unknown, after: unknown): Json | undefined {
  if (!isObject(before) || !isObject(after)) {
    return canonical(before) === canonical(after) ? undefined : (after as Json);
  }
  const patch: Record<string, Json> = {};
  for (const key of Object.keys(before)) {
    if (!(key in after) || after[key] === undefined) {
      if (before[key] !== undefined) patch[key] = null;
    }
  }
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    const sub = mergePatch(before[key], value);
    if (sub !== undefined) patch[key] = sub;
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}
