import { parseArgs } from 'node:util';
import { TARGET_KINDS, type TargetKind } from '../crds/intents';
import { PluginError } from './errors';

export const OUTPUTS = ['text', 'json', 'yaml', 'junit'] as const;
export type Output = (typeof OUTPUTS)[number];

export interface CommonOptions {
  readonly namespace?: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly output: Output;
  readonly colour: 'auto' | 'always' | 'never';
}

export type Command =
  | { readonly name: 'help' }
  | { readonly name: 'version' }
  | (CommonOptions & {
      readonly name: 'triage';
      /** Undefined: the namespace itself. */
      readonly target?: { readonly kind: TargetKind; readonly name: string };
      readonly intent?: string;
      readonly keep: boolean;
      readonly local: boolean;
      readonly fromFile?: string;
      /** The moment a dump is diagnosed at (default: its newest timestamp). */
      readonly asOf?: Date;
      readonly timeoutSeconds: number;
    })
  | (CommonOptions & { readonly name: 'show'; readonly request: string })
  | (CommonOptions & { readonly name: 'list'; readonly allNamespaces: boolean })
  | (CommonOptions & { readonly name: 'explain'; readonly code: string })
  | (CommonOptions & { readonly name: 'intents' })
  | (CommonOptions & { readonly name: 'mcp' });

/** kubectl's short names and plurals for the kinds a triage can target. */
// prettier-ignore
const KIND_ALIASES: Readonly<Record<string, TargetKind>> = {
  po: 'Pod', pod: 'Pod', pods: 'Pod',
  pvc: 'PersistentVolumeClaim', persistentvolumeclaim: 'PersistentVolumeClaim', persistentvolumeclaims: 'PersistentVolumeClaim',
  ing: 'Ingress', ingress: 'Ingress', ingresses: 'Ingress',
  svc: 'Service', service: 'Service', services: 'Service',
  deploy: 'Deployment', deployment: 'Deployment', deployments: 'Deployment',
  sts: 'StatefulSet', statefulset: 'StatefulSet', statefulsets: 'StatefulSet',
  ds: 'DaemonSet', daemonset: 'DaemonSet', daemonsets: 'DaemonSet',
  rs: 'ReplicaSet', replicaset: 'ReplicaSet', replicasets: 'ReplicaSet',
  job: 'Job', jobs: 'Job',
  cj: 'CronJob', cronjob: 'CronJob', cronjobs: 'CronJob',
  no: 'Node', node: 'Node', nodes: 'Node',
  ns: 'Namespace', namespace: 'Namespace', namespaces: 'Namespace',
  hpa: 'HorizontalPodAutoscaler', horizontalpodautoscaler: 'HorizontalPodAutoscaler', horizontalpodautoscalers: 'HorizontalPodAutoscaler',
  gtw: 'Gateway', gateway: 'Gateway', gateways: 'Gateway',
  httproute: 'HTTPRoute', httproutes: 'HTTPRoute',
};

export const USAGE = `kubectl triage: why is this stuck? A root cause with its proof and safe next actions.

Usage:
  kubectl triage [KIND/NAME] [-n NAMESPACE] [--intent INTENT]   triage an object (or the namespace) and wait for the verdict
  kubectl triage show [tr/]NAME                                  print a TriageRequest's result
  kubectl triage list [-A]                                       TriageRequests with their verdicts and findings by severity
  kubectl triage explain CODE                                    what a root-cause code means
  kubectl triage intents                                         the intents this cluster (or this plugin) knows
  kubectl triage mcp                                             serve the tools to an AI assistant over stdio (MCP)

Triage options:
  --intent INTENT         default: chosen from the target's kind and state (a Pending pod: scheduling-failures, ...)
  --local                 run the diagnosis here over a one-time read of the cluster (no operator needed)
  --from-file PATH        run it over a 'kubectl get -o yaml' dump or a must-gather directory, offline
  --as-of TIME            with --from-file: diagnose as of this RFC 3339 time (default: the dump's newest timestamp)
  --keep                  keep the TriageRequest created (default: deleted once read)
  --timeout SECONDS       how long to wait for the operator's verdict (default 60)
Common options:
  -n, --namespace NS      default: the kubeconfig context's namespace
  -A, --all-namespaces    (list)
  -o, --output FORMAT     text (default), json, yaml or junit
  --color auto|always|never
  --kubeconfig PATH, --context NAME

Exit status: 0 Healthy, 1 RootCauseFound, 2 Inconclusive or any error.
`;

/** A Kubernetes object name (DNS subdomain): a name goes into a request path, so nothing else may pass. */
export function isObjectName(name: string): boolean {
  return name.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name);
}

