#!/usr/bin/env bash
# Builds the project's Go tools (Helm; manifest-check, the offline schema validator) from the wrapper modules under hack/tools/ into a cache
# outside the repo, keyed by the wrappers' go.mod/go.sum, like the control plane. A warm cache returns
# at once. Progress goes to stderr; stdout is only the tools' directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-modcacherw -buildvcs=false"
# The checksum database is unreachable here; the committed go.sum files pin every hash.
export GOSUMDB=off

key=$( { find "$here/tools" -type f | LC_ALL=C sort | xargs cat; cat "$here/build-tools.sh"; go version; } | sha256sum | cut -c1-16)
bin_dir="${TRIAGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/triage-operator}/tools-$key"
mkdir -p "$(dirname "$bin_dir")"
exec 9>"$bin_dir.lock"
if ! flock -n 9; then
  log "another build of the tools is running; waiting for it"
  flock 9
fi
if [ -f "$bin_dir/.complete" ]; then echo "$bin_dir"; exit 0; fi

tmp_dir="$bin_dir.partial"
rm -rf "$tmp_dir"
mkdir -p "$tmp_dir"
started=$(date +%s)
helm_version=$(awk '$1 == "helm.sh/helm/v4" {print $2}' "$here/tools/helm/go.mod")
[ -n "$helm_version" ] || die "cannot read Helm's version from hack/tools/helm/go.mod"
log "building helm $helm_version (cold: a few minutes on 2 cores)"
(cd "$here/tools/helm" && go build -v -p 2 -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$helm_version" \
  -o "$tmp_dir/helm" helm.sh/helm/v4/cmd/helm 2>&1 | awk '
    /^(#|go: |.*\.go:[0-9]+)/ { print; fflush(); next }
    { n++; if (n % 100 == 0) { printf "[tools] helm: %d packages compiled\n", n; fflush() } }' >&2
  exit "${PIPESTATUS[0]}")
"$tmp_dir/helm" version >/dev/null
log "building manifest-check (client-go's scheme, apiextensions, the Prometheus Operator's API types)"
(cd "$here/tools/manifest-check" && go build -v -p 2 -trimpath -ldflags "-s -w" -o "$tmp_dir/manifest-check" . 2>&1 | awk '
    /^(#|go: |.*\.go:[0-9]+)/ { print; fflush(); next }
    { n++; if (n % 100 == 0) { printf "[tools] manifest-check: %d packages compiled\n", n; fflush() } }' >&2
  exit "${PIPESTATUS[0]}")
date -u +%Y-%m-%dT%H:%M:%SZ >"$tmp_dir/.complete"
rm -rf "$bin_dir"
mv "$tmp_dir" "$bin_dir"
log "tools built in $(( $(date +%s) - started ))s: helm $helm_version, manifest-check"
echo "$bin_dir"
