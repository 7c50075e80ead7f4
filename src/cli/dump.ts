import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { KINDS, SECRET_METADATA_KIND, type KindInfo } from '../triage/kinds';
import { MemorySnapshot } from '../triage/memory-snapshot';
import type { CacheAvailability, ClusterSnapshot, KubeObject } from '../triage/snapshot';

// An offline dump as the engine's read port, for `kubectl triage --from-file`: a `kubectl get -o yaml`
// output, a JSON file or a must-gather directory. Everything is read up front (sync), bounded in bytes.

/** What is read at most, in bytes: parsed YAML costs about ten times its size in memory, so this keeps a run near 1-2 GiB. */
export const DEFAULT_MAX_DUMP_BYTES = 128 * 1024 * 1024;

const READ_EXTENSIONS: ReadonlySet<string> = new Set(['.yaml', '.yml', '.json']);

export type DumpErrorReason = 'NotFound' | 'Unreadable' | 'Unparsable' | 'TooLarge' | 'NoObjects';

/** A dump that cannot be used: the message names the path (and the line, for a file that does not parse). */
export class DumpError extends Error {
  constructor(
    readonly reason: DumpErrorReason,
    /** The file or directory at fault. */
    readonly path: string,
    message: string,
    /** 1-based line of a parse error, when the parser knows it. */
    readonly line?: number,
  ) {
    super(message);
    this.name = 'DumpError';
  }
}

export interface DumpSummary {
  /** Objects kept, one per cache key, namespace and name. */
  readonly objects: number;
  /** Objects of kinds the engine does not read, or without the name or namespace that identifies them. */
  readonly skipped: number;
  /** Objects kept per cache key (src/triage/kinds.ts); 0 for a typed list that came empty (e.g. `kind: EventList, items: []`). */
  readonly kinds: Readonly<Record<string, number>>;
  /** Namespaces the kept objects are in, sorted. */
  readonly namespaces: readonly string[];
}

export interface LoadDumpOptions {
  /** Cap on the bytes read over all files; DEFAULT_MAX_DUMP_BYTES when absent. */
  readonly maxBytes?: number;
}

/**
 * A dump as a ClusterSnapshot. A kind is Synced when the dump holds objects of it (or an empty typed
 * list of it); any other kind is NotCollected: the dump may simply not include it, which is not "none exist".
 */
export class DumpSnapshot implements ClusterSnapshot {
  constructor(
    private readonly snapshot: MemorySnapshot,
    private readonly counts: DumpSummary,
  ) {}

  availability(kind: string): CacheAvailability {
    return this.snapshot.availability(kind);
  }

  get(kind: string, name: string, namespace?: string): KubeObject | undefined {
    return this.snapshot.get(kind, name, namespace);
  }

  list(kind: string, namespace?: string): readonly KubeObject[] {
    return this.snapshot.list(kind, namespace);
  }

  byIndex(kind: string, index: string, value: string): readonly KubeObject[] {
    return this.snapshot.byIndex(kind, index, value);
  }

  /** What was read, for the plugin to print on stderr. */
  summary(): DumpSummary {
    return this.counts;
  }
}

/** Reads a dump file or directory (recursively: *.yaml, *.yml, *.json); throws DumpError when it cannot be used. */
export function loadDump(dumpPath: string, options: LoadDumpOptions = {}): DumpSnapshot {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DUMP_BYTES;
  const collector = new Collector();
  let bytesRead = 0;
  for (const file of filesOf(dumpPath)) {
    const stat = statOf(file);
    // A pipe or device reports size 0 and may never end: only regular files are read.
    if (!stat.isFile()) throw new DumpError('Unreadable', file, `${file}: not a regular file (save the dump to a file first)`);
    const size = stat.size;
    // Checked before reading: an oversized file is refused without being loaded into memory.
    if (bytesRead + size > maxBytes) throw tooLarge(dumpPath, file, maxBytes);
    const text = readText(file);
    bytesRead += Buffer.byteLength(text);
    if (bytesRead > maxBytes) throw tooLarge(dumpPath, file, maxBytes);
    for (const document of parse(file, text)) collector.add(document, 0);
  }
  return collector.snapshot(dumpPath);
}

