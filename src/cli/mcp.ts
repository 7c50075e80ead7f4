import type { KubeConfig } from '@kubernetes/client-node';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import packageJson from '../../package.json';
import { Envelope } from '../crds/envelope';
import { TARGET_KINDS, type TargetKind } from '../crds/intents';
import { Condition, Target, TriageRequestSpec, Verdict, type TriageRequestObject } from '../crds/triage-request';
import { isObjectName, parseTarget, type CommonOptions } from './args';
import { contextNamespace, loadKubeConfig, PluginCluster } from './cluster';
import { PluginError } from './errors';
import { intentRows, triageCluster, type Io } from './commands';
import { explainCode, refText, renderList, renderResult, resultOfRequest, type IntentRow } from './render';
import type { TriageResult } from './result';

// `kubectl triage mcp`: the plugin's commands as MCP tools for an AI assistant. Every call runs with the
// caller's own Kubernetes identity (their kubeconfig, or their bearer token over HTTP); the tools only
// read, except that `triage` creates one TriageRequest and deletes it once answered, as the plugin does.

/** One triage as a tool asks for it, arguments already validated. */
export interface TriageCall {
  /** Undefined: the namespace itself (namespace-health). */
  readonly target?: { readonly kind: TargetKind; readonly name: string };
  readonly namespace?: string;
  readonly intent?: string;
  readonly local: boolean;
  readonly timeoutSeconds: number;
}

/** What the tools need from the cluster, injected: the stdio server uses the kubeconfig, tests a fake, the operator a caller's token. */
export interface McpDeps {
  readonly triage: (call: TriageCall, signal: AbortSignal) => Promise<TriageResult>;
  /** A TriageRequest's result; namespace undefined: the identity's default namespace. */
  readonly getTriage: (namespace: string | undefined, name: string) => Promise<TriageResult>;
  /** TriageRequests of a namespace (undefined: the default one), or of all namespaces when `allNamespaces`. */
  readonly listTriages: (namespace: string | undefined, allNamespaces: boolean) => Promise<readonly TriageRequestObject[]>;
  readonly intents: () => Promise<readonly IntentRow[]>;
  readonly now: () => Date;
  /** Diagnostics for the operator of the server (stderr for stdio), never for the protocol stream. */
  readonly log: (line: string) => void;
}

/** Default wait for the operator's verdict: below the MCP clients' usual 60 s request timeout. */
export const DEFAULT_TIMEOUT_SECONDS = 30;

/** Rows list_triages returns at most: a whole cluster's requests would flood an assistant's context (and the server's memory). */
export const MAX_LISTED_TRIAGES = 200;

const TargetObject = z.strictObject({
  kind: z.enum(TARGET_KINDS).describe('Kind of the object to diagnose.'),
  // The name goes into a request path: a Kubernetes name or nothing ("x/../../events" would be another request).
  name: z
    .string()
    .min(1)
    .max(253)
    .refine(isObjectName, "must be a Kubernetes object name: lowercase letters, digits, '-' and '.'")
    .describe('Name of the object.'),
});

/** Why a target argument is neither form, said for the field: the union's own message would be "Invalid input". */
function targetMessage(input: unknown): string {
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const parsed = TargetObject.safeParse(input);
    if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.length === 0 ? '' : `${i.path.join('.')}: `}${i.message}`).join('; ');
  }
  return `must be "KIND/NAME" (e.g. pod/web-0, pvc/data, deploy/web) or {"kind": one of ${TARGET_KINDS.join(', ')}, "name": NAME}`;
}

const TargetArgument = z
  .union(
    [
      z.string().superRefine((text, context) => {
        try {
          parseTarget(text);
        } catch (error: unknown) {
          context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
        }
      }),
      TargetObject,
    ],
    { error: (issue) => targetMessage(issue.input) },
  )
  .optional()
  .describe(
    'What to diagnose: "KIND/NAME" as kubectl spells it (pod/web-0, pvc/data-0, deploy/web, svc/web, ing/web, sts/db, node/n1, ns/shop; short names and plurals work) or {"kind", "name"}. Omitted: the whole namespace (intent namespace-health).',
  );

const NamespaceArgument = Target.shape.namespace;

const TriageInput = z.strictObject({
  target: TargetArgument,
  namespace: NamespaceArgument.describe("Namespace of the target (and of the TriageRequest). Omitted: the kubeconfig context's namespace."),
  intent: TriageRequestSpec.shape.intent
    .optional()
    .describe(
      'Which diagnosis to run (list_intents lists them). Omitted: chosen from the target\'s kind and state, e.g. a Pending pod gets "scheduling-failures", a crashing one "crashloop".',
    ),
  local: z
    .boolean()
    .optional()
    .describe(
      'true: diagnose here over a one-time read of the cluster with your own read permissions, creating nothing (no operator needed). Default false: the operator diagnoses through a TriageRequest.',
    ),
  timeoutSeconds: z.number().int().min(1).max(120).optional().describe(`How long to wait for the operator's verdict (default ${DEFAULT_TIMEOUT_SECONDS}).`),
});

