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
// Short or common words that hold a secret only as a key's last word (DB_PW, Set-Cookie, session), not inside others (sessionAffinity).
const SECRET_LAST_WORDS: ReadonlySet<string> = new Set([
  'pw',
  'pass',
  'passcode',
  'passkey',
  'cookie',
  'cookies',
  'session',
  'sessionid',
  'sessid',
  'jsessionid',
  'phpsessid',
]);
// keytool's -storepass/-keypass and the like; bypass, compass, surpass are words, not passwords.
const PASS_SUFFIX = /^(?!.*(?:by|com|sur|over|under|tres)pass$).+pass$/;
// A session key ending in id/key (session_id, SESSION_KEY): the secret is the session, the last word only qualifies it.
const SESSION_QUALIFIERS: ReadonlySet<string> = new Set(['id', 'key', 'value', 'data', 'cookie']);
// Keys that name, locate or describe a secret rather than hold it (secretName, passwordFile, tokenExpirationSeconds).
const REFERENCE_SUFFIXES: ReadonlySet<string> = new Set([
  'name',
  'names',
  'ref',
  'refs',
  'namespace',
  'file',
  'path',
  'dir',
  'seconds',
  'ttl',
  'type',
  'kind',
  'mode',
  'url',
  'uri',
  'endpoint',
  'length',
  'stdin',
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

/** A case-insensitive spelling of a lowercase word, for patterns that are otherwise case-sensitive. */
function anyCase(word: string): string {
  return Array.from(word, (c) => `[${c}${c.toUpperCase()}]`).join('');
}

// Quoted values run to the closing quote or, if a cut removed it, to the end; unquoted ones stop at a delimiter.
const VALUE = [
  String.raw`(?:(${['bearer', 'basic', 'digest', 'negotiate', 'token'].map(anyCase).join('|')})([ \t]+))?(`,
  [
    String.raw`\[REDACTED\]`,
    String.raw`\\"[^"]*(?:"|$)`,
    String.raw`"(?:[^"\\]|\\[\s\S]?)*"?`,
    String.raw`'(?:[^'\\]|\\[\s\S]?)*'?`,
    String.raw`[|>][-+]?[ \t]*(?:\r?\n[ \t][^\n]*)+`,
    // The same block inside a JSON string (a command or a field quoted as JSON), its newlines escaped.
    String.raw`[|>][-+]?[ \t]*(?:(?:\\r)?\\n(?:[ \t]|\\t)[^\\"\n]*)+`,
    // A single quote ends a bare value: it closes a shell or YAML quote the value sits in, which must stay.
    String.raw`[^\s,;&)\]}"{\[][^\s,;&)\]}"']*`,
  ].join('|'),
  ')',
].join('');

// Separators: ASCII and full-width (：＝, as CJK input methods type them), with ideographic spaces around them.
const SEP = String.raw`[ \t\u3000]*(?::=|=>|[:=\uFF1A\uFF1D])[ \t\u3000]*`;
// key=value, key: value, "key":"value", key := value; the lookbehind starts keys only at a word start.
const KEY_HEAD = new RegExp(String.raw`(?<![A-Za-z0-9_.\-])([A-Za-z0-9_.\-]+)((?:\\?["'])?${SEP})`, 'gi');
// Command-line flags in container args: --db-password hunter2, -storepass hunter2 (Go/Java style), "--db-password", "hunter2".
const FLAG_HEAD = /(?<![A-Za-z0-9_.-])(-{1,2}[A-Za-z0-9_][A-Za-z0-9_.-]*)((?:\\?["'])?(?:[ \t]*,[ \t]*|[ \t]+))/gi;
// An upper-case key, blanks, then the value (PASSWD hunter2 in config files and env dumps); prose keys are lower case.
// A next word that is itself a key (DB_PASSWORD value: x, {Name:DB_PASSWORD Value:x}) is no value.
const UPPER_HEAD = /(?<![A-Za-z0-9_.-])([A-Z][A-Z0-9_]*)([ \t]+)(?=\S)(?![A-Za-z0-9_.-]+\\?["']?[ \t]*[:=\uFF1A\uFF1D])/g;
const VALUE_AT = new RegExp(VALUE, 'iy');
// Upper-case prose (TOKEN EXPIRED, PASSWORD REQUIRED) is evidence; a password is seldom one upper-case word.
const SHOUTED = /^[A-Z]+$/;
// Container env entries in YAML, JSON or Go struct form: the secret is named in one field, held in the next.
const ENV_PAIR = new RegExp(
  String.raw`((?<![A-Za-z0-9_.\-])name\\?["']?${SEP}\\?["']?)([A-Za-z0-9_.\-]+)(\\?["']?(?:[\s,]|\\[nrt])*\\?["']?value\\?["']?${SEP})` + VALUE,
  'gi',
);
// Cookie and Set-Cookie headers hold every pair as a secret: the whole a=b; c=d list goes, attributes included.
// Only Set-Cookie's own flags may stand without a value; every other bare word (PASSWD x) is the next key, not a pair.
const COOKIE_HEADER =
  /(?<![A-Za-z0-9_.-])((?:set-)?cookie2?)(\\?["']?[ \t]*[:=\uFF1A\uFF1D][ \t]*\\?["']?)([^\s;"'\\=,]+(?:=[^\s;"'\\]*)?(?:;[ \t]*(?:[^\s;"'\\=,]+=[^\s;"'\\]*|HttpOnly|Secure|Partitioned))*)/gi;
// A probe's httpHeaders list: every value is free text (tokens, keys) whatever the header is called.
const HEADER_LIST = /(\\?["']?httpHeaders\\?["']?[ \t]*:[ \t]*)(\[(?:[^\]"\\]|\\[\s\S]|"(?:[^"\\]|\\[\s\S])*(?:"|$))*\]?)/gi;
const HEADER_VALUE = new RegExp(String.raw`(\\?["']?value\\?["']?[ \t]*:[ \t]*)` + VALUE, 'gi');
// scheme://user:pass@host; the password runs to the last @ so an unescaped @ in it is not half-kept.
const URL_CREDENTIALS = /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:@/?#]*:)([^\s/?#]+)@/g;
// user:pass@host without a scheme (an image reference, a DSN); starts only after a blank or quote and the runs
// exclude those, so each start's runs are disjoint from the next's. A name:tag@sha256:… digest is not a host.
const BARE_CREDENTIALS = /(?<![^\s"'<>`])([^\s"'<>`:@/?#]+:)([^\s"'<>`/?#]+)@(?=[A-Za-z0-9[])(?!(?:sha(?:1|224|256|384|512)|md5|blake[23]b?)[:-])/g;
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
  if (SECRET_LAST_WORDS.has(last) || PASS_SUFFIX.test(last)) return true;
  if (SESSION_QUALIFIERS.has(last) && words.slice(0, -1).some((word) => word === 'session' || word === 'cookie')) return true;
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

/**
 * Replaces the value after each secret key that `head` finds (a key and its separator). A scan, not one
 * replace: the value of a key that is no secret is left unread, so a key inside it (error: password=x,
 * --verbose --password x) is still found; a redacted value is skipped, so no text is read twice.
 */
function redactAfterKeys(text: string, head: RegExp, keep: (value: string) => boolean = () => false): string {
  const out: string[] = [];
  let copied = 0;
  head.lastIndex = 0;
  for (let match = head.exec(text); match !== null; match = head.exec(text)) {
    const key = match[1] ?? '';
    if (!isSecretKey(keyWords(key))) continue;
    VALUE_AT.lastIndex = head.lastIndex;
    const value = VALUE_AT.exec(text);
    if (value === null || keep(value[0])) continue;
    const replaced = redactKeyed(key, value[1], value[2], value[3] ?? '');
    if (replaced === undefined || replaced === value[0]) continue;
    out.push(text.slice(copied, value.index), replaced);
    copied = VALUE_AT.lastIndex;
    head.lastIndex = copied;
  }
  out.push(text.slice(copied));
  return out.join('');
}

function redactKeyValues(text: string): string {
  return redactAfterKeys(redactAfterKeys(redactAfterKeys(text, KEY_HEAD), FLAG_HEAD), UPPER_HEAD, (value) => SHOUTED.test(value));
}

// --- command lines -------------------------------------------------------------------------------

// Tools whose short flag takes a password (mysql -psecret, sshpass -p pw, docker login -p pw, redis-cli -a pw);
// elsewhere -p is a port or mkdir's parents, so the flag counts only inside such a command.
const SECRET_SHORT_FLAG: ReadonlyMap<string, string> = new Map([
  ...[
    'mysql',
    'mysqldump',
    'mysqladmin',
    'mysqlsh',
    'mysqlimport',
    'mysqlcheck',
    'mysqlshow',
    'mysqlpump',
    'mysqlbinlog',
    'mysql_upgrade',
    'mariadb',
    'mariadb-dump',
    'mariadb-admin',
    'mariadb-check',
    'mariadb-import',
    'mariadb-show',
  ].map((tool) => [tool, 'p'] as const),
  ...['mongo', 'mongosh', 'mongodump', 'mongorestore', 'mongoexport', 'mongoimport', 'mongostat', 'mongotop', 'sshpass', 'login', '7z', '7za'].map(
    (tool) => [tool, 'p'] as const,
  ),
  ...['zip', 'unzip'].map((tool) => [tool, 'P'] as const),
  ...['redis-cli', 'keydb-cli'].map((tool) => [tool, 'a'] as const),
  ...['ldapsearch', 'ldapadd', 'ldapmodify', 'ldapdelete', 'ldapwhoami', 'ldappasswd', 'ldapcompare', 'ldapmodrdn'].map((tool) => [tool, 'w'] as const),
]);
// Flags whose value is user:password (curl -u, --proxy-user) in any command; a uid:gid pair stays.
const USER_FLAGS: ReadonlySet<string> = new Set(['-u', '--user', '-U', '--proxy-user']);
// Flags whose value is an HTTP header (curl -H, wget --header, grpcurl -H): the value after the name is free text.
const HEADER_FLAGS: ReadonlySet<string> = new Set(['-H', '--header', '--proxy-header', '-rpc-header', '-reflect-header']);
// A word of a command line (JSON arrays, shell strings and escaped JSON alike); the gaps hold quotes and separators.
const WORD = /[^\s"'`,;&|()[\]{}\\]+/g;
// Between two words, these end a shell command: the next word starts a new one.
const COMMAND_END = /[;&|()\n]/;
const NUMERIC = /^[0-9]+$/;
// After a flag, its value may come after blanks, a JSON/Python array separator ("-p","pw") or in quotes ("-p 'p w'").
const FLAG_GAP = /[ \t]*(?:(\\?["'])[ \t]*,[ \t]*(\\?["'])|(\\?["'])|=)?/y;
const UNQUOTED_END = /[\s,;&)\]}"'\\]/;

interface Span {
  readonly start: number;
  readonly end: number;
}

/** Where a value that starts at `start` ends: at its closing quote when `quote` opened it, else at a delimiter. */
function valueSpan(text: string, start: number, quote: string | undefined): Span {
  if (quote !== undefined) {
    const close = text.indexOf(quote, start);
    return { start, end: close < 0 ? text.length : close };
  }
  let end = start;
  while (end < text.length && !UNQUOTED_END.test(text.charAt(end))) end += 1;
  // A marker the value runs into ends with a bracket that is its own, not a delimiter.
  if (text.startsWith(REDACTED, end - REDACTED.length + 1)) end += 1;
  return { start, end };
}

/** The quote a word sits in ("-psecret" in a JSON array, '-u a:b' in a shell string), so a value runs to its close. */
function quoteBefore(text: string, index: number): string | undefined {
  const before = text.charAt(index - 1);
  if (before === "'") return before;
  if (before !== '"') return undefined;
  return text.charAt(index - 2) === '\\' ? '\\"' : '"';
}

/** A value glued to its flag at `at` (-psecret, --user=a:b, -p'a b'); `open` is the quote the whole word sits in. */
function gluedValue(text: string, at: number, open: string | undefined): Span {
  const quote = /^\\?["']/.exec(text.slice(at, at + 2))?.[0];
  return quote === undefined ? valueSpan(text, at, open) : valueSpan(text, at + quote.length, quote);
}

/** The value in the word after a flag that ends at `at`, quoted or not; none when a flag follows. */
function nextValue(text: string, at: number): Span | undefined {
  FLAG_GAP.lastIndex = at;
  const gap = FLAG_GAP.exec(text);
  const start = FLAG_GAP.lastIndex;
  if (gap === null || start === at || start >= text.length) return undefined;
  const quote = gap[2] ?? gap[3];
  const span = valueSpan(text, start, quote);
  // A flag next (mysql -p -h db) means the tool prompts: there is no value to hide.
  return span.end === span.start || text.charAt(start) === '-' ? undefined : span;
}

/** What of a flag's value is secret: all of it, or for user:password and Name: value only the part after the colon. */
function secretPart(text: string, span: Span, kind: 'whole' | 'user' | 'header'): Span | undefined {
  if (kind === 'whole') return span;
  const colon = text.indexOf(':', span.start);
  if (colon < 0 || colon >= span.end) return undefined;
  let start = colon + 1;
  while (start < span.end && (text.charAt(start) === ' ' || text.charAt(start) === '\t')) start += 1;
  // Authorization: Basic … keeps its scheme word, as the key=value rule does.
  if (kind === 'header') start += SCHEME_PREFIX.exec(text.slice(start, span.end))?.[0].length ?? 0;
  const rest = text.slice(start, span.end);
  return kind === 'user' && NUMERIC.test(rest) ? undefined : { start, end: span.end };
}

/**
 * Short flags and their values on command lines (container command/args, exec probes, quoted shell):
 * mysql -psecret, sshpass -p pw, curl -u user:pw, curl -H "X-Key: v". One left-to-right scan of words;
 * a redacted value is skipped, and a quoted value ends at the next quote of its kind, so spans do not nest.
 */
function redactCommands(text: string): string {
  const out: string[] = [];
  let copied = 0;
  let secretFlag: string | undefined;
  let previousEnd = 0;
  WORD.lastIndex = 0;
  for (let match = WORD.exec(text); match !== null; match = WORD.exec(text)) {
    const word = match[0];
    const wordEnd = match.index + word.length;
    if (COMMAND_END.test(text.slice(previousEnd, match.index))) secretFlag = undefined;
    previousEnd = wordEnd;
    const tool = SECRET_SHORT_FLAG.get(word.slice(word.lastIndexOf('/') + 1).toLowerCase());
    if (tool !== undefined) {
      secretFlag = tool;
      continue;
    }
    if (!word.startsWith('-')) continue;
    const eq = word.indexOf('=');
    const name = eq < 0 ? word : word.slice(0, eq);
    const open = quoteBefore(text, match.index);
    // A word cut by a bracket (-p[abc]) is a glued value, not a flag alone.
    const cut = wordEnd < text.length && /[[({`]/.test(text.charAt(wordEnd));
    const value = (flagLength: number): Span | undefined =>
      flagLength < word.length || cut ? gluedValue(text, match.index + flagLength, open) : nextValue(text, wordEnd);
    let found: { span: Span | undefined; kind: 'whole' | 'user' | 'header' } | undefined;
    if (USER_FLAGS.has(name) || HEADER_FLAGS.has(name)) found = { span: value(eq < 0 ? word.length : eq + 1), kind: USER_FLAGS.has(name) ? 'user' : 'header' };
    else if (/^-[uH]/.test(word)) found = { span: value(2), kind: word.charAt(1) === 'u' ? 'user' : 'header' };
    else if (secretFlag !== undefined && word.startsWith(`-${secretFlag}`)) found = { span: value(2), kind: 'whole' };
    if (found?.span === undefined) continue;
    const secret = secretPart(text, found.span, found.kind);
    if (secret === undefined || secret.start < copied) continue;
    if (text.startsWith(REDACTED, secret.start) || carriesNothing(text.slice(secret.start, secret.end))) continue;
    out.push(text.slice(copied, secret.start), REDACTED);
    copied = secret.end;
    // Only a redacted value is skipped: one left alone may hold the next command (an unclosed quote runs to the end).
    WORD.lastIndex = Math.max(found.span.end, wordEnd);
    previousEnd = WORD.lastIndex;
  }
  out.push(text.slice(copied));
  return out.join('');
}

function redactCookies(text: string): string {
  return text.replace(COOKIE_HEADER, (match: string, key: string, sep: string, pairs: string) => (carriesNothing(pairs) ? match : `${key}${sep}${REDACTED}`));
}

function redactHeaderLists(text: string): string {
  return text.replace(
    HEADER_LIST,
    (_match: string, head: string, list: string) =>
      head +
      list.replace(HEADER_VALUE, (_m: string, lead: string, scheme: string | undefined, space: string | undefined, value: string) =>
        scheme === undefined || space === undefined ? `${lead}${redactValue(value, false)}` : `${lead}${REDACTED}`,
      ),
  );
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
  const credentials = (match: string, prefix: string, password: string): string => (carriesNothing(password) ? match : `${prefix}${REDACTED}@`);
  return text
    .replace(URL_CREDENTIALS, credentials)
    .replace(BARE_CREDENTIALS, credentials)
    .replace(QUERY_PARAM, (match: string, lead: string, name: string, value: string) => {
      const lower = name.toLowerCase();
      const secret = SECRET_QUERY_KEYS.has(lower) || isSecretKey(keyWords(name));
      return !secret || carriesNothing(value) ? match : `${lead}${name}=${REDACTED}`;
    });
}

function redactSecretManifest(text: string): string {
  if (!SECRET_KIND.test(text)) return text;
  return text
    .replace(SECRET_DATA_FLOW, (match: string, head: string, body: string, close: string) => (carriesNothing(body) ? match : `${head}${REDACTED}${close}`))
    .replace(SECRET_DATA_BLOCK, (match: string, lead: string, indent: string, head: string, body: string) =>
      carriesNothing(body) ? match : `${lead}${indent}${head}${indent}  ${REDACTED}${body.endsWith('\n') ? '\n' : ''}`,
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
  return text.replace(BLOB, (run: string, offset: number, whole: string) => (isSecretBlob(run, whole.slice(Math.max(0, offset - 8), offset)) ? REDACTED : run));
}

function redactOnce(text: string): string {
  const blocks = text.replace(PRIVATE_KEY_BLOCK, (match: string, begin: string, body: string, end: string) =>
    carriesNothing(body) ? match : `${begin}${REDACTED}${end}`,
  );
  const structured = redactHeaderLists(redactSecretManifest(blocks));
  return redactBlobs(redactShapes(redactCommands(redactCookies(redactKeyValues(redactEnvPairs(redactUrls(structured)))))));
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
