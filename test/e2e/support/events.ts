import type { CoreV1Event } from '@kubernetes/client-node';
import { eventually } from './eventually';
import { kube } from './kube';

/** Waits for an Event about the object with this uid (matched by uid, never by name) that satisfies `matches`. */
export function eventAbout(
  namespace: string,
  uid: string,
  matches: (event: CoreV1Event) => boolean,
  description: string,
  timeoutMs = 60_000,
): Promise<CoreV1Event> {
  return eventually(
    description,
    async () => {
      const events = await kube().core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.uid=${uid}` });
      return events.items.find(matches);
    },
    { timeoutMs },
  );
}
