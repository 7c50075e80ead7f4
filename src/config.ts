import os from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { LOG_LEVELS } from './logger';

const bindAddress = z.string().regex(/^[^:]*:\d{1,5}$/, 'must be host:port, e.g. :8080 or 127.0.0.1:8080');

const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== ''),
);

/** A boolean setting: `true` or `false` in the environment; on the command line also a bare `--flag` or `--no-flag`. */
const boolString = z.enum(['true', 'false']).transform((value) => value === 'true');

/** Operator settings. Each comes from a flag, else its environment variable, else the default. */
export const OperatorConfig = z
  .object({
    kubeconfig: z.string().optional().describe('Path to a kubeconfig (several, colon-separated, from the environment).'),
    leaderElect: boolString.default(false).describe('Take a Lease before reconciling (needed with more than one replica).'),
    leaderElectionNamespace: z.string().min(1).default('triage-system').describe('Namespace of the Lease.'),
    leaderElectionId: z.string().min(1).default('triage-operator').describe('Name of the Lease.'),
    identity: z.string().min(1).describe('This process in the Lease and in Events: the pod name in a cluster.'),
    trustedNamespaces: commaList.default([]).describe('Comma-separated namespaces whose requests may target other namespaces, nodes or the cluster.'),
    metricsBindAddress: bindAddress.default(':8080').describe('host:port of the Prometheus /metrics endpoint.'),
    healthProbeBindAddress: bindAddress.default(':8081').describe('host:port of the /healthz and /readyz probes.'),
    mcpBindAddress: z
      .string()
      .regex(/^([^:]*:)?\d{1,5}$/, 'must be host:port or a port, e.g. 127.0.0.1:8090 or 8090')
      .refine((address) => isPort(portOf(address)), 'the port must be 1 to 65535')
      .optional()
      .describe(
        'Serve the MCP tools over streamable HTTP at /mcp on host:port (a port alone: 127.0.0.1); callers send their own Kubernetes bearer token. Loopback only unless --mcp-allow-remote.',
      ),
    mcpAllowRemote: boolString
      .default(false)
      .describe('Let --mcp-bind-address be a non-loopback host: callers send bearer tokens over plain HTTP, so put TLS in front (an ingress or mesh).'),
    alertReceiverBindAddress: z
      .string()
      .regex(/^([^:]*:)?\d{1,5}$/, 'must be host:port or a port, e.g. 127.0.0.1:9094 or 9094')
      .refine((address) => isPort(portOf(address)), 'the port must be 1 to 65535')
      .optional()
      .describe(
        'Receive Alertmanager webhooks at /alerts on host:port (a port alone: 127.0.0.1): each firing alert it can map becomes a TriageRequest. Needs --alert-receiver-token-file.',
      ),
    alertReceiverTokenFile: z
      .string()
      .min(1)
      .optional()
      .describe('File holding the bearer token Alertmanager sends to the receiver (never logged); needed unless --alert-receiver-client-ca-file.'),
    alertReceiverTlsCertFile: z
      .string()
      .min(1)
      .optional()
      .describe('PEM certificate (chain) of the receiver: it serves HTTPS; with --alert-receiver-tls-key-file.'),
    alertReceiverTlsKeyFile: z.string().min(1).optional().describe('PEM private key of --alert-receiver-tls-cert-file.'),
    alertReceiverClientCaFile: z
      .string()
      .min(1)
      .optional()
      .describe('PEM CA bundle: every caller must present a client certificate it signed (needs the TLS certificate and key).'),
    alertMappingFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'YAML or JSON file of alert mappings ({mappings: [{alertname, kind, nameLabel, namespaceLabel, intent}]}) added to the kube-prometheus defaults.',
      ),
    alertClusterNamespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a namespace name')
      .default('triage-system')
      .describe('Namespace of the requests for alerts on cluster-scoped targets (Nodes); it must be one of --trusted-namespaces.'),
    alertResolvedDelaySeconds: z.coerce
      .number()
      .int()
      .min(1)
      .max(604_800)
      .default(600)
      .describe("Remove an alert's TriageRequest this long after the alert resolves."),
    concurrency: z.coerce.number().int().min(1).max(64).default(2).describe('Reconciles in parallel (1 to 64).'),
    resyncSeconds: z.coerce
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(600)
      .describe('Re-check every request this often; nothing is rewritten unless it changed.'),
    logLevel: z.enum(LOG_LEVELS).default('info').describe('Log verbosity.'),
    snapshotSource: z
      .enum(['cache', 'list'])
      .default('cache')
      .describe('cache: informer caches (zero LIST per triage); list: LIST per triage, the benchmark baseline.'),
    trimCaches: boolString.default(true).describe('Cache only the fields the checks and anchors read (ADR 0011); false caches whole objects, for comparison.'),
    watchSecretMetadata: boolString
      .default(false)
      .describe('Cache Secret metadata (never content) to prove TLSSecretNotFound; needs config/rbac/secret-metadata.'),
    clusterName: z
      .string()
      .regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'must be 1 to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit')
      .optional()
      .describe("This cluster's name in what leaves it: the cluster field of sink payloads and the Slack title, so a fleet's collector tells clusters apart."),
    policyReports: boolString
      .default(false)
      .describe(
        "Publish each namespace's TriageRequests as a wgpolicyk8s.io PolicyReport named triage-operator; needs its CRD and config/rbac/policy-reports.",
      ),
  })
  .superRefine((config, context) => {
    // The receiver creates requests for whoever can reach it: never without a token or a client certificate.
    if (config.alertReceiverBindAddress !== undefined && config.alertReceiverTokenFile === undefined && config.alertReceiverClientCaFile === undefined)
      context.addIssue({
        code: 'custom',
        path: ['alertReceiverTokenFile'],
        message: 'required with --alert-receiver-bind-address (unless --alert-receiver-client-ca-file): the receiver never runs without authentication',
      });
    if ((config.alertReceiverTlsCertFile === undefined) !== (config.alertReceiverTlsKeyFile === undefined))
      context.addIssue({ code: 'custom', path: ['alertReceiverTlsKeyFile'], message: 'the TLS certificate and key go together: set both or neither' });
    if (config.alertReceiverClientCaFile !== undefined && config.alertReceiverTlsCertFile === undefined)
      context.addIssue({
        code: 'custom',
        path: ['alertReceiverClientCaFile'],
        message: 'client certificates need TLS: set --alert-receiver-tls-cert-file and --alert-receiver-tls-key-file',
      });
    // Callers send their Kubernetes tokens in clear text: off this machine only when TLS is put in front, on purpose.
    const host = config.mcpBindAddress === undefined ? '' : hostOf(config.mcpBindAddress);
    if (!config.mcpAllowRemote && !isLoopbackHost(host))
      context.addIssue({
        code: 'custom',
        path: ['mcpBindAddress'],
        message: `${host} is not a loopback address: callers' bearer tokens would cross the network in clear text; bind 127.0.0.1 (kubectl port-forward reaches it), or put TLS in front and set --mcp-allow-remote`,
      });
  });
