import type { KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import yaml from 'js-yaml';
import packageJson from '../../package.json';
import { GROUP, VERSION, type TriageRequestObject } from '../crds/triage-request';
import { BUILT_IN_INTENTS, BUILT_IN_INTENT_NAMES, isBuiltInIntent, type TargetKind } from '../crds/intents';
import { WATCHED_KINDS } from '../kube/kinds';
import { chooseIntent } from '../triage/choose-intent';
import { isClusterScoped } from '../triage/kinds';
import type { ClusterSnapshot } from '../triage/snapshot';
import { USAGE, type Command, type CommonOptions, type Output } from './args';
import type { PluginCluster } from './cluster';
import { PluginError } from './errors';
import { dumpTakenAt } from './as-of';
import { loadDump } from './dump';
import { renderJUnit } from './junit';
import { diagnoseLocally } from './local';
import { explainCode, renderIntents, renderList, renderResult, resultOfRequest, type IntentRow } from './render';
import { exitCodeOf, type TriageResult } from './result';

/** Where a command writes, and what it knows of its terminal: injected, so commands are tested without a TTY. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly now: () => Date;
  /** Aborted on Ctrl-C: a wait stops and the request it created is cleaned up. */
  readonly signal: AbortSignal;
}

function colourOn(options: CommonOptions, io: Io): boolean {
  if (options.colour !== 'auto') return options.colour === 'always';
  return io.stdoutIsTTY && (process.env.NO_COLOR ?? '') === '';
}

function print(results: readonly TriageResult[], options: CommonOptions, io: Io): void {
  const format: Output = options.output;
  if (format === 'junit') io.out(renderJUnit(results));
  else if (format === 'json') io.out(`${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`);
  else if (format === 'yaml') io.out(yaml.dump(results.length === 1 ? results[0] : results, { noRefs: true, lineWidth: -1 }));
  else io.out(`${results.map((r) => renderResult(r, { colour: colourOn(options, io) })).join('\n\n')}\n`);
}

export async function runCommand(command: Command, io: Io): Promise<number> {
  switch (command.name) {
    case 'help':
    case 'version':
      io.out(command.name === 'help' ? USAGE : `kubectl-triage ${packageJson.version}\n`);
      return 0;
    case 'explain':
      return explain(command.code, io);
    case 'intents':
      return intents(command, io);
    case 'show':
      return show(command, io);
    case 'list':
      return list(command, io);
    case 'triage':
      return triage(command, io);
    case 'mcp':
      // Loaded only for this command: the MCP SDK and its HTTP stack would slow every other one.
      return (await import('./mcp.js')).serveMcp(command, io);
  }
}

function explain(code: string, io: Io): number {
  const answer = explainCode(code);
  if ('text' in answer) {
    io.out(`${answer.text}\n`);
    return 0;
  }
  io.err(
    `kubectl-triage: no root-cause code ${code}; did you mean ${answer.suggestions.join(', ')}? (kubectl triage explain CODE; docs/codes.md lists them all)\n`,
  );
  return 2;
}

// client-node takes over a second to load: only commands that reach a cluster load it (explain and --from-file never do).
const clusterApi = () => import('./cluster.js');

/** The built-in intents, and the cluster's TriageTemplates when it can be read (an override replaces a built-in's row). */
export async function intentRows(options: Pick<CommonOptions, 'kubeconfig' | 'context'>, io: Pick<Io, 'err'>, config?: KubeConfig): Promise<IntentRow[]> {
  const rows = new Map<string, IntentRow>(
    BUILT_IN_INTENT_NAMES.map((name) => [
      name,
      { name, source: 'BuiltIn', targetKinds: BUILT_IN_INTENTS[name].targetKinds, description: BUILT_IN_INTENTS[name].description },
    ]),
  );
  try {
    const { loadKubeConfig, PluginCluster } = await clusterApi();
    const cluster = new PluginCluster(config ?? loadKubeConfig(options));
    const templates = await cluster.call('list TriageTemplates', () =>
      cluster.client.listAll<{ metadata: { name: string }; spec?: { description?: string; targetKinds?: string[] } }>(
        `/apis/${GROUP}/${VERSION}/triagetemplates`,
      ),
    );
    for (const t of templates.items)
      rows.set(t.metadata.name, {
        name: t.metadata.name,
        source: isBuiltInIntent(t.metadata.name) ? 'Override' : 'Custom',
        targetKinds: t.spec?.targetKinds ?? [],
        description: t.spec?.description ?? '',
      });
  } catch (error: unknown) {
    io.err(`kubectl-triage: built-in intents only (${error instanceof Error ? error.message : String(error)})\n`);
  }
  return [...rows.values()];
}

