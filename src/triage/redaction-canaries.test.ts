import { MemorySnapshot } from './memory-snapshot';
import type { Envelope } from '../crds/envelope';
import type { DiagnosisInput, DiagnosisTarget, diagnose as Diagnose } from './engine';
import { diagnose } from './engine';
import { excerpt, redact } from './redact';
import type { KubeObject } from './snapshot';
import { builtInTemplate } from './templates';

// A red-team canary set: each secret is a unique random value planted in one realistic shape, pushed
// through every channel the engine quotes from (Event messages, termination and waiting messages, image
// references, probe headers and commands, container commands, annotations). No canary may reach the
// envelope (status, and the Event note, which is its summary). A control run with a pass-through
// redactor proves each channel really quotes what it is given, so a silent channel cannot pass for a safe one.

const NOW = new Date('2026-11-21T12:00:00.000Z');
const NS = 'shop';

// --- canaries ------------------------------------------------------------------------------------

/** Seeded, so a failure names the same canary on every run (mulberry32). */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = rng(0x5ec7e7);
const issued = new Set<string>();
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789abcdef';
const B64 = `${ALNUM}+/`;

function chars(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet.charAt(Math.floor(random() * alphabet.length));
  return out;
}

/** A fresh secret: random letters and digits under the 24-character blob rule, so only the shape can hide it. */
function secret(length = 14): string {
  for (;;) {
    // A capital, a digit and lower case: what a password policy asks for, and what "bearer <x>" needs to read as one.
    const value = `${chars('ABCDEFGHJKLMNPQRSTUVWXYZ', 1)}${chars('0123456789', 1)}${chars(ALNUM, length - 3)}${chars('abcdefghijkmnopqrstuvwxyz', 1)}`;
    if (!issued.has(value)) {
      issued.add(value);
      return value;
    }
  }
}

/** A fresh value in a given alphabet (token formats), registered so no two canaries share one. */
function fresh(make: () => string): string {
  const value = make();
  if (issued.has(value)) return fresh(make);
  issued.add(value);
  return value;
}

interface Canary {
  readonly name: string;
  /** The text as a log line, an error message or a config line would carry it. */
  readonly line: string;
  /** Every piece that must not be seen (a password split by an @ is two). */
  readonly secrets: readonly string[];
  /** The same secret as a command's argv, when the shape is a command line. */
  readonly argv?: readonly string[];
  /** The shape is an image reference (the line is the image). */
  readonly image?: boolean;
  /** The shape is an HTTP header (name, value) a probe can send. */
  readonly header?: readonly [string, string];
}

function canary(name: string, make: (s: string) => string, options: { argv?: (s: string) => string[]; image?: boolean } = {}): Canary {
  const s = secret();
  return {
    name,
    line: make(s),
    secrets: [s],
    ...(options.argv === undefined ? {} : { argv: options.argv(s) }),
    ...(options.image === true ? { image: true } : {}),
  };
}

function header(name: string, make: (s: string) => string): Canary {
  const s = secret();
  // As text, a header is quoted on a command line: a bare "Name: value" is any key and value, secret only by its name.
  return { name: `probe header ${name}`, line: `curl -sf -H '${name}: ${make(s)}' http://localhost:8080/healthz`, secrets: [s], header: [name, make(s)] };
}

const s1 = secret();
const s2 = secret();
const s3 = secret();
const s4 = secret();
const s5 = secret();
const s6 = secret();
const jwt = fresh(() => `eyJ${chars(ALNUM, 24)}.eyJ${chars(ALNUM, 30)}.${chars(ALNUM, 27)}`);
const github = fresh(() => `ghp_${chars(ALNUM, 36)}`);
const gitlab = fresh(() => `glpat-${chars(ALNUM, 20)}`);
const slack = fresh(() => `xoxb-${chars('0123456789', 12)}-${chars(ALNUM, 24)}`);
const awsKey = fresh(() => `AKIA${chars(UPPER_ALNUM, 16)}`);
const google = fresh(() => `AIza${chars(ALNUM, 35)}`);
const awsSecret = fresh(() => `${chars(ALNUM, 20)}/${chars(ALNUM, 19)}`);
const s3Signature = fresh(() => chars(HEX, 64));
const basic = fresh(() => `${chars(B64, 22)}==`);
const pemBody = fresh(() => `MIIE${chars(B64, 60)}`);
const secretData = fresh(() => `${chars(B64, 18)}==`);

