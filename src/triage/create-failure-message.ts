import { parseWebhookFailure, type WebhookCallFailure } from './webhook-message';

// What a pod creator's FailedCreate says stopped it (an Event, or a ReplicaSet's ReplicaFailure
// condition): the apiserver's admission refusals (a webhook it could not call, a ResourceQuota,
// PodSecurity), read by one grammar.

export interface QuotaItem {
  readonly resource: string;
  readonly requested: string;
  readonly used: string;
  readonly limited: string;
}

export interface PodSecurityControl {
  readonly control: string;
  readonly detail: string;
}

/** What a FailedCreate message says stopped the controller from creating pods. */
export type CreateFailure =
  /** The apiserver could not call an admission webhook (failurePolicy Fail), so it refused the pod. */
  | { readonly kind: 'Webhook'; readonly call: WebhookCallFailure }
  | { readonly kind: 'Quota'; readonly quota: string; readonly items: readonly QuotaItem[] }
  /** The quota tracks a resource the pods do not set (a quota on limits.cpu needs every pod to set one). */
  | { readonly kind: 'QuotaUnset'; readonly quota: string; readonly missing: readonly string[] }
  | { readonly kind: 'PodSecurity'; readonly policy: string; readonly controls: readonly PodSecurityControl[] }
  | { readonly kind: 'Other'; readonly text: string };

/** `a=1,b=2` as the quota admission plugin prints resource lists. */
function resourceList(text: string): Map<string, string> {
  return new Map(
    text.split(',').flatMap((pair) => {
      const eq = pair.indexOf('=');
      return eq <= 0 ? [] : [[pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()] as const];
    }),
  );
}

/** Splits on commas outside parentheses (PodSecurity details contain commas inside them). */
function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth += 1;
    if (char === ')') depth = Math.max(0, depth - 1);
    if (char === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += char;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

/**
 * Reads a FailedCreate message (Event or ReplicaFailure condition): the webhook admission's
 * `failed calling webhook "<name>": ...`, the quota admission plugin's
 * `exceeded quota: <name>, requested: r=q, used: r=q, limited: r=q`, or the PodSecurity admission's
 * `violates PodSecurity "<level>:<version>": <control> (<detail>), ...`.
 */
export function parseCreateFailure(message: string): CreateFailure {
  // First: the apiserver's error wraps whatever the webhook said, which may quote other admission text.
  const call = parseWebhookFailure(message);
  if (call !== undefined) return { kind: 'Webhook', call };
  const quota = /exceeded quota: ([^,\s]+), requested: (\S+), used: (\S+), limited: (\S+)/.exec(message);
  if (quota !== null) {
    const [, name = '', requestedText = '', usedText = '', limitedText = ''] = quota;
    const requested = resourceList(requestedText);
    const used = resourceList(usedText);
    const limited = resourceList(limitedText);
    const items = [...requested.entries()].map(([resource, value]) => ({
      resource,
      requested: value,
      used: used.get(resource) ?? '?',
      limited: limited.get(resource) ?? '?',
    }));
    return { kind: 'Quota', quota: name, items };
  }
  // 1.35: `failed quota: q: must specify limits.cpu for: app; limits.memory for: app`; older: `must specify limits.cpu,limits.memory`.
  const unset = /failed quota: ([^:\s]+): must specify (.+)$/s.exec(message);
  if (unset !== null) {
    const [, name = '', rest = ''] = unset;
    const missing = rest
      .split(/;\s*|,(?=[a-z.\-/]+(?:\s+for:|,|$))/)
      .map((part) =>
        part
          .trim()
          .replace(/^must specify\s+/, '')
          .replace(/\.$/, ''),
      )
      .filter((part) => part !== '');
    return { kind: 'QuotaUnset', quota: name, missing };
  }
  const security = /violates PodSecurity "([^"]+)": (.*)$/s.exec(message);
  if (security !== null) {
    const [, policy = '', rest = ''] = security;
    const controls = topLevelParts(rest).map((part) => {
      const open = part.indexOf(' (');
      return open < 0 ? { control: part, detail: '' } : { control: part.slice(0, open), detail: part.slice(open + 2).replace(/\)$/, '') };
    });
    return { kind: 'PodSecurity', policy, controls };
  }
  return { kind: 'Other', text: message.replace(/^Error creating: /, '') };
}