function tooLarge(dumpPath: string, file: string, maxBytes: number): DumpError {
  return new DumpError(
    'TooLarge',
    file,
    `${file}: the dump ${dumpPath} is larger than the ${maxBytes} bytes read at most; pass a smaller dump or raise the cap`,
  );
}

function statOf(file: string): fs.Stats {
  try {
    return fs.statSync(file);
  } catch (error: unknown) {
    if (isErrnoException(error) && error.code === 'ENOENT') throw new DumpError('NotFound', file, `${file}: no such file or directory`);
    throw unreadable(file, error);
  }
}

function readText(file: string): string {
  try {
    // A byte-order mark is legal in YAML but not in JSON.parse.
    return fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (error: unknown) {
    throw unreadable(file, error);
  }
}

function unreadable(file: string, error: unknown): DumpError {
  return new DumpError('Unreadable', file, `${file}: cannot read: ${messageOf(error)}`);
}

// Structural, not instanceof: errors from node:fs may come from another realm (Jest's vm contexts).
const messageOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string' ? error.message : String(error);

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return typeof error === 'object' && error !== null && 'code' in error;
}

/** The files to read: the path itself (whatever its extension), or a directory's *.yaml, *.yml and *.json, sorted, recursively. */
function filesOf(dumpPath: string): string[] {
  if (!statOf(dumpPath).isDirectory()) return [dumpPath];
  const files: string[] = [];
  const pending = [dumpPath];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (error: unknown) {
      throw unreadable(dir, error);
    }
    const subdirs: string[] = [];
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) subdirs.push(full);
      else if (READ_EXTENSIONS.has(path.extname(entry.name).toLowerCase()) && (entry.isFile() || linksToFile(full))) files.push(full);
    }
    // Reversed onto a stack, so directories are read in name order, depth first.
    pending.push(...subdirs.reverse());
  }
  return files;
}

