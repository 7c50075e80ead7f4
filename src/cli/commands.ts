import type { KubeConfig } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import packageJson from '../../package.json';
import { GROUP, VERSION, type TriageRequestObject } from '../crds/triage-request';
import { BUILT_IN_INTENTS, BUILT_IN_INTENT_NAMES, isBuiltInIntent, type TargetKind } from '../crds/intents';
import { ListingSnapshot } from '../kube/listing-snapshot';
import { WATCHED_KINDS } from '../kube/kinds';
import { chooseIntent } from '../triage/choose-intent';
import type { ClusterSnapshot } from '../triage/snapshot';
import { USAGE, type Command, type CommonOptions, type Output } from './args';
import { contextNamespace, loadKubeConfig, PluginCluster, PluginError } from './cluster';
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

/** The built-in intents, and the cluster's TriageTemplates when it can be read (an override replaces a built-in's row). */
export async function intentRows(options: Pick<CommonOptions, 'kubeconfig' | 'context'>, io: Pick<Io, 'err'>, config?: KubeConfig): Promise<IntentRow[]> {
  const rows = new Map<string, IntentRow>(
    BUILT_IN_INTENT_NAMES.map((name) => [
      name,
      { name, source: 'BuiltIn', targetKinds: BUILT_IN_INTENTS[name].targetKinds, description: BUILT_IN_INTENTS[name].description },
    ]),
  );
  try {
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
  const config = loadKubeConfig(command);
  const cluster = new PluginCluster(config);
  const result = resultOfRequest(await cluster.getRequest(command.namespace ?? contextNamespace(config), command.request));
  print([result], command, io);
  return exitCodeOf(result.verdict);
}

async function list(command: CommonOptions & { readonly allNamespaces: boolean }, io: Io): Promise<number> {
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
  const intent =
    command.intent ??
    announceChoice(command.target, command.target === undefined ? undefined : dump.get(command.target.kind, command.target.name, namespace), io);
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
export async function triageCluster(command: TriageCommand, io: Io, config: KubeConfig = loadKubeConfig(command)): Promise<TriageResult> {
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

/** Kinds the plugin lists for a local run: what the operator caches, less its own requests; Secrets never (even metadata would need list on secrets). */
const LOCAL_KINDS = WATCHED_KINDS.filter((kind) => kind.key !== 'TriageRequest');

async function triageLocally(cluster: PluginCluster, namespace: string, spec: ReturnType<typeof specOf>, io: Io): Promise<TriageResult> {
  let listed: ListingSnapshot | undefined;
  const snapshotFor = async (scope: string | undefined): Promise<ClusterSnapshot> => {
    const started = Date.now();
    listed = await ListingSnapshot.fetch(cluster.client, LOCAL_KINDS, scope);
    io.err(`Listed ${LOCAL_KINDS.length} kinds ${scope === undefined ? 'across all namespaces' : `in namespace ${scope}`} in ${Date.now() - started} ms\n`);
    return listed;
  };
  // Custom templates are read by name, through the same listing once it exists (a template is cluster-scoped).
  const templates = { get: (kind: string, name: string) => listed?.get(kind, name) };
  return diagnoseLocally({ namespace, spec, snapshotFor, templates, source: 'local', now: io.now, signal: io.signal });
}

/** A DNS-label-safe generateName prefix from the target: `pod-orders-db-0-`. */
function generateNameOf(spec: ReturnType<typeof specOf>): string {
  const base = `${spec.target.kind}-${spec.target.name}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  return `${base.slice(0, 50).replace(/-+$/, '')}-`;
}

async function triageByOperator(
  cluster: PluginCluster,
  namespace: string,
  spec: ReturnType<typeof specOf>,
  command: TriageCommand,
  io: Io,
): Promise<TriageResult> {
  const created = await cluster.createRequest(namespace, generateNameOf(spec), spec);
  const name = created.metadata.name ?? '';
  io.err(`Created TriageRequest ${namespace}/${name}\n`);
  try {
    return resultOfRequest(await waitForVerdict(cluster, namespace, name, command.timeoutSeconds * 1000, io));
  } finally {
    if (command.keep) io.err(`Kept TriageRequest ${namespace}/${name} (kubectl triage show tr/${name} -n ${namespace})\n`);
    else
      await cluster.deleteRequest(namespace, name).catch((error: unknown) => {
        io.err(`kubectl-triage: ${error instanceof Error ? error.message : String(error)}\n`);
      });
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
