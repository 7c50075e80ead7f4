import { z } from 'zod';
import { WATCHED_KINDS } from '../kube/kinds';
import { CUSTOM_INTENT_RULE, GROUP, TriageRequestSpec, TriageRequestStatus, VERSION } from './triage-request';
import { TriagePolicySpec, TriagePolicyStatus } from './triage-policy';
import { TriageSinkSpec, TriageSinkStatus } from './triage-sink';
import { TriageTemplateSpec, TriageTemplateStatus } from './triage-template';

// Builds the generated manifests (CRDs, ClusterRole) from the zod schemas and the watched-kinds list.
// `npm run generate` writes them under config/; `make test` fails when the files drift from this.

type JsonSchema = { [key: string]: unknown };

const KEPT_KEYWORDS = new Set([
  'type',
  'description',
  'properties',
  'required',
  'items',
  'enum',
  'default',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'maxProperties',
  'additionalProperties',
  'nullable',
  'format',
]);

/**
 * Turns zod's OpenAPI 3.0 output into a Kubernetes structural schema: drops keywords the apiserver
 * rejects (additionalProperties: false beside properties, $schema), keeps x-kubernetes-* extensions,
 * and marks free-form values so they are preserved rather than pruned.
 */
export function toStructural(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-')) out[key] = value;
    else if (!KEPT_KEYWORDS.has(key)) continue;
    else if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, JsonSchema>).map(([name, sub]) => [name, toStructural(sub)]));
    } else if (key === 'items') out[key] = toStructural(value as JsonSchema);
    else if (key === 'additionalProperties') {
      if (typeof value === 'object' && value !== null) out[key] = toStructural(value as JsonSchema);
    } else out[key] = value;
  }
  if (out.type === undefined && out.properties === undefined) out['x-kubernetes-preserve-unknown-fields'] = true;
  return out;
}

function openApi(schema: z.ZodType): JsonSchema {
  return toStructural(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }));
}

interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'number' | 'integer' | 'date';
  readonly jsonPath: string;
  readonly description?: string;
  readonly priority?: number;
}

function crd(options: {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly scope: 'Namespaced' | 'Cluster';
  readonly description: string;
  readonly spec: z.ZodType;
  readonly status: z.ZodType;
  readonly columns: readonly PrinterColumn[];
  /** CEL rules on the whole object (the only place metadata.name can be checked). */
  readonly rootRules?: readonly { rule: string; message: string }[];
}) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${options.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: options.kind,
        listKind: `${options.kind}List`,
        plural: options.plural,
        singular: options.singular,
        shortNames: options.shortNames,
        categories: ['triage'],
      },
      scope: options.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: options.columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: options.description,
              properties: {
                apiVersion: { type: 'string', description: 'APIVersion of this object.' },
                kind: { type: 'string', description: 'Kind of this object.' },
                metadata: { type: 'object' },
                spec: openApi(options.spec),
                status: openApi(options.status),
              },
              required: ['spec'],
              ...(options.rootRules === undefined ? {} : { 'x-kubernetes-validations': options.rootRules }),
            },
          },
        },
      ],
    },
  };
}

