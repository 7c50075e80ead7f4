import { readFileSync } from 'node:fs';
import path from 'node:path';
import packageJson from '../package.json';
import { ConfigError, FLAGS, flagTable, loadConfig, OperatorConfig, parseCommandLine, usage } from './config';

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
    expect(() => loadConfig(['--leader-elect=yes'], {})).toThrow(/--leader-elect \(env LEADER_ELECT\)/);
    expect(() => loadConfig(['--metrics-bind-address=8080'], {})).toThrow(/--metrics-bind-address .*must be host:port/);
    expect(() => loadConfig([], { CLUSTER_NAME: 'prod eu' })).toThrow(/--cluster-name \(env CLUSTER_NAME\): must be 1 to 63/);
  });

  test('an unknown flag is an error', () => {
    expect(() => loadConfig(['--no-such-flag=1'], {})).toThrow(/no-such-flag/);
    // --no- exists only for boolean settings.
    expect(() => loadConfig(['--no-concurrency'], {})).toThrow(/no-concurrency/);
  });
});

describe('boolean flags', () => {
  test.each([
    [['--leader-elect'], {}, true],
    [['--leader-elect=true'], {}, true],
    [['--leader-elect=false'], { LEADER_ELECT: 'true' }, false],
    [['--no-leader-elect'], { LEADER_ELECT: 'true' }, false],
    [[], { LEADER_ELECT: 'true' }, true],
    [['--leader-elect'], { LEADER_ELECT: 'false' }, true],
  ])('%j with %j → leaderElect %s', (argv, env, expected) => {
    expect(loadConfig(argv, env).leaderElect).toBe(expected);
  });

  test('every boolean setting can stand alone, among other flags', () => {
    const config = loadConfig(['--watch-secret-metadata', '--concurrency', '4', '--leader-elect'], {});
    expect(config).toMatchObject({ watchSecretMetadata: true, leaderElect: true, concurrency: 4 });
  });

  test('a bare value flag still needs its value', () => {
    expect(() => loadConfig(['--concurrency'], {})).toThrow(/concurrency/);
  });

  test('the environment still takes only true or false', () => {
    expect(() => loadConfig([], { WATCH_SECRET_METADATA: '' })).not.toThrow();
    expect(() => loadConfig([], { WATCH_SECRET_METADATA: '1' })).toThrow(/--watch-secret-metadata \(env WATCH_SECRET_METADATA\)/);
  });
});

describe('action flags', () => {
  test('--help and -h win over settings, even invalid ones', () => {
    expect(parseCommandLine(['--help'], {})).toEqual({ action: 'help' });
    expect(parseCommandLine(['-h'], {})).toEqual({ action: 'help' });
    expect(parseCommandLine(['--concurrency=0', '--help'], { LEADER_ELECT: 'yes' })).toEqual({ action: 'help' });
  });

  test('--version', () => {
    expect(parseCommandLine(['--version'], {})).toEqual({ action: 'version' });
    expect(() => loadConfig(['--version'], {})).toThrow(ConfigError);
  });

  test('no action flag runs', () => {
    expect(parseCommandLine([], { POD_NAME: 'op-0' })).toMatchObject({ action: 'run', config: { identity: 'op-0' } });
  });
});

describe('--help', () => {
  const text = usage(packageJson);

  test('lists every flag with its variable, default and description', () => {
    for (const row of flagTable()) {
      expect(row.description).not.toBe('');
      expect(text).toContain(`--${row.flag}`);
      expect(text).toContain(row.description);
      if (row.env !== undefined) expect(text).toContain(`env ${row.env}; default: ${row.default ?? ''}`);
    }
    expect(text).toContain('-h, --help');
    expect(text.startsWith(`Usage: ${packageJson.name} [flags]`)).toBe(true);
  });

  test('is generated from the schema: every setting has a description, enums list their choices', () => {
    for (const field of Object.keys(FLAGS) as (keyof typeof FLAGS)[]) expect(OperatorConfig.shape[field].description).toBeTruthy();
    expect(text).toContain('--log-level=<error|warn|info|debug>');
    expect(text).toContain('--leader-elect[=true|false]');
    expect(text).toMatch(/--concurrency=<n>\n\s+env CONCURRENCY; default: 2\n/);
  });
});

