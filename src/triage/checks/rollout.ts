import type { Check } from './check';

// Rollout checks: Deployment / StatefulSet / DaemonSet status conditions and the controllers' Events
// (FailedCreate from the ReplicaSet/StatefulSet/DaemonSet controllers), then a hop into the pods.

/** Proves why a rollout does not progress, and follows its not-ready pods into their own causes. */
export const rolloutChecks: readonly Check[] = [];
