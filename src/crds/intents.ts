import { isClusterScoped } from '../triage/kinds';
import { BUILT_IN_TEMPLATES } from './built-in-templates';

/** Kinds a TriageRequest can target. */
export const TARGET_KINDS = [
  'Pod',
  'PersistentVolumeClaim',
  'Ingress',
  'Service',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'Node',
  'Namespace',
  'HorizontalPodAutoscaler',
  'CronJob',
  'Gateway',
  'HTTPRoute',
] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** Target kinds that live outside any namespace (a Namespace target is a sweep, bounded apart): targeting them needs a trusted namespace. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<TargetKind> = new Set(TARGET_KINDS.filter((kind) => kind !== 'Namespace' && isClusterScoped(kind)));

interface IntentInfo {
  /** Kinds the intent can diagnose; the request's whole namespace when no target is given. */
  readonly targetKinds: readonly TargetKind[];
  readonly description: string;
}

export type BuiltInIntent = keyof typeof BUILT_IN_TEMPLATES;

/** The built-in intents (../shared/BRIEF.md), read off their templates. Custom ones come from TriageTemplates. */
export const BUILT_IN_INTENT_NAMES = Object.keys(BUILT_IN_TEMPLATES) as BuiltInIntent[];
export const BUILT_IN_INTENTS: Readonly<Record<BuiltInIntent, IntentInfo>> = (() => {
  const intents = {} as Record<BuiltInIntent, IntentInfo>;
  for (const name of BUILT_IN_INTENT_NAMES)
    intents[name] = { targetKinds: BUILT_IN_TEMPLATES[name].targetKinds, description: BUILT_IN_TEMPLATES[name].description };
  return intents;
})();

export function isBuiltInIntent(name: string): name is BuiltInIntent {
  return Object.hasOwn(BUILT_IN_INTENTS, name);
}
