import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { diagnose, type DiagnosisTarget } from '../triage/engine';
import { builtInTemplate } from '../triage/templates';
import { DumpError, loadDump, type DumpSnapshot } from './dump';

const NOW = new Date('2026-11-21T12:00:00.000Z');
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-dump-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes a fixture file under the test's temp dir (creating its folders) and returns its path. */
function write(relative: string, content: string): string {
  const file = path.join(dir, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

function loadError(target: string, maxBytes?: number): DumpError {
  try {
    loadDump(target, maxBytes === undefined ? {} : { maxBytes });
  } catch (error: unknown) {
    if (error instanceof DumpError) return error;
    throw error;
  }
  throw new Error(`${target} loaded`);
}

const names = (snapshot: DumpSnapshot, kind: string, namespace?: string) => snapshot.list(kind, namespace).map((o) => o.metadata?.name);

const POD_WEB = `apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: shop, uid: uid-web-0, resourceVersion: "5001", creationTimestamp: "2026-11-21T11:40:00Z"}
spec:
  containers: [{name: web, image: registry.example.com/web:5.0.1}]
status: {phase: Running}
`;

describe('loadDump reads', () => {
  test('a multi-document YAML file, skipping (and counting) kinds the engine does not read', () => {
    const file = write(
      'dump.yaml',
      `${POD_WEB}---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {mode: fast}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, uid: uid-deploy-web}
spec: {replicas: 1}
---
`,
    );
    const snapshot = loadDump(file);
    expect(names(snapshot, 'Pod')).toEqual(['web-0']);
    expect(snapshot.get('Deployment', 'web', 'shop')?.metadata?.uid).toBe('uid-deploy-web');
    expect(snapshot.summary()).toEqual({ objects: 2, skipped: 1, kinds: { Deployment: 1, Pod: 1 }, namespaces: ['shop'] });
  });

  test('timestamps stay the strings the apiserver sent, quoted or not', () => {
    const file = write('pod.yaml', POD_WEB.replace('"2026-11-21T11:40:00Z"', '2026-11-21T11:40:00Z'));
    expect(loadDump(file).get('Pod', 'web-0', 'shop')?.metadata?.creationTimestamp).toBe('2026-11-21T11:40:00Z');
  });

  test('a kind: List as `kubectl get pods,events -o yaml` writes it, core and events.k8s.io Events in one cache, each indexed by its subject', () => {
    const file = write(
      'get.yaml',
      `apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: web-0, namespace: shop, uid: uid-web-0, resourceVersion: "5001"}
  spec: {containers: [{name: web, image: web:1}]}
- apiVersion: v1
  kind: Event
  metadata: {name: web-0.187a2b3c4d5e6f70, namespace: shop, uid: ev-1, resourceVersion: "5120"}
  involvedObject: {apiVersion: v1, kind: Pod, namespace: shop, name: web-0, uid: uid-web-0}
  reason: FailedScheduling
  type: Warning
  message: '0/3 nodes are available'
- apiVersion: events.k8s.io/v1
  kind: Event
  metadata: {name: web-0.187a2b3c4d5e6f71, namespace: shop, uid: ev-2, resourceVersion: "5121"}
  regarding: {apiVersion: v1, kind: Pod, namespace: shop, name: web-0, uid: uid-web-0}
  reason: Scheduled
  type: Normal
  note: assigned
- metadata: {name: no-kind}
kind: List
metadata:
  resourceVersion: ""
`,
    );
    const snapshot = loadDump(file);
    // Both APIs' Events share one cache, as in the operator's single events.k8s.io watch.
    expect(names(snapshot, 'Event').sort()).toEqual(['web-0.187a2b3c4d5e6f70', 'web-0.187a2b3c4d5e6f71']);
    expect(snapshot.byIndex('Event', 'subject', 'Pod/uid-web-0').map((o) => o.metadata?.uid)).toEqual(['ev-1', 'ev-2']);
    // An untyped List's item without kind cannot be placed: counted, not guessed.
    expect(snapshot.summary()).toMatchObject({ objects: 3, skipped: 1 });
  });

  test('a must-gather tree: typed lists whose items lack apiVersion and kind, per-object files, the newer copy of a duplicate', () => {
    write(
      'must-gather/namespaces/shop/core/pods.yaml',
      `apiVersion: v1
kind: PodList
items:
- metadata: {name: web-0, namespace: shop, uid: uid-web-0, resourceVersion: "5001"}
  spec: {containers: [{name: web, image: web:1}]}
  status: {phase: Pending}
- metadata: {name: api-0, namespace: shop, uid: uid-api-0, resourceVersion: "4000"}
  spec: {containers: [{name: api, image: api:1}]}
`,
    );
    // The same pod written later on its own: the higher resourceVersion wins, wherever it is read.
    write('must-gather/namespaces/shop/pods/web-0/web-0.yaml', POD_WEB.replace('"5001"', '"5002"'));
    write(
      'must-gather/namespaces/shop/pods/api-0/api-0.yaml',
      POD_WEB.replace(/web-0/g, 'api-0').replace('"5001"', '"3999"').replace('uid-web-0', 'uid-api-0'),
    );
    write('must-gather/namespaces/shop/core/events.yaml', 'apiVersion: v1\nkind: EventList\nitems: []\n');
    write('must-gather/cluster-scoped-resources/core/nodes.yaml', 'apiVersion: v1\nkind: NodeList\nitems:\n- metadata: {name: node-a}\n  status: {}\n');
    write('must-gather/namespaces/shop/shop.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n');
    // Not a manifest: never read.
    write('must-gather/namespaces/shop/pods/web-0/web/web/logs/current.log', 'this: is: not: yaml: [');
    write('must-gather/timestamp', 'not yaml either: [');
    const snapshot = loadDump(path.join(dir, 'must-gather'));
    expect(snapshot.get('Pod', 'web-0', 'shop')?.metadata?.resourceVersion).toBe('5002');
    expect(snapshot.get('Pod', 'api-0', 'shop')?.metadata?.resourceVersion).toBe('4000');
    expect(snapshot.get('Pod', 'api-0', 'shop')?.apiVersion).toBe('v1');
    expect(names(snapshot, 'Node')).toEqual(['node-a']);
    // An empty EventList says Events were collected and there are none: Synced and empty, not unknown.
    expect(snapshot.availability('Event')).toBe('Synced');
    expect(snapshot.list('Event')).toEqual([]);
    expect(snapshot.summary()).toEqual({ objects: 4, skipped: 0, kinds: { Event: 0, Namespace: 1, Node: 1, Pod: 2 }, namespaces: ['shop'] });
  });

  test('a JSON file as `kubectl get pods -o json` writes it', () => {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      metadata: { resourceVersion: '' },
      items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-0', namespace: 'shop' } }],
    };
    const file = write('pods.json', `\uFEFF${JSON.stringify(list, null, 2)}`);
    expect(names(loadDump(file), 'Pod', 'shop')).toEqual(['web-0']);
  });

  test('a Secret keeps its metadata only: no data, stringData or last-applied-configuration reaches the engine', () => {
    const file = write(
      'secret.yaml',
      `apiVersion: v1
kind: Secret
metadata:
  name: tls-web
  namespace: shop
  labels: {app: web}
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"stringData":{"tls.key":"CANARY-LAST-APPLIED"}}'
type: kubernetes.io/tls
data: {tls.key: Q0FOQVJZLURBVEE=}
stringData: {password: CANARY-STRING-DATA}
`,
    );
    const snapshot = loadDump(file);
    expect(snapshot.availability('Secret')).toBe('Synced');
    expect(snapshot.get('Secret', 'tls-web', 'shop')).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'tls-web', namespace: 'shop', labels: { app: 'web' } },
    });
    expect(JSON.stringify(snapshot.list('Secret'))).not.toMatch(/CANARY|Q0FOQVJZ/);
  });
});

