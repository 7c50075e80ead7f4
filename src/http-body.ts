import type http from 'node:http';

// Reading a request body with a size cap and a deadline: every HTTP endpoint the operator serves to
// callers (MCP, the Alertmanager receiver) reads bodies this way, so a caller cannot make it hold
// memory or a connection for long.

/** The body passed its byte limit: answer 413 with Connection: close. */
export class BodyTooLarge extends Error {}
/** The body did not arrive in time: answer 408 with Connection: close. */
export class BodyTimeout extends Error {}

/** The whole body as text, at most `limit` bytes, within `timeoutMs`. */
export function readBody(request: http.IncomingMessage, limit: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      reject(new BodyTimeout());
    }, timeoutMs);
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Over the limit: stop keeping it; the 413 goes out with Connection: close, which ends the upload.
      if (size > limit) {
        clearTimeout(timer);
        reject(new BodyTooLarge());
      } else chunks.push(chunk);
    });
    request.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
