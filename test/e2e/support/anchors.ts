import type { Anchor, Envelope } from '../../../src/crds/envelope';
import { kube } from './kube';

const PLURALS: Readonly<Record<string, string>> = {
  Pod: 'pods', PersistentVolumeClaim: 'persistentvolumeclaims', PersistentVolume: 'persistentvolumes', Node: 'nodes',
  Service: 'services', StorageClass: 'storageclasses', Ingress: 'ingresses', IngressClass: 'ingressclasses',
  EndpointSlice: 'endpointslices', Event: 'events', Deployment: 'deployments', ReplicaSet: 'replicasets',
  StatefulSet: 'statefulsets', DaemonSet: 'daemonsets', Job: 'jobs', Secret: 'secrets', ResourceQuota: 'resourcequotas', Namespace: 'namespaces',
};

function objectPath(anchor: Anchor): string {
  const { apiVersion = 'v1', kind, namespace, name } = anchor.object;
  const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const plural = PLURALS[kind];
  if (plural === undefined) throw new Error(`anchor on unexpected kind ${kind}`);
  return `${prefix}${namespace === undefined ? '' : `/namespaces/${namespace}`}/${plural}/${name}`;
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
 * names, and the excerpt must be what the field or Event message says now (modulo redaction and the
 * 240-character cut, which end in "[REDACTED]" / "…").
 */
export async function verifyAnchors(envelope: Envelope): Promise<string[]> {
  const problems: string[] = [];
  for (const anchor of envelope.anchors) {
    let live: Record<string, unknown>;
    try {
      live = await kube().raw.get<Record<string, unknown>>(objectPath(anchor));
    } catch (error: unknown) {
      problems.push(`${anchor.id}: ${anchor.object.kind} ${anchor.object.name} not readable: ${String(error)}`);
      continue;
    }
    const uid = (live.metadata as { uid?: string } | undefined)?.uid;
    if (anchor.object.uid !== undefined && uid !== anchor.object.uid) problems.push(`${anchor.id}: uid ${String(uid)} != ${anchor.object.uid}`);
    const text = anchor.event !== undefined ? asText(live.message) : asText(walk(live, anchor.fieldPath ?? ''));
    const excerpt = anchor.excerpt.endsWith('…') ? anchor.excerpt.slice(0, -1) : anchor.excerpt;
    const comparable = excerpt.includes('[REDACTED]') ? excerpt.split('[REDACTED]')[0] ?? '' : excerpt;
    if (!text.startsWith(comparable)) problems.push(`${anchor.id}: excerpt "${anchor.excerpt}" does not match ${anchor.fieldPath ?? 'message'} "${text}"`);
    if (anchor.event !== undefined && anchor.event.reason !== live.reason) problems.push(`${anchor.id}: reason ${String(live.reason)} != ${anchor.event.reason}`);
  }
  return problems;
}
