import type { NextAction, ObjectRef } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import { conditionOf, type Condition, type EventRecord } from '../objects';
import { INDEX, ownerIndexValue, type KubeObject } from '../snapshot';
import { codesOf, defineRule, runRules, type Check, type CheckContext, type Rule } from './check';

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
  return {
    description: 'Show the Job, its conditions, its pods and recent events',
    command: `kubectl describe job ${ref.name} -n ${ref.namespace ?? ''}`,
    safety: 'ReadOnly',
  };
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
        code: 'JobFailed',
        severity: 'Critical',
        object: ref,
        confidence: 0.9,
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
        code: 'JobSuspended',
        severity: 'Warning',
        object: ref,
        confidence: 0.95,
        message: `Job ${ns}/${ref.name} is suspended (spec.suspend: true): it creates no pods until resumed`,
        anchors: [inv.anchorField('Job', job, 'spec.suspend')],
        chain: [...chain, ref],
        nextActions: [
          {
            description: `Resume the Job: sets spec.suspend to false, and it starts creating pods`,
            command: `kubectl patch job ${ref.name} -n ${ns} --type=merge -p '{"spec":{"suspend":false}}'`,
            safety: 'Mutating',
          },
          describeJob(ref),
        ],
      });
    }
  },
};

/** Proves why a CronJob does not run as scheduled: suspended, a schedule its controller rejects, missed start times; its failed Jobs say the rest. */
/** What one CronJob's rules share. */
interface CronRun {
  readonly inv: Investigation;
  readonly cronJob: CronJob;
  readonly ref: ObjectRef;
  readonly ns: string;
  readonly chain: readonly ObjectRef[];
  readonly describe: NextAction;
  /** The CronJob's Events, read once: the first rule that needs them reads them. */
  events(): readonly EventRecord[];
}

// A suspended CronJob starts nothing whatever its schedule says: the cronjob controller skips it.
const cronJobSuspendedRule = defineRule<CronRun>({
  name: 'CronJobSuspended',
  proves: ['CronJobSuspended'],
  run: (c) => {
    if (c.cronJob.spec?.suspend !== true) return false;
    c.inv.report({
      code: 'CronJobSuspended',
      severity: 'Warning',
      object: c.ref,
      confidence: 0.95,
      message: `CronJob ${c.ns}/${c.ref.name} is suspended (spec.suspend: true): no Job is started for schedule "${c.cronJob.spec.schedule ?? '?'}"`,
      anchors: [c.inv.anchorField('CronJob', c.cronJob, 'spec.suspend')],
      chain: [...c.chain, c.ref],
      nextActions: [
        {
          description: 'Resume the CronJob: sets spec.suspend to false; the next scheduled time starts a Job',
          command: `kubectl patch cronjob ${c.ref.name} -n ${c.ns} --type=merge -p '{"spec":{"suspend":false}}'`,
          safety: 'Mutating',
        },
        c.describe,
      ],
    });
    return true;
  },
});

// The controller says in an Event when it cannot parse the schedule or time zone; it then never starts a Job.
const invalidScheduleRule = defineRule<CronRun>({
  name: 'CronJobInvalidSchedule',
  proves: ['CronJobInvalidSchedule'],
  run: (c) => {
    const invalid = c.events().find((e) => INVALID_SCHEDULE_REASONS.has(e.reason));
    if (invalid === undefined) return false;
    c.inv.report({
      code: 'CronJobInvalidSchedule',
      severity: 'Critical',
      object: c.ref,
      confidence: 0.95,
      message: `CronJob ${c.ns}/${c.ref.name}'s controller cannot use schedule "${c.cronJob.spec?.schedule ?? '?'}" (${invalid.reason}): ${invalid.message.slice(0, 160)}`,
      anchors: [c.inv.anchorEvent(invalid), c.inv.anchorField('CronJob', c.cronJob, 'spec.schedule')],
      chain: [...c.chain, c.ref],
      nextActions: [c.describe],
    });
    return true;
  },
});

// Missed starts (too many, or past startingDeadlineSeconds) are said in an Event; the Jobs it did start may still fail, so the chain goes on.
const missedSchedulesRule = defineRule<CronRun>({
  name: 'CronJobMissedSchedules',
  proves: ['CronJobMissedSchedules'],
  run: (c) => {
    const missed = c.events().find((e) => MISSED_SCHEDULE_REASONS.has(e.reason));
    if (missed === undefined) return false;
    c.inv.report({
      code: 'CronJobMissedSchedules',
      severity: 'Warning',
      object: c.ref,
      confidence: 0.85,
      message: `CronJob ${c.ns}/${c.ref.name} missed scheduled starts (${missed.reason}, last scheduled ${c.cronJob.status?.lastScheduleTime ?? 'never'}): ${missed.message.slice(0, 160)}`,
      anchors: [c.inv.anchorEvent(missed)],
      chain: [...c.chain, c.ref],
      nextActions: [
        {
          description: 'Show the CronJob startingDeadlineSeconds and concurrencyPolicy, which decide what counts as missed',
          command: `kubectl get cronjob ${c.ref.name} -n ${c.ns} -o jsonpath='{.spec.startingDeadlineSeconds} {.spec.concurrencyPolicy}'`,
          safety: 'ReadOnly',
        },
        c.describe,
      ],
    });
    return false;
  },
});

/** Ordered: a suspended CronJob's schedule is never evaluated, and an unusable schedule starts nothing to miss. */
const CRON_RULES: readonly Rule<CronRun>[] = [cronJobSuspendedRule, invalidScheduleRule, missedSchedulesRule];

/**
 * The Jobs it started say whether runs fail: follow the ones that did not succeed. A failed Job the
 * CronJob's history keeps (failedJobsHistoryLimit) is news only if no run succeeded since.
 */
function followFailedJobs(ctx: CheckContext, c: CronRun): void {
  if (c.cronJob.metadata?.uid === undefined) return;
  const succeeded = Date.parse(c.cronJob.status?.lastSuccessfulTime ?? '');
  const jobs = c.inv.byIndex<Job>('Job', 'cronjob.jobs', INDEX.owner, ownerIndexValue(c.cronJob)) ?? [];
  for (const job of jobs) {
    const failed = conditionOf(job.status?.conditions, 'Failed');
    if (failed?.status === 'True' && !(Date.parse(failed.lastTransitionTime ?? '') < succeeded)) ctx.follow('Job', job, [...c.chain, c.ref]);
  }
}

export const cronJobStatus: Check = {
  name: 'cronjob.status',
  subject: 'CronJob',
  codes: codesOf(CRON_RULES),
  evidence: ['cronjob', 'cronjob.events'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const cronJob = subject as CronJob;
    const ref = refOf('CronJob', cronJob);
    const ns = ref.namespace ?? '';
    inv.note('cronjob');
    let events: readonly EventRecord[] | undefined;
    const run: CronRun = {
      inv,
      cronJob,
      ref,
      ns,
      chain,
      describe: {
        description: 'Show the CronJob, its last schedule and recent events',
        command: `kubectl describe cronjob ${ref.name} -n ${ns}`,
        safety: 'ReadOnly',
      },
      events: () => (events ??= inv.events('CronJob', cronJob, 'cronjob.events')),
    };
    if (runRules(CRON_RULES, run)) return;
    followFailedJobs(ctx, run);
  },
};
