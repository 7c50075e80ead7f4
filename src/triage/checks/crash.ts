import type { NextAction, ObjectRef } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import { lastWords, parseConfigMissing, parseExecFailure, parseMissingVolumeKey, type MissingConfig } from '../kubelet-message';
import type { EventRecord } from '../objects';
import { parseQuantity } from '../quantity';
import { codesOf, defineRule, runRules, type Check, type Rule } from './check';
import {
  containersOf,
  describeAction,
  eventFor,
  inScope,
  KIND,
  podRun,
  PULL_WAITING,
  quote,
  restarts,
  rollbackAction,
  specFieldCommand,
  START_TERMINATED,
  START_WAITING,
  who,
  type ContainerFinding,
  type ContainerPod,
  type ContainerView,
  type PodRun,
  type Terminated,
} from './containers';
import { evicted, evictionFinding } from './eviction';
import { killedByProbe, probeKills, probeSummary, quotablePod, type ProbeKills } from './probes';
import { crashedRecently, crashWindowLeft, RECENT_CRASH_SECONDS } from './workload';

// Why a pod's containers crash, restart or never start, read from the kubelet's container statuses
// (waiting reasons, the last termination's reason, exit code and message) and its Events (BackOff,
// Failed, Unhealthy, Killing, FailedMount). One chain of rules per troubled container, first match wins.

const SIGNALS: Readonly<Record<number, string>> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  15: 'SIGTERM',
};

/** "exit code 139 (SIGSEGV)": codes above 128 are 128 + the signal that ended the process. */
export function exitCodeText(code: number): string {
  const signal = code > 128 ? SIGNALS[code - 128] : undefined;
  return `exit code ${code}${signal === undefined ? '' : ` (${signal})`}`;
}

/** Twice a memory quantity, as a quantity kubectl accepts (whole Mi, or Gi when exact). */
export function doubledMemory(limit: string): string | undefined {
  const bytes = parseQuantity(limit);
  if (bytes === undefined || bytes <= 0) return undefined;
  const mebibytes = Math.ceil((2 * bytes) / 2 ** 20);
  return mebibytes % 1024 === 0 ? `${mebibytes / 1024}Gi` : `${mebibytes}Mi`;
}

// --- which containers are in trouble ---------------------------------------------------------------

function restarted(view: ContainerView): boolean {
  return (view.status.restartCount ?? 0) > 0;
}

/** A container that ended: in trouble when it failed, or when a container the pod restarts keeps ending. */
function endedInTrouble(view: ContainerView, terminated: Terminated, pod: ContainerPod): boolean {
  // A finished init container (exit 0) is how init containers are meant to end.
  if ((terminated.exitCode ?? 0) !== 0 || terminated.reason === 'OOMKilled') return true;
  return !view.init && (pod.spec?.restartPolicy ?? 'Always') === 'Always' && restarted(view);
}

/**
 * Caught running between crashes: the last termination is recent (any end while not ready; an
 * abnormal one even when Ready, which a crash-looping container often is between crashes).
 */
function crashingBetweenRuns(inv: Investigation, view: ContainerView): boolean {
  if (crashedRecently(view.status, (t) => inv.ageSeconds(t))) return true;
  const age = inv.ageSeconds(view.status.lastState?.terminated?.finishedAt);
  return view.status.ready !== true && age !== undefined && age < RECENT_CRASH_SECONDS;
}

/** Whether the container is failing now (not just restarted once long ago): the trigger for a crashloop diagnosis. */
function troubled(inv: Investigation, view: ContainerView, pod: ContainerPod): boolean {
  const { state } = view.status;
  const waiting = state?.waiting?.reason ?? '';
  if (waiting === 'CrashLoopBackOff' || waiting === 'CreateContainerConfigError' || START_WAITING.has(waiting)) return true;
  if (state?.terminated !== undefined) return endedInTrouble(view, state.terminated, pod);
  return state?.running !== undefined && restarted(view) && crashingBetweenRuns(inv, view);
}

