import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { AlertSetupError, readMappingFile, readToken } from './start';

// The receiver's settings and the files it reads at start: a mistake stops the operator with the file and the reason.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-alerts-'));
const file = (name: string, text: string) => {
  const where = path.join(dir, name);
  fs.writeFileSync(where, text);
  return where;
};
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const failure = async (read: () => Promise<unknown>) => {
  try {
    await read();
    return 'accepted';
  } catch (error: unknown) {
    return error instanceof AlertSetupError ? error.message : 'another error';
  }
};

describe('the alert receiver at start', () => {
  test('the token: trimmed; empty, several words, a directory or a missing file refused without showing the content', async () => {
    expect(await readToken(file('token', '  s3cret-token\n'))).toBe('s3cret-token');
    expect(await failure(() => readToken(file('empty', '\n')))).toMatch(/must hold one token/);
    expect(await failure(() => readToken(file('two', 'hidden-a hidden-b')))).not.toContain('hidden');
    expect(await failure(() => readToken(dir))).toMatch(/is not a regular file/);
    expect(await failure(() => readToken(path.join(dir, 'nope')))).toMatch(/^cannot read the alert receiver token file/);
  });

  test('the mapping file: YAML or JSON, validated, with the file named in the error', async () => {
    const yaml = file('map.yaml', 'mappings:\n  - alertname: Checkout*\n    kind: Deployment\n    nameLabel: app\n');
    expect(await readMappingFile(yaml)).toEqual([{ alertname: 'Checkout*', kind: 'Deployment', nameLabel: 'app', namespaceLabel: 'namespace' }]);
    expect(await readMappingFile(file('map.json', '{"mappings": []}'))).toEqual([]);
    const bad = file('bad.yaml', 'mappings:\n  - alertname: X\n    kind: Secret\n    nameLabel: n\n');
    expect(await failure(() => readMappingFile(bad))).toMatch(/bad\.yaml: invalid alert mapping file: mappings\.0\.kind/);
    expect(await failure(() => readMappingFile(file('broken.yaml', 'mappings: [')))).toMatch(/is not YAML/);
  });

  test('flags: off by default; a bind address without a token file is refused', () => {
    const config = loadConfig([], {});
    expect([config.alertReceiverBindAddress, config.alertResolvedDelaySeconds, config.alertClusterNamespace]).toEqual([undefined, 600, 'triage-system']);
    expect(() => loadConfig(['--alert-receiver-bind-address=9094'], {})).toThrow(ConfigError);
    expect(() => loadConfig(['--alert-receiver-bind-address=9094'], {})).toThrow(/--alert-receiver-token-file \(env ALERT_RECEIVER_TOKEN_FILE\): required/);
    expect(() => loadConfig(['--alert-receiver-bind-address=99999', '--alert-receiver-token-file=/t'], {})).toThrow(/the port must be 1 to 65535/);
    expect(loadConfig(['--alert-receiver-bind-address=9094', '--alert-receiver-token-file=/t', '--alert-resolved-delay-seconds=5'], {})).toMatchObject({
      alertReceiverBindAddress: '9094',
      alertResolvedDelaySeconds: 5,
    });
  });
});
