/** Renders `kubectl get triagerequest NAME -o json` (read from stdin) for a terminal. */
import type { TriageRequestStatus } from '../crds/triage-request';
import { renderStatus } from './render-envelope';

const chunks: Buffer[] = [];
process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
process.stdin.on('end', () => {
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { metadata: { namespace: string; name: string }; status?: TriageRequestStatus };
  process.stdout.write(`${renderStatus(`${request.metadata.namespace}/${request.metadata.name}`, request.status)}\n`);
});
