#!/usr/bin/env bash
# Builds the real node's test images without any registry, cached under the cache dir keyed by their
# inputs (this script, hack/images/**, the busybox binary, the tools' versions). Prints the directory:
#   pause.tar, busybox.tar   docker-archives named localhost/triage/pause:1 and localhost/triage/busybox:1,
#                            for `ctr images import`
#   oci/                     the OCI layout; tags busybox-open and busybox-auth are the copies pushed to
#                            the local registries: the same layer, a config with one more label, so each
#                            has a config digest (image ID) of its own, distinct from the preloaded image
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"

for tool in umoci skopeo go; do command -v "$tool" >/dev/null || die "real node images need '$tool' (hack/real-node-deps.sh installs umoci and skopeo)"; done
busybox_bin=/bin/busybox
[ -x "$busybox_bin" ] || die "real node images need $busybox_bin (Debian package busybox-static)"

key=$( { cat "$0"; find "$here/images" -type f | LC_ALL=C sort | xargs cat; sha256sum <"$busybox_bin"; umoci --version; skopeo --version; go version; } | sha256sum | cut -c1-16)
cache=${TRIAGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/triage-operator}
out="$cache/images-$key"
mkdir -p "$cache"
exec 8>"$out.lock"
flock 8
if [ -f "$out/.complete" ]; then echo "$out"; exit 0; fi

started=$(date +%s)
log "real node: building images pause and busybox (no registry)"
tmp="$out.partial"
rm -rf "$tmp"
mkdir -p "$tmp/pause-root" "$tmp/bundle"
oci="$tmp/oci"
{
  (cd "$here/images/pause" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags "-s -w" -o "$tmp/pause-root/pause" .)
  umoci init --layout "$oci"

  umoci new --image "$oci:pause"
  umoci insert --image "$oci:pause" "$tmp/pause-root/pause" /pause
  umoci config --image "$oci:pause" --author triage-operator --os linux --architecture amd64 \
    --config.entrypoint /pause --config.user 65535:65535 --config.label triage.dev/image=pause

  umoci new --image "$oci:busybox"
  umoci unpack --image "$oci:busybox" "$tmp/bundle/busybox"
  root="$tmp/bundle/busybox/rootfs"
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/home"
  chmod 1777 "$root/tmp"
  cp "$busybox_bin" "$root/bin/busybox"
  for applet in $("$busybox_bin" --list); do
    [ "$applet" = busybox ] || [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
  umoci repack --image "$oci:busybox" "$tmp/bundle/busybox"
  umoci config --image "$oci:busybox" --author triage-operator --os linux --architecture amd64 \
    --config.env PATH=/bin --config.cmd sh --config.label triage.dev/image=busybox
  umoci config --image "$oci:busybox" --tag busybox-open --config.label triage.dev/copy=open-registry
  umoci config --image "$oci:busybox" --tag busybox-auth --config.label triage.dev/copy=auth-registry
  umoci gc --layout "$oci"

  skopeo copy --quiet "oci:$oci:pause" "docker-archive:$tmp/pause.tar:localhost/triage/pause:1"
  skopeo copy --quiet "oci:$oci:busybox" "docker-archive:$tmp/busybox.tar:localhost/triage/busybox:1"
} >"$tmp/build.log" 2>&1 || { tail -n 20 "$tmp/build.log" >&2; die "building the real node images failed (log: $tmp/build.log)"; }
rm -rf "$tmp/bundle" "$tmp/pause-root"
date -u +%Y-%m-%dT%H:%M:%SZ >"$tmp/.complete"
rm -rf "$out"
mv "$tmp" "$out"
log "real node: images built in $(( $(date +%s) - started ))s ($out)"
echo "$out"