// --- one troubled container ------------------------------------------------------------------------

/** The termination that explains the container's state: the current one, else the last before a restart. */
function lastTermination(view: ContainerView): { terminated: Terminated; path: string } | undefined {
  if (view.status.state?.terminated !== undefined) return { terminated: view.status.state.terminated, path: `${view.statusPath}.state.terminated` };
  if (view.status.lastState?.terminated !== undefined) return { terminated: view.status.lastState.terminated, path: `${view.statusPath}.lastState.terminated` };
  return undefined;
}

function logsAction(view: ContainerView, ref: ObjectRef): NextAction {
  // A container still in its terminated state has no newer instance: its own logs are the last run's.
  const previous = view.status.state?.terminated === undefined;
  return {
    description: `Read container ${view.name}'s log${previous ? ' from before its last restart' : ''}`,
    command: `kubectl logs ${ref.name} -c ${view.name}${previous ? ' --previous' : ''} -n ${ref.namespace ?? ''}`,
    safety: 'ReadOnly',
  };
}

/** What the crash rules share about one troubled container, and the findings they make, in report order. */
interface CrashRun extends PodRun {
  readonly view: ContainerView;
  /** The container is the pod's only one in trouble: unnamed Events are about it. */
  readonly only: boolean;
  readonly waitingReason: string;
  readonly waitingMessage: string;
  /** The termination that explains the state (current, else last) and its field path ('' without one). */
  readonly terminated: Terminated | undefined;
  readonly terminationPath: string;
  readonly exitCode: number | undefined;
  /** The runtime's words when it could not start the process ('' otherwise). */
  readonly startText: string;
  readonly exec: ReturnType<typeof parseExecFailure>;
  readonly kills: ProbeKills | undefined;
  readonly describe: NextAction;
  readonly logs: NextAction;
  /** The finding that explains the container (at most one). */
  readonly causes: ContainerFinding[];
  /** Findings beside it, reported after it. */
  readonly context: ContainerFinding[];
}

function crashRun(run: PodRun, view: ContainerView, only: boolean): CrashRun {
  const waitingReason = view.status.state?.waiting?.reason ?? '';
  const waitingMessage = view.status.state?.waiting?.message ?? '';
  const termination = lastTermination(view);
  const terminated = termination?.terminated;
  const startText = START_WAITING.has(waitingReason) ? waitingMessage : START_TERMINATED.has(terminated?.reason ?? '') ? (terminated?.message ?? '') : '';
  const exitCode = terminated?.exitCode;
  // A log tail may mention a missing tool in passing: the shell's words count only when it exited 126/127.
  const exec = parseExecFailure(startText !== '' ? startText : exitCode === 127 || exitCode === 126 ? (terminated?.message ?? '') : '');
  return {
    ...run,
    view,
    only,
    waitingReason,
    waitingMessage,
    terminated,
    terminationPath: termination?.path ?? '',
    exitCode,
    startText,
    exec,
    kills: probeKills(run.pod, run.events, view),
    describe: describeAction(run.ref),
    logs: logsAction(view, run.ref),
    causes: [],
    context: [],
  };
}

const anchor = (r: CrashRun, fieldPath: string) => r.inv.anchorField(KIND, r.pod, fieldPath);
const eventAnchors = (r: CrashRun, event: EventRecord | undefined) => (event === undefined ? [] : [r.inv.anchorEvent(event)]);
/** A Failed Event quoting this container's own error text is about it (or about a twin with the same fault). */
const failedEvent = (r: CrashRun, text: string) => eventFor(r.events, r.view, true, (e) => e.reason === 'Failed' && text !== '' && e.message.includes(text));
const backOffEvent = (r: CrashRun) => eventFor(r.events, r.view, r.only, (e) => e.reason === 'BackOff' && e.message.startsWith('Back-off restarting'));

