import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  test('applies defaults', () => {
    const config = loadConfig([], { POD_NAME: 'op-0' });
    expect(config).toMatchObject({ leaderElect: false, identity: 'op-0', trustedNamespaces: [], concurrency: 2, logLevel: 'info' });
  });

  test('flags win over environment', () => {
    const config = loadConfig(['--log-level=debug', '--trusted-namespaces', 'ops, platform'], { LOG_LEVEL: 'warn' });
    expect(config.logLevel).toBe('debug');
    expect(config.trustedNamespaces).toEqual(['ops', 'platform']);
  });

  test('a bad value names the flag and its variable', () => {
    expect(() => loadConfig(['--concurrency=0'], {})).toThrow(ConfigError);
    expect(() => loadConfig([], { LEADER_ELECT: 'yes' })).toThrow(/--leader-elect \(env LEADER_ELECT\)/);
    expect(() => loadConfig(['--metrics-bind-address=8080'], {})).toThrow(/--metrics-bind-address .*must be host:port/);
  });

  test('an unknown flag is an error', () => {
    expect(() => loadConfig(['--no-such-flag=1'], {})).toThrow(/no-such-flag/);
  });
});
