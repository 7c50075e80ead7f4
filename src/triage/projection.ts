/**
 * Cache projections: which fields of an object the operator keeps in its informer caches. A cache
 * holding whole objects costs memory for fields no check reads (container env and args, volume
 * sources, most annotations); a projection keeps the fields the index functions, checks and anchors
 * read, and drops the rest. test/golden/projection.test.ts records every field the engine reads over
 * every golden case and fails when a projection drops one. Pure: plain data and functions.
 */

/**
 * A projection of a JSON value. `true` keeps the value whole; `'intern'` keeps it whole and shares
 * its strings (values that repeat across thousands of objects: namespaces, node names, label values);
 * an object keeps the listed fields, each projected in turn; a one-element array projects every
 * element of an array with its element.
 */
export type Projection = true | 'intern' | { readonly [field: string]: Projection } | readonly [Projection];

/**
 * Strings seen before, shared so each repeated value is held once. Bounded: at the cap the table starts
 * over (strings already shared stay shared in the objects holding them), so values that stopped
 * repeating, e.g. deleted namespaces, are not pinned forever.
 */
export class StringInterner {
  private readonly table = new Map<string, string>();

  constructor(private readonly cap = 100_000) {}

  intern(value: string): string {
    const known = this.table.get(value);
    if (known !== undefined) return known;
    if (this.table.size >= this.cap) this.table.clear();
    this.table.set(value, value);
    return value;
  }

  get size(): number {
    return this.table.size;
  }
}

/** What projecting one object produced: the kept copy and an estimate of the bytes it holds. */
export interface Projected<T> {
  readonly value: T;
  readonly bytes: number;
}

// V8's rough costs on 64-bit with pointer compression: a header per object and array, a slot per field.
const OBJECT_BYTES = 24;
const SLOT_BYTES = 8;
const STRING_BYTES = 16;

/** The bytes a JSON value holds, roughly: enough to compare kinds and sizes, not an exact heap count. */
export function estimateBytes(value: unknown): number {
  if (typeof value === 'string') return STRING_BYTES + value.length;
  if (typeof value !== 'object' || value === null) return SLOT_BYTES;
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + SLOT_BYTES + estimateBytes(item), OBJECT_BYTES);
  let bytes = OBJECT_BYTES;
  for (const [key, field] of Object.entries(value)) bytes += SLOT_BYTES + STRING_BYTES + key.length + estimateBytes(field);
  return bytes;
}

function internAll(value: unknown, interner: StringInterner): unknown {
  if (typeof value === 'string') return interner.intern(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => internAll(item, interner));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[interner.intern(key)] = internAll(field, interner);
  return out;
}

function projectValue(value: unknown, projection: Projection, interner: StringInterner | undefined): unknown {
  if (projection === true) return value;
  if (projection === 'intern') return interner === undefined ? value : internAll(value, interner);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(projection)) {
    const [element] = projection as readonly [Projection];
    return Array.isArray(value) ? value.map((item) => projectValue(item, element, interner)) : value;
  }
  // A projection written for an object met an array (or the reverse): keep it whole rather than guess.
  if (Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  const fields = projection as { readonly [field: string]: Projection };
  for (const [key, field] of Object.entries(value)) {
    const kept = fields[key];
    if (kept !== undefined) out[key] = projectValue(field, kept, interner);
  }
  return out;
}

/** The object with only the projection's fields; strings under 'intern' shared through `interner`. */
export function project<T>(object: T, projection: Projection, interner?: StringInterner): Projected<T> {
  const value = projectValue(object, projection, interner) as T;
  return { value, bytes: estimateBytes(value) };
}

/**
 * Whether the projection keeps the field at `path` (segments; '[]' for any element of an array).
 */
export function keeps(projection: Projection, path: readonly string[]): boolean {
  let at: Projection = projection;
  for (const segment of path) {
    if (at === true || at === 'intern') return true;
    if (Array.isArray(at)) {
      if (segment !== '[]') return false;
      at = (at as readonly [Projection])[0];
      continue;
    }
    if (segment === '[]') return false;
    const next: Projection | undefined = (at as { readonly [field: string]: Projection })[segment];
    if (next === undefined) return false;
    at = next;
  }
  return true;
}
