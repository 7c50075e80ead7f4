import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import type { Envelope } from '../../../src/crds/envelope';
import type { TriageRequestStatus } from '../../../src/crds/triage-request';
import { EventuallyTimeoutError, eventually } from './eventually';
import { kubectl as clusterKubectl } from './kubectl';
import { repoRoot, type ScriptResult } from './scripts';

// config/samples as a user applies it: every file of the directory (read from disk, so a new sample is
// covered without touching a test), workloads before requests, then every request must reach a verdict
// and every TriageTemplate must be Accepted and used. Nothing here reads global test state: the caller
// passes the kubectl to run, so an e2e that runs the operator in a cluster of its own can use it too.

/** Runs kubectl against the cluster under test; resolves with the exit code and output, never throws on a non-zero exit. */
export type Kubectl = (args: readonly string[], input?: string) => Promise<ScriptResult>;

/** The matching kubectl (built with the apiserver) against the cluster of `kubeconfig`. */
export function kubectlWith(kubeconfig: string): Kubectl {
  return (args, input) => clusterKubectl(args, input, kubeconfig);
}

export const SAMPLES_DIR = path.join(repoRoot, 'config', 'samples');

/** One document of a sample file. */
export interface SampleObject {
  /** The file, relative to the repository root: config/samples/pvc-binding.yaml. */
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly doc: Readonly<Record<string, unknown>>;
}

export interface SampleFile {
  readonly file: string;
  readonly path: string;
  readonly objects: readonly SampleObject[];
}

export interface Samples {
  readonly dir: string;
  /** Every *.yaml / *.yml of the directory except kustomization.yaml, in name order (subdirectories are not samples). */
  readonly files: readonly SampleFile[];
  /** What kustomization.yaml lists under resources (empty when there is none). */
  readonly kustomizationResources: readonly string[];
}

const TRIAGE_GROUP = 'triage.dev/';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function relative(file: string): string {
  return path.relative(repoRoot, file);
}

