import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import packageJson from '../../package.json';
import { readClusterInfo } from './support/cluster-info';
import { repoRoot, runHackScript, runProgram } from './support/scripts';

// What krew installs: `make plugin`'s archive, unpacked somewhere else, must run on its own (its
// production dependencies inside), and the manifest beside it must name that very archive.
interface KrewManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: { version: string; platforms: { uri: string; sha256: string; bin: string }[] };
}

test('the plugin archive runs from where krew unpacks it, and its manifest names it', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'plugin-out-'));
  const build = await runHackScript('build-plugin.sh', { PLUGIN_OUT: out, PLUGIN_SKIP_BUILD: '1' });
  expect(build.code).toBe(0);
  expect(build.stdout.trim()).toBe(out);

  const manifest = yaml.load(fs.readFileSync(path.join(out, 'triage.yaml'), 'utf8')) as KrewManifest;
  const archive = path.join(out, 'kubectl-triage.tar.gz');
  expect([manifest.apiVersion, manifest.kind, manifest.metadata.name]).toEqual(['krew.googlecontainertools.github.com/v1alpha2', 'Plugin', 'triage']);
  expect(manifest.spec.version).toBe(`v${packageJson.version}`);
  const [platform] = manifest.spec.platforms;
  expect(platform?.sha256).toBe(createHash('sha256').update(fs.readFileSync(archive)).digest('hex'));
  expect(platform?.uri).toBe(`file://${archive}`);

  // Unpacked away from the repository (no node_modules to lean on), linked onto PATH as krew does.
  const krewRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'krew-'));
  expect((await runProgram('tar', ['-C', krewRoot, '-xzf', archive])).code).toBe(0);
  const bin = path.join(krewRoot, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(path.join(krewRoot, platform?.bin ?? ''), path.join(bin, 'kubectl-triage'));
  const info = readClusterInfo();
  const result = await runProgram(path.join(info.binDir, 'kubectl'), ['triage', 'intents'], {
    env: { PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`, KUBECONFIG: info.kubeconfig, NODE_PATH: '' },
  });
  expect(result.stderr).toBe('');
  expect(result.stdout).toMatch(/^INTENT\s+SOURCE/);
  expect(fs.existsSync(path.join(krewRoot, 'kubectl-triage', 'node_modules', 'jest'))).toBe(false);
  expect(repoRoot).not.toBe(krewRoot);
});