describe('availability of an offline dump', () => {
  test('a kind with objects is Synced; one without is NotCollected, never an empty cache', () => {
    const snapshot = loadDump(write('pod.yaml', POD_WEB));
    expect(snapshot.availability('Pod')).toBe('Synced');
    for (const kind of ['Node', 'Event', 'PersistentVolumeClaim', 'Secret', 'Gateway']) {
      expect(snapshot.availability(kind)).toBe('NotCollected');
      expect(snapshot.list(kind)).toEqual([]);
    }
  });
});

describe('loadDump refuses', () => {
  test('a missing path, naming it', () => {
    const error = loadError(path.join(dir, 'nope.yaml'));
    expect(error.reason).toBe('NotFound');
    expect(error.message).toContain('nope.yaml');
  });

  test('a file that does not parse, with its file and line', () => {
    const file = write('tree/broken.yaml', `${POD_WEB}---\napiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n`);
    const error = loadError(path.join(dir, 'tree'));
    expect(error).toMatchObject({ reason: 'Unparsable', path: file, line: 11 });
    expect(error.message).toMatch(/broken\.yaml:11: not valid YAML: /);
  });

  test('a JSON file that does not parse, with its line when the parser can tell', () => {
    const file = write('pods.json', '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {"name": "web-0",, }\n}\n');
    expect(loadError(file)).toMatchObject({ reason: 'Unparsable', path: file, line: 4 });
    // Valid YAML, not JSON: still refused, as JSON.parse words it.
    const lax = write('lax.json', '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": }}');
    expect(loadError(lax)).toMatchObject({ reason: 'Unparsable', path: lax, line: undefined });
  });

  test('a dump over the byte cap, before reading the file that crosses it', () => {
    write('big/a.yaml', POD_WEB);
    const second = write('big/b.yaml', POD_WEB.replace(/web-0/g, 'web-1'));
    const error = loadError(path.join(dir, 'big'), Buffer.byteLength(POD_WEB) + 10);
    expect(error).toMatchObject({ reason: 'TooLarge', path: second });
    expect(error.message).toContain(`${Buffer.byteLength(POD_WEB) + 10} bytes`);
    expect(() => loadDump(path.join(dir, 'big'), { maxBytes: 2 * Buffer.byteLength(POD_WEB) })).not.toThrow();
  });

  test('a dump with no Kubernetes objects, or none the engine reads', () => {
    expect(loadError(write('empty/notes.yaml', 'just: notes\n---\n- a list\n'))).toMatchObject({ reason: 'NoObjects' });
    expect(loadError(path.join(dir, 'empty'))).toMatchObject({ reason: 'NoObjects', path: path.join(dir, 'empty') });
    const configs = loadError(write('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\n'));
    expect(configs.message).toContain('none of its 1 objects');
  });
});