const CANARIES: readonly Canary[] = [
  // Shapes the red team saw leak.
  canary('image reference with credentials, no scheme', (s) => `user:${s}@registry.example.com/team/app:1`, { image: true }),
  canary('image reference with credentials and a scheme', (s) => `https://user:${s}@registry.example.com/team/app:1`, { image: true }),
  { name: 'image reference, @ inside the password', line: `deploy:${s1}@${s2}@registry.example.com/team/app:2`, secrets: [s1, s2], image: true },
  canary('mysql -p glued', (s) => `mysql -h db -uroot -p${s} shop`, { argv: (s) => ['mysql', '-h', 'db', '-uroot', `-p${s}`, 'shop'] }),
  canary('mysql -p spaced', (s) => `mysql -u root -p ${s} shop`, { argv: (s) => ['mysql', '-u', 'root', '-p', s, 'shop'] }),
  canary('mysqladmin ping in a shell', (s) => `mysqladmin ping -h 127.0.0.1 -uroot -p${s}`),
  canary('mysql -p quoted in a shell', (s) => `mysql -uroot -p"${s}" -e 'select 1'`),
  canary('curl -u user:password', (s) => `curl -fsS -u admin:${s} http://localhost:8080/health`, {
    argv: (s) => ['curl', '-fsS', '-u', `admin:${s}`, 'http://localhost:8080/health'],
  }),
  canary('curl --user=user:password', (s) => `curl --user=admin:${s} http://localhost:8080/health`),
  canary('sshpass -p', (s) => `sshpass -p ${s} ssh deploy@10.0.0.5 uptime`, { argv: (s) => ['sshpass', '-p', s, 'ssh', 'deploy@10.0.0.5', 'uptime'] }),
  canary('sshpass -p glued', (s) => `sshpass -p${s} rsync -a /data backup@10.0.0.6:/srv`),
  canary('docker login -p', (s) => `docker login -u ci -p ${s} registry.example.com`, {
    argv: (s) => ['docker', 'login', '-u', 'ci', '-p', s, 'registry.example.com'],
  }),
  canary('redis-cli -a', (s) => `redis-cli -h redis -a ${s} ping`, { argv: (s) => ['redis-cli', '-h', 'redis', '-a', s, 'ping'] }),
  canary('--password=', (s) => `/app/server --listen :8080 --password=${s}`, { argv: (s) => ['/app/server', '--listen', ':8080', `--password=${s}`] }),
  canary('--db-password spaced', (s) => `/app/migrate --db-password ${s} up`, { argv: (s) => ['/app/migrate', '--db-password', s, 'up'] }),
  canary('curl -H with an arbitrary header', (s) => `curl -H "X-Tenant-Key: ${s}" http://localhost:8080/`, {
    argv: (s) => ['curl', '-H', `X-Tenant-Key: ${s}`, 'http://localhost:8080/'],
  }),
  canary('wget --header=', (s) => `wget -qO- --header="X-Session: ${s}" http://localhost/`),
  canary('openssl -passin pass:', (s) => `openssl pkcs12 -in /certs/a.p12 -passin pass:${s} -nokeys`),
  canary('keytool -storepass', (s) => `keytool -list -keystore /certs/k.jks -storepass ${s}`),
  canary('pw=', (s) => `connect failed with pw=${s} for user app`),
  canary('PASSWD, key space value', (s) => `PASSWD ${s}`),
  canary('DB_PASS:', (s) => `DB_PASS: ${s}`),
  canary('PASS=', (s) => `PASS=${s} ./run.sh`),
  canary('Cookie: session=', (s) => `request had Cookie: session=${s}`),
  canary('Cookie with several pairs', (s) => `Cookie: lang=en; connect.sid=${s}; theme=dark`),
  canary('Set-Cookie', (s) => `Set-Cookie: sid=${s}; Path=/; HttpOnly`),
  canary('session=', (s) => `login ok session=${s} user=bob`),
  canary('full-width colon', (s) => `password：${s}`),
  canary('full-width equals', (s) => `token＝${s}`),
  canary('cookie=', (s) => `cookie=${s}`),
  header('X-Api-Key', (s) => s),
  header('Authorization', (s) => `Bearer ${s}`),
  header('X-Tenant-Signature', (s) => s),
  header('Host', (s) => `${s}.internal`),
  // The shapes redact.test.ts already covers, with fresh values.
  canary('Authorization: Bearer', (s) => `Authorization: Bearer ${s}`),
  { name: 'Authorization: Basic', line: `curl -H "Authorization: Basic ${basic}"`, secrets: [basic] },
  canary('bare bearer token in prose', (s) => `sent bearer ${s} to the API`),
  canary('password=', (s) => `password=${s}`),
  canary('DB_PASSWORD= beside a plain var', (s) => `DB_PASSWORD=${s} DB_USER=app`),
  canary('passwd:', (s) => `passwd: ${s}`),
  canary('pwd=', (s) => `pwd=${s};next=1`),
  canary('x-api-key:', (s) => `x-api-key: ${s}`),
  canary('api_key=', (s) => `api_key=${s}`),
  canary('apiKey in a Go struct', (s) => `{apiKey: ${s}}`),
  { name: 'aws_secret_access_key', line: `aws_secret_access_key = ${awsSecret}`, secrets: [awsSecret] },
  canary('client_secret JSON with a space', (s) => `{"client_secret":"${s} value","user":"bob"}`),
  { name: "token='…' with a space", line: `token='${s3} ${s4}'; next=1`, secrets: [s3, s4] },
  canary('credentials:', (s) => `credentials: ${s}, region: eu`),
  canary('auth=', (s) => `auth=${s}&page=2`),
  canary('postgres URL', (s) => `postgres://app:${s}@db.example.com:5432/app`),
  { name: 'redis URL, @ in the password', line: `redis://:${s5}@${s6}@redis:6379/0`, secrets: [s5, s6] },
  {
    name: 'presigned S3 URL',
    line: `https://b.s3.amazonaws.com/o?X-Amz-Credential=${awsKey}%2F20260101&X-Amz-Signature=${s3Signature}`,
    secrets: [awsKey, s3Signature],
  },
  canary('Azure SAS sig', (s) => `https://x.blob.core.windows.net/c?sv=2022-11-02&sig=${s}&se=2026`),
  canary('token query parameter', (s) => `GET /v1/x?token=${s}&page=2`),
  { name: 'JWT in prose', line: `id token ${jwt} expired`, secrets: [jwt] },
  { name: 'GitHub token', line: `cloning with ${github} failed`, secrets: [github] },
  { name: 'GitLab token', line: `git clone https://oauth2:${gitlab}@gitlab.example.com/x.git`, secrets: [gitlab] },
  { name: 'Slack token', line: `hook ${slack} sent`, secrets: [slack] },
  { name: 'Google API key', line: `${google} was rejected`, secrets: [google] },
  { name: 'PEM private key', line: `-----BEGIN RSA PRIVATE KEY-----\n${pemBody}\n-----END RSA PRIVATE KEY-----`, secrets: [pemBody] },
  canary('env pair, YAML', (s) => `- name: DB_PASSWORD\n  value: ${s}`),
  canary('env pair, JSON', (s) => `{"name":"API_TOKEN","value":"${s}"}`),
  canary('env command', (s) => `env FOO_SECRET=${s} ./run`),
  {
    name: 'Secret manifest in last-applied-configuration',
    line: `{"apiVersion":"v1","data":{"password":"${secretData}"},"kind":"Secret"}`,
    secrets: [secretData],
  },
  canary('YAML block scalar', (s) => `password: |\n  ${s}\nuser: bob`),
];

