// Secrets must never reach status, Events or logs; loop bodies in every pattern are disjoint, so matching stays linear.

export const REDACTED = '[REDACTED]';

// Excerpts are short: the cap bounds the work a hostile or huge field can cause.
const MAX_INPUT = 64 * 1024;
// One rule's replacement can expose another rule's input; a few passes reach the fixpoint.
const MAX_PASSES = 5;
// How far back a cut looks for a word boundary, so a secret sliced in half is dropped, not kept.
const WORD_LOOKBACK = 256;

// Marks a secret key (lowercased, separators dropped); "auth" but not author/authorize prose or authentication modes.
const SECRET_KEY_PART = /password|passwd|passphrase|pwd|secret|token|apikey|accesskey|privatekey|credential|authorization|auth(?!or|ent)/;
// Keys that name, locate or describe a secret rather than hold it (secretName, passwordFile, tokenExpirationSeconds).
const REFERENCE_SUFFIXES: ReadonlySet<string> = new Set([
  'name', 'names', 'ref', 'refs', 'namespace', 'file', 'path', 'dir', 'seconds', 'ttl', 'type', 'kind', 'mode', 'url', 'uri', 'endpoint', 'length',
]);
// Values that carry no secret and are useful evidence (automountServiceAccountToken: false).
const PLAIN_VALUES: ReadonlySet<string> = new Set(['true', 'false', 'null', 'nil', '<nil>', 'none']);
// An excerpt's own ellipsis ("token=…") is where a cut fell, not a value: keeps excerpt output stable under redact.
const ELLIPSIS = '…';

const ALREADY_REDACTED = /^\[REDACTED\]$/i;
const SCHEME_PREFIX = /^(?:bearer|basic|digest|negotiate|token)\s+/i;

/** Whether a value holds nothing worth hiding: empty, already redacted, a cut mark, or a plain literal. */
function carriesNothing(value: string): boolean {
  const trimmed = value.trim();
  return trimmed === '' || trimmed === ELLIPSIS || ALREADY_REDACTED.test(trimmed) || PLAIN_VALUES.has(trimmed.toLowerCase());
}

// Quoted values run to the closing quote or, if a cut removed it, to the end; unquoted ones stop at a delimiter.
const VALUE = [
  String.raw`(?:(bearer|basic|digest|negotiate|token)([ \t]+))?(`,
  [
    String.raw`\[REDACTED\]`,
    String.raw`\\"[^"]*(?:"|$)`,
    String.raw`"(?:[^"\\]|\\[\s\S]?)*"?`,
    String.raw`'(?:[^'\\]|\\[\s\S]?)*'?`,
    String.raw`[|>][-+]?[ \t]*(?:\r?\n[ \t][^\n]*)+`,
    String.raw`[^\s,;&)\]}"{\[][^\s,;&)\]}"]*`,
  ].join('|'),
  ')',
].join('');

