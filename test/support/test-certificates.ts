import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// Throwaway certificates for tests that need real TLS, made with the openssl binary in `dir`
// (`<name>.key` and `<name>.crt`), valid for a day.

const openssl = (dir: string, ...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

/** A self-signed CA: `<name>.key`, `<name>.crt`. */
export function makeCa(dir: string, name: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', `/CN=${name}`);
}

/** A certificate signed by the CA `ca`, with the given openssl extensions (e.g. subjectAltName, extendedKeyUsage). */
export function issueCertificate(dir: string, name: string, ca: string, extension: string): void {
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  fs.writeFileSync(path.join(dir, `${name}.ext`), extension);
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
  );
}
