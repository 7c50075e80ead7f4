import type { Check } from './check';
import { daemonSetRollout } from './daemonset-rollout';
import { deploymentRollout } from './deployment-rollout';
import { statefulSetRollout } from './statefulset-rollout';

// Rollout checks: Deployment / StatefulSet / DaemonSet status conditions and the controllers' Events
// (FailedCreate from the ReplicaSet/StatefulSet/DaemonSet controllers), then a hop into the pods.
// Each kind's rules sit in a file of its own; what StatefulSets and DaemonSets share in rollout-pods.ts.

export { daemonSetRollout, deploymentRollout, statefulSetRollout };

/** Proves why a rollout does not progress, and follows its not-ready pods into their own causes. */
export const rolloutChecks: readonly Check[] = [deploymentRollout, statefulSetRollout, daemonSetRollout];