/** Records the finding that explains the container: later rules would only restate it. */
function explains(r: CrashRun, finding: Omit<ContainerFinding, 'severity' | 'cause'>): true {
  r.causes.push({ ...finding, severity: 'Critical', cause: true });
  return true;
}

// --- the rules, in order -----------------------------------------------------------------------------

/** The spec's reference that needs the missing object: an env entry's key ref (its name, never a value) or an envFrom entry. */
function configReference(r: CrashRun, missing: MissingConfig): { anchors: string[]; usedBy: string } {
  const { view } = r;
  const refField = missing.kind === 'Secret' ? 'secretKeyRef' : 'configMapKeyRef';
  const fromField = missing.kind === 'Secret' ? 'secretRef' : 'configMapRef';
  const envEntry = view.spec?.env?.find(
    (e) => e.valueFrom?.[refField]?.name === missing.name && (missing.key === undefined || e.valueFrom[refField].key === missing.key),
  );
  const envFromIndex = view.spec?.envFrom?.findIndex((e) => e[fromField]?.name === missing.name) ?? -1;
  const anchors =
    envEntry !== undefined
      ? [anchor(r, `${view.specPath}.env[name=${envEntry.name}].valueFrom.${refField}`)]
      : envFromIndex >= 0
        ? [anchor(r, `${view.specPath}.envFrom[${envFromIndex}].${fromField}`)]
        : [];
  return { anchors, usedBy: envEntry === undefined ? '' : ` (env ${envEntry.name})` };
}

/** How to see what is missing: whether the object exists, or which keys it has (names only). */
function missingConfigAction(missing: MissingConfig, ns: string): NextAction {
  const kindWord = missing.kind === 'Secret' ? 'secret' : 'configmap';
  return missing.key === undefined
    ? {
        description: `Check whether ${missing.kind} ${missing.name} exists in ${ns} (create it, or fix the name the pod refers to)`,
        command: `kubectl get ${kindWord} ${missing.name} -n ${ns}`,
        safety: 'ReadOnly',
      }
    : {
        description: `List the keys of ${missing.kind} ${missing.name} (names only, no values)`,
        command: `kubectl get ${kindWord} ${missing.name} -n ${ns} -o go-template='{{range $k, $v := .data}}{{println $k}}{{end}}'`,
        safety: 'ReadOnly',
      };
}

const configErrorAnchors = (r: CrashRun) => [anchor(r, `${r.view.statusPath}.state.waiting.message`), ...eventAnchors(r, failedEvent(r, r.waitingMessage))];

// The kubelet builds a container's environment before creating it: a ConfigMap/Secret (or key) it names that is missing stops it there.
const configMissingRule = defineRule<CrashRun>({
  name: 'configMissing',
  proves: ['ConfigMissing'],
  run: (r) => {
    const missing = r.waitingReason === 'CreateContainerConfigError' ? parseConfigMissing(r.waitingMessage) : undefined;
    if (missing === undefined) return false;
    const anchors = configErrorAnchors(r);
    const reference = configReference(r, missing);
    const subject = `${who(r.view, r.ref)} cannot start: the kubelet reports`;
    return explains(r, {
      code: 'ConfigMissing',
      confidence: 1,
      message:
        missing.key === undefined
          ? `${subject} ${missing.kind} "${missing.name}" not found${reference.usedBy}`
          : `${subject} ${missing.kind} ${r.ns}/${missing.name} has no key ${missing.key}${reference.usedBy}`,
      anchors: [...anchors, ...reference.anchors],
      nextActions: [missingConfigAction(missing, r.ns), r.describe],
    });
  },
});

