import { randomBytes } from 'node:crypto';
import PQueue from 'p-queue';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { KubeClient } from './client';
import { ApiError } from './errors';
import { microTime } from './micro-time';

const MAX_NAME_LENGTH = 253;

export interface EventSubject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export interface RecordedEvent {
  readonly type: 'Normal' | 'Warning';
  /** CamelCase, the same as the condition reason it accompanies. */
  readonly reason: string;
  readonly action: string;
  /** At most 1024 characters; longer notes are cut. Must already be redacted. */
  readonly note: string;
}

interface Series {
  readonly name: string;
  readonly namespace: string;
  count: number;
  lastObserved: number;
}

const REPORTING_CONTROLLER = 'triage.dev/triage-operator';
// client-go's events broadcaster: a repeat within this window extends the series instead of a new Event.
const SERIES_WINDOW_MS = 6 * 60 * 1000;
const MAX_SERIES = 4096;

/**
 * Writes events.k8s.io/v1 Events. A repeat of the same (subject, type, reason, action) within six
 * minutes bumps `series.count` on the existing Event rather than creating another, so a flapping
 * request cannot flood. Writes happen in the background: a reconcile never waits on, or fails
 * because of, an Event.
 */
export class EventRecorder {
  private readonly series = new Map<string, Series>();
  private readonly writes = new PQueue({ concurrency: 1 });

  constructor(
    private readonly client: KubeClient,
    private readonly reportingInstance: string,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(subject: EventSubject, event: RecordedEvent): void {
    void this.writes.add(async () => {
      try {
        await this.write(subject, event);
      } catch (error: unknown) {
        this.logger.warn('Event not written', {
          reason: event.reason,
          request: `${subject.namespace}/${subject.name}`,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    });
  }

  /** Resolves once every Event recorded so far was written (or given up). */
  async flush(): Promise<void> {
    await this.writes.onIdle();
  }

  private async write(subject: EventSubject, event: RecordedEvent): Promise<void> {
    const key = [subject.uid, event.type, event.reason, event.action].join('\u0000');
    const at = this.now();
    const existing = this.series.get(key);
    if (existing !== undefined && at.getTime() - existing.lastObserved < SERIES_WINDOW_MS) {
      existing.count += 1;
      existing.lastObserved = at.getTime();
      try {
        await this.client.mergePatch(`/apis/events.k8s.io/v1/namespaces/${existing.namespace}/events/${existing.name}`, {
          series: { count: existing.count, lastObservedTime: microTime(at) },
        });
        this.metrics.eventsEmitted.inc({ reason: event.reason, kind: 'series' });
        return;
      } catch (error: unknown) {
        // The Event expired (event-ttl) or was deleted: start a new one below.
        if (!(error instanceof ApiError && error.isNotFound)) throw error;
      }
    }
    const suffix = `.${at.getTime().toString(16)}${randomBytes(2).toString('hex')}`;
    // Object names stop at 253 characters: a long request name is cut so its Events can still be created.
    const name = `${subject.name.slice(0, MAX_NAME_LENGTH - suffix.length).replace(/[.-]+$/, '')}${suffix}`;
    await this.client.create(`/apis/events.k8s.io/v1/namespaces/${subject.namespace}/events`, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace: subject.namespace },
      eventTime: microTime(at),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.reportingInstance.slice(0, 128),
      action: event.action,
      reason: event.reason,
      note: event.note.slice(0, 1024),
      type: event.type,
      regarding: { ...subject },
    });
    this.metrics.eventsEmitted.inc({ reason: event.reason, kind: 'new' });
    if (this.series.size >= MAX_SERIES) {
      const oldest = this.series.keys().next().value;
      if (oldest !== undefined) this.series.delete(oldest);
    }
    this.series.delete(key);
    this.series.set(key, { name, namespace: subject.namespace, count: 1, lastObserved: at.getTime() });
  }
}
