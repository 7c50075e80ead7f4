#!/usr/bin/env bash
# Builds Prometheus Alertmanager (github.com/prometheus/alertmanager/cmd/alertmanager) from the wrapper module in hack/alertmanager/
# into a cache outside the repo, keyed by its go.mod/go.sum, like the control plane; only the e2e test that fires alerts needs it.
# A warm cache returns at once. Progress goes to stderr; stdout is only the binary's path.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-modcacherw -buildvcs=false"
# The committed go.sum pins every hash, so an unreachable checksum database does not matter.
export GOSUMDB=off

key=$( { cat "$here/alertmanager/go.mod" "$here/alertmanager/go.sum" "$here/build-alertmanager.sh"; go version; } | sha256sum | cut -c1-16)
bin_dir="${TRIAGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/triage-operator}/alertmanager-$key"
mkdir -p "$(dirname "$bin_dir")"
exec 9>"$bin_dir.lock"
if ! flock -n 9; then
  log "another build of alertmanager is running; waiting for it"
  flock 9
fi
if [ -f "$bin_dir/.complete" ]; then echo "$bin_dir/alertmanager"; exit 0; fi

tmp_dir="$bin_dir.partial"
rm -rf "$tmp_dir"
mkdir -p "$tmp_dir"
started=$(date +%s)
version=$(awk '$1 == "github.com/prometheus/alertmanager" {print $2} $1 == "require" && $2 == "github.com/prometheus/alertmanager" {print $3}' "$here/alertmanager/go.mod" | head -n1)
[ -n "$version" ] || die "cannot read Alertmanager's version from hack/alertmanager/go.mod"
# The module as published lacks the web UI's built assets (ui/app/dist, made by npm in upstream's release), which ui/web.go embeds:
# build from a copy of its source with a one-page placeholder UI; the API, which is all the tests use, is untouched.
log "fetching alertmanager $version's source"
src_dir=$(cd "$here/alertmanager" && go mod download -json "github.com/prometheus/alertmanager@$version" | awk -F'"' '$2 == "Dir" {print $4}')
[ -d "$src_dir" ] || die "go mod download did not give alertmanager's source directory"
work="$tmp_dir/build"
mkdir -p "$work"
cp "$here/alertmanager/go.mod" "$here/alertmanager/go.sum" "$here/alertmanager/tools.go" "$work/"
cp -R "$src_dir" "$work/alertmanager-src"
chmod -R u+w "$work/alertmanager-src"
for ui in elm mantine; do
  mkdir -p "$work/alertmanager-src/ui/app/dist/$ui"
  printf '<!doctype html><title>Alertmanager</title><p>Built for tests without the web UI; the API is at /api/v2.</p>\n' >"$work/alertmanager-src/ui/app/dist/$ui/index.html"
done
(cd "$work" && go mod edit -replace "github.com/prometheus/alertmanager=./alertmanager-src")
log "building alertmanager $version (cold: a few minutes on 2 cores)"
(cd "$work" && go build -v -p 2 -trimpath \
  -ldflags "-s -w -X github.com/prometheus/common/version.Version=${version#v}" \
  -o "$tmp_dir/alertmanager" github.com/prometheus/alertmanager/cmd/alertmanager 2>&1 | awk '
    /^(#|go: |.*\.go:[0-9]+)/ { print; fflush(); next }
    { n++; if (n % 100 == 0) { printf "[controlplane] alertmanager: %d packages compiled\n", n; fflush() } }' >&2
  exit "${PIPESTATUS[0]}")
rm -rf "$work"
"$tmp_dir/alertmanager" --version >/dev/null 2>&1 || die "the built alertmanager does not run"
date -u +%Y-%m-%dT%H:%M:%SZ >"$tmp_dir/.complete"
rm -rf "$bin_dir"
mv "$tmp_dir" "$bin_dir"
log "alertmanager $version built in $(( $(date +%s) - started ))s"
echo "$bin_dir/alertmanager"