const RequestName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be the name of a TriageRequest: lowercase letters, digits, "-" and "."');

const TriageResultOutput = z
  .object({
    request: z.string().optional().describe('namespace/name of the TriageRequest that was read; absent for a local run.'),
    source: z.enum(['operator', 'local', 'file']).describe('Who diagnosed: the operator, or the tool itself (local).'),
    intent: z.string().describe('The intent that ran.'),
    target: z.string().describe('What was diagnosed, as Kind/name.'),
    verdict: Verdict.optional().describe('Healthy, RootCauseFound, Inconclusive, Failed or Rejected; absent while the operator has not answered.'),
    envelope: Envelope.optional().describe('The diagnosis: root cause with its chain, findings, anchors (the evidence), completeness, next actions.'),
    conditions: z.array(Condition).optional().describe('Why there is no envelope (Rejected, Failed).'),
  })
  .describe('One triage.') satisfies z.ZodType<TriageResult>;

const TriageRow = z.object({
  namespace: z.string(),
  name: z.string(),
  intent: z.string(),
  target: z.string(),
  verdict: Verdict.optional(),
  rootCause: z.string().optional().describe('The root-cause code, when one was found.'),
  summary: z.string().optional(),
  findings: z.object({ critical: z.number().int(), warning: z.number().int(), info: z.number().int() }).describe('Findings counted by severity.'),
  createdAt: z.string().optional(),
});

const IntentOutput = z.object({
  name: z.string(),
  source: z.enum(['BuiltIn', 'Custom', 'Override']).describe('BuiltIn, Custom (a TriageTemplate) or Override (a TriageTemplate replacing a built-in).'),
  targetKinds: z.array(z.string()),
  description: z.string(),
});

const VERDICTS_TEXT =
  'The verdict: Healthy (nothing wrong; the CLI exits 0), RootCauseFound (the cause is known; exit 1), Inconclusive (not enough evidence yet, or a grace period still running; exit 2), Failed or Rejected (the request itself was bad: see conditions; exit 2).';
const ANCHORS_TEXT =
  'Anchors are the evidence: each names the exact object (uid, resourceVersion) and field or Event a finding rests on, with an excerpt; cite them by id ([a1]) when you explain the cause.';

const INSTRUCTIONS = `Deterministic Kubernetes triage ("why is this stuck?"): no guessing, every conclusion rests on evidence read from the cluster. Start with triage on the object the user asks about (or on the namespace), read rootCause and its chain, and quote the anchors it cites. Use explain_code for what a code means and list_intents for the diagnoses available. Calls run with the user's own Kubernetes identity: a refusal names what their RBAC lacks. ${VERDICTS_TEXT}`;

/** Every tool's result: the structured value, and the same for a reader as text. */
function ok(structured: Record<string, unknown>, text: string): CallToolResult {
  return { structuredContent: structured, content: [{ type: 'text', text }] };
}

/** The evidence in the text too (clients often show an assistant the text alone): every anchor with what cites it. */
function anchorLines(envelope: Envelope): string[] {
  if (envelope.anchors.length === 0) return [];
  const citedBy = (id: string) => [
    ...(envelope.rootCause?.anchors.includes(id) === true ? ['root cause'] : []),
    ...envelope.findings.filter((f) => f.anchors.includes(id)).map((f) => f.code),
  ];
  const lines = envelope.anchors.map((a) => {
    const version = `uid ${a.object.uid ?? '-'}, resourceVersion ${a.object.resourceVersion ?? '-'}`;
    // An Event anchor's object is the Event itself: its reason and count say more than its generated name.
    const where =
      a.event === undefined
        ? `${refText(a.object)} ${a.fieldPath ?? ''} (${version})`
        : `Event ${a.event.reason} x${a.event.count}${a.event.lastSeen === undefined ? '' : `, last seen ${a.event.lastSeen}`} (${refText(a.object)}, ${version})`;
    const cited = citedBy(a.id);
    return `  [${a.id}] ${where}: ${a.excerpt}${cited.length === 0 ? '' : `  — cited by ${cited.join(', ')}`}`;
  });
  return ['', 'Anchors (evidence; cite by id)', ...lines];
}