// A Pending pod the scheduler refused for cpu on the only node, as `kubectl get pod,node -o yaml` dumps it.
const PENDING_POD = `- apiVersion: v1
  kind: Pod
  metadata: {name: analytics, namespace: shop, uid: uid-pod-analytics, resourceVersion: "7001", creationTimestamp: "2026-11-21T11:40:00Z"}
  spec:
    containers:
    - {name: analytics, image: registry.example.com/analytics:2.1, resources: {requests: {cpu: "3", memory: 1Gi}}}
  status:
    phase: Pending
    conditions:
    - type: PodScheduled
      status: "False"
      reason: Unschedulable
      lastProbeTime: null
      lastTransitionTime: "2026-11-21T11:40:01Z"
      message: '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.'
`;
const NODE = `- apiVersion: v1
  kind: Node
  metadata: {name: node-a, uid: uid-node-a, resourceVersion: "6000", labels: {kubernetes.io/hostname: node-a}}
  spec: {}
  status:
    allocatable: {cpu: "2", memory: 8039580Ki, pods: "110"}
    conditions:
    - {type: Ready, status: "True", reason: KubeletReady, lastTransitionTime: "2026-11-20T08:00:00Z"}
`;

async function triage(snapshot: DumpSnapshot, target: DiagnosisTarget = { kind: 'Pod', namespace: 'shop', name: 'analytics' }) {
  const template = builtInTemplate('scheduling-failures');
  if (template === undefined) throw new Error('no scheduling-failures template');
  return diagnose({
    intent: 'scheduling-failures',
    template,
    templateSource: 'BuiltIn',
    target,
    maxSteps: 3,
    timeoutMs: 15_000,
    minCompleteness: 0.8,
    snapshot,
    now: () => NOW,
  });
}

describe('a dump fed to the engine', () => {
  test('a Pending pod and its node: RootCauseFound InsufficientResources', async () => {
    const { verdict, envelope } = await triage(loadDump(write('get.yaml', `apiVersion: v1\nkind: List\nitems:\n${PENDING_POD}${NODE}`)));
    expect(verdict).toBe('RootCauseFound');
    expect(envelope.rootCause?.code).toBe('InsufficientResources');
    expect(envelope.evidence.present).toContain('nodes');
  });

  test('without the node: nodes unavailable (NotCollected), never "the cluster has no nodes", and no recheck', async () => {
    const { verdict, envelope, recheckAfterMs } = await triage(loadDump(write('get.yaml', `apiVersion: v1\nkind: List\nitems:\n${PENDING_POD}`)));
    expect(envelope.evidence.unavailable).toContainEqual({ key: 'nodes', reason: 'NotCollected' });
    // The scheduler's own count still proves it; read as an empty node list it would say "no node it may run on has room".
    expect(verdict).toBe('RootCauseFound');
    expect(envelope.rootCause?.code).toBe('InsufficientResources');
    expect(envelope.summary).toContain('nodes could not be read');
    expect(JSON.stringify(envelope)).not.toMatch(/no nodes|no node it may run on/i);
    expect(envelope.evidence.completeness).toBeLessThan(1);
    // A dump does not catch up: nothing to look at again.
    expect(recheckAfterMs).toBeUndefined();
  });

  test('a target of a kind the dump does not hold: Inconclusive, saying so, never "was not found"', async () => {
    const { verdict, envelope } = await triage(loadDump(write('get.yaml', `apiVersion: v1\nkind: List\nitems:\n${PENDING_POD}`)), {
      kind: 'Deployment',
      namespace: 'shop',
      name: 'analytics',
    });
    expect(verdict).toBe('Inconclusive');
    expect(envelope.summary).toContain('could not be read (NotCollected): the dump holds no Deployment objects');
    expect(envelope.evidence.unavailable).toEqual([{ key: 'target', reason: 'NotCollected' }]);
  });
});
