import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createLogger } from '../logger';
import { MappingTable } from './mapping';
import { startAlertReceiver, type AlertReceiver } from './receiver';
import { issueCertificate, makeCa as makeTestCa } from '../../test/support/test-certificates';

// Client-certificate authentication over real TLS (certificates made with openssl): a certificate the
// configured CA signed is let in, none or another CA's gets a 401 with the reason.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-alert-tls-'));
const pem = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
const makeCa = (name: string) => {
  makeTestCa(dir, name);
};
const issue = (name: string, ca: string, extension: string) => {
  issueCertificate(dir, name, ca, extension);
};

let receiver: AlertReceiver;
let port: number;

beforeAll(async () => {
  makeCa('ca');
  makeCa('other-ca');
  issue('server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('alertmanager', 'ca', 'extendedKeyUsage=clientAuth\n');
  issue('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  receiver = await startAlertReceiver({
    bindAddress: '127.0.0.1:0',
    tls: { cert: pem('server.crt'), key: pem('server.key'), clientCa: pem('ca.crt') },
    table: MappingTable.withDefaults(),
    client: { create: () => Promise.resolve(undefined), delete: () => Promise.resolve(), mergePatch: () => Promise.resolve(undefined) },
    cache: { get: () => undefined, list: () => [] },
    ready: () => true,
    clusterNamespace: 'triage-system',
    resolvedDelayMs: 60_000,
    logger: createLogger('error', { silent: true }),
    registry: new Registry(),
  });
  port = (receiver.server.address() as AddressInfo).port;
}, 60_000);

afterAll(async () => {
  await receiver.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function post(client?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/alerts',
        method: 'POST',
        ca: pem('ca.crt'),
        agent: false,
        headers: { 'Content-Type': 'application/json' },
        ...(client === undefined ? {} : { cert: pem(`${client}.crt`), key: pem(`${client}.key`) }),
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, body });
        });
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify({ version: '4', status: 'firing', alerts: [] }));
  });
}

test('HTTPS with client certificates: the CA-signed one is let in; none or another CA is refused with 401 and the reason', async () => {
  expect(await post('alertmanager')).toEqual({ status: 200, body: JSON.stringify({ created: 0, firing: 0, refused: 0, resolved: 0, ignored: 0 }) });
  const none = await post();
  const stranger = await post('stranger');
  expect([none.status, JSON.parse(none.body)]).toEqual([401, { error: 'unauthorized: client certificate not accepted (none sent)' }]);
  expect([stranger.status, (JSON.parse(stranger.body) as { error: string }).error]).toEqual([
    401,
    expect.stringMatching(/^unauthorized: client certificate not accepted \(\w+/) as string,
  ]);
});
