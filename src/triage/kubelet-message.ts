import { excerpt } from './redact';

// Grammars of what the kubelet and the container runtime write about a pod's containers: runtime exec
// errors, the config and volume managers' "not found" messages, eviction messages, image pull errors,
// and the tail of a log quoted in a termination message. Pure text in, structured reading out.

// --- termination messages ------------------------------------------------------------------------

/** Room for the last line or two of a log quoted from a termination message. */
const LAST_WORDS = 180;
const TIMESTAMP = /^\[?\d{4}-\d\d-\d\d[T ][\d:.,]+(?:Z|[+-]\d\d:?\d\d)?\]?\s*/;
const TELLING = /\b(?:panic|fatal|error|exception|caused by|failed|failure|refused|denied|not found|cannot|unable)\b/i;
const STACK_FRAME = /^(?:at |File "|goroutine |\t|\.\.\. \d+ more|\/)/;

/**
 * The telling part of a termination message (often the tail of the log): the last line or two that
 * name an error, leading timestamps dropped; stack frames are skipped. The anchor keeps the whole text.
 */
export function lastWords(message: string): string {
  const lines = message
    .split(/\r?\n/)
    .map((l) => l.replace(TIMESTAMP, '').trim())
    .filter((l) => l !== '' && !STACK_FRAME.test(l));
  const telling = lines.filter((l) => TELLING.test(l));
  const last = telling[telling.length - 1] ?? lines[lines.length - 1] ?? '';
  const before = telling[telling.length - 2];
  const words = before !== undefined && before.length + last.length <= LAST_WORDS ? `${before}; ${last}` : last;
  return excerpt(words, LAST_WORDS);
}

// --- the runtime could not execute the command -----------------------------------------------------

/** A process the runtime could not execute: the command, and why, from a runtime or shell message. */
export function parseExecFailure(text: string): { command?: string; why: 'missing' | 'not-executable' } | undefined {
  const why = (t: string): 'missing' | 'not-executable' => (/permission denied/i.test(t) ? 'not-executable' : 'missing');
  const patterns: readonly RegExp[] = [
    // runc/containerd: exec: "foo": executable file not found in $PATH; exec: "/app/run": permission denied
    /exec: "([^"]+)": (?:executable file not found|stat [^:]*: no such file or directory|permission denied)/i,
    // crun / CRI-O: executable file `foo` not found in $PATH
    /executable file [`'"]([^`'"]+)[`'"] not found/i,
    // runc: exec /docker-entrypoint.sh: no such file or directory (the file or its #! interpreter)
    /exec ([^\s:"]+): (?:no such file or directory|permission denied)/i,
    // a shell's own words when the termination message falls back to the log
    /(?:^|\s)(?:\/bin\/)?(?:ba|da|z)?sh: (?:line \d+: |\d+: )?([^\s:]+): (?:command )?not found/i,
    /(?:^|\s)(?:\/bin\/)?(?:ba|da|z)?sh: (?:line \d+: |\d+: )?([^\s:]+): Permission denied/i,
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    if (match !== null) return { command: match[1], why: why(match[0]) };
  }
  if (/executable file not found/i.test(text)) return { why: 'missing' };
  return undefined;
}

// --- missing ConfigMaps, Secrets and keys ----------------------------------------------------------

/** A ConfigMap or Secret the kubelet could not find, or the key it lacks. */
export interface MissingConfig {
  readonly kind: 'ConfigMap' | 'Secret';
  readonly name: string;
  readonly key?: string;
}

/** Which ConfigMap, Secret or key a kubelet CreateContainerConfigError / FailedMount message names. */
export function parseConfigMissing(text: string): MissingConfig | undefined {
  const key = /couldn't find key (\S+) in (ConfigMap|Secret) (?:[^/\s]+\/)?([^\s,;]+)/i.exec(text);
  if (key !== null) return { kind: key[2]?.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap', name: key[3] ?? '', key: key[1] ?? '' };
  const object = /\b(configmaps?|secrets?) "([^"]+)" not found/i.exec(text);
  if (object !== null) return { kind: object[1]?.toLowerCase().startsWith('secret') === true ? 'Secret' : 'ConfigMap', name: object[2] ?? '' };
  return undefined;
}

/** A pod volume as the configmap and secret volume plugins read it: which object it projects. */
export interface ConfigVolume {
  readonly name?: string;
  readonly configMap?: { readonly name?: string };
  readonly secret?: { readonly secretName?: string };
}

/**
 * A volume's `items` naming a key its ConfigMap/Secret lacks: the kubelet's volume plugins say only
 * "configmap references non-existent config key: K" (or "secret ... secret key: K"); the object is the volume's.
 */
export function parseMissingVolumeKey(text: string, volume: ConfigVolume | undefined): (MissingConfig & { readonly key: string }) | undefined {
  const match = /\b(configmap|secret) references non-existent (?:config|secret) key: (\S+)/i.exec(text);
  if (match === null) return undefined;
  const kind = match[1]?.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap';
  const name = (kind === 'Secret' ? volume?.secret?.secretName : volume?.configMap?.name) ?? '?';
  return { kind, name, key: match[2] ?? '' };
}

// --- evictions ---------------------------------------------------------------------------------------

/** What the kubelet's eviction message says was exceeded (pkg/kubelet/eviction message shapes). */
export interface Eviction {
  readonly resource: string;
  /** The limit or threshold that was crossed, as the kubelet wrote it. */
  readonly limit?: string;
  readonly usage?: string;
  readonly container?: string;
  readonly volume?: string;
  /** The node's own shortage (threshold and what was available), for a node-pressure eviction. */
  readonly available?: string;
  /** A node condition that made the kubelet reject the pod on arrival. */
  readonly nodeCondition?: string;
  readonly scope: 'Container' | 'Pod' | 'Volume' | 'Node' | 'NodeCondition';
}

/** Reads the kubelet's eviction message: which resource, which limit or threshold, whose usage. */
export function parseEviction(message: string): Eviction | undefined {
  const container = /Container (\S+) exceeded its local ephemeral storage limit "([^"]+)"/.exec(message);
  if (container !== null) return { scope: 'Container', resource: 'ephemeral-storage', container: container[1] ?? '', limit: container[2] ?? '' };
  const volume = /Usage of EmptyDir volume "([^"]+)" exceeds the limit "([^"]+)"/.exec(message);
  if (volume !== null) return { scope: 'Volume', resource: 'ephemeral-storage', volume: volume[1] ?? '', limit: volume[2] ?? '' };
  const pod = /Pod ephemeral local storage usage exceeds the total limit of containers (\S+?)\.?(?:\s|$)/.exec(message);
  if (pod !== null) return { scope: 'Pod', resource: 'ephemeral-storage', limit: pod[1] ?? '' };
  const node = /The node was low on resource: ([\w./-]+)\.(?:\s*Threshold quantity: (\S+?),\s*available: (\S+?)\.)?/.exec(message);
  if (node !== null) {
    const user = /Container (\S+) was using (\S+?), (?:request is|which exceeds its request of) (\S+?)[,.]/.exec(message);
    return {
      scope: 'Node',
      resource: node[1] ?? '',
      ...(node[2] === undefined ? {} : { limit: node[2] }),
      ...(node[3] === undefined ? {} : { available: node[3] }),
      ...(user === null ? {} : { container: user[1] ?? '', usage: user[2] ?? '' }),
    };
  }
  const condition = /The node had condition: \[(\w+)\]/.exec(message);
  if (condition !== null) return { scope: 'NodeCondition', resource: condition[1] ?? '', nodeCondition: condition[1] ?? '' };
  return undefined;
}

// --- image pulls -------------------------------------------------------------------------------------

export interface PullCause {
  readonly code: 'ImageNotFound' | 'ImagePullUnauthorized' | 'RegistryUnreachable' | 'InvalidImageName' | 'ImagePullRateLimited' | 'ImagePullFailed';
  readonly confidence: number;
  /** What the registry or runtime said, in a few words. */
  readonly said: string;
  /** Docker Hub-style registries answer "denied" for repositories that do not exist: either is possible. */
  readonly ambiguous?: boolean;
}

/** The first of `patterns` (in priority order) that matches, and the text it matched. */
function firstMatch(text: string, patterns: readonly RegExp[]): string | undefined {
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    if (match !== null) return match[0];
  }
  return undefined;
}