export function triageRequestCrd() {
  return crd({
    kind: 'TriageRequest',
    plural: 'triagerequests',
    singular: 'triagerequest',
    shortNames: ['tr'],
    scope: 'Namespaced',
    description:
      'TriageRequest asks the triage operator why something is stuck. The diagnosis (root cause, findings, evidence, next actions) is written to status.',
    spec: TriageRequestSpec,
    status: TriageRequestStatus,
    columns: [
      { name: 'Intent', type: 'string', jsonPath: '.spec.intent' },
      { name: 'Target', type: 'string', jsonPath: '.status.target' },
      { name: 'Verdict', type: 'string', jsonPath: '.status.verdict' },
      { name: 'Root-Cause', type: 'string', jsonPath: '.status.envelope.rootCause.code' },
      { name: 'Completeness', type: 'number', jsonPath: '.status.envelope.evidence.completeness' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      { name: 'Summary', type: 'string', jsonPath: '.status.envelope.summary', priority: 1 },
    ],
  });
}

export function triageTemplateCrd() {
  return crd({
    kind: 'TriageTemplate',
    plural: 'triagetemplates',
    singular: 'triagetemplate',
    shortNames: ['ttpl'],
    scope: 'Cluster',
    description: 'TriageTemplate adds or overrides a triage intent declaratively: checks per step, required evidence, matchers, default bounds.',
    spec: TriageTemplateSpec,
    status: TriageTemplateStatus,
    rootRules: [
      {
        rule: CUSTOM_INTENT_RULE.replaceAll('self', 'self.metadata.name'),
        message: 'metadata.name must be a built-in intent (to override it) or contain a dot (e.g. my-check.example.com), so requests can name it',
      },
    ],
    columns: [
      { name: 'Version', type: 'string', jsonPath: '.spec.version' },
      { name: 'Accepted', type: 'string', jsonPath: '.status.conditions[?(@.type=="Accepted")].status' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
  });
}

export function triagePolicyCrd() {
  return crd({
    kind: 'TriagePolicy',
    plural: 'triagepolicies',
    singular: 'triagepolicy',
    shortNames: ['tpol'],
    scope: 'Cluster',
    description:
      'TriagePolicy keeps standing triage on the namespaces it selects: one owned TriageRequest per namespace and intent, and the namespaces counted by verdict in status.',
    spec: TriagePolicySpec,
    status: TriagePolicyStatus,
    columns: [
      { name: 'Namespaces', type: 'integer', jsonPath: '.status.selectedNamespaces' },
      { name: 'Healthy', type: 'integer', jsonPath: '.status.healthy' },
      { name: 'Root-Cause', type: 'integer', jsonPath: '.status.rootCauseFound' },
      { name: 'Inconclusive', type: 'integer', jsonPath: '.status.inconclusive' },
      { name: 'Pending', type: 'integer', jsonPath: '.status.pending' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      { name: 'Failed', type: 'integer', jsonPath: '.status.failed', priority: 1 },
    ],
  });
}

export function triageSinkCrd() {
  return crd({
    kind: 'TriageSink',
    plural: 'triagesinks',
    singular: 'triagesink',
    shortNames: ['tsink'],
    scope: 'Cluster',
    description:
      'TriageSink names a webhook that receives one versioned JSON payload (TriageTransition) per verdict or root-cause transition of a TriageRequest, never for an unchanged re-run.',
    spec: TriageSinkSpec,
    status: TriageSinkStatus,
    columns: [
      { name: 'Format', type: 'string', jsonPath: '.spec.format' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Last-Delivery', type: 'string', jsonPath: '.status.lastDelivery.result' },
      { name: 'Failures', type: 'integer', jsonPath: '.status.consecutiveFailures' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      { name: 'URL', type: 'string', jsonPath: '.spec.url', priority: 1 },
    ],
  });
}

/**
 * The operator's ClusterRole: read-only on every watched kind, and writes only where it must: its
 * requests', templates' and policies' status, Events, and the TriageRequests its TriagePolicies own.
 * No Secret access at all.
 */
function managerRules() {
  const readByGroup = new Map<string, Set<string>>();
  for (const kind of WATCHED_KINDS) {
    if ('namespace' in kind) continue;
    const plurals = readByGroup.get(kind.group) ?? new Set<string>();
    plurals.add(kind.plural);
    readByGroup.set(kind.group, plurals);
  }
  const readRules = [...readByGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, plurals]) => ({ apiGroups: [group], resources: [...plurals].sort(), verbs: ['get', 'list', 'watch'] }));
  return [
    ...readRules,
    { apiGroups: [GROUP], resources: ['triagepolicies/status', 'triagerequests/status', 'triagesinks/status', 'triagetemplates/status'], verbs: ['patch'] },
    // A TriagePolicy's requests: created, kept to its spec and removed by the operator (its own kind only).
    { apiGroups: [GROUP], resources: ['triagerequests'], verbs: ['create', 'delete', 'patch'] },
    // One Event per transition under a name derived from it: create is all the recorder needs.
    { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
  ];
}

export function managerClusterRole() {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'triage-operator-manager' }, rules: managerRules() };
}

/** The chart's RBAC rules: the manager's ClusterRole rules and, per namespace, the namespaced read rules. */
export function chartRbacRules() {
  return {
    clusterRules: managerRules(),
    namespacedReads: WATCHED_KINDS.flatMap((kind) =>
      'namespace' in kind
        ? [
            {
              name: `read-${kind.plural}`,
              namespace: kind.namespace,
              rules: [{ apiGroups: [kind.group], resources: [kind.plural], verbs: ['get', 'list', 'watch'] }],
            },
          ]
        : [],
    ),
  };
}

/**
 * Roles for kinds watched in one namespace only (node Leases in kube-node-lease): read access there,
 * not cluster-wide (the operator's own leader-election Lease lives elsewhere and is written by hand).
 */
export function namespacedReadRoles(): object[] {
  return chartRbacRules().namespacedReads.flatMap(({ name: suffix, namespace, rules }) => {
    const name = `triage-operator-${suffix}`;
    return [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace }, rules },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name, namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name: 'triage-operator', namespace: 'triage-system' }],
      },
    ];
  });
}