export type OperatorConfig = z.infer<typeof OperatorConfig>;

/** The host of a bind address ('' for a port alone, which binds loopback). */
export function hostOf(bindAddress: string): string {
  const colon = bindAddress.lastIndexOf(':');
  return colon < 0 ? '' : bindAddress.slice(0, colon);
}

function portOf(bindAddress: string): number {
  return Number(bindAddress.slice(bindAddress.lastIndexOf(':') + 1));
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65_535;
}

/** Whether a bind host is this machine alone: empty (a port alone), localhost or 127.0.0.0/8. */
export function isLoopbackHost(host: string): boolean {
  return host === '' || host === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

interface SettingFlag {
  /** `--flag` on the command line. */
  readonly flag: string;
  /** The environment variable read when the flag is absent. */
  readonly env: string;
  /** What the value is, in `--help` (an enum lists its choices instead, a boolean takes none). */
  readonly value: string;
  /** The default in words, for a setting whose schema has none to show (it is computed at start). */
  readonly defaultText?: string;
}

/** The one flag table: `--help`, the README's table (checked by a test) and parsing all come from it and the schema above. */
export const FLAGS = {
  kubeconfig: { flag: 'kubeconfig', env: 'KUBECONFIG', value: 'path', defaultText: '~/.kube/config, else in-cluster' },
  leaderElect: { flag: 'leader-elect', env: 'LEADER_ELECT', value: 'bool' },
  leaderElectionNamespace: { flag: 'leader-election-namespace', env: 'POD_NAMESPACE', value: 'namespace' },
  leaderElectionId: { flag: 'leader-election-id', env: 'LEADER_ELECTION_ID', value: 'name' },
  identity: { flag: 'identity', env: 'POD_NAME', value: 'name', defaultText: '<hostname>-<pid>' },
  trustedNamespaces: { flag: 'trusted-namespaces', env: 'TRUSTED_NAMESPACES', value: 'ns1,ns2' },
  metricsBindAddress: { flag: 'metrics-bind-address', env: 'METRICS_BIND_ADDRESS', value: 'host:port' },
  healthProbeBindAddress: { flag: 'health-probe-bind-address', env: 'HEALTH_PROBE_BIND_ADDRESS', value: 'host:port' },
  mcpBindAddress: { flag: 'mcp-bind-address', env: 'MCP_BIND_ADDRESS', value: 'host:port', defaultText: 'off' },
  mcpAllowRemote: { flag: 'mcp-allow-remote', env: 'MCP_ALLOW_REMOTE', value: 'bool' },
  alertReceiverBindAddress: { flag: 'alert-receiver-bind-address', env: 'ALERT_RECEIVER_BIND_ADDRESS', value: 'host:port', defaultText: 'off' },
  alertReceiverTokenFile: { flag: 'alert-receiver-token-file', env: 'ALERT_RECEIVER_TOKEN_FILE', value: 'path' },
  alertReceiverTlsCertFile: { flag: 'alert-receiver-tls-cert-file', env: 'ALERT_RECEIVER_TLS_CERT_FILE', value: 'path' },
  alertReceiverTlsKeyFile: { flag: 'alert-receiver-tls-key-file', env: 'ALERT_RECEIVER_TLS_KEY_FILE', value: 'path' },
  alertReceiverClientCaFile: { flag: 'alert-receiver-client-ca-file', env: 'ALERT_RECEIVER_CLIENT_CA_FILE', value: 'path' },
  alertMappingFile: { flag: 'alert-mapping-file', env: 'ALERT_MAPPING_FILE', value: 'path' },
  alertClusterNamespace: { flag: 'alert-cluster-namespace', env: 'ALERT_CLUSTER_NAMESPACE', value: 'namespace' },
  alertResolvedDelaySeconds: { flag: 'alert-resolved-delay-seconds', env: 'ALERT_RESOLVED_DELAY_SECONDS', value: 'seconds' },
  concurrency: { flag: 'concurrency', env: 'CONCURRENCY', value: 'n' },
  resyncSeconds: { flag: 'resync-seconds', env: 'RESYNC_SECONDS', value: 'seconds' },
  logLevel: { flag: 'log-level', env: 'LOG_LEVEL', value: 'level' },
  snapshotSource: { flag: 'snapshot-source', env: 'SNAPSHOT_SOURCE', value: 'source' },
  trimCaches: { flag: 'trim-caches', env: 'TRIM_CACHES', value: 'bool' },
  watchSecretMetadata: { flag: 'watch-secret-metadata', env: 'WATCH_SECRET_METADATA', value: 'bool' },
  policyReports: { flag: 'policy-reports', env: 'POLICY_REPORTS', value: 'bool' },
  clusterName: { flag: 'cluster-name', env: 'CLUSTER_NAME', value: 'name', defaultText: 'none' },
} as const satisfies Record<keyof OperatorConfig, SettingFlag>;

/** Flags that do something else instead of running the operator; they have no environment variable. */
export const ACTIONS = {
  help: { flag: 'help', short: 'h', description: 'Print this help and exit.' },
  version: { flag: 'version', description: 'Print the name and version and exit.' },
} as const satisfies Record<string, { flag: string; short?: string; description: string }>;
export type Action = keyof typeof ACTIONS;

/** What the command line asks for: run with these settings, or one of the ACTIONS. */
export type Command = { readonly action: 'run'; readonly config: OperatorConfig } | { readonly [A in Action]: { readonly action: A } }[Action];

/** One row of the flag table, as `--help` and the README show it. */
export interface FlagRow {
  readonly flag: string;
  readonly short?: string;
  /** Absent for action flags. */
  readonly env?: string;
  /** Absent for action flags; `none` for an empty list. */
  readonly default?: string;
  /** `<value>` after `--flag=`; absent for action flags; `[=true|false]` for booleans. */
  readonly value?: string;
  readonly boolean: boolean;
  readonly description: string;
}

type Field = keyof typeof FLAGS;
const FIELDS = Object.keys(FLAGS) as Field[];

/** The schema under `.default()` / `.optional()`. */
function unwrap(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) return unwrap(schema.unwrap() as z.ZodType);
  return schema;
}

