import type { CoreV1Event } from '@kubernetes/client-node';
import { kube } from './kube';
import { runningOperators } from './operator';

function eventLine(e: CoreV1Event): string {
  const subject = `${e.involvedObject.kind ?? '?'}/${e.involvedObject.name ?? '?'}`;
  const seen = e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
  return `  ${String(seen)} ${e.type ?? ''} ${e.reason ?? ''} ${subject} (x${e.count ?? 1}): ${e.message ?? ''}`;
}

/** The namespace's objects (as the API returns them) and Events, laid out for a test log. */
export async function dumpNamespace(namespace: string): Promise<string> {
  const { core, apps } = kube();
  const [requests, pods, pvcs, services, deployments, events] = await Promise.all([
    kube().custom.listNamespacedCustomObject({ group: 'triage.dev', version: 'v1alpha1', namespace, plural: 'triagerequests' }) as Promise<{
      items: { metadata?: object; spec?: unknown; status?: unknown }[];
    }>,
    core.listNamespacedPod({ namespace }),
    core.listNamespacedPersistentVolumeClaim({ namespace }),
    core.listNamespacedService({ namespace }),
    apps.listNamespacedDeployment({ namespace }),
    core.listNamespacedEvent({ namespace }),
  ]);
  const sections = [
    ['TriageRequests', requests.items],
    ['Pods', pods.items],
    ['PersistentVolumeClaims', pvcs.items],
    ['Services', services.items],
    ['Deployments', deployments.items],
  ] as const;
  const lines = [`===== namespace ${namespace} =====`];
  for (const [title, items] of sections) {
    lines.push(`--- ${title} (${items.length})`);
    for (const item of items) {
      const { managedFields: _managedFields, ...metadata } = (item.metadata ?? {}) as { managedFields?: unknown };
      lines.push(JSON.stringify({ metadata, spec: item.spec, status: item.status }, null, 2));
    }
  }
  lines.push(`--- Events (${events.items.length})`, ...events.items.map(eventLine));
  for (const operator of runningOperators()) {
    lines.push(`--- operator ${operator.identity} log (last 40 lines)`, ...operator.log().trimEnd().split('\n').slice(-40));
  }
  return lines.join('\n');
}