// --- channels ------------------------------------------------------------------------------------

interface Case {
  readonly intent: string;
  readonly target: DiagnosisTarget;
  readonly objects: readonly KubeObject[];
}

interface Channel {
  readonly name: string;
  readonly applies: (c: Canary) => boolean;
  readonly build: (c: Canary) => Case;
}

const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', uid: 'uid-node-a', resourceVersion: '1' } };

function pod(name: string, container: Record<string, unknown>, status: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, uid: `uid-pod-${name}`, resourceVersion: '1', annotations: {} },
    spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'registry.example.com/shop/app:1', ...container }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: 'app', ready: false, restartCount: 5, ...status }],
    },
  } as KubeObject;
}

function event(about: KubeObject, reason: string, message: string, at: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${about.metadata?.name ?? ''}.${reason}`, namespace: NS, uid: `ev-${about.metadata?.name ?? ''}-${reason}`, resourceVersion: '2' },
    involvedObject: { kind: 'Pod', name: about.metadata?.name, namespace: NS, uid: about.metadata?.uid, fieldPath: 'spec.containers{app}' },
    reason,
    type: 'Warning',
    message,
    count: 3,
    lastTimestamp: at,
  } as KubeObject;
}

function podCase(intent: string, subject: KubeObject, events: readonly KubeObject[] = []): Case {
  return { intent, target: { kind: 'Pod', namespace: NS, name: subject.metadata?.name ?? '' }, objects: [node, subject, ...events] };
}

const crashLoop = { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=app pod=p_shop(uid)' } };
const argvOf = (c: Canary): readonly string[] => c.argv ?? ['sh', '-c', c.line];

/** A container whose liveness probe kills it; `probe` says what it checks. */
function probeKilled(name: string, probe: Record<string, unknown>): Case {
  const subject = pod(
    name,
    { livenessProbe: { ...probe, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 } },
    { state: crashLoop, lastState: { terminated: { exitCode: 137, reason: 'Error', startedAt: '2026-11-21T11:57:00Z', finishedAt: '2026-11-21T11:58:05Z' } } },
  );
  return podCase('crashloop', subject, [
    event(subject, 'Killing', 'Container app failed liveness probe, will be restarted', '2026-11-21T11:58:04Z'),
    event(subject, 'Unhealthy', 'Liveness probe failed: HTTP probe failed with statuscode: 401', '2026-11-21T11:58:03Z'),
  ]);
}

const CHANNELS: readonly Channel[] = [
  {
    name: 'termination message',
    applies: () => true,
    build: (c) =>
      podCase(
        'crashloop',
        pod(
          'term',
          {},
          {
            state: crashLoop,
            lastState: {
              terminated: {
                exitCode: 1,
                reason: 'Error',
                message: `fatal error: ${c.line}`,
                startedAt: '2026-11-21T11:58:00Z',
                finishedAt: '2026-11-21T11:59:00Z',
              },
            },
          },
        ),
      ),
  },
  {
    name: 'waiting message',
    applies: () => true,
    build: (c) => podCase('crashloop', pod('wait', {}, { state: { waiting: { reason: 'CreateContainerError', message: `failed to start: ${c.line}` } } })),
  },
  {
    name: 'Event message (core/v1)',
    applies: () => true,
    build: (c) => {
      const subject = pod('ev', {}, { state: { waiting: { reason: 'ImagePullBackOff', message: '' } } });
      return podCase('image-pull', subject, [
        event(subject, 'Failed', `Failed to pull image "registry.example.com/shop/app:1": ${c.line}`, '2026-11-21T11:59:00Z'),
      ]);
    },
  },
  {
    name: 'Event note (events.k8s.io/v1)',
    applies: () => true,
    build: (c) => {
      const subject = pod('note', {}, { state: { waiting: { reason: 'ImagePullBackOff', message: '' } } });
      const note = {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: 'note.failed', namespace: NS, uid: 'ev-note-failed', resourceVersion: '2' },
        regarding: { kind: 'Pod', name: 'note', namespace: NS, uid: subject.metadata?.uid, fieldPath: 'spec.containers{app}' },
        reason: 'Failed',
        type: 'Warning',
        note: `Failed to pull image "registry.example.com/shop/app:1": ${c.line}`,
        series: { count: 3, lastObservedTime: '2026-11-21T11:59:00Z' },
      } as KubeObject;
      return podCase('image-pull', subject, [note]);
    },
  },
  {
    name: 'image reference',
    applies: (c) => c.image === true,
    build: (c) => {
      const subject = pod(
        'img',
        { image: c.line },
        { image: c.line, state: { waiting: { reason: 'ErrImagePull', message: `failed to pull and unpack image "${c.line}": 401 Unauthorized` } } },
      );
      return podCase('image-pull', subject, [event(subject, 'Failed', `Failed to pull image "${c.line}": 401 Unauthorized`, '2026-11-21T11:59:00Z')]);
    },
  },
  {
    name: 'probe header',
    applies: () => true,
    build: (c) =>
      probeKilled('hdr', { httpGet: { path: '/healthz', port: 8080, httpHeaders: [{ name: c.header?.[0] ?? 'X-Line', value: c.header?.[1] ?? c.line }] } }),
  },
  {
    name: 'exec probe command',
    applies: () => true,
    build: (c) => probeKilled('exec', { exec: { command: argvOf(c) } }),
  },
  {
    name: 'container command and args',
    applies: () => true,
    build: (c) => {
      const argv = argvOf(c);
      const subject = pod(
        'cmd',
        { command: argv, args: ['--note', c.line] },
        {
          state: crashLoop,
          lastState: {
            terminated: {
              exitCode: 128,
              reason: 'StartError',
              message: `failed to create containerd task: exec: "${argv[0] ?? ''}": executable file not found in $PATH: unknown`,
            },
          },
        },
      );
      return podCase('crashloop', subject);
    },
  },
  {
    name: 'annotation',
    applies: () => true,
    build: (c) => ({
      intent: 'ingress-pending',
      target: { kind: 'Ingress', namespace: NS, name: 'web' },
      objects: [
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: {
            name: 'web',
            namespace: NS,
            uid: 'uid-ingress-web',
            resourceVersion: '1',
            annotations: { 'kubernetes.io/ingress.class': c.line, 'example.com/note': c.line },
          },
          spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
        } as KubeObject,
      ],
    }),
  },
];

async function run(engine: typeof Diagnose, kase: Case): Promise<Envelope> {
  const template = builtInTemplate(kase.intent);
  if (template === undefined) throw new Error(`no built-in template ${kase.intent}`);
  const input: DiagnosisInput = {
    intent: kase.intent,
    template,
    templateSource: 'BuiltIn',
    target: kase.target,
    maxSteps: 3,
    timeoutMs: 15_000,
    minCompleteness: 0.8,
    snapshot: new MemorySnapshot(kase.objects),
    now: () => NOW,
  };
  return (await engine(input)).envelope;
}

interface Leak {
  readonly canary: string;
  readonly channel: string;
  readonly secret: string;
}

async function leaks(engine: typeof Diagnose): Promise<Leak[]> {
  const found: Leak[] = [];
  for (const channel of CHANNELS) {
    for (const c of CANARIES.filter(channel.applies)) {
      const text = JSON.stringify(await run(engine, channel.build(c)));
      for (const s of c.secrets) if (text.includes(s)) found.push({ canary: c.name, channel: channel.name, secret: s });
    }
  }
  return found;
}

// --- tests ---------------------------------------------------------------------------------------

describe('redaction canaries', () => {
  test('there are at least 60 canaries, each secret unique', () => {
    const all = CANARIES.flatMap((c) => c.secrets);
    expect(CANARIES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(all).size).toBe(all.length);
  });

  test.each(CANARIES.map((c) => [c.name, c] as const))('redact and excerpt hide: %s', (_name, c) => {
    const out = redact(c.line);
    const quoted = excerpt(c.line);
    expect(c.secrets.filter((s) => out.includes(s) || quoted.includes(s))).toEqual([]);
    expect(redact(out)).toBe(out);
  });

  test.each([' ', '; ', ', ', '\n', ' (sent '])('canaries side by side, joined by %j, hide each other', (joint) => {
    // One rule must not swallow the next shape's key and leave its value (Cookie: a=b; PASSWD x).
    const shuffle = (seed: number): Canary[] => {
      const next = rng(seed);
      return CANARIES.map((c) => ({ c, key: next() }))
        .sort((a, b) => a.key - b.key)
        .map(({ c }) => c);
    };
    for (const order of [CANARIES, [...CANARIES].reverse(), shuffle(1), shuffle(2), shuffle(3), shuffle(4)]) {
      const text = order.map((c) => c.line).join(joint);
      const out = redact(text);
      expect(order.flatMap((c) => c.secrets.filter((s) => out.includes(s)).map((s) => `${c.name}: ${s}`))).toEqual([]);
    }
  });

  test('no canary reaches the envelope through any channel', async () => {
    const found = await leaks(diagnose);
    // Logged in full so a failure names every leak at once, not just the first.
    expect(found).toEqual([]);
  });

  test('the probe header channel quotes the probe: its header names are shown, values never', async () => {
    for (const c of CANARIES.filter((x) => x.header !== undefined)) {
      const text = JSON.stringify(
        await run(diagnose, CHANNELS.find((ch) => ch.name === 'probe header')?.build(c) ?? { intent: '', target: { kind: 'Pod' }, objects: [] }),
      );
      expect({ name: c.header?.[0], shown: text.includes(`"name\\":\\"${c.header?.[0] ?? ''}\\"`) }).toEqual({ name: c.header?.[0], shown: true });
    }
  });
});

describe('redaction canaries: the channels are live', () => {
  let passThrough: typeof Diagnose | undefined;

  beforeAll(() => {
    // The same engine with a redactor that hides nothing: every secret it then shows is text a channel quotes.
    jest.isolateModules(() => {
      jest.doMock('./redact', () => {
        const actual = jest.requireActual<typeof import('./redact')>('./redact');
        const flat = (text: string, max = 240): string => {
          const one = text.replace(/\s+/g, ' ').trim();
          return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
        };
        return { ...actual, redact: (text: string) => text, excerpt: flat };
      });
      // requireActual skips a mock of the engine itself only: its own imports still get the pass-through redactor.
      passThrough = jest.requireActual<typeof import('./engine')>('./engine').diagnose;
    });
  });

  test('without redaction, every text channel quotes every canary, and every canary leaks somewhere', async () => {
    if (passThrough === undefined) throw new Error('engine not loaded');
    const found = await leaks(passThrough);
    const reached = (channel: string) => new Set(found.filter((l) => l.channel === channel).map((l) => l.canary));
    const everyCanary = CANARIES.map((c) => c.name);
    for (const channel of [
      'termination message',
      'waiting message',
      'Event message (core/v1)',
      'Event note (events.k8s.io/v1)',
      'exec probe command',
      'container command and args',
      'annotation',
    ]) {
      expect({ channel, missed: everyCanary.filter((name) => !reached(channel).has(name)) }).toEqual({ channel, missed: [] });
    }
    const images = CANARIES.filter((c) => c.image === true).map((c) => c.name);
    expect({ channel: 'image reference', missed: images.filter((name) => !reached('image reference').has(name)) }).toEqual({
      channel: 'image reference',
      missed: [],
    });
  });
});