/** A symbolic link to a file is read; one to a directory is not followed (a link back up would walk forever), nor a dangling one. */
function linksToFile(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink() && fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The documents of one file: JSON (one value) or YAML (any number of documents). */
function parse(file: string, text: string): unknown[] {
  if (path.extname(file).toLowerCase() !== '.json') return parseYaml(file, text, false);
  try {
    return [JSON.parse(text) as unknown];
  } catch (error: unknown) {
    // JSON.parse names no line: the YAML parser (JSON is YAML) usually finds the same fault and says where.
    parseYaml(file, text, true);
    throw new DumpError('Unparsable', file, `${file}: not valid JSON: ${messageOf(error)}`);
  }
}

function parseYaml(file: string, text: string, json: boolean): unknown[] {
  try {
    // The core schema keeps timestamps as the strings the apiserver sent (the default one makes Dates of them).
    return yaml.loadAll(text, undefined, { filename: file, schema: yaml.CORE_SCHEMA, json });
  } catch (error: unknown) {
    if (!(error instanceof yaml.YAMLException)) throw error;
    const line = error.mark.line + 1;
    throw new DumpError('Unparsable', file, `${file}:${line}: not valid ${json ? 'JSON' : 'YAML'}: ${error.reason}`, line);
  }
}

// --- objects -------------------------------------------------------------------------------------

/** `group/kind` → the cache key the engine reads it under; the Secret metadata cache included. */
const KEY_BY_GROUP_KIND: ReadonlyMap<string, string> = new Map([
  ...([...KINDS, SECRET_METADATA_KIND] as readonly KindInfo[]).map((k): [string, string] => [`${k.group}/${k.kind}`, k.key]),
  // `kubectl get events` writes core/v1 Events: the same objects the operator watches through events.k8s.io.
  ['/Event', 'Event'],
]);
const NAMESPACED_KEYS: ReadonlySet<string> = new Set(([...KINDS, SECRET_METADATA_KIND] as readonly KindInfo[]).filter((k) => k.namespaced).map((k) => k.key));

/** The cache key of an apiVersion and kind; undefined for a kind the engine does not read. */
function cacheKeyOf(apiVersion: string, kind: string): string | undefined {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return KEY_BY_GROUP_KIND.get(`${group}/${kind}`);
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const stringOf = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** A resourceVersion's order: etcd revisions are decimal integers; anything else ranks below them. */
function revisionOf(object: KubeObject): bigint {
  const rv = object.metadata?.resourceVersion;
  return rv !== undefined && /^\d{1,40}$/.test(rv) ? BigInt(rv) : -1n;
}

/** What reaches the engine of a Secret: its metadata only, without the annotations (last-applied-configuration holds its data). */
function secretMetadata(object: Json, metadata: Json): Json {
  const { annotations: _annotations, ...rest } = metadata;
  return { apiVersion: object.apiVersion, kind: object.kind, metadata: rest };
}

/** Gathers the objects of every document, one per cache key, namespace and name. */
class Collector {
  private readonly kept = new Map<string, { readonly key: string; readonly object: KubeObject }>();
  private readonly collected = new Set<string>();
  private skipped = 0;
  private found = 0;

  /** A document: an object, a List (items, typed or not) or an array of either. */
  add(document: unknown, depth: number): void {
    // Lists hold objects, not lists: deeper nesting is not a dump's shape.
    if (depth > 2) return;
    if (Array.isArray(document)) {
      for (const item of document) this.add(item, depth + 1);
      return;
    }
    if (!isRecord(document)) return;
    const apiVersion = stringOf(document.apiVersion);
    const kind = stringOf(document.kind);
    if (Array.isArray(document.items) && kind?.endsWith('List') === true) this.addList(document.items, apiVersion, kind, depth);
    else if (apiVersion !== undefined && kind !== undefined) this.addObject(document, apiVersion, kind);
  }

  private addList(items: readonly unknown[], apiVersion: string | undefined, kind: string, depth: number): void {
    // A typed list (PodList) says its items' kind and apiVersion, and that the kind was collected even when it is empty.
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
    const itemKey = itemKind === undefined || apiVersion === undefined ? undefined : cacheKeyOf(apiVersion, itemKind);
    if (itemKey !== undefined) this.collected.add(itemKey);
    for (const item of items) {
      if (!isRecord(item)) continue;
      const typed = itemKind === undefined ? item : { apiVersion, kind: itemKind, ...item };
      if (stringOf(typed.apiVersion) === undefined || stringOf(typed.kind) === undefined) {
        this.found++;
        this.skipped++;
      } else this.add(typed, depth + 1);
    }
  }

  private addObject(object: Json, apiVersion: string, kind: string): void {
    this.found++;
    const key = cacheKeyOf(apiVersion, kind);
    const metadata = isRecord(object.metadata) ? object.metadata : undefined;
    const name = stringOf(metadata?.name);
    const namespace = stringOf(metadata?.namespace);
    // Unread kinds, and objects that cannot be looked up (no name, a namespaced kind without its namespace).
    if (key === undefined || metadata === undefined || name === undefined || (NAMESPACED_KEYS.has(key) && namespace === undefined)) {
      this.skipped++;
      return;
    }
    // managedFields is most of an object's bytes and read by no check (the informer drops it too).
    delete metadata.managedFields;
    const kept = (key === SECRET_METADATA_KIND.key ? secretMetadata(object, metadata) : object) as KubeObject;
    const id = `${key}/${namespace ?? ''}/${name}`;
    const previous = this.kept.get(id);
    // One object in two places (a must-gather's list and its per-object file): the newer write wins.
    if (previous === undefined || revisionOf(kept) > revisionOf(previous.object)) this.kept.set(id, { key, object: kept });
    this.collected.add(key);
  }

  snapshot(dumpPath: string): DumpSnapshot {
    const entries = [...this.kept.values()];
    if (entries.length === 0) {
      const what =
        this.found === 0 ? 'no Kubernetes objects (with apiVersion and kind)' : `none of its ${this.found} objects is a named object of a kind triage reads`;
      throw new DumpError('NoObjects', dumpPath, `${dumpPath}: ${what}; expected the output of kubectl get -o yaml or -o json, or a must-gather directory`);
    }
    const kinds: Record<string, number> = Object.fromEntries([...this.collected].sort().map((key) => [key, 0]));
    for (const { key } of entries) kinds[key] = (kinds[key] ?? 0) + 1;
    const namespaces = [...new Set(entries.flatMap(({ object }) => (object.metadata?.namespace === undefined ? [] : [object.metadata.namespace])))].sort();
    const snapshot = new MemorySnapshot(
      entries.map(({ object }) => object),
      { collected: this.collected, secretMetadata: true },
    );
    return new DumpSnapshot(snapshot, { objects: entries.length, skipped: this.skipped, kinds, namespaces });
  }
}