// Any other CreateContainerConfigError (runAsNonRoot against a root image, a bad subPath, ...) also stops creation: the kubelet's text says which.
const configErrorRule = defineRule<CrashRun>({
  name: 'configError',
  proves: ['ContainerCreateFailed'],
  run: (r) =>
    r.waitingReason === 'CreateContainerConfigError' &&
    explains(r, {
      code: 'ContainerCreateFailed',
      confidence: 0.8,
      message: `${who(r.view, r.ref)} cannot be created (CreateContainerConfigError): ${quote(r.waitingMessage)}`,
      anchors: configErrorAnchors(r),
      nextActions: [r.describe],
    }),
});

/** Doubling the memory limit in the owning workload's template (looked up here, whatever comes of it: the lookup is evidence). */
function raiseMemoryAction(r: CrashRun, limit: string | undefined): NextAction[] {
  const { view, ns } = r;
  const owner = r.owner();
  const doubled = limit === undefined ? undefined : doubledMemory(limit);
  if (owner === undefined || doubled === undefined || limit === undefined || view.init) return [];
  return [
    {
      description: `Raise container ${view.name}'s memory limit in ${owner.kind} ${ns}/${owner.name} from ${limit} to ${doubled}: changes the pod template, so every pod is replaced by a rolling update (check node capacity and any LimitRange first)`,
      command: `kubectl set resources ${owner.resource}/${owner.name} -n ${ns} -c ${view.name} --limits=memory=${doubled}`,
      safety: 'Mutating',
    },
  ];
}

// The kernel's OOM killer ended the process (the kubelet records reason OOMKilled): at the memory limit, or with none, the node's.
const oomKilledRule = defineRule<CrashRun>({
  name: 'oomKilled',
  proves: ['OOMKilled'],
  run: (r) => {
    if (r.terminated?.reason !== 'OOMKilled') return false;
    const { view } = r;
    const limit = view.spec?.resources?.limits?.memory;
    const raise = raiseMemoryAction(r, limit);
    return explains(r, {
      code: 'OOMKilled',
      confidence: 0.95,
      message:
        limit === undefined
          ? `${who(view, r.ref)} was OOMKilled although it sets no memory limit: the node ran out of memory; ${restarts(view)}`
          : `${who(view, r.ref)} was OOMKilled: its memory use reached its limit of ${limit}; ${restarts(view)}`,
      anchors: [
        anchor(r, `${r.terminationPath}.reason`),
        ...(limit === undefined ? [] : [anchor(r, `${view.specPath}.resources.limits.memory`)]),
        ...eventAnchors(r, backOffEvent(r)),
      ],
      nextActions: [r.logs, r.describe, ...raise],
    });
  },
});

// The kubelet kills and restarts a container whose liveness (or startup) probe keeps failing: Killing/Unhealthy Events during the last run prove it.
const probeKillRule = defineRule<CrashRun>({
  name: 'probeKill',
  proves: ['LivenessProbeFailing'],
  run: (r) => {
    const { kills, terminated, view } = r;
    if (kills === undefined || !killedByProbe(kills, terminated) || (terminated === undefined && !restarted(view))) return false;
    const probeField = kills.probe === 'startup' ? 'startupProbe' : 'livenessProbe';
    const failure = kills.unhealthy?.message.replace(/^(Liveness|Startup) probe failed:\s*/, '');
    const probe = probeSummary(view.spec?.[probeField]);
    return explains(r, {
      code: 'LivenessProbeFailing',
      confidence: kills.killing === undefined ? 0.75 : 0.9,
      message: `${who(view, r.ref)} is killed and restarted by the kubelet because its ${kills.probe} probe fails (${probe === '' ? 'probe' : probe}; ${restarts(view)})${failure === undefined || failure === '' ? '' : `: ${quote(failure)}`}`,
      anchors: [
        ...eventAnchors(r, kills.killing),
        ...eventAnchors(r, kills.unhealthy),
        ...(view.spec?.[probeField] === undefined ? [] : [r.inv.anchorField(KIND, quotablePod(r.pod), `${view.specPath}.${probeField}`)]),
        ...(terminated === undefined ? [] : [anchor(r, `${r.terminationPath}.exitCode`)]),
      ],
      nextActions: [
        r.logs,
        {
          description: `Show container ${view.name}'s ${kills.probe} probe (path, port, delays, thresholds) to compare with how long the app takes to answer`,
          command: specFieldCommand(r.ref, view, probeField),
          safety: 'ReadOnly',
        },
        r.describe,
      ],
    });
  },
});