function triageText(result: TriageResult): string {
  return [renderResult(result, { colour: false }), ...(result.envelope === undefined ? [] : anchorLines(result.envelope))].join('\n');
}

function triageAnswer(result: TriageResult): CallToolResult {
  return ok(TriageResultOutput.parse(result), triageText(result));
}

function rowOf(request: TriageRequestObject): z.infer<typeof TriageRow> {
  const result = resultOfRequest(request);
  const count = (severity: string) => result.envelope?.findings.filter((f) => f.severity === severity).length ?? 0;
  const created = request.metadata.creationTimestamp;
  return {
    namespace: request.metadata.namespace ?? '',
    name: request.metadata.name ?? '',
    intent: result.intent,
    target: result.target,
    ...(result.verdict === undefined ? {} : { verdict: result.verdict }),
    ...(result.envelope?.rootCause === undefined ? {} : { rootCause: result.envelope.rootCause.code }),
    ...(result.envelope === undefined ? {} : { summary: result.envelope.summary }),
    findings: { critical: count('Critical'), warning: count('Warning'), info: count('Info') },
    ...(created === undefined ? {} : { createdAt: new Date(created).toISOString() }),
  };
}

/** The `limit` newest requests, in the table's order (namespace, then name). */
function newest(requests: readonly TriageRequestObject[], limit: number): TriageRequestObject[] {
  const key = (request: TriageRequestObject) => `${request.metadata.namespace ?? ''}/${request.metadata.name ?? ''}`;
  const created = (request: TriageRequestObject) => {
    const time = new Date(request.metadata.creationTimestamp ?? 0).getTime();
    return Number.isNaN(time) ? 0 : time;
  };
  const kept = [...requests].sort((a, b) => created(b) - created(a) || key(a).localeCompare(key(b))).slice(0, limit);
  return kept.sort((a, b) => key(a).localeCompare(key(b)));
}

/** A failure as a tool result the assistant can read (and the server survives): the apiserver's refusal names the user, verb and resource. */
async function answer(tool: string, deps: McpDeps, action: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await action();
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    deps.log(`kubectl-triage mcp: ${tool}: ${error instanceof PluginError || !(error instanceof Error) ? message : (error.stack ?? message)}`);
    return { isError: true, content: [{ type: 'text', text: message }] };
  }
}

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

