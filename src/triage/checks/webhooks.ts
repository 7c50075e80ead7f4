import type { NextAction } from '../../crds/envelope';
import { refOf } from '../investigation';
import type { EndpointSlice, Service } from '../objects';
import { INDEX, type KubeObject } from '../snapshot';
import type { Check } from './check';

// Admission webhooks, read from their configurations and the Services they call. A webhook whose
// backend is gone blocks (failurePolicy Fail) or silently skips (Ignore) every matching API request,
// cluster-wide: one of the widest outages a single object can cause.

interface Webhook {
  readonly name?: string;
  readonly failurePolicy?: string;
  readonly clientConfig?: { readonly service?: { readonly namespace?: string; readonly name?: string; readonly port?: number }; readonly url?: string };
}

interface WebhookConfiguration extends KubeObject {
  readonly webhooks?: readonly Webhook[];
}

function webhookCheck(kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration'): Check {
  const plural = kind === 'ValidatingWebhookConfiguration' ? 'validatingwebhookconfigurations' : 'mutatingwebhookconfigurations';
  return {
    name: `${kind === 'ValidatingWebhookConfiguration' ? 'validating' : 'mutating'}webhook.backend`,
    subject: kind,
    codes: ['WebhookServiceNotFound', 'WebhookNoReadyEndpoints'],
    evidence: ['webhook', 'webhook.service'],
    /** Proves that a webhook's Service is missing or has no ready endpoint, so the apiserver cannot call it. */
    run(ctx, subject, chain) {
      const { inv } = ctx;
      const config = subject as WebhookConfiguration;
      const ref = refOf(kind, config);
      inv.note('webhook');
      (config.webhooks ?? []).forEach((webhook, index) => {
        const service = webhook.clientConfig?.service;
        if (service?.name === undefined || service.namespace === undefined) return;
        // failurePolicy defaults to Fail in admissionregistration/v1: an unreachable webhook rejects requests.
        const blocking = (webhook.failurePolicy ?? 'Fail') === 'Fail';
        const effect = blocking
          ? 'the apiserver rejects every request it matches (failurePolicy Fail)'
          : 'the apiserver skips it for every request it matches (failurePolicy Ignore), so its policy is not applied';
        const who = `Webhook ${webhook.name ?? `#${index}`} of ${kind} ${ref.name}`;
        const serviceRef = refOf('Service', undefined, { name: service.name, namespace: service.namespace });
        const describe: NextAction = { description: `Show the webhook's Service and its endpoints`, command: `kubectl describe svc ${service.name} -n ${service.namespace}`, safety: 'ReadOnly' };
        const configAction: NextAction = { description: `Show ${kind} ${ref.name}`, command: `kubectl get ${plural} ${ref.name} -o yaml`, safety: 'ReadOnly' };
        const anchor = inv.anchorField(kind, config, `webhooks[name=${webhook.name ?? ''}].clientConfig.service`);
        const lookup = inv.get<Service>('Service', 'webhook.service', service.name, service.namespace);
        if (lookup.state === 'Absent') {
          inv.report({
            code: 'WebhookServiceNotFound', severity: blocking ? 'Critical' : 'Warning', object: ref, confidence: 0.95,
            message: `${who} calls Service ${service.namespace}/${service.name}, which does not exist: ${effect}`,
            anchors: [anchor], chain: [...chain, ref, serviceRef], nextActions: [configAction, describe],
          });
          return;
        }
        if (lookup.state !== 'Found') return;
        const slices = inv.byIndex<EndpointSlice>('EndpointSlice', 'webhook.endpoints', INDEX.service, `${service.namespace}/${service.name}`);
        if (slices === undefined) return;
        const ready = slices.flatMap((s) => s.endpoints ?? []).some((e) => e.conditions?.ready === true);
        if (ready) return;
        inv.report({
          code: 'WebhookNoReadyEndpoints', severity: blocking ? 'Critical' : 'Warning', object: ref, confidence: 0.9,
          message: `${who} calls Service ${service.namespace}/${service.name}, which has no ready endpoint: ${effect}`,
          anchors: [anchor, ...(slices[0] === undefined ? [inv.anchorField('Service', lookup.object, 'spec.selector')] : [inv.anchorField('EndpointSlice', slices[0], 'endpoints')])],
          chain: [...chain, ref, refOf('Service', lookup.object)],
          nextActions: [describe, configAction],
        });
      });
    },
  };
}

export const webhookChecks: readonly Check[] = [webhookCheck('ValidatingWebhookConfiguration'), webhookCheck('MutatingWebhookConfiguration')];
