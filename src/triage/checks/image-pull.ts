import type { NextAction, ObjectRef } from '../../crds/envelope';
import { classifyPull, parseMissingPullSecret, pullErrorOfEvent, pullErrorOfWaiting, registryOf, type PullCause } from '../kubelet-message';
import type { EventRecord } from '../objects';
import { codesOf, defineRule, runRules, type Check, type Rule } from './check';
import {
  containersOf,
  describeAction,
  inScope,
  KIND,
  podRun,
  PULL_WAITING,
  quote,
  rollbackAction,
  specFieldCommand,
  who,
  type ContainerPod,
  type ContainerView,
  type PodRun,
} from './containers';

// Why a container's image cannot be pulled, from the kubelet's waiting reason and message
// (ErrImagePull, ImagePullBackOff, ...) and its Failed Events, which quote the registry's answer.

/** What the pull rules share about one container whose image is not pulled. */
interface PullRun extends PodRun {
  /** How the pod was reached, without it. */
  readonly chain: readonly ObjectRef[];
  readonly view: ContainerView;
  /** The kubelet's waiting reason, e.g. ErrImagePull. */
  readonly reason: string;
  readonly image: string;
  /** The pull error as recorded: the waiting message, else the Failed Event's. */
  readonly text: string;
  readonly cause: PullCause;
  /** The waiting state, the Failed Event (if any) and the image field, in that order. */
  readonly anchors: readonly string[];
  /** The pod's imagePullSecrets, by name. */
  readonly secrets: readonly string[];
  /** "Container app of Pod ns/p cannot pull image "…"" */
  readonly subject: string;
  readonly registry: string;
  readonly node: string;
  readonly describe: NextAction;
  readonly showImage: NextAction;
}

/** The kubelet's Event for a failed pull of this image (or its refusal to pull it). */
function failedPullEvent(events: readonly EventRecord[], image: string): EventRecord | undefined {
  return events.find(
    (e) =>
      (e.reason === 'Failed' || e.reason === 'InspectFailed' || e.reason === 'ErrImageNeverPull') &&
      (e.message.startsWith(`Failed to pull image "${image}"`) ||
        e.message.startsWith(`Failed to apply default image tag "${image}"`) ||
        e.message.startsWith(`Container image "${image}"`)),
  );
}

function pullRun(run: PodRun, chain: readonly ObjectRef[], view: ContainerView): PullRun {
  const { inv, pod, ref } = run;
  const waiting = view.status.state?.waiting;
  const reason = waiting?.reason ?? '';
  const image = view.spec?.image ?? view.status.image ?? '';
  const fromWaiting = pullErrorOfWaiting(waiting?.message ?? '');
  const failed = failedPullEvent(run.events, image);
  const fromEvent = failed === undefined ? '' : pullErrorOfEvent(failed.message);
  // The waiting message holds the cause for ErrImagePull; during back-off (older kubelets) only the Event does.
  const text = fromWaiting !== '' ? fromWaiting : fromEvent;
  const first = classifyPull(reason, text);
  // Each text is classified on its own: a phrase must not run from one into the other.
  const cause = first.code === 'ImagePullFailed' && fromWaiting !== '' && fromEvent !== '' ? classifyPull(reason, fromEvent) : first;
  const anchors = [
    inv.anchorField(KIND, pod, `${view.statusPath}.state.waiting.${(waiting?.message ?? '') === '' ? 'reason' : 'message'}`),
    ...(failed === undefined ? [] : [inv.anchorEvent(failed)]),
    inv.anchorField(KIND, pod, `${view.specPath}.image`),
  ];
  return {
    ...run,
    chain,
    view,
    reason,
    image,
    text,
    cause,
    anchors,
    secrets: (pod.spec?.imagePullSecrets ?? []).map((s) => s.name ?? '').filter((s) => s !== ''),
    subject: `${who(view, ref)} cannot pull image "${image}"`,
    registry: registryOf(image),
    node: pod.spec?.nodeName ?? '?',
    describe: describeAction(ref),
    showImage: { description: `Show the image container ${view.name} asks for`, command: specFieldCommand(ref, view, 'image'), safety: 'ReadOnly' },
  };
}