/** The MCP server with its five tools, over whatever cluster access `deps` gives; connect it to any transport. */
export function createMcpServer(deps: McpDeps): McpServer {
  const server = new McpServer({ name: 'kubectl-triage', title: 'Kubernetes triage', version: packageJson.version }, { instructions: INSTRUCTIONS });

  server.registerTool(
    'triage',
    {
      title: 'Diagnose why a Kubernetes object is stuck',
      description: `Diagnoses one object (a Pending pod, an unbound PVC, an Ingress with no address, a Service with no endpoints, a crash-looping or stuck workload, a node, ...) or a whole namespace, and returns the root cause with its causal chain (e.g. Pod → PersistentVolumeClaim → StorageClass), findings by severity, evidence completeness and safe next actions (each marked ReadOnly or Mutating; run none without the user's consent). structuredContent is the full result with the envelope; the text is the same rendered for reading. ${ANCHORS_TEXT} ${VERDICTS_TEXT} By default the operator diagnoses it: a TriageRequest is created in the namespace with your identity, waited for and deleted (this needs create, get and delete on triagerequests.triage.dev); local: true diagnoses here instead, creating nothing.`,
      inputSchema: TriageInput,
      outputSchema: TriageResultOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    (args, extra) =>
      answer('triage', deps, async () => {
        const call: TriageCall = {
          ...(args.target === undefined ? {} : { target: typeof args.target === 'string' ? parseTarget(args.target) : args.target }),
          ...(args.namespace === undefined ? {} : { namespace: args.namespace }),
          ...(args.intent === undefined ? {} : { intent: args.intent }),
          local: args.local ?? false,
          timeoutSeconds: args.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
        };
        return triageAnswer(await deps.triage(call, extra.signal));
      }),
  );

  server.registerTool(
    'get_triage',
    {
      title: 'Read a TriageRequest',
      description: `Reads an existing TriageRequest (one kept by kubectl triage --keep, or applied by a GitOps pipeline) and returns its result like triage does: structuredContent is the result with the envelope, the text its rendering. ${ANCHORS_TEXT} ${VERDICTS_TEXT}`,
      inputSchema: z.strictObject({
        namespace: NamespaceArgument.describe("Namespace of the TriageRequest. Omitted: the kubeconfig context's namespace."),
        name: RequestName.describe('Name of the TriageRequest (list_triages lists them).'),
      }),
      outputSchema: TriageResultOutput,
      annotations: READ_ONLY,
    },
    (args) => answer('get_triage', deps, async () => triageAnswer(await deps.getTriage(args.namespace, args.name))),
  );

  server.registerTool(
    'list_triages',
    {
      title: 'List TriageRequests',
      description:
        'Lists the TriageRequests of a namespace (or all namespaces) with their verdict, root-cause code, one-line summary and findings counted by severity; get_triage reads one in full.',
      inputSchema: z.strictObject({
        namespace: NamespaceArgument.describe("Namespace to list. Omitted: the kubeconfig context's namespace."),
        allNamespaces: z.boolean().optional().describe('true: every namespace you may list (namespace is then ignored).'),
      }),
      outputSchema: z.object({
        triages: z.array(TriageRow).describe(`The newest ${MAX_LISTED_TRIAGES} at most, by namespace and name.`),
        total: z.number().int().describe('How many TriageRequests there are in all.'),
        truncated: z.boolean().describe(`true: more than ${MAX_LISTED_TRIAGES}; list one namespace, or read one by name with get_triage.`),
      }),
      annotations: READ_ONLY,
    },
    (args) =>
      answer('list_triages', deps, async () => {
        const all = args.allNamespaces ?? false;
        const requests = await deps.listTriages(all ? undefined : args.namespace, all);
        const shown = newest(requests, MAX_LISTED_TRIAGES);
        const truncated = shown.length < requests.length;
        const note = truncated ? `\n(the newest ${shown.length} of ${requests.length} TriageRequests; list one namespace, or get_triage one by name)` : '';
        return ok({ triages: shown.map(rowOf), total: requests.length, truncated }, renderList(shown, all, deps.now()) + note);
      }),
  );

  server.registerTool(
    'explain_code',
    {
      title: 'Explain a root-cause code',
      description:
        'What a root-cause or finding code means (e.g. StorageClassNotFound): its severity, the intent that reports it, whether it is a fault, and the checks that detect it. Case does not matter; an unknown code returns known: false with the closest codes as suggestions.',
      inputSchema: z.strictObject({ code: z.string().min(1).max(100).describe('The code, e.g. NodeAffinityMismatch.') }),
      outputSchema: z.object({
        code: z.string(),
        known: z.boolean(),
        text: z.string().optional().describe('The explanation, when the code is known.'),
        suggestions: z.array(z.string()).optional().describe('The closest known codes, when it is not.'),
      }),
      annotations: READ_ONLY,
    },
    (args) =>
      answer('explain_code', deps, () => {
        const explained = explainCode(args.code);
        if ('text' in explained) return Promise.resolve(ok({ code: args.code, known: true, text: explained.text }, explained.text));
        const text = `No root-cause code "${args.code}". Did you mean ${explained.suggestions.join(', ')}?`;
        return Promise.resolve(ok({ code: args.code, known: false, suggestions: [...explained.suggestions] }, text));
      }),
  );

  server.registerTool(
    'list_intents',
    {
      title: 'List the diagnoses available',
      description:
        "The intents triage can run: the built-in ones and the cluster's TriageTemplates (custom, or overriding a built-in), each with the target kinds it diagnoses and what it looks for.",
      outputSchema: z.object({ intents: z.array(IntentOutput) }),
      annotations: READ_ONLY,
    },
    () =>
      answer('list_intents', deps, async () => {
        const rows = await deps.intents();
        const text = rows.map((r) => `${r.name} (${r.source}; ${r.targetKinds.join(', ')}): ${r.description}`).join('\n');
        return ok({ intents: rows.map((r) => ({ ...r, targetKinds: [...r.targetKinds] })) }, text);
      }),
  );

  return server;
}

/** Whose Kubernetes identity the tools use, and how far they may go with it. */
export interface ClusterAccess {
  /** The caller's credentials and cluster: the user's kubeconfig over stdio, their bearer token over HTTP. */
  readonly config: () => KubeConfig;
  /** The namespace when a tool names none (`kubectl triage mcp -n NS`); else the kubeconfig context's, else `default`. */
  readonly namespace?: string;
  /** Whether `local` may diagnose in this process: yes in the plugin, no in the operator (any caller would spend its CPU). */
  readonly allowLocal: boolean;
}

/** The tools' cluster calls, all made with `access`'s identity; progress lines go to `io.err`, never to `io.out`. */
export function clusterDeps(access: ClusterAccess, io: Io): McpDeps {
  const quiet: Io = { ...io, out: io.err, stdoutIsTTY: false, stderrIsTTY: false };
  const namespaceOf = (namespace: string | undefined, config: KubeConfig) => namespace ?? access.namespace ?? contextNamespace(config);
  return {
    triage: async (call, signal) => {
      if (call.local && !access.allowLocal)
        throw new PluginError('local is not available from the operator: it diagnoses through a TriageRequest (kubectl triage mcp runs local triage)');
      const config = access.config();
      const command = {
        output: 'json',
        colour: 'never',
        name: 'triage',
        ...(call.target === undefined ? {} : { target: call.target }),
        namespace: namespaceOf(call.namespace, config),
        ...(call.intent === undefined ? {} : { intent: call.intent }),
        keep: false,
        local: call.local,
        timeoutSeconds: call.timeoutSeconds,
      } as const;
      try {
        return await triageCluster(command, { ...quiet, signal: AbortSignal.any([io.signal, signal]) }, config);
      } catch (error: unknown) {
        // A refused create has a way round that needs only read access: say so where the assistant reads it.
        if (error instanceof PluginError && !call.local && access.allowLocal && error.message.includes('forbidden by RBAC'))
          throw new PluginError(`${error.message} (local: true diagnoses with read access alone, creating nothing)`);
        throw error;
      }
    },
    getTriage: async (namespace, name) => {
      const config = access.config();
      return resultOfRequest(await new PluginCluster(config).getRequest(namespaceOf(namespace, config), name));
    },
    listTriages: (namespace, allNamespaces) => {
      const config = access.config();
      return new PluginCluster(config).listRequests(allNamespaces ? undefined : namespaceOf(namespace, config));
    },
    intents: () => intentRows({}, quiet, access.config()),
    now: io.now,
    log: (line) => {
      io.err(`${line}\n`);
    },
  };
}

/** The tools' cluster access through a kubeconfig, as `kubectl triage` has it. */
export function kubeconfigDeps(options: CommonOptions, io: Io): McpDeps {
  const config = () => {
    try {
      return loadKubeConfig(options);
    } catch (error: unknown) {
      // A missing or broken kubeconfig is the user's to fix: a sentence, not an fs stack.
      if (error instanceof PluginError) throw error;
      throw new PluginError(`cannot load the kubeconfig: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const deps = clusterDeps({ config, ...(options.namespace === undefined ? {} : { namespace: options.namespace }), allowLocal: true }, io);
  // Without a usable kubeconfig the built-in intents are still an answer (intentRows says why on stderr).
  return { ...deps, intents: () => intentRows(options, { err: io.err }) };
}

/** `kubectl triage mcp`: serves the tools over stdio until the client closes the stream; exit status 0. */
export async function serveMcp(options: CommonOptions, io: Io): Promise<number> {
  // stdout carries the protocol alone: a library's stray console.log would corrupt it.
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  const server = createMcpServer(kubeconfigDeps(options, io));
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = resolve;
  });
  const close = () => {
    void server.close();
  };
  // The SDK's stdio transport does not watch for the end of stdin: the client closing it ends the server.
  process.stdin.once('end', close);
  io.signal.addEventListener('abort', close, { once: true });
  await server.connect(new StdioServerTransport(process.stdin, process.stdout));
  io.err(`kubectl-triage mcp: serving triage, get_triage, list_triages, explain_code and list_intents over stdio (${identityText(options)})\n`);
  await closed;
  return 0;
}

function identityText(options: CommonOptions): string {
  try {
    const config = loadKubeConfig(options);
    return `context ${config.getCurrentContext()}, user ${config.getCurrentUser()?.name ?? '-'}`;
  } catch (error: unknown) {
    // No usable kubeconfig still serves explain_code and the built-in intents; the cluster tools say why they fail.
    return `no cluster: ${error instanceof Error ? error.message : String(error)}`;
  }
}
