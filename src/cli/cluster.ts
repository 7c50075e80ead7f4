import { KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION, type TriageRequestObject, type TriageRequestSpec } from '../crds/triage-request';
import { KubeClient } from '../kube/client';
import { ApiError, ConnectionError } from '../kube/errors';
import { kindInfo } from '../triage/kinds';
import type { KubeObject } from '../triage/snapshot';
import { PluginError } from './errors';

export interface ConnectionOptions {
  readonly kubeconfig?: string;
  readonly context?: string;
}

/** The user's kubeconfig, as kubectl reads it: --kubeconfig, else KUBECONFIG (a:b merged), else ~/.kube/config. */
export function loadKubeConfig(options: ConnectionOptions): KubeConfig {
  const config = new KubeConfig();
  try {
    if (options.kubeconfig === undefined) config.loadFromDefault();
    else config.loadFromFile(options.kubeconfig);
  } catch (error: unknown) {
    throw new PluginError(`cannot load the kubeconfig: ${messageOf(error)}`);
  }
  if (options.context !== undefined) {
    if (config.getContextObject(options.context) === null) throw new PluginError(`context "${options.context}" is not in the kubeconfig`);
    config.setCurrentContext(options.context);
  }
  // client-node falls back to http://localhost:8080 when it finds no kubeconfig at all: say that instead of a TLS error.
  const fallback = config.getCurrentContext() === 'loaded-context' && config.getCurrentCluster()?.server === 'http://localhost:8080';
  if (fallback) throw new PluginError('no kubeconfig found (--kubeconfig, KUBECONFIG, ~/.kube/config) and not running in a pod');
  if (config.getCurrentCluster() === null) throw new PluginError('the kubeconfig has no current cluster (kubectl config current-context)');
  return config;
}

/** The namespace kubectl would use: the current context's, else `default`. */
export function contextNamespace(config: KubeConfig): string {
  const context = config.getContextObject(config.getCurrentContext());
  return context?.namespace ?? 'default';
}

// Names are validated where they come in; encoding them too means no caller-chosen text can change a path's shape.
const requestsPath = (namespace: string) => `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/triagerequests`;

/** The plugin's view of the cluster: TriageRequests through the user's own credentials and RBAC. */
export class PluginCluster {
  readonly client: KubeClient;

  constructor(readonly config: KubeConfig) {
    this.client = new KubeClient(config);
  }

  async createRequest(namespace: string, name: string, spec: TriageRequestSpec | Record<string, unknown>): Promise<TriageRequestObject> {
    const body = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'TriageRequest',
      metadata: { name, labels: { 'app.kubernetes.io/created-by': 'kubectl-triage' } },
      spec,
    };
    return this.call(`create a TriageRequest in namespace ${namespace}`, () => this.client.create<TriageRequestObject>(requestsPath(namespace), body));
  }

  async getRequest(namespace: string, name: string): Promise<TriageRequestObject> {
    return this.call(`read TriageRequest ${namespace}/${name}`, () =>
      this.client.get<TriageRequestObject>(`${requestsPath(namespace)}/${encodeURIComponent(name)}`),
    );
  }

  /** Every TriageRequest of a namespace, or of all namespaces when `namespace` is undefined. */
  async listRequests(namespace: string | undefined): Promise<TriageRequestObject[]> {
    const path = namespace === undefined ? `/apis/${GROUP}/${VERSION}/triagerequests` : requestsPath(namespace);
    return (
      await this.call(`list TriageRequests${namespace === undefined ? '' : ` in namespace ${namespace}`}`, () => this.client.listAll<TriageRequestObject>(path))
    ).items;
  }

  async deleteRequest(namespace: string, name: string): Promise<void> {
    await this.call(`delete TriageRequest ${namespace}/${name}`, () => this.client.delete(`${requestsPath(namespace)}/${encodeURIComponent(name)}`));
  }

  /** The target object, or undefined when it does not exist or may not be read (the intent is then chosen by kind alone). */
  async readObject(kind: string, name: string, namespace: string): Promise<KubeObject | undefined> {
    const info = kindInfo(kind);
    if (info === undefined) return undefined;
    const prefix = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
    const [ns, object] = [encodeURIComponent(namespace), encodeURIComponent(name)];
    const path = info.namespaced ? `${prefix}/namespaces/${ns}/${info.plural}/${object}` : `${prefix}/${info.plural}/${object}`;
    try {
      return await this.client.get<KubeObject>(path);
    } catch (error: unknown) {
      if (error instanceof ApiError && (error.isNotFound || error.isForbidden)) return undefined;
      throw new PluginError(`cannot read ${kind} ${name}: ${messageOf(error)}`);
    }
  }

  /** The TriageTemplate named like the intent, when there is one and it may be read (else the built-in runs, as without the CRD). */
  async readTemplate(intent: string): Promise<KubeObject | undefined> {
    try {
      return await this.client.get<KubeObject>(`/apis/${GROUP}/${VERSION}/triagetemplates/${encodeURIComponent(intent)}`);
    } catch (error: unknown) {
      if (error instanceof ApiError && (error.isNotFound || error.isForbidden)) return undefined;
      throw new PluginError(`cannot read TriageTemplate ${intent}: ${explain(error)}`);
    }
  }

  /** An apiserver call whose failure becomes a sentence naming what was attempted and, where it helps, what to do. */
  async call<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error: unknown) {
      throw new PluginError(`cannot ${what}: ${explain(error)}`);
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function explain(error: unknown): string {
  if (error instanceof ApiError) {
    // The apiserver's own message names the user, the verb and the resource: it is the clearest refusal there is.
    const apiMessage = error.message.replace(/^[A-Z]+ \S+: \d+ \w+: /, '');
    if (error.isForbidden) return `forbidden by RBAC: ${apiMessage}`;
    if (error.isNotFound && error.path.includes(`/apis/${GROUP}/`))
      return `${apiMessage} (is the operator installed? its CRDs serve triagerequests.${GROUP}; kubectl triage --local diagnoses without it)`;
    return apiMessage;
  }
  if (error instanceof ConnectionError) return `the apiserver cannot be reached (${messageOf(error.cause)})`;
  return messageOf(error);
}