interface DocumentedFlag {
  readonly flag: string;
  readonly short: string | undefined;
  readonly env: string;
  readonly default: string;
}

/** The rows of a Markdown flag table: the one whose header is `| flag | env | default | meaning |`. */
function parseFlagTable(markdown: string): DocumentedFlag[] {
  const lines = markdown.split('\n');
  const header = lines.findIndex((line) => /^\|\s*flag\s*\|\s*env\s*\|\s*default\s*\|/.test(line));
  if (header === -1) throw new Error('no "| flag | env | default | meaning |" table');
  const rows: DocumentedFlag[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [flagCell = '', envCell = '', defaultCell = ''] = line
      .split('|')
      .slice(1)
      .map((cell) => cell.trim());
    const longs = [...flagCell.matchAll(/(?:^|[\s`])--([a-z][a-z-]*)/g)].map((match) => match[1] ?? '');
    if (longs.length !== 1) throw new Error(`a flag row names ${longs.length} flags, expected one: ${line}`);
    const short = /(?:^|[\s`])-([a-z])\b/.exec(flagCell)?.[1];
    const unquote = (cell: string) => cell.replace(/^`(.*)`$/, '$1');
    rows.push({ flag: longs[0] ?? '', short, env: unquote(envCell), default: unquote(defaultCell) });
  }
  return rows;
}

/** Every way the documented table and the code's flag table differ, both directions; empty when they agree. */
function flagTableDrift(documented: readonly DocumentedFlag[]): string[] {
  const problems: string[] = [];
  const code = flagTable();
  for (const row of code) {
    const doc = documented.filter((d) => d.flag === row.flag);
    if (doc.length !== 1) {
      problems.push(`--${row.flag}: documented ${doc.length} times`);
      continue;
    }
    const expected: DocumentedFlag = { flag: row.flag, short: row.short, env: row.env ?? '', default: row.default ?? '' };
    for (const key of ['short', 'env', 'default'] as const) {
      if (doc[0]?.[key] !== expected[key])
        problems.push(`--${row.flag}: ${key} is ${String(doc[0]?.[key])} in README.md, ${String(expected[key])} in the code`);
    }
  }
  for (const doc of documented) if (!code.some((row) => row.flag === doc.flag)) problems.push(`--${doc.flag}: in README.md, not in the code`);
  return problems;
}

describe("README.md's flag table", () => {
  const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

  test('matches the flag table in the code: every flag, its variable and default, both directions', () => {
    expect(flagTableDrift(parseFlagTable(readme))).toEqual([]);
  });

  test('the check catches drift', () => {
    const documented = parseFlagTable(readme);
    expect(documented.length).toBe(flagTable().length);
    const without = documented.filter((row) => row.flag !== 'concurrency');
    expect(flagTableDrift(without)).toEqual(['--concurrency: documented 0 times']);
    const changed = documented.map((row) => (row.flag === 'resync-seconds' ? { ...row, default: '300' } : row));
    expect(flagTableDrift(changed)).toEqual(['--resync-seconds: default is 300 in README.md, 600 in the code']);
    const extra = [...documented, { flag: 'qps', short: undefined, env: 'QPS', default: '5' }];
    expect(flagTableDrift(extra)).toEqual(['--qps: in README.md, not in the code']);
    const renamed = readme.replace('`LEADER_ELECTION_ID`', '`LEASE_NAME`');
    expect(flagTableDrift(parseFlagTable(renamed))).toEqual(['--leader-election-id: env is LEASE_NAME in README.md, LEADER_ELECTION_ID in the code']);
  });
});
