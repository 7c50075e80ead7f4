import { isAllowedSinkUrl, TriageSinkSpec } from '../crds/triage-sink';

test.each([
  ['https://hooks.example.com/triage', true],
  ['https://hooks.example.com:8443/x?y=1', true],
  ['http://127.0.0.1:9000/hook', true],
  ['http://localhost/hook', true],
  ['http://[::1]:80/', true],
  ['http://receiver.ops.svc:8080/hook', true],
  ['http://receiver.ops.svc.cluster.local/hook', true],
  ['http://hooks.example.com/x', false],
  ['http://127.0.0.1.example.com/x', false],
  ['http://receiver.ops.svc.example.com/x', false],
  ['https://user:pass@hooks.example.com/x', false],
  ['ftp://hooks.example.com/x', false],
  ['https://', false],
  [`https://example.com/${'a'.repeat(2048)}`, false],
])('%s allowed: %s', (url, allowed) => {
  expect(isAllowedSinkUrl(url)).toBe(allowed);
});

test('a sink needs a url or a Secret holding one', () => {
  expect(TriageSinkSpec.safeParse({ format: 'Slack' }).success).toBe(false);
  expect(TriageSinkSpec.safeParse({ format: 'Slack', secretRef: { name: 'hook', key: 'url', use: 'URL' } }).success).toBe(true);
  expect(TriageSinkSpec.parse({ url: 'https://a.example.com', secretRef: { name: 'hook', key: 'token' } }).secretRef?.use).toBe('BearerToken');
});
