#!/usr/bin/env bash
# Builds the local control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, kwok, and the real node's kubelet) from the wrapper modules under hack/controlplane/
# into a cache outside the repo, keyed by the wrappers' go.mod/go.sum. A warm cache
# returns in well under a second. Prints the binaries' directory on its last line.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-modcacherw -buildvcs=false"
# The checksum database is unreachable here; the committed go.sum files pin every hash.
export GOSUMDB=off

bin_dir=$(controlplane_bin_dir)
# One build at a time: a second caller (another test run, make target or shell) waits for the first
# instead of wiping its half-built directory.
mkdir -p "$(dirname "$bin_dir")"
exec 9>"$bin_dir.lock"
if ! flock -n 9; then
  log "another build of the control plane is running; waiting for it"
  flock 9
fi
if [ -f "$bin_dir/.complete" ]; then
  log "control plane binaries cached in $bin_dir"
  echo "$bin_dir"
  exit 0
fi

# The version a wrapper requires, whether go.mod lists it on a require line or in a block.
required_version() { awk -v mod="$2" '($1 == mod) {print $2} ($1 == "require" && $2 == mod) {print $3}' "$here/controlplane/$1/go.mod"; }
k8s_version=$(required_version k8s k8s.io/kubernetes)
k8s_minor=$(echo "$k8s_version" | cut -d. -f2)
etcd_version=$(required_version etcd go.etcd.io/etcd/server/v3)
kwok_version=$(required_version kwok sigs.k8s.io/kwok)
[ -n "$k8s_version" ] && [ -n "$etcd_version" ] && [ -n "$kwok_version" ] || die "cannot read versions from hack/controlplane/*/go.mod"

tmp_dir="$bin_dir.partial"
rm -rf "$tmp_dir"
mkdir -p "$tmp_dir"
started=$(date +%s)

# go build -v names each package as it compiles: count them so a 20-minute cold build shows life.
# Progress goes to stderr: callers capture stdout, whose last line is the binaries' directory.
build_with_progress() {
  local label=$1; shift
  local total_hint=$1; shift
  log "building $label (cold: several minutes on 2 cores; progress every 100 packages)"
  go build -v "$@" 2>&1 | awk -v label="$label" -v hint="$total_hint" -v start="$started" '
    /^(#|go: |.*\.go:[0-9]+)/ { print; fflush(); next }
    { n++; if (n % 100 == 0) { printf "[controlplane] %s: %d/~%d packages compiled (%ds elapsed)\n", label, n, hint, systime() - start; fflush() } }
    END { printf "[controlplane] %s: %d packages compiled\n", label, n }' >&2
  return "${PIPESTATUS[0]}"
}

ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit=0000000000000000000000000000000000000000"
  ldflags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

(cd "$here/controlplane/etcd" && build_with_progress "etcd $etcd_version" 600 -p 2 -trimpath \
  -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd_version" -o "$tmp_dir/etcd" go.etcd.io/etcd/server/v3)
(cd "$here/controlplane/kwok" && build_with_progress "kwok $kwok_version" 900 -p 2 -trimpath \
  -ldflags "-s -w" -o "$tmp_dir/kwok" sigs.k8s.io/kwok/cmd/kwok)
(cd "$here/controlplane/k8s" && build_with_progress "kubernetes $k8s_version" 2900 -p 2 -trimpath -tags=notest \
  -ldflags "$ldflags" -o "$tmp_dir/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubectl \
  k8s.io/kubernetes/cmd/kubelet)

"$tmp_dir/kube-apiserver" --version >/dev/null
"$tmp_dir/kubelet" --version >/dev/null
"$tmp_dir/etcd" --version >/dev/null
date -u +%Y-%m-%dT%H:%M:%SZ > "$tmp_dir/.complete"
rm -rf "$bin_dir"
mv "$tmp_dir" "$bin_dir"
log "control plane built in $(( $(date +%s) - started ))s: kubernetes $k8s_version, etcd $etcd_version, kwok $kwok_version"
echo "$bin_dir"
