import type { NextAction, ObjectRef } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import { conditionOf, type Condition } from '../objects';
import { INDEX, ownerIndexValue, type KubeObject } from '../snapshot';
import type { Check } from './check';

// Job and CronJob checks, read from what the job and cronjob controllers write: a Job's Failed /
// Complete conditions and spec.suspend, a CronJob's spec.suspend and its controller's Events.

interface Job extends KubeObject {
  readonly spec?: { readonly suspend?: boolean; readonly backoffLimit?: number };
  readonly status?: { readonly conditions?: readonly Condition[]; readonly failed?: number; readonly active?: number; readonly succeeded?: number };
}

interface CronJob extends KubeObject {
  readonly spec?: { readonly suspend?: boolean; readonly schedule?: string; readonly startingDeadlineSeconds?: number };
  readonly status?: { readonly lastScheduleTime?: string; readonly lastSuccessfulTime?: string };
}

/** cronjob controller (v2) Event reasons: a schedule it cannot parse, and start times it gave up on. */
const INVALID_SCHEDULE_REASONS = new Set(['UnparseableSchedule', 'InvalidSchedule', 'InvalidTimeZone']);
const MISSED_SCHEDULE_REASONS = new Set(['TooManyMissedTimes', 'MissSchedule']);

function describeJob(ref: ObjectRef): NextAction {
  return { description: 'Show the Job, its conditions, its pods and recent events', command: `kubectl describe job ${ref.name} -n ${ref.namespace ?? ''}`, safety: 'ReadOnly' };
}

/** A CronJob's failed run that a later run of the same CronJob superseded by succeeding: history, not a fault. */
function supersededRun(inv: Investigation, job: Job, failed: Condition): boolean {
  const owner = job.metadata?.ownerReferences?.find((o) => o.kind === 'CronJob');
  if (owner?.name === undefined) return false;
  const lookup = inv.get<CronJob>('CronJob', 'job.cronjob', owner.name, job.metadata?.namespace);
  if (lookup.state !== 'Found') return false;
  return Date.parse(failed.lastTransitionTime ?? '') < Date.parse(lookup.object.status?.lastSuccessfulTime ?? '');
}

/** Proves why a Job did not complete: it failed (backoff limit, deadline, pod failure policy) or is suspended; its failed pods say why they failed. */
export const jobStatus: Check = {
  name: 'job.status',
  subject: 'Job',
  codes: ['JobFailed', 'JobSuspended'],
  evidence: ['job'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const job = subject as Job;
    const ref = refOf('Job', job);
    const ns = ref.namespace ?? '';
    inv.note('job');
    const failed = conditionOf(job.status?.conditions, 'Failed');
    if (failed?.status === 'True' && supersededRun(inv, job, failed)) return;
    if (failed?.status === 'True') {
      // JobFailed names how the Job gave up; its pods (followed by job.pods) carry why each attempt failed.
      inv.report({
        code: 'JobFailed', severity: 'Critical', object: ref, confidence: 0.9,
        message: `Job ${ns}/${ref.name} failed (${failed.reason ?? 'Failed'}${failed.message === undefined || failed.message === '' ? '' : `: ${failed.message}`}) after ${job.status?.failed ?? 0} failed pod(s)`,
        anchors: [inv.anchorField('Job', job, 'status.conditions[type=Failed].reason')],
        chain: [...chain, ref],
        nextActions: [
          { description: `Read the log of one of the Job's pods`, command: `kubectl logs job/${ref.name} -n ${ns}`, safety: 'ReadOnly' },
          describeJob(ref),
        ],
      });
      return;
    }
    if (job.spec?.suspend === true && conditionOf(job.status?.conditions, 'Complete')?.status !== 'True') {
      inv.report({
        code: 'JobSuspended', severity: 'Warning', object: ref, confidence: 0.95,
        message: `Job ${ns}/${ref.name} is suspended (spec.suspend: true): it creates no pods until resumed`,
        anchors: [inv.anchorField('Job', job, 'spec.suspend')],
        chain: [...chain, ref],
        nextActions: [
          { description: `Resume the Job: sets spec.suspend to false, and it starts creating pods`, command: `kubectl patch job ${ref.name} -n ${ns} --type=merge -p '{"spec":{"suspend":false}}'`, safety: 'Mutating' },
          describeJob(ref),
        ],
      });
    }
  },
};

