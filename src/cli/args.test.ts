import { parseCommandLine, parseTarget } from './args';
import { PluginError } from './errors';

describe('kubectl triage command line', () => {
  test.each([
    ['pod/web-0', 'Pod', 'web-0'],
    ['po/web-0', 'Pod', 'web-0'],
    ['pvc/data', 'PersistentVolumeClaim', 'data'],
    ['deployments.apps/web', 'Deployment', 'web'],
    ['Ingress/storefront', 'Ingress', 'storefront'],
    ['no/worker-1', 'Node', 'worker-1'],
  ])('%s is %s %s, as kubectl spells kinds', (text, kind, name) => {
    expect(parseTarget(text)).toEqual({ kind, name });
  });

  test.each(['pod/x/../../events?watch=true', 'pod/Web', `pod/${'a'.repeat(254)}`])(
    '%s is not an object name: refused before it reaches a request path',
    (text) => {
      expect(() => parseTarget(text)).toThrow(/is not a Kubernetes object name/);
    },
  );

  test('a namespace and a TriageRequest name are checked the same way', () => {
    expect(() => parseCommandLine(['pod/x', '-n', '../kube-system'])).toThrow(/--namespace \.\.\/kube-system: not a namespace name/);
    expect(() => parseCommandLine(['show', 'tr/a?b'])).toThrow(/not a TriageRequest name/);
  });

  test.each(['web-0', 'configmap/x', 'pod/'])('%s is refused with the kinds listed', (text) => {
    expect(() => parseTarget(text)).toThrow(/is not KIND\/NAME of a kind triage reads \(Pod, PersistentVolumeClaim/);
  });

  test('a triage with every option', () => {
    expect(parseCommandLine(['pod/x', '-n', 'shop', '--intent', 'crashloop', '-o', 'junit', '--keep', '--timeout', '5'])).toEqual({
      name: 'triage',
      target: { kind: 'Pod', name: 'x' },
      namespace: 'shop',
      intent: 'crashloop',
      output: 'junit',
      colour: 'auto',
      keep: true,
      local: false,
      timeoutSeconds: 5,
    });
  });

  test('no target: the namespace', () => {
    expect(parseCommandLine([])).toEqual({ name: 'triage', output: 'text', colour: 'auto', keep: false, local: false, timeoutSeconds: 60 });
  });

  test('subcommands take their arguments; show accepts tr/NAME and NAME', () => {
    expect(parseCommandLine(['show', 'tr/why'])).toMatchObject({ name: 'show', request: 'why' });
    expect(parseCommandLine(['show', 'triagerequest.triage.dev/why'])).toMatchObject({ name: 'show', request: 'why' });
    expect(parseCommandLine(['list', '-A'])).toMatchObject({ name: 'list', allNamespaces: true });
    expect(parseCommandLine(['explain', 'OOMKilled'])).toMatchObject({ name: 'explain', code: 'OOMKilled' });
  });

  test.each([
    [['pod/x', '-o', 'xml'], /--output xml: must be one of text, json, yaml, junit/],
    [['pod/x', '--timeout', '0'], /--timeout 0: whole seconds, 1 to 3600/],
    [['pod/x', '--local', '--from-file', 'dump.yaml'], /choose one/],
    [['pod/x', '--as-of', '2026-12-01T00:00:00Z'], /with --from-file only/],
    [['pod/x', '--from-file', 'd', '--as-of', 'yesterday'], /--as-of yesterday: an RFC 3339 time/],
    [['explain'], /explain takes exactly one argument/],
    [['list', 'extra'], /list takes no argument/],
    [['pod/x', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['pod/a', 'pod/b'], /one target at a time/],
  ])('%j is a PluginError naming what is wrong', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(PluginError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});