/** Reports the finding that explains the container's pull: later rules would only restate it. */
function explains(
  p: PullRun,
  finding: {
    code: PullCause['code'] | 'PullSecretNotFound';
    confidence?: number;
    message: string;
    anchors: readonly string[];
    nextActions: readonly NextAction[];
  },
): true {
  const { inv, ref } = p;
  inv.report({
    code: finding.code,
    severity: 'Critical',
    object: ref,
    message: finding.message,
    anchors: finding.anchors,
    nextActions: finding.nextActions,
    chain: [...p.chain, ref],
    confidence: finding.confidence ?? p.cause.confidence,
  });
  return true;
}

const pullSecretsAction = (p: PullRun): NextAction => ({
  description: 'Show which imagePullSecrets the pod uses (names only)',
  command: `kubectl get pod ${p.ref.name} -n ${p.ns} -o jsonpath='{.spec.imagePullSecrets}'`,
  safety: 'ReadOnly',
});
const pullSecretsAnchors = (p: PullRun) => (p.secrets.length === 0 ? [] : [p.inv.anchorField(KIND, p.pod, 'spec.imagePullSecrets')]);

// The runtime rejects a reference it cannot parse (uppercase, a stray colon) before asking any registry.
const invalidImageNameRule = defineRule<PullRun>({
  name: 'invalidImageName',
  proves: ['InvalidImageName'],
  run: (p) =>
    p.cause.code === 'InvalidImageName' &&
    explains(p, {
      code: 'InvalidImageName',
      anchors: p.anchors,
      message: `${who(p.view, p.ref)} names an invalid image reference "${p.image}" (${p.cause.said})`,
      nextActions: [p.showImage, p.describe, ...rollbackAction(p.owner(), p.ns, 'the image change')],
    }),
});

// The registry has no such repository or tag (manifest unknown), or pull policy Never finds no copy on the node.
const imageNotFoundRule = defineRule<PullRun>({
  name: 'imageNotFound',
  proves: ['ImageNotFound'],
  run: (p) =>
    p.cause.code === 'ImageNotFound' &&
    explains(p, {
      code: 'ImageNotFound',
      anchors: p.anchors,
      message:
        p.reason === 'ErrImageNeverPull'
          ? `${who(p.view, p.ref)} uses image "${p.image}" with imagePullPolicy Never, and the image is not present on node ${p.node}`
          : `${p.subject}: registry ${p.registry} has no such repository or tag (${p.cause.said})`,
      nextActions: [p.showImage, p.describe, ...rollbackAction(p.owner(), p.ns, 'the image change')],
    }),
});

// The kubelet pulls without a named pull secret it cannot retrieve (FailedToRetrieveImagePullSecret): the registry's refusal follows from that.
const pullSecretNotFoundRule = defineRule<PullRun>({
  name: 'pullSecretNotFound',
  proves: ['PullSecretNotFound'],
  run: (p) => {
    const missingSecret = p.cause.code === 'ImagePullUnauthorized' ? p.events.find((e) => e.reason === 'FailedToRetrieveImagePullSecret') : undefined;
    if (missingSecret === undefined) return false;
    const named = parseMissingPullSecret(missingSecret.message);
    return explains(p, {
      code: 'PullSecretNotFound',
      confidence: 0.9,
      anchors: [p.inv.anchorEvent(missingSecret), ...p.anchors.slice(0, 1), ...pullSecretsAnchors(p)],
      message: `${p.subject}: imagePullSecret ${named ?? p.secrets.join(', ')} does not exist in ${p.ns} (the kubelet could not retrieve it), so registry ${p.registry} got no credentials (${p.cause.said})`,
      nextActions: [
        {
          description: `Check whether Secret ${named ?? p.secrets[0] ?? ''} exists in ${p.ns} (names only)`,
          command: `kubectl get secrets -n ${p.ns} --field-selector type=kubernetes.io/dockerconfigjson`,
          safety: 'ReadOnly',
        },
        p.describe,
      ],
    });
  },
});

function unauthorizedMessage(p: PullRun): string {
  const secretsText = p.secrets.length === 0 ? 'the pod has no imagePullSecrets' : `the pod pulls with imagePullSecrets ${p.secrets.join(', ')}`;
  if (p.cause.ambiguous === true) {
    return `${p.subject}: registry ${p.registry} denied access (${p.cause.said}), which it also answers for a repository that does not exist: check the name, or give credentials; ${secretsText}`;
  }
  return p.secrets.length === 0
    ? `${p.subject}: registry ${p.registry} requires credentials (${p.cause.said}) and ${secretsText}`
    : `${p.subject}: registry ${p.registry} refused the pull credentials (${p.cause.said}); ${secretsText}`;
}