async function intents(options: CommonOptions, io: Io): Promise<number> {
  const all = await intentRows(options, io);
  if (options.output === 'json' || options.output === 'yaml')
    io.out(options.output === 'json' ? `${JSON.stringify(all, null, 2)}\n` : yaml.dump(all, { lineWidth: -1 }));
  else io.out(`${renderIntents(all)}\n`);
  return 0;
}

async function show(command: CommonOptions & { readonly request: string }, io: Io): Promise<number> {
  const { contextNamespace, loadKubeConfig, PluginCluster } = await clusterApi();
  const config = loadKubeConfig(command);
  const cluster = new PluginCluster(config);
  const result = resultOfRequest(await cluster.getRequest(command.namespace ?? contextNamespace(config), command.request));
  print([result], command, io);
  return exitCodeOf(result.verdict);
}

async function list(command: CommonOptions & { readonly allNamespaces: boolean }, io: Io): Promise<number> {
  const { contextNamespace, loadKubeConfig, PluginCluster } = await clusterApi();
  const config = loadKubeConfig(command);
  const requests = await new PluginCluster(config).listRequests(command.allNamespaces ? undefined : (command.namespace ?? contextNamespace(config)));
  if (command.output === 'text') io.out(`${renderList(requests, command.allNamespaces, io.now())}\n`);
  else print(requests.map(resultOfRequest), command, io);
  return 0;
}

export type TriageCommand = Extract<Command, { name: 'triage' }>;

async function triage(command: TriageCommand, io: Io): Promise<number> {
  const result = command.fromFile !== undefined ? await triageFile(command, command.fromFile, io) : await triageCluster(command, io);
  print([result], command, io);
  return exitCodeOf(result.verdict);
}

/** What the request names: the target, or the namespace itself when none is given. */
function specOf(target: { kind: TargetKind; name: string } | undefined, namespace: string, intent: string) {
  return { intent, target: target ?? { kind: 'Namespace' as const, name: namespace } };
}

async function triageFile(command: TriageCommand, file: string, io: Io): Promise<TriageResult> {
  const started = Date.now();
  const dump = loadDump(file);
  const summary = dump.summary();
  io.err(
    `Read ${summary.objects} objects (${Object.keys(summary.kinds).length} kinds, ${summary.skipped} skipped) from ${file} in ${Date.now() - started} ms\n`,
  );
  const namespace =
    command.target?.kind === 'Namespace'
      ? command.target.name
      : (command.namespace ?? (summary.namespaces.length === 1 ? summary.namespaces[0] : undefined) ?? 'default');
  const target = command.target;
  // Cluster-scoped objects (nodes) are filed without a namespace.
  const object = target === undefined ? undefined : dump.get(target.kind, target.name, isClusterScoped(target.kind) ? undefined : namespace);
  const intent = command.intent ?? announceChoice(target, object, io);
  const asOf = command.asOf ?? dumpTakenAt(dump) ?? io.now();
  io.err(`Diagnosed as of ${asOf.toISOString()} (${command.asOf === undefined ? "the dump's newest timestamp" : '--as-of'})\n`);
  return diagnoseLocally({
    namespace,
    spec: specOf(command.target, namespace, intent),
    snapshotFor: () => Promise.resolve(dump),
    templates: dump,
    source: 'file',
    now: () => asOf,
    signal: io.signal,
  });
}

function announceChoice(target: { kind: TargetKind; name: string } | undefined, object: Parameters<typeof chooseIntent>[1], io: Io): string {
  const choice = chooseIntent(target?.kind ?? 'Namespace', object);
  io.err(`Intent ${choice.intent} (chosen for ${choice.reason}; --intent picks another)\n`);
  return choice.intent;
}

/** A triage against the cluster: by the operator (a TriageRequest created, waited for, deleted unless kept) or, with `local`, here. */
export async function triageCluster(command: TriageCommand, io: Io, given?: KubeConfig): Promise<TriageResult> {
  const { contextNamespace, loadKubeConfig, PluginCluster } = await clusterApi();
  const config = given ?? loadKubeConfig(command);
  const cluster = new PluginCluster(config);
  const namespace = command.target?.kind === 'Namespace' ? command.target.name : (command.namespace ?? contextNamespace(config));
  const intent =
    command.intent ??
    announceChoice(
      command.target,
      command.target === undefined ? undefined : await cluster.readObject(command.target.kind, command.target.name, namespace),
      io,
    );
  const spec = specOf(command.target, namespace, intent);
  if (command.local) return triageLocally(cluster, namespace, spec, io);
  return triageByOperator(cluster, namespace, spec, command, io);
}

/** Kinds the plugin lists for a local run: what the operator caches, less its own kinds (the one template needed is read by name). */
const LOCAL_KINDS = WATCHED_KINDS.filter((kind) => kind.group !== 'triage.dev');