// Probe Events gone (spam-filtered on a busy pod, or expired after an hour), yet a probed container restarts after SIGKILL/SIGTERM: the kubelet's probe kill is the likeliest sender.
const probeSignalRule = defineRule<CrashRun>({
  name: 'probeSignal',
  proves: ['LivenessProbeFailing'],
  run: (r) => {
    const { view, terminated } = r;
    const probeField = view.spec?.livenessProbe !== undefined ? 'livenessProbe' : view.spec?.startupProbe !== undefined ? 'startupProbe' : undefined;
    const signalled = terminated?.exitCode === 137 || terminated?.exitCode === 143 ? terminated.exitCode : undefined;
    if (r.kills !== undefined || probeField === undefined || signalled === undefined || !restarted(view)) return false;
    const probe = probeSummary(view.spec?.[probeField]);
    return explains(r, {
      code: 'LivenessProbeFailing',
      confidence: 0.6,
      message: `${who(view, r.ref)} ends with ${exitCodeText(signalled)} and is restarted (${restarts(view)}); it has a ${probeField === 'startupProbe' ? 'startup' : 'liveness'} probe (${probe === '' ? 'probe' : probe}), so it is most likely killed by the kubelet for failing it (no probe Events remain to prove it)`,
      anchors: [
        anchor(r, `${r.terminationPath}.exitCode`),
        r.inv.anchorField(KIND, quotablePod(r.pod), `${view.specPath}.${probeField}`),
        anchor(r, `${view.statusPath}.restartCount`),
      ],
      nextActions: [r.logs, r.describe],
    });
  },
});

// Probe kills that did not end the last run are context beside whatever did: the container fails its probe too.
const probeBesideRule = defineRule<CrashRun>({
  name: 'probeBeside',
  proves: ['LivenessProbeFailing'],
  run: (r) => {
    if (r.kills === undefined) return false;
    r.context.push({
      code: 'LivenessProbeFailing',
      severity: 'Warning',
      confidence: 0.5,
      cause: false,
      message: `${who(r.view, r.ref)} also fails its ${r.kills.probe} probe, though its last termination was not a probe kill`,
      anchors: [...eventAnchors(r, r.kills.killing ?? r.kills.unhealthy)],
      nextActions: [r.describe],
    });
    // Context explains nothing: the rules after it still look for the cause.
    return false;
  },
});

/** What is wrong with the command, as precisely as the runtime's (or the shell's) words allow. */
function commandTrouble(r: CrashRun): string {
  const { exec } = r;
  const command = exec?.command === undefined ? 'its command' : `"${exec.command}"`;
  if (exec?.why === 'not-executable' || (exec === undefined && r.exitCode === 126)) return `${command} is not executable (permission denied)`;
  if (exec === undefined) return `its shell could not find the command it runs`;
  return exec.command?.startsWith('/') === true
    ? `${command} (or the interpreter on its #! line) does not exist in the image`
    : `${command} is not found in the image's $PATH`;
}

function commandAnchors(r: CrashRun): string[] {
  const { exec, view } = r;
  const textField = r.startText !== '' && START_WAITING.has(r.waitingReason) ? `${view.statusPath}.state.waiting.message` : `${r.terminationPath}.message`;
  const failed =
    exec === undefined
      ? undefined
      : eventFor(
          r.events,
          view,
          true,
          (e) => e.reason === 'Failed' && /exec/i.test(e.message) && e.message.includes(exec.command ?? 'executable file not found'),
        );
  return [
    ...(exec !== undefined ? [anchor(r, textField)] : []),
    ...(r.exitCode === undefined ? [] : [anchor(r, `${r.terminationPath}.exitCode`)]),
    ...(view.spec?.command === undefined ? [] : [anchor(r, `${view.specPath}.command`)]),
    ...eventAnchors(r, failed),
  ];
}

