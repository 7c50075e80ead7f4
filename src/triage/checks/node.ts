import type { Check } from './check';

// Node checks: node conditions as the kubelet and node lifecycle controller write them, taints,
// spec.unschedulable.

/** Proves why a node is NotReady, under pressure or cordoned: node-pressure intent codes. */
export const nodeHealth: Check = {
  name: 'node.health',
  subject: 'Node',
  codes: [],
  evidence: ['node'],
  run() {
    // Implemented in a follow-up change.
  },
};
