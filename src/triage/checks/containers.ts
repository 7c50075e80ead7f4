import type { Check } from './check';

// Container-level checks, reading pod status the way a kubelet writes it (containerStatuses with
// state/lastState, restartCount, waiting reasons, termination exit codes and messages) and the
// kubelet's Events about the pod (BackOff, Failed, Unhealthy, ...).

/** Proves why a pod's containers crash or restart: crashloop intent codes. */
export const podCrashloop: Check = {
  name: 'pod.crashloop',
  subject: 'Pod',
  codes: [],
  evidence: ['pod'],
  run() {
    // Implemented in a follow-up change.
  },
};

/** Proves why a pod's images cannot be pulled: image-pull intent codes. */
export const podImagePull: Check = {
  name: 'pod.image-pull',
  subject: 'Pod',
  codes: [],
  evidence: ['pod'],
  run() {
    // Implemented in a follow-up change.
  },
};