// The runtime cannot exec a command missing from the image or not executable; a shell exits 127 (not found) or 126 (not executable).
const commandNotFoundRule = defineRule<CrashRun>({
  name: 'commandNotFound',
  proves: ['CommandNotFound'],
  run: (r) => {
    const { exec, exitCode, terminated, view } = r;
    if (exec === undefined && exitCode !== 127 && exitCode !== 126) return false;
    const owner = r.owner();
    const startReason = START_TERMINATED.has(terminated?.reason ?? '') ? `${terminated?.reason ?? ''}, ` : '';
    return explains(r, {
      code: 'CommandNotFound',
      confidence: exec !== undefined ? 0.95 : exitCode === 127 ? 0.8 : 0.75,
      message: `${who(view, r.ref)} cannot run: ${commandTrouble(r)}${exitCode === undefined ? '' : ` (${startReason}${exitCodeText(exitCode)})`}; ${restarts(view)}`,
      anchors: commandAnchors(r),
      nextActions: [
        {
          description: `Show the command and args container ${view.name} runs, to compare with what the image contains`,
          command: specFieldCommand(r.ref, view, 'command'),
          safety: 'ReadOnly',
        },
        ...(exec === undefined ? [r.logs] : []),
        r.describe,
        ...rollbackAction(owner, r.ns, 'the command change'),
      ],
    });
  },
});

// The runtime could not create or start the process for another reason (a mount, a hook, a device): its own words say which.
const startFailedRule = defineRule<CrashRun>({
  name: 'startFailed',
  proves: ['ContainerCreateFailed'],
  run: (r) => {
    const { view, terminated } = r;
    const waiting = START_WAITING.has(r.waitingReason);
    if (!waiting && !START_TERMINATED.has(terminated?.reason ?? '')) return false;
    const text = r.startText !== '' ? r.startText : (terminated?.message ?? '');
    const field = waiting ? `${view.statusPath}.state.waiting.message` : `${r.terminationPath}.message`;
    return explains(r, {
      code: 'ContainerCreateFailed',
      confidence: 0.7,
      message: `${who(view, r.ref)} cannot be started by the container runtime (${waiting ? r.waitingReason : (terminated?.reason ?? '')})${text === '' ? '' : `: ${quote(text)}`}`,
      anchors: [anchor(r, field), ...eventAnchors(r, failedEvent(r, text.slice(0, 60)))],
      nextActions: [r.describe],
    });
  },
});

function exitMessage(r: CrashRun, terminated: Terminated, exitCode: number): string {
  const { view } = r;
  if (exitCode === 0) {
    return `${who(view, r.ref)} keeps exiting with exit code 0 (${terminated.reason ?? 'Completed'}) although the pod restarts it (restartPolicy ${r.pod.spec?.restartPolicy ?? 'Always'}): its process does not stay running; ${restarts(view)}`;
  }
  const lastMessage = (terminated.message ?? '').trim();
  const reason = terminated.reason === undefined || terminated.reason === 'Error' ? '' : ` (${terminated.reason})`;
  const signalled = exitCode === 137 ? '; SIGKILL without OOMKilled: killed from outside the process (e.g. a probe kill whose Events expired)' : '';
  return `${who(view, r.ref)} exits with ${exitCodeText(exitCode)}${reason}, ${restarts(view)}${signalled}${lastMessage === '' ? '' : `; last message: ${lastWords(lastMessage)}`}`;
}

