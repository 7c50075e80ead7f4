import path from 'node:path';
import { projectionOf } from '../../src/triage/kinds';
import { cacheKeyOf } from '../../src/triage/memory-snapshot';
import { keeps, project, type Projection } from '../../src/triage/projection';
import type { KubeObject } from '../../src/triage/snapshot';
import { cases, casesDir, runCase } from '../support/golden-cases';

// The informer caches hold projected objects (src/triage/cache-projections.ts). These run every golden
// case on projected objects that record each field the engine touches (index functions, checks,
// anchors), and fail on any field a projection drops, whether or not the case's answer depended on it.

/**
 * Field paths read per cache key, as JSON arrays of segments ('[]' for an array element; keys hold dots). A spread or
 * Object.keys lists fields without reading them: each field then read is recorded on its own.
 */
type Reads = Map<string, Set<string>>;

function recorder(reads: Reads) {
  const proxies = new WeakMap<object, object>();
  const note = (key: string, segments: readonly string[]) => {
    const paths = reads.get(key) ?? new Set<string>();
    paths.add(JSON.stringify(segments));
    reads.set(key, paths);
  };
  const wrap = <T>(value: T, key: string, segments: readonly string[]): T => {
    if (typeof value !== 'object' || value === null) return value;
    const known = proxies.get(value);
    if (known !== undefined) return known as T;
    const isArray = Array.isArray(value);
    const segmentOf = (property: string) => (isArray && /^\d+$/.test(property) ? '[]' : property);
    const proxy = new Proxy(value, {
      get(target, property, receiver) {
        const field: unknown = Reflect.get(target, property, receiver);
        // Symbols (iteration), an array's length, JSON.stringify's toJSON probe and inherited methods are not fields.
        if (typeof property === 'symbol' || (isArray && property === 'length') || property === 'toJSON') return field;
        if (!Object.prototype.hasOwnProperty.call(target, property)) {
          // An absent field is still a read: a projection that dropped it would answer the same "absent".
          if (typeof field !== 'function') note(key, [...segments, segmentOf(property)]);
          return field;
        }
        const next = [...segments, segmentOf(property)];
        note(key, next);
        return wrap(field, key, next);
      },
      has(target, property) {
        if (typeof property === 'string') note(key, [...segments, segmentOf(property)]);
        return Reflect.has(target, property);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };
  return wrap;
}

function dropped(reads: Reads, projectionFor: (key: string) => Projection = projectionOf): string[] {
  const out: string[] = [];
  for (const [key, paths] of reads) {
    const projection = projectionFor(key);
    for (const read of paths) {
      const segments = JSON.parse(read) as string[];
      if (!keeps(projection, segments)) out.push(`${key}: ${segments.join('.')}`);
    }
  }
  return out.sort();
}

const TYPE_AND_NAME: Projection = { apiVersion: true, kind: true, metadata: true };

describe('cache projections keep every field the engine reads', () => {
  const reads: Reads = new Map();
  const wrap = recorder(reads);
  const projected = (objects: readonly KubeObject[]) =>
    objects.map((object) => {
      const key = cacheKeyOf(object);
      return wrap(project(object, projectionOf(key)).value, key, []);
    });

  test.each(cases)('%s: the same envelope from projected objects', async (name) => {
    const dir = path.join(casesDir, name);
    expect(JSON.stringify(await runCase(dir, undefined, projected))).toBe(JSON.stringify(await runCase(dir)));
  });

  // Runs after the cases above (jest keeps declaration order within a file): every read they recorded.
  test('no field read over all the cases is dropped by a projection', () => {
    expect(reads.size).toBeGreaterThan(10);
    expect(dropped(reads)).toEqual([]);
  });

  test('a projection that drops a field the engine reads is caught', () => {
    const withoutNodeName = (key: string): Projection => (key === 'Pod' ? { ...TYPE_AND_NAME, spec: { containers: true } } : projectionOf(key));
    expect(dropped(reads, withoutNodeName)).toContain('Pod: spec.nodeName');
  });
});
