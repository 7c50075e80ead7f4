import { KINDS, SECRET_METADATA_KIND, type KindInfo } from '../triage/kinds';

/** A kind the operator caches (the one table is src/triage/kinds.ts). */
export type WatchedKind = KindInfo;

export const WATCHED_KINDS = KINDS;

export type WatchedKey = (typeof WATCHED_KINDS)[number]['key'] | 'Secret';

export { SECRET_METADATA_KIND };

export const PARTIAL_METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
export const PARTIAL_METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** The collection path, e.g. /api/v1/pods or /apis/apps/v1/deployments (all namespaces, unless the kind names one). */
export function collectionPath(kind: WatchedKind): string {
  const prefix = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  return kind.namespace === undefined ? `${prefix}/${kind.plural}` : `${prefix}/namespaces/${kind.namespace}/${kind.plural}`;
}