/** `kind/name` as kubectl spells it: short names, plurals and any case. */
export function parseTarget(text: string): { kind: TargetKind; name: string } {
  const slash = text.indexOf('/');
  const kindText = slash < 0 ? '' : text.slice(0, slash).split('.')[0]?.toLowerCase();
  const name = text.slice(slash + 1);
  const kind = kindText === undefined ? undefined : KIND_ALIASES[kindText];
  if (slash < 0 || kind === undefined || name === '')
    throw new PluginError(`"${text}" is not KIND/NAME of a kind triage reads (${TARGET_KINDS.join(', ')}; short names such as po, pvc, deploy work)`);
  if (!isObjectName(name)) throw new PluginError(`"${name}" is not a Kubernetes object name (lowercase letters, digits, '-' and '.', at most 253)`);
  return { kind, name };
}

function common(values: Record<string, string | boolean | undefined>): CommonOptions {
  const output = (values.output as string | undefined) ?? 'text';
  if (!(OUTPUTS as readonly string[]).includes(output)) throw new PluginError(`--output ${output}: must be one of ${OUTPUTS.join(', ')}`);
  const colour = (values.color as string | undefined) ?? 'auto';
  if (colour !== 'auto' && colour !== 'always' && colour !== 'never') throw new PluginError(`--color ${colour}: must be auto, always or never`);
  const text = (key: string) => (typeof values[key] === 'string' ? values[key] : undefined);
  const namespace = text('namespace');
  // A namespace goes into request paths too: a DNS label, as the apiserver requires.
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) throw new PluginError(`--namespace ${namespace}: not a namespace name`);
  return {
    output: output as Output,
    colour,
    ...(text('namespace') === undefined ? {} : { namespace: text('namespace') }),
    ...(text('kubeconfig') === undefined ? {} : { kubeconfig: text('kubeconfig') }),
    ...(text('context') === undefined ? {} : { context: text('context') }),
  };
}

const OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  intent: { type: 'string' },
  output: { type: 'string', short: 'o' },
  keep: { type: 'boolean' },
  local: { type: 'boolean' },
  'from-file': { type: 'string', short: 'f' },
  timeout: { type: 'string' },
  'as-of': { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  color: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** The command line, checked: a mistake is a PluginError that names the flag or argument. */
export function parseCommandLine(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error: unknown) {
    throw new PluginError(error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, '') : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true || positionals[0] === 'help') return { name: 'help' };
  if (values.version === true || positionals[0] === 'version') return { name: 'version' };
  const options = common(values);
  const [first, ...rest] = positionals;
  const one = (what: string): string => {
    if (rest.length !== 1 || rest[0] === undefined) throw new PluginError(`${first ?? ''} takes exactly one argument: ${what}`);
    return rest[0];
  };
  const none = () => {
    if (rest.length > 0) throw new PluginError(`${first ?? ''} takes no argument (got ${rest.join(' ')})`);
  };
  switch (first) {
    case 'show': {
      const request = one('the TriageRequest, tr/NAME').replace(/^(tr|triagerequests?(\.triage\.dev)?)\//i, '');
      if (!isObjectName(request)) throw new PluginError(`"${request}" is not a TriageRequest name`);
      return { ...options, name: 'show', request };
    }
    case 'list':
      none();
      return { ...options, name: 'list', allNamespaces: values['all-namespaces'] === true };
    case 'explain':
      return { ...options, name: 'explain', code: one('a root-cause code such as StorageClassNotFound') };
    case 'intents':
      none();
      return { ...options, name: 'intents' };
    case 'mcp':
      none();
      return { ...options, name: 'mcp' };
    default:
      return triageCommand(options, values, positionals);
  }
}

function triageCommand(options: CommonOptions, values: { [K in keyof typeof OPTIONS]?: string | boolean }, positionals: readonly string[]): Command {
  if (positionals.length > 1) throw new PluginError(`one target at a time (got ${positionals.join(' ')})`);
  const timeoutSeconds = Number(values.timeout ?? '60');
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 3600)
    throw new PluginError(`--timeout ${String(values.timeout)}: whole seconds, 1 to 3600`);
  const fromFile = typeof values['from-file'] === 'string' ? values['from-file'] : undefined;
  if (fromFile !== undefined && values.local === true) throw new PluginError('--local and --from-file: choose one (--from-file reads no cluster at all)');
  const asOfText = typeof values['as-of'] === 'string' ? values['as-of'] : undefined;
  const asOf = asOfText === undefined ? undefined : new Date(asOfText);
  if (asOf !== undefined && (fromFile === undefined || Number.isNaN(asOf.getTime())))
    throw new PluginError(`--as-of ${asOfText ?? ''}: an RFC 3339 time such as 2026-12-01T10:00:00Z, with --from-file only`);
  return {
    ...options,
    name: 'triage',
    ...(positionals[0] === undefined ? {} : { target: parseTarget(positionals[0]) }),
    ...(typeof values.intent === 'string' ? { intent: values.intent } : {}),
    keep: values.keep === true,
    local: values.local === true,
    ...(fromFile === undefined ? {} : { fromFile }),
    ...(asOf === undefined ? {} : { asOf }),
    timeoutSeconds,
  };
}