/** Proves why a CronJob does not run as scheduled: suspended, a schedule its controller rejects, missed start times; its failed Jobs say the rest. */
export const cronJobStatus: Check = {
  name: 'cronjob.status',
  subject: 'CronJob',
  codes: ['CronJobSuspended', 'CronJobInvalidSchedule', 'CronJobMissedSchedules'],
  evidence: ['cronjob', 'cronjob.events'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const cronJob = subject as CronJob;
    const ref = refOf('CronJob', cronJob);
    const ns = ref.namespace ?? '';
    inv.note('cronjob');
    const describe: NextAction = { description: 'Show the CronJob, its last schedule and recent events', command: `kubectl describe cronjob ${ref.name} -n ${ns}`, safety: 'ReadOnly' };
    if (cronJob.spec?.suspend === true) {
      inv.report({
        code: 'CronJobSuspended', severity: 'Warning', object: ref, confidence: 0.95,
        message: `CronJob ${ns}/${ref.name} is suspended (spec.suspend: true): no Job is started for schedule "${cronJob.spec.schedule ?? '?'}"`,
        anchors: [inv.anchorField('CronJob', cronJob, 'spec.suspend')],
        chain: [...chain, ref],
        nextActions: [
          { description: 'Resume the CronJob: sets spec.suspend to false; the next scheduled time starts a Job', command: `kubectl patch cronjob ${ref.name} -n ${ns} --type=merge -p '{"spec":{"suspend":false}}'`, safety: 'Mutating' },
          describe,
        ],
      });
      return;
    }
    const events = inv.events('CronJob', cronJob, 'cronjob.events');
    const invalid = events.find((e) => INVALID_SCHEDULE_REASONS.has(e.reason));
    if (invalid !== undefined) {
      inv.report({
        code: 'CronJobInvalidSchedule', severity: 'Critical', object: ref, confidence: 0.95,
        message: `CronJob ${ns}/${ref.name}'s controller cannot use schedule "${cronJob.spec?.schedule ?? '?'}" (${invalid.reason}): ${invalid.message.slice(0, 160)}`,
        anchors: [inv.anchorEvent(invalid), inv.anchorField('CronJob', cronJob, 'spec.schedule')],
        chain: [...chain, ref],
        nextActions: [describe],
      });
      return;
    }
    const missed = events.find((e) => MISSED_SCHEDULE_REASONS.has(e.reason));
    if (missed !== undefined) {
      inv.report({
        code: 'CronJobMissedSchedules', severity: 'Warning', object: ref, confidence: 0.85,
        message: `CronJob ${ns}/${ref.name} missed scheduled starts (${missed.reason}, last scheduled ${cronJob.status?.lastScheduleTime ?? 'never'}): ${missed.message.slice(0, 160)}`,
        anchors: [inv.anchorEvent(missed)],
        chain: [...chain, ref],
        nextActions: [
          { description: 'Show the CronJob startingDeadlineSeconds and concurrencyPolicy, which decide what counts as missed', command: `kubectl get cronjob ${ref.name} -n ${ns} -o jsonpath='{.spec.startingDeadlineSeconds} {.spec.concurrencyPolicy}'`, safety: 'ReadOnly' },
          describe,
        ],
      });
    }
    // The Jobs it started say whether runs fail: follow the ones that did not succeed.
    // A failed Job the CronJob's history keeps (failedJobsHistoryLimit) is news only if no run succeeded since.
    const succeeded = Date.parse(cronJob.status?.lastSuccessfulTime ?? '');
    const jobs = (cronJob.metadata?.uid === undefined ? [] : (inv.byIndex<Job>('Job', 'cronjob.jobs', INDEX.owner, ownerIndexValue(cronJob)) ?? []))
      .filter((job) => {
        const failed = conditionOf(job.status?.conditions, 'Failed');
        return failed?.status === 'True' && !(Date.parse(failed.lastTransitionTime ?? '') < succeeded);
      });
    for (const job of jobs) ctx.follow('Job', job, [...chain, ref]);
  },
};
