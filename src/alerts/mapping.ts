import { z } from 'zod';
import { CLUSTER_SCOPED_KINDS, TARGET_KINDS, type TargetKind } from '../crds/intents';

// Alertmanager's webhook payload (version "4") and the table that turns one firing alert into a
// TriageRequest's target and intent. Pure: no cluster, no I/O; the receiver does the writing.

/** Alerts in one post: Alertmanager sends a group's alerts together (max_alerts caps it on its side); more is not a real group. */
export const MAX_ALERTS_PER_POST = 1000;

const labelSet = z.record(z.string().max(1024), z.string().max(4096));

/** One alert as Alertmanager's webhook sends it; fields this receiver does not read are allowed and ignored. */
export const WebhookAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  // Alertmanager's fingerprint is 16 hex digits; it names the request, so nothing else is accepted.
  fingerprint: z.string().regex(/^[0-9a-f]{1,32}$/, 'must be 1 to 32 lowercase hex digits, as Alertmanager sends it'),
});
export type WebhookAlert = z.infer<typeof WebhookAlert>;

export const WebhookPayload = z.object({
  version: z.literal('4', { error: 'must be "4" (Alertmanager webhook payload version 4)' }),
  receiver: z.string().optional(),
  status: z.enum(['firing', 'resolved']),
  alerts: z.array(WebhookAlert).max(MAX_ALERTS_PER_POST),
  groupLabels: labelSet.optional(),
  commonLabels: labelSet.optional(),
  commonAnnotations: labelSet.optional(),
  externalURL: z.string().optional(),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().optional(),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/** Why a payload was refused, in one line a sender can act on (the first few problems, with their JSON paths). */
export function payloadProblems(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length === 0 ? '(payload)' : issue.path.join('.')}: ${issue.message}`)
    .join('; ');
}

/**
 * One row of the mapping table: which alerts (by `alertname`, exact or a prefix ending in `*`), which
 * label names the target, and the intent (absent: chosen from the target's state, as `kubectl triage` does).
 */
export const AlertMapping = z
  .object({
    alertname: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9_:.-]+\*?$/, 'must be an alert name, or a prefix ending in * (e.g. KubePersistentVolume*)'),
    kind: z.enum(TARGET_KINDS),
    /** The label holding the target's name. */
    nameLabel: z.string().min(1).max(253),
    /** The label holding its namespace (namespaced kinds only). */
    namespaceLabel: z.string().min(1).max(253).default('namespace'),
    intent: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be an intent name (a built-in intent or a TriageTemplate)')
      .optional(),
  })
  .strict();
export type AlertMapping = z.infer<typeof AlertMapping>;

/** The admin's file (--alert-mapping-file, YAML or JSON): entries added to, or overriding by alertname, the defaults. */
export const AlertMappingFile = z.object({ mappings: z.array(AlertMapping).max(1000) }).strict();

const row = (alertname: string, kind: TargetKind, nameLabel: string, intent?: string): AlertMapping => ({
  alertname,
  kind,
  nameLabel,
  namespaceLabel: 'namespace',
  ...(intent === undefined ? {} : { intent }),
});

/** kube-prometheus (kubernetes-mixin) alert names, with the labels its rules put on them. */
export const DEFAULT_MAPPINGS: readonly AlertMapping[] = [
  row('KubePodCrashLooping', 'Pod', 'pod', 'crashloop'),
  row('KubePodNotReady', 'Pod', 'pod'),
  row('KubeContainerWaiting', 'Pod', 'pod'),
  row('KubeDeploymentRolloutStuck', 'Deployment', 'deployment', 'rollout-stuck'),
  row('KubeDeploymentReplicasMismatch', 'Deployment', 'deployment', 'rollout-stuck'),
  row('KubeDeploymentGenerationMismatch', 'Deployment', 'deployment', 'rollout-stuck'),
  row('KubeStatefulSetReplicasMismatch', 'StatefulSet', 'statefulset', 'rollout-stuck'),
  row('KubeStatefulSetUpdateNotRolledOut', 'StatefulSet', 'statefulset', 'rollout-stuck'),
  row('KubeStatefulSetGenerationMismatch', 'StatefulSet', 'statefulset', 'rollout-stuck'),
  row('KubeDaemonSetRolloutStuck', 'DaemonSet', 'daemonset', 'rollout-stuck'),
  row('KubeNodeNotReady', 'Node', 'node', 'node-pressure'),
  row('KubeNodeUnreachable', 'Node', 'node', 'node-pressure'),
  row('KubeJobFailed', 'Job', 'job_name', 'job-failures'),
  row('KubeJobNotCompleted', 'Job', 'job_name', 'job-failures'),
  row('KubeHpaMaxedOut', 'HorizontalPodAutoscaler', 'horizontalpodautoscaler', 'autoscaling'),
  row('KubeHpaReplicasMismatch', 'HorizontalPodAutoscaler', 'horizontalpodautoscaler', 'autoscaling'),
  // KubePersistentVolumeFillingUp, …InodesFillingUp carry the claim; KubePersistentVolumeErrors names only the volume and is ignored.
  row('KubePersistentVolume*', 'PersistentVolumeClaim', 'persistentvolumeclaim', 'pvc-binding'),
];

/** The table in use: the defaults, with the admin's entries added or replacing a default of the same alertname. */
export class MappingTable {
  private readonly exact = new Map<string, AlertMapping>();
  /** Longest prefix first, so the most specific pattern wins. */
  private readonly prefixes: { readonly prefix: string; readonly mapping: AlertMapping }[] = [];

  constructor(entries: readonly AlertMapping[]) {
    const byName = new Map<string, AlertMapping>();
    for (const entry of entries) byName.set(entry.alertname, entry);
    for (const entry of byName.values())
      if (entry.alertname.endsWith('*')) this.prefixes.push({ prefix: entry.alertname.slice(0, -1), mapping: entry });
      else this.exact.set(entry.alertname, entry);
    this.prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The defaults plus a parsed admin file (later entries win). */
  static withDefaults(admin: readonly AlertMapping[] = []): MappingTable {
    return new MappingTable([...DEFAULT_MAPPINGS, ...admin]);
  }

  lookup(alertname: string): AlertMapping | undefined {
    return this.exact.get(alertname) ?? this.prefixes.find((p) => alertname.startsWith(p.prefix))?.mapping;
  }
}

export class MappingFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MappingFileError';
  }
}

/** Validates an admin mapping file already parsed from YAML/JSON; the error names each bad entry and field. */
export function parseMappingFile(document: unknown): AlertMapping[] {
  const result = AlertMappingFile.safeParse(document);
  if (!result.success)
    throw new MappingFileError(
      `invalid alert mapping file: ${result.error.issues
        .slice(0, 10)
        .map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`)
        .join('; ')}`,
    );
  for (const [index, entry] of result.data.mappings.entries())
    if (CLUSTER_SCOPED_KINDS.has(entry.kind) && entry.namespaceLabel !== 'namespace')
      throw new MappingFileError(`invalid alert mapping file: mappings.${index}.namespaceLabel: ${entry.kind} is cluster-scoped, it has no namespace`);
  return result.data.mappings;
}

/** Where a firing alert points: its target, and the intent (undefined: choose from the target's state). */
export interface MappedAlert {
  readonly fingerprint: string;
  readonly alertname: string;
  readonly kind: TargetKind;
  readonly name: string;
  /** The target's namespace; undefined for a cluster-scoped kind (the request then goes to the trusted alert namespace). */
  readonly namespace: string | undefined;
  readonly intent: string | undefined;
}

export interface IgnoredAlert {
  readonly fingerprint: string;
  readonly alertname: string;
  readonly reason: 'UnknownAlert' | 'MissingLabel' | 'InvalidName';
  readonly detail: string;
}

export interface MappedPayload {
  readonly firing: readonly MappedAlert[];
  /** Fingerprints of resolved alerts, whatever their name: a request exists only for those that were mapped. */
  readonly resolved: readonly string[];
  readonly ignored: readonly IgnoredAlert[];
}

/** A Kubernetes object name or namespace (DNS subdomain, ≤ 253); anything else in a label is not a target. */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Splits a validated payload into firing alerts mapped to targets, resolved fingerprints and ignored alerts. */
export function mapPayload(payload: WebhookPayload, table: MappingTable): MappedPayload {
  const firing: MappedAlert[] = [];
  const resolved: string[] = [];
  const ignored: IgnoredAlert[] = [];
  const seen = new Set<string>();
  for (const alert of payload.alerts) {
    // Alertmanager never repeats a fingerprint in one group; if a sender does, the first one counts.
    if (seen.has(alert.fingerprint)) continue;
    seen.add(alert.fingerprint);
    const alertname = alert.labels.alertname ?? '';
    if (alert.status === 'resolved') {
      resolved.push(alert.fingerprint);
      continue;
    }
    const mapping = table.lookup(alertname);
    const ignore = (reason: IgnoredAlert['reason'], detail: string) => ignored.push({ fingerprint: alert.fingerprint, alertname, reason, detail });
    if (mapping === undefined) {
      ignore('UnknownAlert', `no mapping for alertname "${alertname}"`);
      continue;
    }
    const name = alert.labels[mapping.nameLabel];
    const clusterScoped = CLUSTER_SCOPED_KINDS.has(mapping.kind);
    const namespace = clusterScoped ? undefined : alert.labels[mapping.namespaceLabel];
    if (name === undefined || (!clusterScoped && namespace === undefined)) {
      ignore('MissingLabel', `${alertname} has no "${name === undefined ? mapping.nameLabel : mapping.namespaceLabel}" label`);
      continue;
    }
    if (!OBJECT_NAME.test(name) || (namespace !== undefined && !NAMESPACE_NAME.test(namespace))) {
      ignore('InvalidName', `${alertname}: "${(namespace === undefined ? name : `${namespace}/${name}`).slice(0, 300)}" is not a Kubernetes object name`);
      continue;
    }
    firing.push({ fingerprint: alert.fingerprint, alertname, kind: mapping.kind, name, namespace, intent: mapping.intent });
  }
  return { firing, resolved, ignored };
}