// The registry refused the pull (401/403, denied): no credentials were sent, or the ones in the pull secrets are not accepted.
const imagePullUnauthorizedRule = defineRule<PullRun>({
  name: 'imagePullUnauthorized',
  proves: ['ImagePullUnauthorized'],
  run: (p) =>
    p.cause.code === 'ImagePullUnauthorized' &&
    explains(p, {
      code: 'ImagePullUnauthorized',
      anchors: [...p.anchors, ...pullSecretsAnchors(p)],
      message: unauthorizedMessage(p),
      nextActions: [
        p.describe,
        pullSecretsAction(p),
        ...p.secrets.slice(0, 1).map((s) => ({
          description: `Check that Secret ${s} exists and is of type kubernetes.io/dockerconfigjson (shows no contents)`,
          command: `kubectl get secret ${s} -n ${p.ns} -o jsonpath='{.type}'`,
          safety: 'ReadOnly' as const,
        })),
        p.showImage,
      ],
    }),
});

// The node cannot reach the registry (DNS, timeout, refused) or does not trust its TLS certificate: the image is not in question.
const registryUnreachableRule = defineRule<PullRun>({
  name: 'registryUnreachable',
  proves: ['RegistryUnreachable'],
  run: (p) =>
    p.cause.code === 'RegistryUnreachable' &&
    explains(p, {
      code: 'RegistryUnreachable',
      anchors: p.anchors,
      message: /^x509/i.test(p.cause.said)
        ? `${p.subject}: node ${p.node} does not trust registry ${p.registry}'s TLS certificate (${p.cause.said})`
        : `${p.subject}: node ${p.node} cannot reach registry ${p.registry} (${p.cause.said})`,
      nextActions: [
        p.describe,
        {
          description: `See whether other pods on node ${p.node} pull (a node-wide DNS, proxy or egress fault) or only this registry fails`,
          command: `kubectl get pods -A -o wide --field-selector spec.nodeName=${p.pod.spec?.nodeName ?? ''}`,
          safety: 'ReadOnly',
        },
      ],
    }),
});

// The registry answers 429 toomanyrequests: anonymous (or one account's) pulls exceeded its rate limit.
const imagePullRateLimitedRule = defineRule<PullRun>({
  name: 'imagePullRateLimited',
  proves: ['ImagePullRateLimited'],
  run: (p) =>
    p.cause.code === 'ImagePullRateLimited' &&
    explains(p, {
      code: 'ImagePullRateLimited',
      anchors: p.anchors,
      message: `${p.subject}: registry ${p.registry} rate-limits pulls (${p.cause.said}); authenticate the pulls or use a mirror`,
      nextActions: [p.describe, pullSecretsAction(p)],
    }),
});

// Any other pull failure (a signature check, an error no grammar knows, or one whose Events expired): quoted as the kubelet wrote it.
const imagePullFailedRule = defineRule<PullRun>({
  name: 'imagePullFailed',
  proves: ['ImagePullFailed'],
  run: (p) =>
    p.cause.code === 'ImagePullFailed' &&
    explains(p, {
      code: 'ImagePullFailed',
      anchors: p.anchors,
      message:
        p.text === ''
          ? `${p.subject} (${p.reason}); the last pull error is no longer recorded (its Events expire), the next attempt's Failed Event will say`
          : `${p.subject}: ${quote(p.text)}`,
      nextActions: [p.describe, p.showImage],
    }),
});

/** One rule per pull code; a missing pull secret comes before the refusal it causes. */
const PULL_RULES: readonly Rule<PullRun>[] = [
  invalidImageNameRule,
  imageNotFoundRule,
  pullSecretNotFoundRule,
  imagePullUnauthorizedRule,
  registryUnreachableRule,
  imagePullRateLimitedRule,
  imagePullFailedRule,
];

/** Proves why a pod's images cannot be pulled: missing image, refused credentials, unreachable registry, invalid name. */
export const podImagePull: Check = {
  name: 'pod.image-pull',
  subject: KIND,
  codes: codesOf(PULL_RULES),
  evidence: ['pod', 'pod.events'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const pod = subject as ContainerPod;
    inv.note('pod');
    if (!inScope(inv, pod)) return;
    const run = podRun(inv, pod);
    for (const view of containersOf(pod).filter((v) => PULL_WAITING.has(v.status.state?.waiting?.reason ?? ''))) {
      runRules(PULL_RULES, pullRun(run, chain, view));
    }
  },
};
