import { autoscalerFollowers, hpaScaling } from './autoscaling';
import type { Check } from './check';
import { budgetBlocking, nodeDrain } from './disruption';
import { webhookChecks } from './webhooks';
import { gatewayChecks } from './gateway';
import { cronJobStatus, jobStatus } from './jobs';
import { claimBinding } from './claim';
import { podCrashloop } from './crash';
import { podImagePull } from './image-pull';
import { nodeHealth } from './node';
import { rolloutChecks } from './rollout';
import { serviceEndpoints } from './service';
import { ingressRouting } from './ingress';
import { podScheduling } from './pod-scheduling';
import { workloadChecks } from './workload';

/** Every built-in check, by name: registered once; templates refer to them by name. */
export const CHECKS: ReadonlyMap<string, Check> = new Map(
  [
    claimBinding,
    podScheduling,
    ingressRouting,
    serviceEndpoints,
    podCrashloop,
    podImagePull,
    nodeHealth,
    ...rolloutChecks,
    ...workloadChecks,
    hpaScaling,
    ...autoscalerFollowers,
    jobStatus,
    cronJobStatus,
    ...webhookChecks,
    nodeDrain,
    budgetBlocking,
    ...gatewayChecks,
  ].map((check) => [check.name, check]),
);