// The process itself ended: a non-zero exit is the application's failure; exit 0 under restartPolicy Always means it does not stay running.
const applicationErrorRule = defineRule<CrashRun>({
  name: 'applicationError',
  proves: ['ApplicationError'],
  run: (r) => {
    const { terminated, exitCode, view } = r;
    // A finished init container (exit 0) is how init containers are meant to end.
    if (terminated === undefined || exitCode === undefined || (exitCode === 0 && r.waitingReason !== 'CrashLoopBackOff' && view.init)) return false;
    const path = r.terminationPath;
    const hasMessage = (terminated.message ?? '').trim() !== '';
    const owner = r.owner();
    return explains(r, {
      code: 'ApplicationError',
      confidence: exitCode === 0 ? 0.7 : 0.9,
      message: exitMessage(r, terminated, exitCode),
      anchors: [
        anchor(r, `${path}.exitCode`),
        ...(hasMessage ? [anchor(r, `${path}.message`)] : []),
        ...eventAnchors(r, backOffEvent(r)),
        anchor(r, `${view.statusPath}.restartCount`),
      ],
      nextActions: [r.logs, r.describe, ...rollbackAction(owner, r.ns, 'the failing change')],
    });
  },
});

// CrashLoopBackOff with no termination kept (the kubelet lost it, e.g. after a node restart): it still crashes, and its logs say why.
const unrecordedCrashRule = defineRule<CrashRun>({
  name: 'unrecordedCrash',
  proves: ['ApplicationError'],
  run: (r) =>
    r.waitingReason === 'CrashLoopBackOff' &&
    explains(r, {
      code: 'ApplicationError',
      confidence: 0.5,
      message: `${who(r.view, r.ref)} is in CrashLoopBackOff (${restarts(r.view)}), but the kubelet kept no record of how it last terminated: its logs hold the reason`,
      anchors: [anchor(r, `${r.view.statusPath}.state.waiting.reason`), ...eventAnchors(r, backOffEvent(r)), anchor(r, `${r.view.statusPath}.restartCount`)],
      nextActions: [r.logs, r.describe],
    }),
});

/** Ordered: a container that was never created has no termination to read; a kill from outside outranks the exit it caused. */
const CRASH_RULES: readonly Rule<CrashRun>[] = [
  configMissingRule,
  configErrorRule,
  oomKilledRule,
  probeKillRule,
  probeSignalRule,
  probeBesideRule,
  commandNotFoundRule,
  startFailedRule,
  applicationErrorRule,
  unrecordedCrashRule,
];

/** The findings about one troubled container: what explains it, then what is beside it. */
function crashFindings(run: PodRun, view: ContainerView, only: boolean): ContainerFinding[] {
  const r = crashRun(run, view, only);
  runRules(CRASH_RULES, r);
  return [...r.causes, ...r.context];
}

// --- volumes -----------------------------------------------------------------------------------------

/** A volume the kubelet cannot mount because its ConfigMap/Secret is missing: containers stay ContainerCreating. */
function mountFinding(run: PodRun): ContainerFinding | undefined {
  const { inv, pod, ref, ns } = run;
  const creating = containersOf(pod).some(
    (v) => v.status.state?.waiting?.reason === 'ContainerCreating' || v.status.state?.waiting?.reason === 'PodInitializing',
  );
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  if (!creating && statuses.length > 0) return undefined;
  for (const event of run.events.filter((e) => e.reason === 'FailedMount')) {
    const volumeName = /for volume "([^"]+)"/.exec(event.message)?.[1];
    const volume = pod.spec?.volumes?.find((v) => v.name === volumeName);
    const missing = parseConfigMissing(event.message) ?? parseMissingVolumeKey(event.message, volume);
    if (missing === undefined) continue;
    const kindWord = missing.kind === 'Secret' ? 'secret' : 'configmap';
    const what = missing.key === undefined ? `${missing.kind} "${missing.name}" not found` : `${missing.kind} "${missing.name}" has no key ${missing.key}`;
    return {
      code: 'ConfigMissing',
      severity: 'Critical',
      confidence: 0.9,
      cause: true,
      message: `Pod ${ns}/${ref.name} cannot start its containers: volume ${volumeName ?? '?'} cannot be mounted, the kubelet reports ${what}`,
      anchors: [inv.anchorEvent(event), ...(volume === undefined ? [] : [inv.anchorField(KIND, pod, `spec.volumes[name=${volume.name}]`)])],
      nextActions: [
        missing.key === undefined
          ? {
              description: `Check whether ${missing.kind} ${missing.name} exists in ${ns} (create it, fix the volume's reference, or mark it optional)`,
              command: `kubectl get ${kindWord} ${missing.name} -n ${ns}`,
              safety: 'ReadOnly',
            }
          : {
              description: `List the keys of ${missing.kind} ${missing.name} (names only, no values), to add ${missing.key} or fix the volume's items`,
              command: `kubectl get ${kindWord} ${missing.name} -n ${ns} -o go-template='{{range $k, $v := .data}}{{println $k}}{{end}}'`,
              safety: 'ReadOnly',
            },
        describeAction(ref),
      ],
    };
  }
  return undefined;
}

