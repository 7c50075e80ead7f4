#!/usr/bin/env bash
# Builds the kubectl-triage plugin archive (dist, production node_modules and a launcher; needs Node on
# the PATH where it runs) and the krew manifest for it. Prints the output directory on stdout.
#   PLUGIN_URI       where the archive will be published (default: a file:// URI of the local archive)
#   PLUGIN_HOMEPAGE  the project's homepage in the manifest
#   PLUGIN_SKIP_BUILD=1  use dist/ as it is (the e2e suite built it, and other tests are running it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"
cd "$repo_root"

out=${PLUGIN_OUT:-$repo_root/dist-plugin}
version=$(node -p 'require("./package.json").version')
log "building kubectl-triage v$version"
[ "${PLUGIN_SKIP_BUILD:-}" = 1 ] || npm run --silent build
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/kubectl-triage" "$out"
cp -R dist package.json package-lock.json README.md "$stage/kubectl-triage/"
log "installing its production dependencies"
(cd "$stage/kubectl-triage" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
# krew links `bin` from the archive: a launcher that finds the plugin beside itself, wherever krew put it.
cat >"$stage/kubectl-triage/kubectl-triage" <<'LAUNCHER'
#!/bin/sh
# Follow the symlinks krew (or a user) made to this file; plain readlink, since readlink -f is not everywhere.
target=$0
while [ -L "$target" ]; do
  link=$(readlink "$target")
  case $link in /*) target=$link ;; *) target=$(dirname "$target")/$link ;; esac
done
here=$(cd "$(dirname "$target")" && pwd)
exec node "$here/dist/cli/kubectl-triage.js" "$@"
LAUNCHER
chmod +x "$stage/kubectl-triage/kubectl-triage"
archive="$out/kubectl-triage.tar.gz"
tar -C "$stage" -czf "$archive" kubectl-triage
sha=$(sha256sum "$archive" | cut -d' ' -f1)
uri=${PLUGIN_URI:-file://$archive}
# No homepage line unless one is given: the manifest names no address this project does not own.
homepage_edit=("-e" "/{{HOMEPAGE}}/d")
[ -n "${PLUGIN_HOMEPAGE:-}" ] && homepage_edit=("-e" "s|{{HOMEPAGE}}|$PLUGIN_HOMEPAGE|")
sed -e "s|{{VERSION}}|$version|" -e "s|{{URI}}|$uri|" -e "s|{{SHA256}}|$sha|" "${homepage_edit[@]}" plugins/triage.yaml >"$out/triage.yaml"
log "wrote $archive ($(du -h "$archive" | cut -f1)) and $out/triage.yaml"
echo "$out"
