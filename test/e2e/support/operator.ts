import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { readClusterInfo } from './cluster-info';
import { eventually } from './eventually';
import { repoRoot } from './scripts';

export interface OperatorOptions {
  /** @default the e2e cluster's admin kubeconfig */
  readonly kubeconfig?: string;
  readonly identity?: string;
  readonly args?: readonly string[];
}

/** An operator process (node dist/main.js) started by a test. */
export interface OperatorProcess {
  readonly identity: string;
  readonly pid: number;
  readonly logFile: string;
  readonly metricsUrl: string;
  readonly probesUrl: string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then the exit status. */
  stop(): Promise<number | string>;
  /** SIGKILL: no cleanup, the way a crashed pod dies. */
  kill(): Promise<number | string>;
  metrics(): Promise<string>;
  log(): string;
}

const running = new Set<OperatorProcess>();
const logDir = path.join(repoRoot, '.test-results', 'operator-logs');

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function exitOf(child: ChildProcess): Promise<number | string> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else
      child.once('exit', (code, signal) => {
        resolve(code ?? signal ?? -1);
      });
  });
}

/** Starts the operator from dist/ and waits until /readyz says its caches synced. */
export async function startOperator(options: OperatorOptions = {}): Promise<OperatorProcess> {
  const identity = options.identity ?? `e2e-${process.pid}-${running.size}-${Date.now() % 100000}`;
  const [metricsPort, probesPort] = [await freePort(), await freePort()];
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${identity}.log`);
  const out = fs.openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'dist', 'main.js'),
      `--kubeconfig=${options.kubeconfig ?? readClusterInfo().kubeconfig}`,
      `--identity=${identity}`,
      `--metrics-bind-address=127.0.0.1:${metricsPort}`,
      `--health-probe-bind-address=127.0.0.1:${probesPort}`,
      '--log-level=debug',
      ...(options.args ?? []),
    ],
    { cwd: repoRoot, stdio: ['ignore', out, out], env: { ...process.env, KUBECONFIG: '' } },
  );
  fs.closeSync(out);
  const exited = exitOf(child);
  const operator: OperatorProcess = {
    identity,
    pid: child.pid ?? -1,
    logFile,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    probesUrl: `http://127.0.0.1:${probesPort}`,
    exited,
    stop: async () => {
      child.kill('SIGTERM');
      const status = await exited;
      running.delete(operator);
      return status;
    },
    kill: async () => {
      child.kill('SIGKILL');
      const status = await exited;
      running.delete(operator);
      return status;
    },
    metrics: async () => (await fetch(operator.metricsUrl)).text(),
    log: () => fs.readFileSync(logFile, 'utf8'),
  };
  running.add(operator);
  let ended = false;
  void exited.then(() => (ended = true));
  await eventually(
    `operator ${identity} ready`,
    async () => {
      if (ended) throw new Error(`operator exited during start-up:\n${operator.log()}`);
      const response = await fetch(`${operator.probesUrl}/readyz`);
      return response.ok ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  return operator;
}

/** Every operator a test started and did not stop: stopped after the file, logs kept for failures. */
export function runningOperators(): readonly OperatorProcess[] {
  return [...running];
}

export async function stopAllOperators(): Promise<void> {
  await Promise.all([...running].map((operator) => operator.kill()));
}

/** Sums the samples of one metric whose labels include every given label. */
export function metricSum(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (matches) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
