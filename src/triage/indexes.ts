import { INDEX, type KubeObject } from './snapshot';
import { parseWebhookFailure } from './webhook-message';

// Secondary indexes over cached objects, by cache key. Pure: the informer cache and the in-memory
// snapshot of the golden tests file objects with these same functions.

/** Values an object is filed under in one index. */
export type IndexFunction = (object: KubeObject) => readonly string[];

/** Raw JSON shape of the fields the index functions read. */
interface Indexed {
  metadata?: { namespace?: string; ownerReferences?: { uid?: string }[] };
  involvedObject?: { kind?: string; uid?: string };
  regarding?: { kind?: string; uid?: string };
  reason?: string;
  message?: string;
  /** events.k8s.io/v1's name for message. */
  note?: string;
  spec?: {
    nodeName?: string;
    volumes?: { persistentVolumeClaim?: { claimName?: string } }[];
    defaultBackend?: { service?: { name?: string } };
    rules?: { http?: { paths?: { backend?: { service?: { name?: string } } }[] } }[];
  };
}

const asIndexed = (object: KubeObject): Indexed => object as Indexed;
const namespaced = (object: Indexed, name: string | undefined): string[] =>
  name === undefined || name === '' ? [] : [`${object.metadata?.namespace ?? ''}/${name}`];

/** A controller's FailedCreate names the webhook that refused it: the admission-webhooks intent finds what a webhook blocks. */
const failedWebhookIndex =
  (text: (event: Indexed) => string | undefined): IndexFunction =>
  (object) => {
    const event = asIndexed(object);
    if (event.reason !== 'FailedCreate') return [];
    const failure = parseWebhookFailure(text(event) ?? '');
    return failure === undefined ? [] : [failure.webhook];
  };

// Filed under the dependent's own namespace: an owner is looked up as ownerIndexValue(owner).
const ownerIndex: IndexFunction = (object) => {
  const metadata = asIndexed(object).metadata;
  return (metadata?.ownerReferences ?? []).flatMap((ref) => (ref.uid === undefined ? [] : [`${metadata?.namespace ?? ''}/${ref.uid}`]));
};

/** Index functions per cache key, beyond the namespace and owner indexes every kind has. */
const EXTRA_INDEXES: Partial<Record<string, Record<string, IndexFunction>>> = {
  Pod: {
    [INDEX.claim]: (object) => {
      const pod = asIndexed(object);
      return (pod.spec?.volumes ?? []).flatMap((v) => namespaced(pod, v.persistentVolumeClaim?.claimName));
    },
    [INDEX.node]: (object) => {
      const nodeName = asIndexed(object).spec?.nodeName;
      return nodeName === undefined || nodeName === '' ? [] : [nodeName];
    },
  },
  // One cache holds Events of both APIs' shapes (core/v1 from dumps, events.k8s.io/v1 from the watch).
  Event: {
    [INDEX.subject]: (object) => {
      const event = asIndexed(object);
      const subject = event.involvedObject ?? event.regarding;
      return subject?.uid === undefined ? [] : [`${subject.kind ?? ''}/${subject.uid}`];
    },
    [INDEX.failedWebhook]: failedWebhookIndex((event) => event.message ?? event.note),
  },
  Ingress: {
    [INDEX.backendService]: (object) => {
      const ingress = asIndexed(object);
      const names = [
        ingress.spec?.defaultBackend?.service?.name,
        ...(ingress.spec?.rules ?? []).flatMap((rule) => (rule.http?.paths ?? []).map((path) => path.backend?.service?.name)),
      ];
      return [...new Set(names.flatMap((name) => namespaced(ingress, name)))];
    },
  },
  EndpointSlice: {
    [INDEX.service]: (object) => {
      const slice = asIndexed(object) as Indexed & { metadata?: { labels?: Record<string, string> } };
      return namespaced(slice, slice.metadata?.labels?.['kubernetes.io/service-name']);
    },
  },
};

/** Every index a kind's cache keeps: owners for all, plus the kind's own. */
export function indexesFor(key: string): Record<string, IndexFunction> {
  return { [INDEX.owner]: ownerIndex, ...EXTRA_INDEXES[key] };
}
