import { createHash } from 'node:crypto';
import type { Logger } from '../logger';
import { reasonLabel, type Metrics } from '../metrics';
import type { KubeClient } from './client';
import { ApiError } from './errors';
import { microTime } from './micro-time';

const MAX_NAME_LENGTH = 253;
const REPORTING_CONTROLLER = 'triage.dev/triage-operator';

export interface EventSubject {
  readonly apiVersion: string;
  readonly kind: string;
  /** '' for a cluster-scoped object (a Node): its Events go to the default namespace, as the kubelet's do. */
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

/**
 * The name of the Event announcing a subject's n-th transition: the same transition always gets the
 * same name, so announcing it again (after a crash between the write and its record) is a 409, not a
 * second Event.
 */
export function transitionEventName(subject: EventSubject, transition: number): string {
  const suffix = `.${createHash('sha256').update(`${subject.uid}/${transition}`).digest('hex').slice(0, 16)}`;
  // Object names stop at 253 characters: a long request name is cut so its Events can still be created.
  return `${subject.name.slice(0, MAX_NAME_LENGTH - suffix.length).replace(/[.-]+$/, '')}${suffix}`;
}

/** An ObjectReference; a cluster-scoped object's has no namespace. */
function referenceTo(subject: EventSubject): Record<string, string> {
  const { namespace, ...rest } = subject;
  return namespace === '' ? rest : { ...rest, namespace };
}

/**
 * Writes events.k8s.io/v1 Events, one per transition, under a name derived from the transition:
 * idempotent, so the reconciler can announce from status (after a restart, an outage or a crash) and
 * never lose or double an Event. Needs only `create` on Events.
 */
export class EventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly reportingInstance: string,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates the Event (about `subject`, `related` to another object); resolves when it exists (now or already). Throws on any other failure. */
  async announce(subject: EventSubject, event: RecordedEvent, name: string, related?: EventSubject): Promise<'Created' | 'AlreadyExists'> {
    const at = this.now();
    const namespace = subject.namespace === '' ? 'default' : subject.namespace;
    try {
      await this.client.create(`/apis/events.k8s.io/v1/namespaces/${namespace}/events`, {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name, namespace },
        eventTime: microTime(at),
        reportingController: REPORTING_CONTROLLER,
        reportingInstance: this.reportingInstance.slice(0, 128),
        action: event.action,
        reason: event.reason,
        note: event.note.slice(0, 1024),
        type: event.type,
        regarding: referenceTo(subject),
        ...(related === undefined ? {} : { related: referenceTo(related) }),
      });
    } catch (error: unknown) {
      if (error instanceof ApiError && error.isConflict) return 'AlreadyExists';
      this.logger.debug('Event not written', {
        reason: event.reason,
        request: `${subject.namespace}/${subject.name}`,
        error: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
    this.metrics.eventsEmitted.inc({ reason: reasonLabel(event.reason), kind: 'new' });
    return 'Created';
  }
}
