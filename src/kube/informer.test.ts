import { KubeConfig } from '@kubernetes/client-node';
import { metadataOnlyConfig } from './informer';
import { PARTIAL_METADATA } from './kinds';

// In a pod the operator authenticates with a bearer token header (not a client certificate):
// the metadata-only watch must keep it while it changes Accept.
test('a metadata-only watch keeps the Authorization header and asks for PartialObjectMetadata', async () => {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: true }],
    users: [{ name: 'u', token: 'token-value' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const init = await metadataOnlyConfig(config).applyToFetchOptions({ headers: { 'User-Agent': 'triage-operator' } });
  const headers = init.headers as Record<string, string>;
  expect(headers.authorization).toBe('Bearer token-value');
  expect(headers.accept).toBe(PARTIAL_METADATA);
  expect(headers['user-agent']).toBe('triage-operator');
});
