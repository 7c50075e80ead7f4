import type { Anchor, Envelope } from '../../../src/crds/envelope';
import type { KubeClient } from '../../../src/kube/client';
import { kindInfo } from '../../../src/triage/kinds';
import { kube } from './kube';

function collectionPath(anchor: Anchor): string {
  const { apiVersion = 'v1', kind, namespace } = anchor.object;
  const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const plural = kindInfo(kind)?.plural;
  if (plural === undefined) throw new Error(`anchor on unexpected kind ${kind}`);
  return `${prefix}${namespace === undefined ? '' : `/namespaces/${namespace}`}/${plural}`;
}

/**
 * The object as the operator read it: the anchor names its resourceVersion, and a LIST with
 * resourceVersionMatch=Exact returns that version even when the object changed since (a pod that
 * became Ready after the triage). Without a resourceVersion, or once etcd compacted it, the live object.
 */
async function readAnchored(anchor: Anchor, raw: KubeClient): Promise<Record<string, unknown>> {
  const { name, resourceVersion } = anchor.object;
  if (resourceVersion !== undefined && resourceVersion !== '') {
    try {
      const list = await raw.get<{ items?: Record<string, unknown>[] }>(collectionPath(anchor), {
        fieldSelector: `metadata.name=${name}`,
        resourceVersion,
        resourceVersionMatch: 'Exact',
      });
      const found = list.items?.[0];
      if (found !== undefined) return found;
    } catch (error: unknown) {
      if (!String(error).includes('410')) throw error;
    }
  }
  return raw.get<Record<string, unknown>>(`${collectionPath(anchor)}/${name}`);
}

// Written apart from src/triage/field-path.ts on purpose: the check must not share the engine's bugs.
function walk(object: unknown, path: string): unknown {
  let value: unknown = object;
  // Dots inside [...] belong to a key (annotation names), not to the path.
  for (const part of path.match(/(?:[^.[]+|\[[^\]]*\])+/g) ?? []) {
    const [, key, selector] = /^([^[]*)(?:\[(.*)\])?$/.exec(part) ?? [];
    if (key !== undefined && key !== '') value = (value as Record<string, unknown> | undefined)?.[key];
    if (selector !== undefined) {
      if (!Array.isArray(value)) {
        value = (value as Record<string, unknown> | undefined)?.[selector];
        continue;
      }
      const list = value as Record<string, unknown>[];
      const [field, wanted] = selector.split('=');
      value = wanted === undefined ? list[Number(field)] : list.find((item) => String(item[field ?? '']) === wanted);
    }
  }
  return value;
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '<unset>';
  if (value === '') return '""';
  return (typeof value === 'string' ? value : JSON.stringify(value)).replace(/\s+/g, ' ').trim();
}

/**
 * Follows every anchor back to the API: the object (or Event) must exist with the uid the anchor
 * names, and the excerpt must be what the field or Event message said at the anchored resourceVersion (modulo redaction and the
 * 240-character cut, which end in "[REDACTED]" / "…").
 */
export async function verifyAnchors(envelope: Envelope, raw: KubeClient = kube().raw): Promise<string[]> {
  const problems: string[] = [];
  for (const anchor of envelope.anchors) {
    let live: Record<string, unknown>;
    try {
      live = await readAnchored(anchor, raw);
    } catch (error: unknown) {
      problems.push(`${anchor.id}: ${anchor.object.kind} ${anchor.object.name} not readable: ${String(error)}`);
      continue;
    }
    const uid = (live.metadata as { uid?: string } | undefined)?.uid;
    if (anchor.object.uid !== undefined && uid !== anchor.object.uid) problems.push(`${anchor.id}: uid ${String(uid)} != ${anchor.object.uid}`);
    const text = anchor.event !== undefined ? asText(live.message) : asText(walk(live, anchor.fieldPath ?? ''));
    const excerpt = anchor.excerpt.endsWith('…') ? anchor.excerpt.slice(0, -1) : anchor.excerpt;
    const comparable = excerpt.includes('[REDACTED]') ? (excerpt.split('[REDACTED]')[0] ?? '') : excerpt;
    if (!text.startsWith(comparable)) problems.push(`${anchor.id}: excerpt "${anchor.excerpt}" does not match ${anchor.fieldPath ?? 'message'} "${text}"`);
    if (anchor.event !== undefined && anchor.event.reason !== live.reason)
      problems.push(`${anchor.id}: reason ${String(live.reason)} != ${anchor.event.reason}`);
  }
  return problems;
}