const RATE_LIMITED = [/toomanyrequests/i, /429 Too Many Requests/i, /pull rate limit/i];
// Docker Hub-style registries answer this for a repository that does not exist as well as for one that needs a login.
const DENIED_OR_MISSING = [
  /pull access denied, repository does not exist or may require authorization/i,
  /repository does not exist or may require '?docker login'?/i,
];
const UNAUTHORIZED = [
  /401 Unauthorized/i,
  /403 Forbidden/i,
  /pull access denied/i,
  /insufficient_scope/i,
  /authorization failed/i,
  /authentication required/i,
  /no basic auth credentials/i,
  /\bdenied: [^:]+/i,
  /\bunauthorized\b/i,
];
const UNREACHABLE = [
  /x509: [^:]+/i,
  /no such host/i,
  /i\/o timeout/i,
  /connection refused/i,
  /TLS handshake timeout/i,
  /connection reset by peer/i,
  /network is unreachable/i,
  /no route to host/i,
  /server misbehaving/i,
  /Client\.Timeout exceeded/i,
  /context deadline exceeded/i,
  /dial tcp/i,
];
const NOT_FOUND = [
  /manifest unknown/i,
  /manifest for \S+ not found/i,
  /name unknown/i,
  /repository does not exist/i,
  /no such image/i,
  /(?<=: )not found\b/i,
  /code = NotFound/i,
];

