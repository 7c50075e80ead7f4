#!/usr/bin/env bash
# Prints the directory of the Gateway API's standard-channel CRDs, from the Go module of the release
# hack/gateway-api/go.mod pins (go.sum pins its hash; the module proxy is reachable, release downloads
# are not). Progress goes to stderr; stdout is only the directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"

export GOTOOLCHAIN=local GOFLAGS="-modcacherw -mod=mod"
# The checksum database is unreachable here; the committed go.sum pins the hash.
export GOSUMDB=off

version=$(awk '$1 == "require" && $2 == "sigs.k8s.io/gateway-api" {print $3}' "$here/gateway-api/go.mod")
[ -n "$version" ] || die "cannot read the Gateway API version from hack/gateway-api/go.mod"
log "Gateway API $version CRDs from the Go module proxy"
dir=$(cd "$here/gateway-api" && go mod download -json "sigs.k8s.io/gateway-api@$version" | awk -F'"' '$2 == "Dir" {print $4}')
[ -d "$dir/config/crd/standard" ] || die "the Gateway API module $version has no config/crd/standard"
echo "$dir/config/crd/standard"
