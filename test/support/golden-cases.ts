import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { admit, authorize } from '../../src/controllers/triagerequest/admission';
import { resolveBounds } from '../../src/crds/triage-request';
import { diagnose } from '../../src/triage/engine';
import type { KubeObject } from '../../src/triage/snapshot';
import { builtInTemplate } from '../../src/triage/templates';
import { MemorySnapshot } from '../../src/triage/memory-snapshot';

// One folder per case: cluster.yaml (the objects, as the apiserver returns them), request.yaml (the
// TriageRequest), expected.json (the reviewed result, timing left out). UPDATE_GOLDEN=1 rewrites
// expected.json; review the diff before committing it.
export const casesDir = path.join(__dirname, '..', 'golden', 'cases');
const NOW = new Date('2026-11-21T12:00:00.000Z');

interface CaseSettings {
  readonly kind: 'GoldenCase';
  /** Caches the operator may not read in this case. */
  readonly forbidden?: readonly string[];
  readonly trustedNamespaces?: readonly string[];
  /** The operator runs with --watch-secret-metadata. */
  readonly secretMetadata?: boolean;
  /** Kinds whose API (CRDs) the cluster does not serve. */
  readonly notInstalled?: readonly string[];
}

/** Fills what every stored object has, so fixtures stay short: uid and resourceVersion. */
function normalise(object: KubeObject, index: number): KubeObject {
  const metadata = object.metadata ?? {};
  return {
    ...object,
    metadata: {
      ...metadata,
      uid: metadata.uid ?? `uid-${(object.kind ?? 'x').toLowerCase()}-${metadata.name ?? index}`,
      resourceVersion: metadata.resourceVersion ?? String(100 + index),
    },
  };
}

/** A fixed permutation (seeded, so a failure reproduces): the cache's order is not the file's. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** How a case's objects reach the engine; by default as the file holds them. */
export type PrepareObjects = (objects: readonly KubeObject[]) => readonly KubeObject[];

export async function runCase(dir: string, seed?: number, prepare: PrepareObjects = (objects) => objects) {
  const documents = yaml.loadAll(fs.readFileSync(path.join(dir, 'cluster.yaml'), 'utf8')).filter((d) => d !== null) as (KubeObject | CaseSettings)[];
  const settings = documents.find((d): d is CaseSettings => d.kind === 'GoldenCase');
  const normalised = documents.filter((d): d is KubeObject => d.kind !== 'GoldenCase').map(normalise);
  const objects = prepare(seed === undefined ? normalised : shuffled(normalised, seed));
  const request = yaml.load(fs.readFileSync(path.join(dir, 'request.yaml'), 'utf8')) as { metadata: { namespace: string }; spec: unknown };
  const admission = admit(request.metadata.namespace, request.spec);
  if (!admission.admitted) return { rejected: admission.reason, message: admission.message };
  const template = builtInTemplate(admission.spec.intent);
  if (template === undefined) throw new Error(`no built-in template for ${admission.spec.intent}`);
  const outside = authorize(request.metadata.namespace, admission, template, settings?.trustedNamespaces ?? []);
  if (outside !== undefined) return { rejected: outside.reason, message: outside.message };
  const { verdict, envelope } = await diagnose({
    intent: admission.spec.intent,
    template,
    templateSource: 'BuiltIn',
    target: admission.target,
    maxSteps: resolveBounds(admission.spec.bounds, template.bounds).maxSteps,
    timeoutMs: resolveBounds(admission.spec.bounds, template.bounds).timeoutSeconds * 1000,
    minCompleteness: admission.spec.minCompleteness,
    snapshot: new MemorySnapshot(objects, {
      forbidden: new Set(settings?.forbidden ?? []),
      secretMetadata: settings?.secretMetadata ?? false,
      notInstalled: new Set(settings?.notInstalled ?? []),
    }),
    now: () => NOW,
    ...((settings?.trustedNamespaces ?? []).includes(request.metadata.namespace) ? {} : { fence: request.metadata.namespace }),
  });
  const { timing: _timing, ...stable } = envelope;
  return { verdict, envelope: stable };
}

export const cases = fs.existsSync(casesDir)
  ? fs
      .readdirSync(casesDir)
      .filter((d) => fs.statSync(path.join(casesDir, d)).isDirectory())
      .sort()
  : [];