// --- the check ---------------------------------------------------------------------------------------

function reportFinding(inv: Investigation, ref: ObjectRef, chain: readonly ObjectRef[], d: ContainerFinding): void {
  inv.report({
    code: d.code,
    severity: d.severity,
    object: ref,
    message: d.message,
    anchors: d.anchors,
    nextActions: d.nextActions,
    ...(d.cause ? { chain: [...chain, ref], confidence: d.confidence } : {}),
    ...(d.recheckAfterSeconds === undefined ? {} : { recheckAfterSeconds: d.recheckAfterSeconds }),
  });
}

/** A container that cannot even be pulled may be why its neighbour exits (a sidecar without its app): the cause is less sure, and says so. */
function besideUnpulled(d: ContainerFinding, unpulled: ContainerView | undefined): ContainerFinding {
  if (!d.cause || unpulled === undefined) return d;
  return {
    ...d,
    confidence: Math.max(0.3, d.confidence - 0.1),
    message: `${d.message} (container ${unpulled.name} cannot start either: its image is not pulled)`,
  };
}

/** Proves why a pod's containers crash or restart: OOM kills, exit codes, probe kills, missing config, missing commands. */
export const podCrashloop: Check = {
  name: 'pod.crashloop',
  subject: KIND,
  // A missing volume's ConfigMap/Secret (mountFinding) is ConfigMissing too, already among the rules' codes.
  codes: [...codesOf(CRASH_RULES), 'PodEvicted'],
  evidence: ['pod', 'pod.events'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const pod = subject as ContainerPod;
    const ref = refOf(KIND, pod);
    inv.note('pod');
    const report = (d: ContainerFinding) => {
      reportFinding(inv, ref, chain, d);
    };
    // Evicted pods stay as Failed objects until garbage-collected: the eviction is their whole story.
    if (evicted(pod)) {
      report(evictionFinding(inv, pod, ref));
      return;
    }
    if (!inScope(inv, pod)) return;
    const run = podRun(inv, pod);
    const mount = mountFinding(run);
    if (mount !== undefined) report(mount);
    const views = containersOf(pod);
    const failing = views.filter((v) => troubled(inv, v, pod));
    const unpulled = views.find((v) => PULL_WAITING.has(v.status.state?.waiting?.reason ?? ''));
    for (const view of failing) {
      // Caught running between crashes: the diagnosis holds only while the crash is recent; look again after.
      const window = view.status.state?.running === undefined ? undefined : crashWindowLeft(view.status, (t) => inv.ageSeconds(t));
      for (const d of crashFindings(run, view, failing.length === 1)) {
        const finding = besideUnpulled(d, unpulled);
        report(window === undefined || !d.cause ? finding : { ...finding, recheckAfterSeconds: window });
      }
    }
  },
};
