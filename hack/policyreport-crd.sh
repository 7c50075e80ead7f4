#!/usr/bin/env bash
# Prints the path of the PolicyReport CRD (wgpolicyk8s.io/v1alpha2, the Policy WG's schema) as Kyverno
# ships it, fetched once through the Go module proxy into the Go module cache. For tests and for
# `kubectl apply -f "$(hack/policyreport-crd.sh)"` on a cluster that has no policy engine installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"

module=github.com/kyverno/kyverno
version=v1.19.1
log "fetching the PolicyReport CRD from $module@$version (Go module cache)"
dir=$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$dir" ] || die "go mod download $module@$version gave no directory"
crd="$dir/config/crds/policyreport/wgpolicyk8s.io_policyreports.yaml"
[ -f "$crd" ] || die "no PolicyReport CRD at $crd"
echo "$crd"
