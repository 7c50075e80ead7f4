import { readFile, stat } from 'node:fs/promises';
import type http from 'node:http';
import yaml from 'js-yaml';
import type { Registry } from 'prom-client';
import type { OperatorConfig } from '../config';
import type { Logger } from '../logger';
import { MappingTable, parseMappingFile, type AlertMapping } from './mapping';
import { startAlertReceiver } from './receiver';
import type { AlertRequestCache, AlertRequestClient } from './requests';

/** A token or mapping file the receiver cannot use: the operator does not start, and says which file and why. */
export class AlertSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertSetupError';
  }
}

/** Files read at start are small; a larger one is a mistake (the wrong path), not something to load. */
const MAX_FILE_BYTES = 1024 * 1024;

async function readSmallFile(path: string, what: string): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new AlertSetupError(`${what} ${path} is not a regular file`);
    if (info.size > MAX_FILE_BYTES) throw new AlertSetupError(`${what} ${path} is over ${MAX_FILE_BYTES} bytes`);
    return await readFile(path, 'utf8');
  } catch (error: unknown) {
    if (error instanceof AlertSetupError) throw error;
    throw new AlertSetupError(`cannot read ${what} ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The receiver's token: the file's content without surrounding whitespace (a trailing newline is common); never logged. */
export async function readToken(path: string): Promise<string> {
  const token = (await readSmallFile(path, 'the alert receiver token file')).trim();
  if (token === '' || /\s/.test(token)) throw new AlertSetupError(`the alert receiver token file ${path} must hold one token, without spaces`);
  return token;
}

/** The admin's mappings from a YAML or JSON file (JSON is YAML). */
export async function readMappingFile(path: string): Promise<AlertMapping[]> {
  const text = await readSmallFile(path, 'the alert mapping file');
  let document: unknown;
  try {
    document = yaml.load(text, { json: true });
  } catch (error: unknown) {
    throw new AlertSetupError(`the alert mapping file ${path} is not YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  try {
    return parseMappingFile(document);
  } catch (error: unknown) {
    throw new AlertSetupError(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Starts the receiver from the operator's settings (--alert-receiver-bind-address must be set); the server stops its timers when closed. */
export async function startConfiguredReceiver(
  config: OperatorConfig,
  deps: {
    readonly client: AlertRequestClient;
    readonly cache: AlertRequestCache & { synced(): boolean };
    readonly logger: Logger;
    readonly registry: Registry;
  },
): Promise<http.Server> {
  const bindAddress = config.alertReceiverBindAddress;
  if (bindAddress === undefined) throw new AlertSetupError('the alert receiver needs --alert-receiver-bind-address');
  const token = config.alertReceiverTokenFile === undefined ? undefined : await readToken(config.alertReceiverTokenFile);
  const { alertReceiverTlsCertFile: certFile, alertReceiverTlsKeyFile: keyFile, alertReceiverClientCaFile: caFile } = config;
  const tls =
    certFile === undefined || keyFile === undefined
      ? undefined
      : {
          cert: await readSmallFile(certFile, 'the alert receiver TLS certificate'),
          key: await readSmallFile(keyFile, 'the alert receiver TLS key'),
          ...(caFile === undefined ? {} : { clientCa: await readSmallFile(caFile, 'the alert receiver client CA') }),
        };
  if (token === undefined && tls?.clientCa === undefined) throw new AlertSetupError('the alert receiver needs a token file or a client CA file');
  const admin = config.alertMappingFile === undefined ? [] : await readMappingFile(config.alertMappingFile);
  if (!config.trustedNamespaces.includes(config.alertClusterNamespace))
    deps.logger.warn('--alert-cluster-namespace is not a trusted namespace: requests for Node alerts will be Rejected', {
      namespace: config.alertClusterNamespace,
    });
  const receiver = await startAlertReceiver({
    bindAddress,
    ...(token === undefined ? {} : { token }),
    ...(tls === undefined ? {} : { tls }),
    table: MappingTable.withDefaults(admin),
    client: deps.client,
    cache: deps.cache,
    ready: () => deps.cache.synced(),
    clusterNamespace: config.alertClusterNamespace,
    resolvedDelayMs: config.alertResolvedDelaySeconds * 1000,
    logger: deps.logger,
    registry: deps.registry,
  });
  if (admin.length > 0) deps.logger.info('Alert mappings loaded', { file: config.alertMappingFile, entries: admin.length });
  return receiver.server;
}
