import type { TargetKind } from '../crds/intents';
import { PULL_WAITING } from './checks/containers';
import type { KubeObject } from './snapshot';

/** The intent picked for a target when the user names none, and why, in words the user is shown. */
export interface IntentChoice {
  readonly intent: string;
  readonly reason: string;
}

interface PodState {
  readonly spec?: { readonly nodeName?: string };
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly { readonly type?: string; readonly status?: string }[];
    readonly initContainerStatuses?: readonly ContainerState[];
    readonly containerStatuses?: readonly ContainerState[];
  };
}
interface ContainerState {
  readonly restartCount?: number;
  readonly state?: { readonly waiting?: { readonly reason?: string }; readonly terminated?: { readonly exitCode?: number } };
  readonly lastState?: { readonly terminated?: { readonly exitCode?: number } };
}

/** Kinds whose symptom one intent covers whatever their state. */
// prettier-ignore
const BY_KIND: Readonly<Partial<Record<TargetKind, IntentChoice>>> = {
  PersistentVolumeClaim: { intent: 'pvc-binding', reason: 'a PersistentVolumeClaim' },
  Ingress: { intent: 'ingress-pending', reason: 'an Ingress' },
  Service: { intent: 'service-no-endpoints', reason: 'a Service' },
  Deployment: { intent: 'rollout-stuck', reason: 'a Deployment: its rollout reaches its pods' },
  StatefulSet: { intent: 'rollout-stuck', reason: 'a StatefulSet: its rollout reaches its pods' },
  DaemonSet: { intent: 'rollout-stuck', reason: 'a DaemonSet: its rollout reaches its pods' },
  ReplicaSet: { intent: 'scheduling-failures', reason: 'a ReplicaSet: its pods and why they do not run' },
  Job: { intent: 'job-failures', reason: 'a Job' },
  CronJob: { intent: 'job-failures', reason: 'a CronJob' },
  HorizontalPodAutoscaler: { intent: 'autoscaling', reason: 'a HorizontalPodAutoscaler' },
  Gateway: { intent: 'gateway-pending', reason: 'a Gateway' },
  HTTPRoute: { intent: 'gateway-pending', reason: 'an HTTPRoute' },
  Namespace: { intent: 'namespace-health', reason: 'a Namespace: every check over it' },
};

/**
 * The intent that fits a target, from its kind and, for Pods and Nodes, its state — what an admin
 * would pick looking at `kubectl get`. `object` is undefined when it could not be read (the kind alone decides).
 */
export function chooseIntent(kind: TargetKind, object: KubeObject | undefined): IntentChoice {
  if (kind === 'Pod') return choosePodIntent(object as PodState | undefined);
  if (kind === 'Node') {
    // A cordoned node is usually being drained: what keeps its pods is the question; otherwise its conditions.
    const cordoned = (object as { spec?: { unschedulable?: boolean } } | undefined)?.spec?.unschedulable === true;
    return cordoned ? { intent: 'drain-blocked', reason: 'a cordoned Node' } : { intent: 'node-pressure', reason: 'a Node' };
  }
  return BY_KIND[kind] ?? { intent: 'namespace-health', reason: `a ${kind}` };
}

function choosePodIntent(pod: PodState | undefined): IntentChoice {
  if (pod === undefined) return { intent: 'crashloop', reason: 'a Pod (its state could not be read)' };
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  // Not bound to a node: the scheduler's answer (and any claim it waits for) is the question.
  if ((pod.spec?.nodeName ?? '') === '' && scheduled?.status !== 'True' && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed')
    return { intent: 'scheduling-failures', reason: 'a Pod not bound to a node' };
  const containers = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  // The kubelet cannot fetch an image: pulling comes before anything the process does.
  if (containers.some((c) => PULL_WAITING.has(c.state?.waiting?.reason ?? '')))
    return { intent: 'image-pull', reason: 'a Pod whose container waits for its image' };
  const crashed = containers.some(
    (c) => c.state?.waiting?.reason === 'CrashLoopBackOff' || (c.restartCount ?? 0) > 0 || (c.state?.terminated?.exitCode ?? 0) !== 0,
  );
  return crashed
    ? { intent: 'crashloop', reason: 'a Pod whose containers restart or exited with an error' }
    : { intent: 'crashloop', reason: 'a Pod bound to a node: its containers are what can fail next' };
}
