import os from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { LOG_LEVELS } from './logger';

const bindAddress = z
  .string()
  .regex(/^[^:]*:\d{1,5}$/, 'must be host:port, e.g. :8080 or 127.0.0.1:8080')
  .describe('host:port');

const commaList = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item !== ''));

const boolString = z.enum(['true', 'false']).transform((value) => value === 'true');

/** Operator settings. Each comes from a flag, else its environment variable, else the default. */
export const OperatorConfig = z.object({
  kubeconfig: z.string().optional().describe('Path to a kubeconfig; default: KUBECONFIG, then in-cluster.'),
  leaderElect: boolString.default(false).describe('Take a Lease before reconciling (needed with more than one replica).'),
  leaderElectionNamespace: z.string().min(1).default('triage-system'),
  leaderElectionId: z.string().min(1).default('triage-operator'),
  identity: z.string().min(1).describe('This process in the Lease and in Events: the pod name in a cluster.'),
  trustedNamespaces: commaList.default([]).describe('Namespaces whose requests may target other namespaces or the cluster.'),
  metricsBindAddress: bindAddress.default(':8080'),
  healthProbeBindAddress: bindAddress.default(':8081'),
  concurrency: z.coerce.number().int().min(1).max(64).default(2).describe('Reconciles in parallel.'),
  resyncSeconds: z.coerce.number().int().min(1).max(86_400).default(600).describe('Re-queue every request this often.'),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  snapshotSource: z
    .enum(['cache', 'list'])
    .default('cache')
    .describe('cache: informer caches (zero LIST per triage); list: LIST per triage, the benchmark baseline.'),
  watchSecretMetadata: boolString.default(false).describe('Cache Secret metadata (never content) to prove TLSSecretNotFound; needs config/rbac/secret-metadata.'),
});
export type OperatorConfig = z.infer<typeof OperatorConfig>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const FLAGS = {
  kubeconfig: { flag: 'kubeconfig', env: 'KUBECONFIG' },
  leaderElect: { flag: 'leader-elect', env: 'LEADER_ELECT' },
  leaderElectionNamespace: { flag: 'leader-election-namespace', env: 'POD_NAMESPACE' },
  leaderElectionId: { flag: 'leader-election-id', env: 'LEADER_ELECTION_ID' },
  identity: { flag: 'identity', env: 'POD_NAME' },
  trustedNamespaces: { flag: 'trusted-namespaces', env: 'TRUSTED_NAMESPACES' },
  metricsBindAddress: { flag: 'metrics-bind-address', env: 'METRICS_BIND_ADDRESS' },
  healthProbeBindAddress: { flag: 'health-probe-bind-address', env: 'HEALTH_PROBE_BIND_ADDRESS' },
  concurrency: { flag: 'concurrency', env: 'CONCURRENCY' },
  resyncSeconds: { flag: 'resync-seconds', env: 'RESYNC_SECONDS' },
  logLevel: { flag: 'log-level', env: 'LOG_LEVEL' },
  watchSecretMetadata: { flag: 'watch-secret-metadata', env: 'WATCH_SECRET_METADATA' },
  snapshotSource: { flag: 'snapshot-source', env: 'SNAPSHOT_SOURCE' },
} as const satisfies Record<keyof OperatorConfig, { flag: string; env: string }>;

/** Reads flags (`--name=value` or `--name value`) and environment; errors name the flag at fault. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): OperatorConfig {
  let values: Record<string, string | undefined>;
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(Object.values(FLAGS).map(({ flag }) => [flag, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    });
    values = parsed.values;
  } catch (error: unknown) {
    throw new ConfigError([error instanceof Error ? error.message : String(error)]);
  }
  const raw: Record<string, string | undefined> = {};
  for (const [field, { flag, env: variable }] of Object.entries(FLAGS)) {
    const value = values[flag] ?? env[variable];
    if (value !== undefined && value !== '') raw[field] = value;
  }
  raw.identity ??= `${os.hostname()}-${process.pid}`;
  const result = OperatorConfig.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const field = String(issue.path[0]) as keyof typeof FLAGS;
        const source = FLAGS[field];
        return `--${source.flag} (env ${source.env}): ${issue.message}`;
      }),
    );
  }
  return result.data;
}
