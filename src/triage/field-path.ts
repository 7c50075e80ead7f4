/** Splits a path on the dots outside brackets (annotation keys inside brackets contain dots). */
function segments(path: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of path) {
    if (char === '[') depth += 1;
    if (char === ']') depth -= 1;
    if (char === '.' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

/**
 * Resolves an anchor's field path on an object: dot-separated names, each optionally followed by
 * `[N]` (list index), `[key=value]` (the list element whose key equals value) or `[name]` (a map key
 * that contains dots), e.g. `status.conditions[type=PodScheduled].message`,
 * `metadata.annotations[storageclass.kubernetes.io/is-default-class]`.
 */
export function resolveField(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const segment of segments(path)) {
    const match = /^([^[\]]*)((?:\[[^\]]*\])*)$/.exec(segment);
    if (match === null) return undefined;
    const [, name = '', selectors = ''] = match;
    if (name !== '') current = isRecord(current) ? current[name] : undefined;
    for (const selector of selectors.match(/\[[^\]]*\]/g) ?? []) {
      const inner = selector.slice(1, -1);
      if (!Array.isArray(current)) {
        current = isRecord(current) ? current[inner] : undefined;
        continue;
      }
      const list: unknown[] = current;
      const eq = inner.indexOf('=');
      current = eq < 0 ? list[Number(inner)] : list.find((item) => isRecord(item) && String(item[inner.slice(0, eq)]) === inner.slice(eq + 1));
    }
  }
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** How a field's value reads in an anchor: strings as they are, "" and unset spelled out, the rest as JSON. */
export function fieldText(value: unknown): string {
  if (value === undefined || value === null) return '<unset>';
  if (value === '') return '""';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