// key=value, key: value, "key":"value", key := value; the lookbehind starts keys only at a word start.
const KEY_VALUE = new RegExp(String.raw`(?<![A-Za-z0-9_.\-])([A-Za-z0-9_.\-]+)((?:\\?["'])?[ \t]*(?::=|=>|[:=])[ \t]*)` + VALUE, 'gi');
// Command-line flags in container args: --db-password hunter2, "--db-password", "hunter2".
const FLAG_VALUE = new RegExp(String.raw`(?<!-)(--[A-Za-z0-9_.\-]+)((?:\\?["'])?(?:[ \t]*,[ \t]*|[ \t]+))` + VALUE, 'gi');
// Container env entries in YAML, JSON or Go struct form: the secret is named in one field, held in the next.
const ENV_PAIR = new RegExp(
  String.raw`((?<![A-Za-z0-9_.\-])name\\?["']?[ \t]*[:=][ \t]*\\?["']?)([A-Za-z0-9_.\-]+)(\\?["']?[\s,]*\\?["']?value\\?["']?[ \t]*[:=][ \t]*)` + VALUE,
  'gi',
);
// scheme://user:pass@host; the password runs to the last @ so an unescaped @ in it is not half-kept.
const URL_CREDENTIALS = /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:@/?#]*:)([^\s/?#]+)@/g;
const QUERY_PARAM = /([?&;])([A-Za-z0-9_.%-]+)=([^&;#\s"'<>]*)/g;
// Query parameters that sign or authorise a URL (SAS tokens, presigned S3 URLs, API keys).
const SECRET_QUERY_KEYS: ReadonlySet<string> = new Set(['sig', 'signature', 'key', 'secret', 'password', 'token', 'x-amz-signature', 'x-amz-credential']);
const PRIVATE_KEY_BLOCK = /(-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)([\s\S]*?)(-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)/g;
const AUTH_SCHEME = /(?<![A-Za-z0-9_-])(bearer|basic)([ \t]+)([A-Za-z0-9._~+/-]{8,}=*)/gi;
const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?/g;
const TOKEN_SHAPES: readonly RegExp[] = [
  /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g,
  /(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,}/g,
  /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}/g,
  /(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,}/g,
];
// A Secret's manifest (kubectl's last-applied-configuration annotation) holds every value in data/stringData.
const SECRET_KIND = /\bkind\\?["']?[ \t]*:[ \t]*\\?["']?Secret(?![A-Za-z0-9])/;
const SECRET_DATA_FLOW = /((?<![A-Za-z0-9_])\\?["']?(?:data|stringData|binaryData)\\?["']?[ \t]*:[ \t]*\{)([^{}]*)(\}?)/g;
const SECRET_DATA_BLOCK = /(^|\n)([ \t]*)((?:data|stringData|binaryData):[ \t]*\r?\n)((?:\2[ \t]+[^\n]*(?:\n|$))*)/g;

const BLOB = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{32,}={0,3}/g;
const UUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g;
const HEX = /^[0-9a-fA-F]+$/;
const DIGEST_ALGORITHM = /^(?:sha(?:1|224|256|384|512)|md5)$/i;
const DIGEST_PREFIX = /(?:sha(?:1|224|256|384|512)|md5):$/i;
const HAS_LETTER = /[A-Za-z]/;
const HAS_DIGIT = /[0-9]/;
const HAS_UPPER = /[A-Z]/;
const HAS_LOWER = /[a-z]/;
// Random base64 switches between upper, lower and digit on ~60% of adjacent pairs; CamelCase words on ~20%.
const MIN_SWITCH_RATIO = 0.3;

/** Lowercased words of a key, split at separators and camelCase humps, trailing digits dropped (OAuth2 → o, auth). */
function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .map((word) => word.replace(/[0-9]+$/, ''))
    .filter((word) => word !== '');
}

function isSecretKey(words: readonly string[]): boolean {
  const last = words[words.length - 1];
  if (last === undefined || REFERENCE_SUFFIXES.has(last)) return false;
  return SECRET_KEY_PART.test(words.join(''));
}

// Only authorization-like keys keep a "Bearer " prefix visible; for a password, "basic" may be the secret.
function keepsScheme(words: readonly string[]): boolean {
  return /auth|token/.test(words.join(''));
}

interface Quoted {
  readonly open: string;
  readonly content: string;
  readonly close: string;
}

function splitQuoted(raw: string): Quoted | undefined {
  const open = raw.startsWith('\\"') ? '\\"' : raw.startsWith('"') ? '"' : raw.startsWith("'") ? "'" : undefined;
  if (open === undefined) return undefined;
  const rest = raw.slice(open.length);
  const quote = open.slice(-1);
  const close = rest.endsWith(open) ? open : rest.endsWith(quote) ? quote : '';
  return { open, content: rest.slice(0, rest.length - close.length), close };
}

function redactContent(content: string, keepScheme: boolean): string {
  if (carriesNothing(content)) return content;
  const scheme = keepScheme ? SCHEME_PREFIX.exec(content) : null;
  if (scheme === null) return REDACTED;
  const rest = content.slice(scheme[0].length);
  return carriesNothing(rest) ? content : `${scheme[0]}${REDACTED}`;
}

function redactValue(raw: string, keepScheme: boolean): string {
  const quoted = splitQuoted(raw);
  if (quoted === undefined) return carriesNothing(raw) ? raw : REDACTED;
  return `${quoted.open}${redactContent(quoted.content, keepScheme)}${quoted.close}`;
}

/** The replacement for a value held under `key`, an optional auth scheme word in front of it. */
function redactKeyed(key: string, scheme: string | undefined, space: string | undefined, value: string): string | undefined {
  const words = keyWords(key);
  if (!isSecretKey(words)) return undefined;
  if (scheme === undefined || space === undefined) return redactValue(value, keepsScheme(words));
  return keepsScheme(words) ? `${scheme}${space}${redactValue(value, false)}` : REDACTED;
}

function redactKeyValues(text: string): string {
  const keyed = (match: string, key: string, sep: string, scheme: string | undefined, space: string | undefined, value: string): string => {
    const replaced = redactKeyed(key, scheme, space, value);
    return replaced === undefined ? match : `${key}${sep}${replaced}`;
  };
  return text.replace(KEY_VALUE, keyed).replace(FLAG_VALUE, keyed);
}

function redactEnvPairs(text: string): string {
  return text.replace(
    ENV_PAIR,
    (match: string, head: string, name: string, middle: string, scheme: string | undefined, space: string | undefined, value: string) => {
      const replaced = redactKeyed(name, scheme, space, value);
      return replaced === undefined ? match : `${head}${name}${middle}${replaced}`;
    },
  );
}

function redactUrls(text: string): string {
  return text
    .replace(URL_CREDENTIALS, (match: string, prefix: string, password: string) =>
      carriesNothing(password) ? match : `${prefix}${REDACTED}@`,
    )
    .replace(QUERY_PARAM, (match: string, lead: string, name: string, value: string) => {
      const lower = name.toLowerCase();
      const secret = SECRET_QUERY_KEYS.has(lower) || isSecretKey(keyWords(name));
      return !secret || carriesNothing(value) ? match : `${lead}${name}=${REDACTED}`;
    });
}

function redactSecretManifest(text: string): string {
  if (!SECRET_KIND.test(text)) return text;
  return text
    .replace(SECRET_DATA_FLOW, (match: string, head: string, body: string, close: string) =>
      carriesNothing(body) ? match : `${head}${REDACTED}${close}`,
    )
    .replace(SECRET_DATA_BLOCK, (match: string, lead: string, indent: string, head: string, body: string) =>
      carriesNothing(body)
        ? match
        : `${lead}${indent}${head}${indent}  ${REDACTED}${body.endsWith('\n') ? '\n' : ''}`,
    );
}

// A credential after a bare "Bearer"/"Basic": prose ("invalid bearer token", "Basic realm=") has no digits or inner capitals.
function looksLikeCredential(token: string): boolean {
  if (HAS_DIGIT.test(token) || /[+/]|=$/.test(token)) return true;
  const innerCapitals = token.slice(1).replace(/[^A-Z]/g, '').length;
  return innerCapitals >= 2 && HAS_LOWER.test(token);
}

function redactShapes(text: string): string {
  let out = text
    .replace(AUTH_SCHEME, (match: string, scheme: string, space: string, token: string) =>
      looksLikeCredential(token) ? `${scheme}${space}${REDACTED}` : match,
    )
    .replace(JWT, REDACTED);
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, REDACTED);
  return out;
}

function charKind(code: number): number {
  if (code >= 48 && code <= 57) return 0;
  return code >= 65 && code <= 90 ? 1 : 2;
}

function caseSwitchRatio(words: readonly string[]): number {
  let pairs = 0;
  let switches = 0;
  for (const word of words) {
    for (let i = 1; i < word.length; i += 1) {
      pairs += 1;
      if (charKind(word.charCodeAt(i)) !== charKind(word.charCodeAt(i - 1))) switches += 1;
    }
  }
  return pairs === 0 ? 0 : switches / pairs;
}

/** Key material, unlike Kubernetes names, UIDs, digests and container IDs, has a 32-char word or dense case switching. */
function isSecretBlob(run: string, before: string): boolean {
  const body = run.replace(/=+$/, '');
  const bare = body.replace(/^\/+/, '');
  const digestLead = DIGEST_PREFIX.test(before) || (bare.length < body.length && before.endsWith(':'));
  if (digestLead && HEX.test(bare)) return false;
  const words = body
    .replace(UUID, ' ')
    .split(/[/_+\- ]+/)
    .filter((word) => word !== '');
  const longWord = words.some((word, index) => {
    if (word.length < 32 || !HAS_LETTER.test(word) || !HAS_DIGIT.test(word)) return false;
    const previous = words[index - 1];
    return !(HEX.test(word) && previous !== undefined && DIGEST_ALGORITHM.test(previous));
  });
  if (longWord) return true;
  const joined = words.join('');
  return joined.length >= 24 && HAS_LOWER.test(joined) && HAS_UPPER.test(joined) && HAS_DIGIT.test(joined) && caseSwitchRatio(words) >= MIN_SWITCH_RATIO;
}

function redactBlobs(text: string): string {
  return text.replace(BLOB, (run: string, offset: number, whole: string) =>
    isSecretBlob(run, whole.slice(Math.max(0, offset - 8), offset)) ? REDACTED : run,
  );
}

function redactOnce(text: string): string {
  const blocks = text.replace(PRIVATE_KEY_BLOCK, (match: string, begin: string, body: string, end: string) =>
    carriesNothing(body) ? match : `${begin}${REDACTED}${end}`,
  );
  return redactBlobs(redactShapes(redactKeyValues(redactEnvPairs(redactUrls(redactSecretManifest(blocks))))));
}

/** An end index at most `limit` that splits neither a surrogate pair nor a [REDACTED] marker. */
function safeEnd(text: string, limit: number): number {
  let end = Math.min(limit, text.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  const marker = text.lastIndexOf('[', end - 1);
  if (marker >= 0 && marker + REDACTED.length > end && text.startsWith(REDACTED, marker)) end = marker;
  return end;
}

function isSpace(char: string): boolean {
  return /\s/.test(char);
}

function capInput(text: string): string {
  if (text.length <= MAX_INPUT) return text;
  let end = safeEnd(text, MAX_INPUT);
  if (!isSpace(text.charAt(end))) {
    // Drop the word the cut went through: a half token may no longer match the rule that would catch it.
    for (let i = end - 1; i >= Math.max(0, end - WORD_LOOKBACK); i -= 1) {
      if (isSpace(text.charAt(i))) {
        end = i;
        break;
      }
    }
  }
  return text.slice(0, end);
}

/** Replaces secret values (keeping their key names) with [REDACTED]. Idempotent; inputs over 64 KiB are cut first. */
export function redact(text: string): string {
  try {
    let current = capInput(text);
    for (let pass = 0; pass < MAX_PASSES; pass += 1) {
      const next = capInput(redactOnce(current));
      if (next === current) return current;
      current = next;
    }
    return current;
  } catch {
    // Fail closed: an engine error (e.g. regex stack exhaustion) must not let the raw text through.
    return REDACTED;
  }
}

/** True when redact would change the text (a secret-like value is present, or the text is over 64 KiB). */
export function containsSecretLike(text: string): boolean {
  return redact(text) !== text;
}

function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/** A redacted one-line quote of at most `max` characters, ending in "…" when cut. */
export function excerpt(text: string, max = 240): string {
  // Redacts again after collapsing: "password:\n  hunter2" only reads as a pair once on one line.
  const limit = Number.isNaN(max) ? 0 : Math.max(0, Math.floor(max));
  const flat = collapseWhitespace(redact(collapseWhitespace(redact(text)))).trim();
  if (flat.length <= limit) return flat;
  if (limit === 0) return '';
  return `${flat.slice(0, safeEnd(flat, limit - 1)).trimEnd()}…`;
}
