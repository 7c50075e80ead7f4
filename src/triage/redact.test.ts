import { REDACTED, containsSecretLike, excerpt, redact } from './redact';

const R = REDACTED;
const DIGEST = 'sha256:4bcdc8a1f2e3d4c5b6a79881726354afbecd0192837465acbdef0123456789ab';
const CONTAINER_ID = 'containerd://0e1d2c3b4a5968778695a4b3c2d1e0f0e1d2c3b4a5968778695a4b3c2d1e0f00';
const UID = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const PEM_BODY = 'MIIEowIBAAKCAQEA7bq3vR1x9kLmN2pQ4sT6uW8yZ0aB\nc3dE5fG7hJ9kL1mN3oP5qR7sT9uV1wX3yZ5aB7cD9eF1';

// [description, input, exact expected output]
const SECRET_ROWS: readonly (readonly [string, string, string])[] = [
  ['Authorization header, Bearer', 'Authorization: Bearer abc.def-ghi_123', `Authorization: Bearer ${R}`],
  ['authorization header, lowercase, JWT', `authorization: bearer ${JWT}`, `authorization: bearer ${R}`],
  ['Authorization header, Basic, inside curl quotes', 'curl -H "Authorization: Basic dXNlcjpwYXNzd29yZA=="', `curl -H "Authorization: Basic ${R}"`],
  ['Authorization as a JSON field', '{"Authorization":"Bearer abc123"}', `{"Authorization":"Bearer ${R}"}`],
  ['Proxy-Authorization header', 'Proxy-Authorization: Basic dXNlcjpwYXNz', `Proxy-Authorization: Basic ${R}`],
  ['bare bearer token in prose', 'sent bearer 9f8e7d6c5b4a3 to the API', `sent bearer ${R} to the API`],
  ['bare Basic credentials', 'Basic dXNlcjpwYXNz rejected', `Basic ${R} rejected`],
  ['password=value', 'password=hunter2', `password=${R}`],
  ['prefixed env key, neighbour kept', 'DB_PASSWORD=hunter2 DB_USER=app', `DB_PASSWORD=${R} DB_USER=app`],
  ['passwd colon form', 'passwd: hunter2', `passwd: ${R}`],
  ['pwd key', 'pwd=hunter2;next=1', `pwd=${R};next=1`],
  ['x-api-key header', 'x-api-key: abc123def', `x-api-key: ${R}`],
  ['api_key', 'api_key=abc123', `api_key=${R}`],
  ['camelCase apiKey in a Go struct', '{apiKey: abc123}', `{apiKey: ${R}}`],
  ['aws_secret_access_key with spaces', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', `aws_secret_access_key = ${R}`],
  ['accessKey', 'accessKey=ZZZ9', `accessKey=${R}`],
  ['private-key', 'private-key=abc', `private-key=${R}`],
  ['client_secret JSON, quoted with a space', '{"client_secret":"s3cr3t value","user":"bob"}', `{"client_secret":"${R}","user":"bob"}`],
  ['single-quoted value runs to the closing quote', "token='abc def'; next=1", `token='${R}'; next=1`],
  ['double-quoted value with an escaped quote', 'secret="a\\"b c" tail', `secret="${R}" tail`],
  ['unclosed quote runs to the end', 'password="hunter2 and more', `password="${R}`],
  ['credentials, comma-delimited', 'credentials: abc, region: eu', `credentials: ${R}, region: eu`],
  ['auth, ampersand-delimited', 'auth=xyz&page=2', `auth=${R}&page=2`],
  ['auth glued into a key', 'basicauth=xyz proxyauthorization=Basic dXNlcjpwYXNz', `basicauth=${R} proxyauthorization=Basic ${R}`],
  ['value stops at a closing bracket', '(token=abc123) done', `(token=${R}) done`],
  ['escaped JSON inside an annotation', '{\\"password\\":\\"hunter2\\"}', `{\\"password\\":\\"${R}\\"}`],
  ['Go := assignment', 'apiToken := "abc"', `apiToken := "${R}"`],
  ['YAML block scalar', 'password: |\n  line1\n  line2\nuser: bob', `password: ${R}\nuser: bob`],
  ['CLI flag with a space', 'args: --db-password hunter2 --verbose', `args: --db-password ${R} --verbose`],
  ['CLI flag in a JSON args array', '["--client-secret","s3cr3t","--v=2"]', `["--client-secret","${R}","--v=2"]`],
  ['URL credentials', 'postgres://app:s3cret@db.example.com:5432/app', `postgres://app:${R}@db.example.com:5432/app`],
  ['URL credentials, empty user, @ in password', 'redis://:pa@ss@redis:6379/0', `redis://:${R}@redis:6379/0`],
  [
    'presigned S3 URL',
    'https://b.s3.amazonaws.com/o?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240101&X-Amz-Signature=abcdef0123&X-Amz-Date=20240101T000000Z',
    `https://b.s3.amazonaws.com/o?X-Amz-Credential=${R}&X-Amz-Signature=${R}&X-Amz-Date=20240101T000000Z`,
  ],
  [
    'Azure SAS sig',
    'https://x.blob.core.windows.net/c?sv=2022-11-02&sig=abc%2Bdef&se=2024',
    `https://x.blob.core.windows.net/c?sv=2022-11-02&sig=${R}&se=2024`,
  ],
  ['token and key query params', 'GET /v1/x?token=abc123&key=k1&page=2', `GET /v1/x?token=${R}&key=${R}&page=2`],
  ['signature and secret and password query params', '/cb?signature=s1;secret=s2&password=p3', `/cb?signature=${R};secret=${R}&password=${R}`],
  ['JWT in prose', `id token ${JWT} expired`, `id token ${R} expired`],
  ['GitHub classic token', 'cloning with ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 failed', `cloning with ${R} failed`],
  ['GitHub OAuth and server tokens', 'gho_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 ghs_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789', `${R} ${R}`],
  ['GitHub fine-grained token', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', R],
  ['Slack token', 'hook xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp sent', `hook ${R} sent`],
  ['AWS access key id', 'AKIAIOSFODNN7EXAMPLE used', `${R} used`],
  ['AWS temporary key id', 'id ASIAY34FZKBOKMUTVV7A.', `id ${R}.`],
  ['Google API key', 'AIzaSyA1234567890abcdefghijklmnopqrstuv was rejected', `${R} was rejected`],
  [
    'PEM private key block',
    `x -----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----\nafter`,
    `x -----BEGIN RSA PRIVATE KEY-----${R}-----END RSA PRIVATE KEY-----\nafter`,
  ],
  [
    'PKCS#8 key with JSON-escaped newlines',
    `"-----BEGIN PRIVATE KEY-----\\nMIIEvQ\\n-----END PRIVATE KEY-----\\n"`,
    `"-----BEGIN PRIVATE KEY-----${R}-----END PRIVATE KEY-----\\n"`,
  ],
  ['PEM private key cut off before END', `-----BEGIN OPENSSH PRIVATE KEY-----\n${PEM_BODY}`, `-----BEGIN OPENSSH PRIVATE KEY-----${R}`],
  ['long mixed-case base64 blob', 'data q8Vn2XbR7kLw0Pz4sT9yHc3MfJ6dGa1UeB5oNi8Kr2Y= end', `data ${R} end`],
  ['long base64url blob', 'cookie=Zx_9aQ-Lm3Pw7tRk2Vn8Yb4Hc6Jd1Fg5Se0Uo-Iq7Wl3 end', `cookie=${R} end`],
  ['long lowercase alphanumeric token', 'k3j5h7g9f1d3s5a7p9o1i3u5y7t9r1e3w5q7', R],
  ['hex run of 32', 'signing key 9b74c9897bac770ffc029102a200c5de used', `signing key ${R} used`],
  ['hex run of 40', 'hmac 9b74c9897bac770ffc029102a200c5de46c7d1f2', `hmac ${R}`],
  [
    'env pair, YAML; a plain env var is kept',
    '- name: DB_PASSWORD\n  value: hunter2\n- name: LOG_LEVEL\n  value: debug',
    `- name: DB_PASSWORD\n  value: ${R}\n- name: LOG_LEVEL\n  value: debug`,
  ],
  ['env pair on one line', '- name: DB_PASSWORD value: hunter2', `- name: DB_PASSWORD value: ${R}`],
  ['env pair, JSON', '{"name":"API_TOKEN","value":"t0k3n"}', `{"name":"API_TOKEN","value":"${R}"}`],
  ['env pair, Go struct', '{Name:DB_PASSWORD Value:hunter2 ValueFrom:nil}', `{Name:DB_PASSWORD Value:${R} ValueFrom:nil}`],
  ['env command', 'env FOO_SECRET=bar ./run', `env FOO_SECRET=${R} ./run`],
  [
    'Secret manifest in last-applied-configuration',
    '{"apiVersion":"v1","data":{"username":"YWRtaW4="},"kind":"Secret","stringData":{"host":"db"}}',
    `{"apiVersion":"v1","data":{${R}},"kind":"Secret","stringData":{${R}}}`,
  ],
  ['Secret manifest in YAML', 'kind: Secret\ndata:\n  username: YWRtaW4=\n  host: ZGI=\ntype: Opaque', `kind: Secret\ndata:\n  ${R}\ntype: Opaque`],
  // Shapes a red team found leaking.
  [
    'image reference with credentials, no scheme',
    'Failed to pull image "user:s3cret@registry.example.com/app:1": 401',
    `Failed to pull image "user:${R}@registry.example.com/app:1": 401`,
  ],
  ['credentials without a scheme, @ in the password', 'deploy:pa@ss@registry.example.com/app:2', `deploy:${R}@registry.example.com/app:2`],
  ['DSN without a scheme after a key', 'DATABASE_URL=app:s3cret@db:5432/app', `DATABASE_URL=app:${R}@db:5432/app`],
  ['a key behind a key that is no secret', 'fatal error: password=hunter2', `fatal error: password=${R}`],
  ['a flag behind a flag that is no secret', '--verbose --password hunter2', `--verbose --password ${R}`],
  ['mysql -p glued, in a JSON args array', '["mysql","-uroot","-phunter2","shop"]', `["mysql","-uroot","-p${R}","shop"]`],
  ['mysql -p spaced, in a shell string', 'sh -c "mysql -u root -p hunter2 shop; echo"', `sh -c "mysql -u root -p ${R} shop; echo"`],
  ['mysql -p quoted', `mysql -p'hunter 2' -e 'select 1'`, `mysql -p'${R}' -e 'select 1'`],
  ['curl -u user:password', 'curl -u admin:hunter2 http://x', `curl -u admin:${R} http://x`],
  ['curl --user=user:password', 'curl --user=admin:hunter2 http://x', `curl --user=admin:${R} http://x`],
  ['sshpass -p', 'sshpass -p hunter2 ssh u@h', `sshpass -p ${R} ssh u@h`],
  ['docker login -p', 'docker login -u ci -p hunter2 registry.example.com', `docker login -u ci -p ${R} registry.example.com`],
  ['redis-cli -a', 'redis-cli -a hunter2 ping', `redis-cli -a ${R} ping`],
  ['curl -H, any header', '["curl","-H","X-Tenant: t1","http://x"]', `["curl","-H","X-Tenant: ${R}","http://x"]`],
  ['curl -H Authorization keeps the scheme', 'curl -H "Authorization: Bearer abc"', `curl -H "Authorization: Bearer ${R}"`],
  ['single-dash long flag', 'keytool -list -storepass hunter2', `keytool -list -storepass ${R}`],
  ['pw key', 'pw=hunter2', `pw=${R}`],
  ['pass key', 'DB_PASS: hunter2', `DB_PASS: ${R}`],
  ['upper-case key, blank, value', 'PASSWD hunter2', `PASSWD ${R}`],
  ['Cookie header, every pair', 'Cookie: lang=en; session=abc; theme=dark', `Cookie: ${R}`],
  ['Set-Cookie header', 'Set-Cookie: sid=abc; Path=/; HttpOnly', `Set-Cookie: ${R}`],
  ['a key after a cookie is no cookie flag', 'sent Cookie: session=abc; PASSWD hunter2)', `sent Cookie: ${R}; PASSWD ${R})`],
  ['session key', 'login ok session=abc user=bob', `login ok session=${R} user=bob`],
  ['session_id key', 'session_id: abc', `session_id: ${R}`],
  ['full-width colon', 'password：hunter2', `password：${R}`],
  ['full-width equals', 'token＝hunter2', `token＝${R}`],
  [
    'probe httpHeaders, any header name',
    '{"httpGet":{"path":"/h","httpHeaders":[{"name":"X-Tenant","value":"t1"},{"name":"Host","value":"a]b"}]}}',
    `{"httpGet":{"path":"/h","httpHeaders":[{"name":"X-Tenant","value":"${R}"},{"name":"Host","value":"${R}"}]}}`,
  ],
  [
    'probe httpHeaders in escaped JSON',
    '\\"httpHeaders\\":[{\\"name\\":\\"X-K\\",\\"value\\":\\"abc\\"}]',
    `\\"httpHeaders\\":[{\\"name\\":\\"X-K\\",\\"value\\":\\"${R}\\"}]`,
  ],
  ['YAML block scalar inside a JSON string', '["sh","-c","password: |\\n  hunter2\\nuser: bob"]', `["sh","-c","password: ${R}\\nuser: bob"]`],
  ['env pair inside a JSON string', '["sh","-c","- name: DB_PASSWORD\\n  value: hunter2"]', `["sh","-c","- name: DB_PASSWORD\\n  value: ${R}"]`],
];

// Kubernetes evidence that must pass through byte for byte.
const PLAIN_ROWS: readonly (readonly [string, string])[] = [
  ['PVC not found', 'persistentvolumeclaim "data-web-0" not found'],
  ['scheduler message', '0/3 nodes are available: 3 Insufficient cpu.'],
  ['image digest', `Back-off pulling image "registry.example.com/team/app@${DIGEST}"`],
  ['digest with dash (cosign tag)', 'registry.example.com/app:sha256-4bcdc8a1f2e3d4c5b6a79881726354afbecd0192837465acbdef0123456789ab.sig'],
  ['container ID', `containerID: ${CONTAINER_ID}`],
  ['UID', `uid: ${UID}`],
  ['PV named after a claim UID', `pvc-${UID}`],
  ['resourceVersion', 'resourceVersion: "1234567890123456789012345678901234"'],
  ['IPv4 and port', 'dial tcp 10.96.0.1:443: i/o timeout'],
  ['IPv6', 'listen tcp [fd00:10:96::1]:8443: bind: address already in use'],
  ['DNS name', 'lookup my-service.my-namespace.svc.cluster.local on 10.96.0.10:53: no such host'],
  ['kubelet path with a UID', `/var/lib/kubelet/pods/${UID}/volumes/kubernetes.io~projected/kube-api-access-7x2kq`],
  ['CamelCase file path', '/opt/app/lib/SpringBoot2ApplicationLauncher/main.jar'],
  ['pod name with hashes', 'kube-state-metrics-7d9f8b6c5d-x2k4l'],
  [
    'Azure providerID',
    `azure:///subscriptions/${UID}/resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss/virtualMachines/0`,
  ],
  ['engine fingerprint', 'fingerprint sha256:0123456789abcdef0123456789abcdef'],
  ['ordinary sentence', 'Readiness probe failed: HTTP probe failed with statuscode: 503'],
  ['secret reference by name', 'secretName: db-credentials'],
  ['missing Secret event', 'MountVolume.SetUp failed for volume "certs" : secret "tls-certs" not found'],
  ['token TTL', 'tokenExpirationSeconds: 3600'],
  ['boolean under a token-like key', 'automountServiceAccountToken: false'],
  ['path under a password-like key', 'DB_PASSWORD_FILE=/run/secrets/db'],
  ['author is not auth', 'author: jane'],
  ['authorize in prose is not auth', 'failed to authorize: failed to fetch anonymous token'],
  ['registry challenge', 'www-authenticate: Bearer realm="https://auth.docker.io/token",service="registry.docker.io"'],
  ['bearer token as words', 'invalid bearer token'],
  ['Basic as a word', 'Basic Authentication required'],
  ['plain env pair', '- name: LOG_LEVEL\n  value: debug'],
  ['valueFrom reference', '- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef:\n      name: db'],
  ['URL without credentials', 'https://registry.example.com:5000/v2/team/app/manifests/latest?n=10&last=abc'],
  ['already redacted', `password=${R} Authorization: Bearer ${R} postgres://u:${R}@h "token":"${R}"`],
  ['empty string', ''],
  ['ports, parents, uid:gid', 'docker run -p 8080:80 -u 1000:1000 nginx; mkdir -p /data'],
  ['tag and digest', `nginx:1.25@${DIGEST}`],
  ['ssh and git users', 'git clone git@github.com:org/repo.git; ssh deploy@10.0.0.5 uptime'],
  ['mysql prompting for its password', `mysql -h db -P 3306 -u root -p -e 'select 1'`],
  ['password in prose', 'FATAL: password authentication failed for user "app"'],
  ['session affinity is no session', 'sessionAffinity: ClientIP'],
  ['bypass and passthrough are no passwords', 'bypass: cache passthrough: true'],
  ['upper-case prose', 'ERROR TOKEN EXPIRED'],
  ['password-stdin names where the password comes from', 'docker login --password-stdin -u ci registry.example.com'],
  ['a probe header name', '{"httpGet":{"httpHeaders":[{"name":"X-Tenant","value":"[REDACTED]"}]}}'],
];

describe('redact', () => {
  test.each(SECRET_ROWS)('redacts %s', (_name, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  test.each(PLAIN_ROWS)('keeps %s', (_name, input) => {
    expect(redact(input)).toBe(input);
  });

  test.each([...SECRET_ROWS.map(([name, input]) => [name, input] as const), ...PLAIN_ROWS])('is idempotent: %s', (_name, input) => {
    const once = redact(input);
    expect(redact(once)).toBe(once);
  });

  test('REDACTED is the marker used', () => {
    expect(REDACTED).toBe('[REDACTED]');
  });

  test('keeps every key name in a mixed line', () => {
    expect(redact('user=bob password=hunter2 token: t0k level=3')).toBe(`user=bob password=${R} token: ${R} level=3`);
  });

  test('redacts a secret repeated many times', () => {
    const input = 'password=hunter2 '.repeat(1000);
    expect(redact(input)).toBe(`password=${R} `.repeat(1000));
  });
});

// Deterministic LCG so the large input is the same on every run.
function pseudoRandomText(length: number): string {
  const pieces = [
    'password=',
    'token: "',
    '\\"',
    '"',
    "'",
    '\\',
    ' ',
    '\n',
    'eyJ',
    '.',
    '-----BEGIN RSA PRIVATE KEY-----',
    'https://u:',
    '@',
    '?sig=',
    '&',
    'name: X_TOKEN value: ',
    'AKIA',
    'ghp_',
    '|',
    '{',
    '}',
    'sha256:',
  ];
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-:';
  let seed = 42;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed;
  };
  const out: string[] = [];
  let size = 0;
  while (size < length) {
    const roll = next() % 10;
    const piece = roll < 3 ? (pieces[next() % pieces.length] ?? '') : alphabet.charAt(next() % alphabet.length).repeat(1 + (next() % 40));
    out.push(piece);
    size += piece.length;
  }
  return out.join('').slice(0, length);
}

describe('redact on large and hostile input', () => {
  const MB = 1024 * 1024;

  test.each([
    ['pseudo-random 1 MB', pseudoRandomText(MB)],
    ['one long word', 'a1B2'.repeat(MB / 4)],
    ['open quote then backslashes', `password="${'\\'.repeat(MB)}`],
    ['open escaped quote, no close', `token: \\"${'x'.repeat(MB)}`],
    ['repeated quotes', '"'.repeat(MB)],
    ['repeated key prefixes', 'password'.repeat(MB / 8)],
    ['PEM header without end', `-----BEGIN RSA PRIVATE KEY-----${'A'.repeat(MB)}`],
    ['many URL schemes', 'a://b:'.repeat(MB / 6)],
    ['many env names', 'name: X_TOKEN '.repeat(MB / 14)],
    ['block scalar with many lines', `password: |\n${'  line\n'.repeat(MB / 7)}`],
    ['many quoted short flags', 'mysql -p" '.repeat(MB / 9)],
    ['many glued short flags', 'mysql -p'.repeat(MB / 8)],
    ['many user flags', '-u a:'.repeat(MB / 5)],
    ['many bare credentials', ' a:b@c'.repeat(MB / 6)],
    ['many colons', 'a:'.repeat(MB / 2)],
    ['many cookie headers', 'Cookie: a=b;'.repeat(MB / 12)],
    ['many header lists', '"httpHeaders":['.repeat(MB / 15)],
    ['an unclosed header list', `"httpHeaders":["${'x'.repeat(MB)}`],
    ['many upper-case words', 'PASSWD '.repeat(MB / 7)],
    ['many keys that are no secret', 'error: '.repeat(MB / 7)],
    ['escaped block scalar with many lines', `password: |${'\\n  x'.repeat(MB / 5)}`],
  ])('returns for %s, capped at 64 KiB and idempotent', (_name, input) => {
    const once = redact(input);
    expect(typeof once).toBe('string');
    expect(once.length).toBeLessThanOrEqual(64 * 1024);
    expect(redact(once)).toBe(once);
    expect(excerpt(input).length).toBeLessThanOrEqual(240);
  });

  test('does not leave half a token at the 64 KiB cut', () => {
    const input = `${'x '.repeat(32 * 1024 - 5)}ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789`;
    const out = redact(input);
    expect(out).toBe('x '.repeat(32 * 1024 - 5).trimEnd());
  });

  test('does not split a surrogate pair at the cut', () => {
    const input = `${'a'.repeat(64 * 1024 - 1)}😀`;
    const out = redact(input);
    expect(out).toBe('a'.repeat(64 * 1024 - 1));
  });
});

describe('excerpt', () => {
  test('collapses whitespace runs and trims', () => {
    expect(excerpt('  Back-off \n\t pulling   image  ')).toBe('Back-off pulling image');
  });

  test('returns short text unchanged', () => {
    expect(excerpt('persistentvolumeclaim "data-web-0" not found')).toBe('persistentvolumeclaim "data-web-0" not found');
  });

  test('keeps text of exactly max characters', () => {
    const text = 'y'.repeat(240);
    expect(excerpt(text)).toBe(text);
  });

  test('cuts to max characters including the ellipsis', () => {
    const out = excerpt('z'.repeat(241));
    expect(out).toBe(`${'z'.repeat(239)}…`);
    expect(out.length).toBe(240);
  });

  test.each([
    [1, '…'],
    [2, 'a…'],
    [5, 'a b…'],
    [0, ''],
  ])('max %d gives %j', (max, expected) => {
    expect(excerpt('a b c d e f', max)).toBe(expected);
  });

  test('stays within max for every max', () => {
    const text = `password=hunter2 ${'word '.repeat(100)}`;
    for (let max = 0; max <= 300; max += 1) expect(excerpt(text, max).length).toBeLessThanOrEqual(max);
  });

  test('redacts before cutting', () => {
    expect(excerpt(`password=hunter2 ${'w'.repeat(300)}`, 30)).toBe(`password=${R} wwwwwwwww…`);
  });

  test('does not cut through a [REDACTED] marker', () => {
    expect(excerpt('ab password=hunter2', 20)).toBe('ab password=…');
  });

  test('its ellipsis is not taken for a secret value', () => {
    const out = excerpt('ab token=hunter2', 10);
    expect(out).toBe('ab token=…');
    expect(redact(out)).toBe(out);
    const pem = excerpt(`-----BEGIN RSA PRIVATE KEY-----${R}-----END RSA PRIVATE KEY-----`, 32);
    expect(pem).toBe('-----BEGIN RSA PRIVATE KEY-----…');
    expect(redact(pem)).toBe(pem);
  });

  test('redacts a pair that only reads as one on one line', () => {
    expect(excerpt('password:\n    hunter2\nnext: 1')).toBe(`password: ${R} next: 1`);
  });

  test('redacts a multi-line env pair', () => {
    expect(excerpt('env:\n- name: DB_PASSWORD\n  value:\n    hunter2')).toBe(`env: - name: DB_PASSWORD value: ${R}`);
  });

  test('leaves no secret-like text behind', () => {
    for (const [, input] of SECRET_ROWS) expect(containsSecretLike(excerpt(input))).toBe(false);
  });
});

describe('containsSecretLike', () => {
  test.each(SECRET_ROWS.map(([name, input]) => [name, input] as const))('true for %s', (_name, input) => {
    expect(containsSecretLike(input)).toBe(true);
  });

  test.each(PLAIN_ROWS)('false for %s', (_name, input) => {
    expect(containsSecretLike(input)).toBe(false);
  });

  test('true for text over 64 KiB, since redact cuts it', () => {
    expect(containsSecretLike('a '.repeat(40 * 1024))).toBe(true);
  });
});