function isBoolean(field: Field): boolean {
  return unwrap(OperatorConfig.shape[field]) === boolString;
}

function defaultOf(field: Field): string {
  const spec: SettingFlag = FLAGS[field];
  if (spec.defaultText !== undefined) return spec.defaultText;
  const schema = OperatorConfig.shape[field];
  if (!(schema instanceof z.ZodDefault)) return 'none';
  const value: unknown = schema.def.defaultValue;
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(',');
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

function valueOf(field: Field): string {
  if (isBoolean(field)) return 'true|false';
  const inner = unwrap(OperatorConfig.shape[field]);
  if (inner instanceof z.ZodEnum) return inner.options.join('|');
  return FLAGS[field].value;
}

/** Every flag, in table order: settings first, then actions. */
export function flagTable(): FlagRow[] {
  const settings = FIELDS.map((field): FlagRow => {
    const description = OperatorConfig.shape[field].description;
    // A setting without a description is a bug the unit tests catch; never print "undefined".
    return {
      flag: FLAGS[field].flag,
      env: FLAGS[field].env,
      default: defaultOf(field),
      value: valueOf(field),
      boolean: isBoolean(field),
      description: description ?? '',
    };
  });
  const actions = Object.values(ACTIONS).map((action): FlagRow => ({
    flag: action.flag,
    ...('short' in action ? { short: action.short } : {}),
    boolean: false,
    description: action.description,
  }));
  return [...settings, ...actions];
}

/** `--help`: generated from the flag table, so it cannot disagree with what is parsed. */
export function usage(program: { readonly name: string; readonly description: string }): string {
  const lines = [
    `Usage: ${program.name} [flags]`,
    '',
    program.description,
    '',
    'Each setting comes from its flag, else its environment variable, else the default.',
    'A boolean flag alone means true (--leader-elect); --no-leader-elect means false.',
    '',
    'Flags:',
  ];
  for (const row of flagTable()) {
    const name = `${row.short === undefined ? '' : `-${row.short}, `}--${row.flag}`;
    const value = row.value === undefined ? '' : row.boolean ? `[=${row.value}]` : `=<${row.value}>`;
    lines.push(`  ${name}${value}`);
    if (row.env !== undefined) lines.push(`        env ${row.env}; default: ${row.default ?? 'none'}`);
    lines.push(`        ${row.description}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `--flag` alone → `--flag=true`, `--no-flag` → `--flag=false`, for boolean settings; stops at `--`. */
function expandBooleans(argv: readonly string[]): string[] {
  const booleans = new Set<string>(FIELDS.filter(isBoolean).map((field) => FLAGS[field].flag));
  const end = argv.indexOf('--');
  return argv.map((arg, index) => {
    if ((end !== -1 && index >= end) || !arg.startsWith('--')) return arg;
    if (booleans.has(arg.slice(2))) return `${arg}=true`;
    if (arg.startsWith('--no-') && booleans.has(arg.slice(5))) return `--${arg.slice(5)}=false`;
    return arg;
  });
}

/**
 * Reads flags (`--name=value` or `--name value`; a boolean also alone) and environment; errors name the
 * flag at fault and its variable. An action flag (`--help`, `--version`) wins over everything else.
 */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: expandBooleans(argv),
      options: {
        ...Object.fromEntries(Object.values(FLAGS).map(({ flag }) => [flag, { type: 'string' as const }])),
        [ACTIONS.help.flag]: { type: 'boolean', short: ACTIONS.help.short },
        [ACTIONS.version.flag]: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    });
    values = parsed.values;
  } catch (error: unknown) {
    throw new ConfigError([error instanceof Error ? error.message : String(error)]);
  }
  if (values[ACTIONS.help.flag] === true) return { action: 'help' };
  if (values[ACTIONS.version.flag] === true) return { action: 'version' };
  const raw: Record<string, string | undefined> = {};
  for (const field of FIELDS) {
    const { flag, env: variable } = FLAGS[field];
    const fromFlag = values[flag];
    const value = typeof fromFlag === 'string' ? fromFlag : env[variable];
    if (value !== undefined && value !== '') raw[field] = value;
  }
  raw.identity ??= `${os.hostname()}-${process.pid}`;
  const result = OperatorConfig.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const source = FLAGS[String(issue.path[0]) as Field];
        return `--${source.flag} (env ${source.env}): ${issue.message}`;
      }),
    );
  }
  return { action: 'run', config: result.data };
}

/** The settings alone; an action flag is an error here (main() handles those through parseCommandLine). */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): OperatorConfig {
  const command = parseCommandLine(argv, env);
  if (command.action !== 'run') throw new ConfigError([`--${command.action} is an action, not a setting`]);
  return command.config;
}