/** Reads the sample directory: its files, their documents, and what its kustomization lists. Throws naming a file that does not parse. */
export function readSamples(dir: string = SAMPLES_DIR): Samples {
  const names = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name) && entry.name !== 'kustomization.yaml' && entry.name !== 'kustomization.yml')
    .map((entry) => entry.name)
    .sort();
  const files = names.map((name): SampleFile => {
    const file = path.join(dir, name);
    let docs: unknown[];
    try {
      docs = yaml.loadAll(fs.readFileSync(file, 'utf8'));
    } catch (error: unknown) {
      throw new Error(`${relative(file)}: not valid YAML: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const objects = docs
      .filter((doc) => doc !== null && doc !== undefined)
      .map((doc, i): SampleObject => {
        const metadata = isRecord(doc) && isRecord(doc.metadata) ? doc.metadata : {};
        if (!isRecord(doc) || typeof doc.kind !== 'string' || typeof doc.apiVersion !== 'string' || typeof metadata.name !== 'string') {
          throw new Error(`${relative(file)}: document ${i + 1} is not a Kubernetes object (apiVersion, kind, metadata.name)`);
        }
        return {
          file: relative(file),
          apiVersion: doc.apiVersion,
          kind: doc.kind,
          name: metadata.name,
          ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}),
          doc,
        };
      });
    return { file: relative(file), path: file, objects };
  });
  const kustomizationFile = path.join(dir, 'kustomization.yaml');
  let kustomizationResources: string[] = [];
  if (fs.existsSync(kustomizationFile)) {
    const kustomization = yaml.load(fs.readFileSync(kustomizationFile, 'utf8'));
    const resources = isRecord(kustomization) && Array.isArray(kustomization.resources) ? kustomization.resources : [];
    kustomizationResources = resources.filter((r): r is string => typeof r === 'string');
  }
  return { dir, files, kustomizationResources };
}

const isRequest = (o: SampleObject) => o.kind === 'TriageRequest' && o.apiVersion.startsWith(TRIAGE_GROUP);
const isTemplate = (o: SampleObject) => o.kind === 'TriageTemplate' && o.apiVersion.startsWith(TRIAGE_GROUP);

async function kubectlOk(kubectl: Kubectl, args: readonly string[], what: string, input?: string): Promise<string> {
  const result = await kubectl(args, input);
  if (result.code !== 0) throw new Error(`${what}: kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

interface Live {
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly generation?: number; readonly deletionTimestamp?: string };
  readonly spec?: Record<string, unknown>;
  readonly status?: Record<string, unknown>;
}

async function getList(kubectl: Kubectl, args: readonly string[], what: string): Promise<Live[]> {
  const parsed = JSON.parse(await kubectlOk(kubectl, [...args, '-o', 'json'], what)) as { items?: Live[] } & Live;
  return parsed.items ?? [parsed];
}

/** Why a workload's controller has not acted on it yet (undefined: it has). */
function unsettledWorkload(live: Live): string | undefined {
  const status = live.status ?? {};
  const generation = live.metadata?.generation ?? 0;
  const observed = typeof status.observedGeneration === 'number' ? status.observedGeneration : 0;
  switch (live.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet': {
      // Pods created: status.replicas counts the pods its controller made for the spec.
      const wanted = typeof live.spec?.replicas === 'number' ? live.spec.replicas : 1;
      if (observed < generation) return 'its controller has not observed the current generation';
      const created = typeof status.replicas === 'number' ? status.replicas : 0;
      return created === wanted ? undefined : `${created}/${wanted} pods created`;
    }
    case 'DaemonSet':
      return observed < generation ? 'its controller has not observed the current generation' : undefined;
    case 'Job':
      return status.startTime !== undefined || (Array.isArray(status.conditions) && status.conditions.length > 0)
        ? undefined
        : 'the job controller has not started it';
    default:
      return undefined;
  }
}

function unscheduledPod(pod: Live): boolean {
  const spec = pod.spec ?? {};
  if (typeof spec.nodeName === 'string' && spec.nodeName !== '') return false;
  const conditions = Array.isArray(pod.status?.conditions) ? (pod.status.conditions as { type?: string }[]) : [];
  return !conditions.some((c) => c.type === 'PodScheduled');
}

/**
 * Waits until the controllers and the scheduler have acted on what the files created: workloads
 * observed with their pods created, Jobs started, and every pod of their namespaces either bound or
 * given the scheduler's verdict (PodScheduled). A request with mode Once answers from the state it
 * finds, so it is applied only after this.
 */
async function settle(kubectl: Kubectl, files: readonly SampleFile[], timeoutMs: number): Promise<void> {
  const namespaces = new Set<string>();
  for (const file of files) for (const o of file.objects) if (o.namespace !== undefined) namespaces.add(o.namespace);
  await eventually(
    'the sample workloads to settle (pods created, every pod bound or judged by the scheduler)',
    async () => {
      const waiting: string[] = [];
      for (const file of files) {
        const live = await getList(kubectl, ['get', '-f', file.path], file.file);
        for (const object of live) {
          const why = unsettledWorkload(object);
          if (why !== undefined)
            waiting.push(`${file.file}: ${object.kind ?? '?'} ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? '?'}: ${why}`);
        }
      }
      for (const namespace of namespaces) {
        for (const pod of await getList(kubectl, ['get', 'pods', '-n', namespace], `pods of ${namespace}`)) {
          if (unscheduledPod(pod)) waiting.push(`Pod ${namespace}/${pod.metadata?.name ?? '?'}: not looked at by the scheduler yet`);
        }
      }
      if (waiting.length > 0) throw new Error(waiting.join('; '));
      return true;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

/** A namespace a sample creates may still be terminating from an earlier run: creating objects in it would fail. */
async function awaitNamespacesUsable(kubectl: Kubectl, samples: Samples, timeoutMs: number): Promise<void> {
  const namespaces = samples.files.flatMap((f) => f.objects.filter((o) => o.kind === 'Namespace' && o.apiVersion === 'v1').map((o) => o.name));
  for (const namespace of namespaces) {
    await eventually(
      `namespace ${namespace} to finish terminating`,
      async () => {
        const deleting = await kubectlOk(
          kubectl,
          ['get', 'namespace', namespace, '--ignore-not-found', '-o', 'jsonpath={.metadata.deletionTimestamp}'],
          `namespace ${namespace}`,
        );
        return deleting.trim() === '' ? true : undefined;
      },
      { timeoutMs, intervalMs: 500 },
    );
  }
}

export interface ApplySamplesOptions {
  /** @default config/samples */
  readonly dir?: string;
  /** How long the workloads may take to settle before the requests are applied. @default 60000 */
  readonly settleTimeoutMs?: number;
}

/**
 * Applies every file of the sample directory with `kubectl apply -f`, the way its kustomization.yaml
 * says to: files that create Namespaces first, then the other files without TriageRequests
 * (workloads, TriageTemplates), then, once the workloads have settled, the files with TriageRequests.
 * Throws naming the file kubectl refused. Returns what it applied, for {@link awaitSampleVerdicts}.
 */
export async function applySamples(kubectl: Kubectl, options: ApplySamplesOptions = {}): Promise<Samples> {
  const samples = readSamples(options.dir);
  const settleTimeoutMs = options.settleTimeoutMs ?? 60_000;
  await awaitNamespacesUsable(kubectl, samples, settleTimeoutMs);
  const createsNamespace = (f: SampleFile) => f.objects.some((o) => o.kind === 'Namespace');
  const withRequests = (f: SampleFile) => f.objects.some(isRequest);
  const before = samples.files.filter((f) => !withRequests(f));
  const ordered = [...before.filter(createsNamespace), ...before.filter((f) => !createsNamespace(f))];
  for (const file of ordered) await kubectlOk(kubectl, ['apply', '-f', file.path], file.file);
  await settle(kubectl, ordered, settleTimeoutMs);
  for (const file of samples.files.filter(withRequests)) await kubectlOk(kubectl, ['apply', '-f', file.path], file.file);
  return samples;
}

/** What one sample TriageRequest came to. */
export interface SampleRequestResult {
  readonly file: string;
  readonly namespace: string;
  readonly name: string;
  readonly intent: string;
  readonly verdict?: string;
  /** Reason and message of the Complete condition (why a request was Rejected or Failed). */
  readonly complete?: { readonly reason: string; readonly message: string };
  readonly rootCause?: string;
  readonly summary?: string;
  readonly envelope?: Envelope;
}

export interface SampleTemplateResult {
  readonly file: string;
  readonly name: string;
  readonly accepted?: { readonly status: string; readonly reason: string; readonly message: string };
  readonly hash?: string;
  /** Finding codes its matchers report. */
  readonly codes: readonly string[];
  /** Sample requests whose intent it is. */
  readonly usedBy: readonly string[];
}

/** A sample that is not (yet) where it should be, by file. */
export interface SampleProblem {
  readonly file: string;
  readonly object: string;
  readonly problem: string;
}

export interface SampleResults {
  readonly requests: readonly SampleRequestResult[];
  readonly templates: readonly SampleTemplateResult[];
  /** Empty when every request reached a verdict and every template was Accepted and used; else what was still wrong at the timeout. */
  readonly problems: readonly SampleProblem[];
  readonly elapsedMs: number;
}

export interface AwaitSampleVerdictsOptions {
  /** @default 120000 */
  readonly timeoutMs?: number;
  /**
   * A template with matchers counts as used only once a request's envelope reports one of its codes
   * (root cause or finding), not merely its name. @default true
   */
  readonly requireTemplateCode?: boolean;
}

const VERDICTS = new Set(['Healthy', 'RootCauseFound', 'Inconclusive']);

interface LiveRequest {
  readonly metadata: { readonly name: string; readonly namespace: string; readonly generation?: number };
  readonly spec?: { readonly intent?: string };
  readonly status?: TriageRequestStatus;
}

interface LiveTemplate {
  readonly metadata: { readonly name: string; readonly generation?: number };
  readonly spec?: { readonly matchers?: readonly { readonly finding?: { readonly code?: string } }[] };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly hash?: string;
    readonly conditions?: readonly { type: string; status: string; reason: string; message: string }[];
  };
}

function templateCodes(template: SampleObject): string[] {
  const spec = isRecord(template.doc.spec) ? template.doc.spec : {};
  const matchers = Array.isArray(spec.matchers) ? spec.matchers : [];
  return matchers.flatMap((m) => (isRecord(m) && isRecord(m.finding) && typeof m.finding.code === 'string' ? [m.finding.code] : []));
}

async function observe(kubectl: Kubectl, samples: Samples, requireTemplateCode: boolean, started: number): Promise<SampleResults> {
  const objects = samples.files.flatMap((f) => f.objects);
  const requestObjects = objects.filter(isRequest);
  const templateObjects = objects.filter(isTemplate);
  const liveRequests =
    requestObjects.length === 0
      ? []
      : ((await getList(kubectl, ['get', 'triagerequests.triage.dev', '--all-namespaces'], 'TriageRequests')) as unknown as LiveRequest[]);
  const liveTemplates =
    templateObjects.length === 0 ? [] : ((await getList(kubectl, ['get', 'triagetemplates.triage.dev'], 'TriageTemplates')) as unknown as LiveTemplate[]);
  const problems: SampleProblem[] = [];

  const requests = requestObjects.map((sample): SampleRequestResult => {
    const namespace = sample.namespace ?? 'default';
    const live = liveRequests.find((r) => r.metadata.name === sample.name && r.metadata.namespace === namespace);
    const intent = isRecord(sample.doc.spec) && typeof sample.doc.spec.intent === 'string' ? sample.doc.spec.intent : '';
    const status = live?.status;
    const complete = status?.conditions?.find((c) => c.type === 'Complete');
    const result: SampleRequestResult = {
      file: sample.file,
      namespace,
      name: sample.name,
      intent,
      ...(status?.verdict === undefined ? {} : { verdict: status.verdict }),
      ...(complete === undefined ? {} : { complete: { reason: complete.reason, message: complete.message } }),
      ...(status?.envelope?.rootCause === undefined ? {} : { rootCause: status.envelope.rootCause.code }),
      ...(status?.envelope === undefined ? {} : { summary: status.envelope.summary, envelope: status.envelope }),
    };
    const object = `TriageRequest ${namespace}/${sample.name}`;
    if (live === undefined) problems.push({ file: sample.file, object, problem: 'does not exist' });
    else if (status?.verdict === undefined || status.observedGeneration !== live.metadata.generation)
      problems.push({ file: sample.file, object, problem: 'no verdict for its generation yet' });
    else if (!VERDICTS.has(status.verdict))
      problems.push({ file: sample.file, object, problem: `verdict ${status.verdict} (${complete?.reason ?? '?'}: ${complete?.message ?? ''})` });
    return result;
  });

  const templates = templateObjects.map((sample): SampleTemplateResult => {
    const live = liveTemplates.find((t) => t.metadata.name === sample.name);
    const condition = live?.status?.conditions?.find((c) => c.type === 'Accepted');
    const codes = templateCodes(sample);
    const users = requests.filter((r) => r.intent === sample.name);
    const object = `TriageTemplate ${sample.name}`;
    if (live === undefined) problems.push({ file: sample.file, object, problem: 'does not exist' });
    else if (condition?.status !== 'True' || live.status?.observedGeneration !== live.metadata.generation) {
      problems.push({
        file: sample.file,
        object,
        problem: `not Accepted for its generation (${condition === undefined ? 'no Accepted condition' : `${condition.status}/${condition.reason}: ${condition.message}`})`,
      });
    }
    if (users.length === 0) problems.push({ file: sample.file, object, problem: `no sample TriageRequest has intent ${sample.name}` });
    else {
      // Used = the envelope names this template at the accepted version, and (with matchers) reports one of its codes.
      const used = users.some((r) => {
        const envelope = r.envelope;
        if (envelope?.template.name !== sample.name || envelope.template.source === 'BuiltIn') return false;
        if (live?.status?.hash !== undefined && envelope.template.hash !== live.status.hash) return false;
        if (!requireTemplateCode || codes.length === 0) return true;
        const reported = [envelope.rootCause?.code, ...envelope.findings.map((f) => f.code)];
        return codes.some((code) => reported.includes(code));
      });
      if (!used) {
        const seen = users
          .map(
            (r) =>
              `${r.namespace}/${r.name}: template ${r.envelope?.template.name ?? '-'} ${r.envelope?.template.hash ?? ''}, root cause ${r.rootCause ?? '-'}`,
          )
          .join('; ');
        problems.push({
          file: sample.file,
          object,
          problem: `no request's envelope shows it was used${requireTemplateCode && codes.length > 0 ? ` (template ${sample.name} at hash ${live?.status?.hash ?? '?'} reporting one of ${codes.join(', ')})` : ''}; seen: ${seen}`,
        });
      }
    }
    return {
      file: sample.file,
      name: sample.name,
      ...(condition === undefined ? {} : { accepted: { status: condition.status, reason: condition.reason, message: condition.message } }),
      ...(live?.status?.hash === undefined ? {} : { hash: live.status.hash }),
      codes,
      usedBy: users.map((r) => `${r.namespace}/${r.name}`),
    };
  });
  return { requests, templates, problems, elapsedMs: Date.now() - started };
}

/**
 * Waits until every sample TriageRequest has a verdict for its generation other than Rejected or
 * Failed, every sample TriageTemplate is Accepted=True, and a sample request with its intent has an
 * envelope produced by it. Returns what each reached; `problems` lists, by file, what was still wrong
 * when `timeoutMs` ran out (it does not throw for that: the caller asserts per sample).
 */
export async function awaitSampleVerdicts(kubectl: Kubectl, samples: Samples, options: AwaitSampleVerdictsOptions = {}): Promise<SampleResults> {
  const started = Date.now();
  const requireTemplateCode = options.requireTemplateCode ?? true;
  let last: SampleResults | undefined;
  try {
    return await eventually(
      'every sample TriageRequest to reach a verdict and every sample TriageTemplate to be Accepted and used',
      async () => {
        last = await observe(kubectl, samples, requireTemplateCode, started);
        return last.problems.length === 0 ? last : undefined;
      },
      { timeoutMs: options.timeoutMs ?? 120_000, intervalMs: 1000 },
    );
  } catch (error: unknown) {
    if (!(error instanceof EventuallyTimeoutError) || last === undefined) throw error;
    return { ...last, elapsedMs: Date.now() - started };
  }
}

/**
 * Deletes what the samples created, file by file in reverse order (requests before the templates and
 * namespaces they use); the namespaces they only assume (triage-system) stay. Does not wait for
 * namespaces to finish terminating.
 */
export async function deleteSamples(kubectl: Kubectl, samples: Samples): Promise<void> {
  for (const file of [...samples.files].reverse()) {
    await kubectlOk(kubectl, ['delete', '-f', file.path, '--ignore-not-found', '--wait=false'], file.file);
  }
}