async function triageLocally(cluster: PluginCluster, namespace: string, spec: ReturnType<typeof specOf>, io: Io): Promise<TriageResult> {
  // The template decides how far the run reaches (and so what is listed): read it first, as the operator would find it.
  const template = await cluster.readTemplate(spec.intent);
  const templates = { get: (kind: string, name: string) => (kind === 'TriageTemplate' && name === spec.intent ? template : undefined) };
  const snapshotFor = async (scope: string | undefined): Promise<ClusterSnapshot> => {
    const started = Date.now();
    const { ListingSnapshot } = await import('../kube/listing-snapshot.js');
    const listed = await ListingSnapshot.fetch(cluster.client, LOCAL_KINDS, scope);
    io.err(`Listed ${LOCAL_KINDS.length} kinds ${scope === undefined ? 'across all namespaces' : `in namespace ${scope}`} in ${Date.now() - started} ms\n`);
    return listed;
  };
  return diagnoseLocally({ namespace, spec, snapshotFor, templates, source: 'local', now: io.now, signal: io.signal });
}

/** A DNS-label-safe name from the target and a random suffix: `pod-orders-db-0-x7k2q`, known before the create so a create that times out can still be cleaned up. */
function requestNameOf(spec: ReturnType<typeof specOf>): string {
  const base = `${spec.target.kind}-${spec.target.name}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  // The apiserver's generateName alphabet: no vowels, no look-alike digits.
  const suffix = Array.from(randomBytes(5), (byte) => 'bcdfghjklmnpqrstvwxz2456789'[byte % 27]).join('');
  return `${base.slice(0, 50).replace(/-+$/, '')}-${suffix}`;
}

async function triageByOperator(
  cluster: PluginCluster,
  namespace: string,
  spec: ReturnType<typeof specOf>,
  command: TriageCommand,
  io: Io,
): Promise<TriageResult> {
  const name = requestNameOf(spec);
  const cleanUp = async () => {
    await cluster.deleteRequest(namespace, name).catch((error: unknown) => {
      io.err(`kubectl-triage: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  };
  try {
    await cluster.createRequest(namespace, name, spec);
  } catch (error: unknown) {
    // The apiserver may have committed a create whose answer was lost: delete by name (absent is fine).
    if (!command.keep) await cleanUp();
    throw error;
  }
  io.err(`Created TriageRequest ${namespace}/${name}\n`);
  try {
    const answered = await waitForVerdict(cluster, namespace, name, command.timeoutSeconds * 1000, io);
    if (!command.keep) await waitForAnnouncement(cluster, answered, io);
    return resultOfRequest(answered);
  } finally {
    if (command.keep) io.err(`Kept TriageRequest ${namespace}/${name} (kubectl triage show tr/${name} -n ${namespace})\n`);
    else await cleanUp();
  }
}

/**
 * The operator writes the transition's Events (on the request and on the diagnosed object) just after
 * the status: deleting the request at once could cut that short, so wait briefly for announcedTransitions.
 */
async function waitForAnnouncement(cluster: PluginCluster, answered: TriageRequestObject, io: Io): Promise<void> {
  const deadline = Date.now() + 3000;
  let request = answered;
  while ((request.status?.announcedTransitions ?? 0) < (request.status?.transitions ?? 0) && Date.now() < deadline && !io.signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    request = await cluster.getRequest(request.metadata.namespace ?? '', request.metadata.name ?? '');
  }
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Polls until the operator has answered the request's generation; a spinner on a terminal, nothing otherwise. */
async function waitForVerdict(cluster: PluginCluster, namespace: string, name: string, timeoutMs: number, io: Io): Promise<TriageRequestObject> {
  const deadline = Date.now() + timeoutMs;
  for (let tick = 0; ; tick++) {
    const request = await cluster.getRequest(namespace, name);
    const status = request.status;
    if (status?.verdict !== undefined && status.observedGeneration === request.metadata.generation) {
      if (io.stderrIsTTY) io.err('\r\u001b[K');
      return request;
    }
    if (io.signal.aborted) throw new PluginError('interrupted');
    if (Date.now() > deadline)
      throw new PluginError(
        `no verdict for TriageRequest ${namespace}/${name} after ${timeoutMs / 1000} s: is the operator running (kubectl get pods -A -l app.kubernetes.io/name=triage-operator)? kubectl triage --local diagnoses without it`,
      );
    if (io.stderrIsTTY)
      io.err(`\r${SPINNER[tick % SPINNER.length] ?? ''} waiting for the operator's verdict (${Math.floor((timeoutMs - (deadline - Date.now())) / 1000)} s)`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