/** Classifies the kubelet's pull failure text (waiting message or Failed Event) into an image-pull code. */
export function classifyPull(reason: string, text: string): PullCause {
  const invalid = firstMatch(text, [/invalid reference format(?::[^:"\n]+)?/i, /couldn't parse image name/i])?.trim();
  if (reason === 'InvalidImageName' || invalid !== undefined) return { code: 'InvalidImageName', confidence: 1, said: invalid ?? 'invalid image name' };
  if (reason === 'ErrImageNeverPull' || /not present with pull policy of Never/i.test(text))
    return { code: 'ImageNotFound', confidence: 0.95, said: 'not present on the node, pull policy Never' };
  if (reason === 'SignatureValidationFailed' || /signature validation failed/i.test(text))
    return { code: 'ImagePullFailed', confidence: 0.85, said: 'signature validation failed' };
  if (reason === 'RegistryUnavailable' || /registry is unavailable/i.test(text)) {
    return { code: 'RegistryUnreachable', confidence: 0.85, said: firstMatch(text, UNREACHABLE) ?? 'registry is unavailable' };
  }
  const rate = firstMatch(text, RATE_LIMITED);
  if (rate !== undefined) return { code: 'ImagePullRateLimited', confidence: 0.9, said: rate };
  const deniedOrMissing = firstMatch(text, DENIED_OR_MISSING);
  if (deniedOrMissing !== undefined) return { code: 'ImagePullUnauthorized', confidence: 0.6, said: 'pull access denied', ambiguous: true };
  const unauthorized = firstMatch(text, UNAUTHORIZED);
  if (unauthorized !== undefined) return { code: 'ImagePullUnauthorized', confidence: 0.9, said: unauthorized };
  const unreachable = firstMatch(text, UNREACHABLE);
  if (unreachable !== undefined) return { code: 'RegistryUnreachable', confidence: 0.9, said: unreachable };
  const notFound = firstMatch(text, NOT_FOUND);
  if (notFound !== undefined) return { code: 'ImageNotFound', confidence: 0.95, said: notFound };
  return { code: 'ImagePullFailed', confidence: text === '' ? 0.3 : 0.4, said: '' };
}

/** The registry host of an image reference (Docker Hub when the first part is no host); never its user:password@. */
export function registryOf(image: string): string {
  const bare = image.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
  const slash = bare.indexOf('/');
  if (slash < 0) return 'docker.io';
  const head = bare.slice(0, slash);
  // Credentials in a reference (user:pass@registry/app) sit before the host's @.
  const first = head.slice(head.lastIndexOf('@') + 1);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

/** The missing pull secret a FailedToRetrieveImagePullSecret Event names, e.g. "image pull secrets (regcred)". */
export function parseMissingPullSecret(message: string): string | undefined {
  return /image pull secrets \(([^)]+)\)/.exec(message)?.[1];
}

const BACKOFF_PREFIX = /^Back-off pulling image "[^"]*"(?::\s*)?(?:ErrImagePull:\s*)?/;

/** The pull error in a container's waiting message, without the kubelet's "Back-off pulling image" wrapper. */
export function pullErrorOfWaiting(message: string): string {
  return message.replace(BACKOFF_PREFIX, '').trim();
}

/** The pull error in a kubelet Failed Event, without its `Failed to pull image "…": ` lead. */
export function pullErrorOfEvent(message: string): string {
  return message.replace(/^Failed to pull image "[^"]*":\s*/, '');
}
