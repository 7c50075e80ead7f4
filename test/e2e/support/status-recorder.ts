import { CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import type { TriageRequestStatus } from '../../../src/crds/triage-request';

/** Every status the operator wrote, as a watch delivered it (a poll could miss a short-lived one). */
export interface StatusWrite {
  readonly name: string;
  readonly at: number;
  readonly status: TriageRequestStatus;
}

interface RequestObject {
  readonly metadata: { name: string; resourceVersion: string };
  readonly status?: TriageRequestStatus;
}

/** Watches a namespace's TriageRequests and records each distinct status write; resumes when the watch ends. */
export class StatusRecorder {
  readonly writes: StatusWrite[] = [];
  private readonly seen = new Map<string, string>();
  private readonly custom: CustomObjectsApi;
  private controller: AbortController | undefined;
  private resourceVersion = '';
  private stopped = false;

  constructor(
    private readonly config: KubeConfig,
    private readonly namespace: string,
  ) {
    this.custom = config.makeApiClient(CustomObjectsApi);
  }

  async start(): Promise<void> {
    const list = (await this.custom.listNamespacedCustomObject({
      group: 'triage.dev',
      version: 'v1alpha1',
      namespace: this.namespace,
      plural: 'triagerequests',
    })) as {
      metadata: { resourceVersion: string };
      items: RequestObject[];
    };
    for (const item of list.items) this.record(item);
    this.resourceVersion = list.metadata.resourceVersion;
    await this.watch();
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }

  /** The writes of one request, in order. */
  of(name: string): StatusWrite[] {
    return this.writes.filter((write) => write.name === name);
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    this.controller = await new Watch(this.config).watch(
      `/apis/triage.dev/v1alpha1/namespaces/${this.namespace}/triagerequests`,
      { resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
      (phase, object: RequestObject) => {
        if (phase === 'ERROR') return;
        this.resourceVersion = object.metadata.resourceVersion;
        if (phase !== 'BOOKMARK') this.record(object);
      },
      (error: unknown) => {
        if (this.stopped) return;
        // A watch ends on a timeout (resume where it was), or with 410 Gone (list afresh).
        const gone = typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 410;
        setTimeout(() => void this.resume(gone), 200);
      },
    );
  }

  /** Resumes a watch that ended; a failed attempt (the apiserver restarting) is tried again until stopped. */
  private async resume(gone: boolean): Promise<void> {
    if (this.stopped) return;
    try {
      await (gone ? this.start() : this.watch());
    } catch {
      setTimeout(() => void this.resume(gone), 1_000);
    }
  }

  private record(object: RequestObject): void {
    const status = object.status;
    if (status?.verdict === undefined) return;
    const key = JSON.stringify(status);
    if (this.seen.get(object.metadata.name) === key) return;
    this.seen.set(object.metadata.name, key);
    this.writes.push({ name: object.metadata.name, at: Date.now(), status });
  }
}
