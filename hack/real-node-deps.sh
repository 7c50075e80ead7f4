#!/usr/bin/env bash
# Installs what the real node needs from Debian packages: containerd, runc, the CNI plugins, a
# registry (docker-registry), image tools (umoci, skopeo), busybox-static for the test image,
# htpasswd (apache2-utils) for the auth registry, socat (the pods' way to the loopback apiserver), and iptables (only so a test can read iptables-save
# before and after: the node itself writes no rule). Idempotent: when every package is installed it
# returns at once without touching apt. Needs root and apt-get; fails with a clear message otherwise.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"

REAL_NODE_PACKAGES=(containerd runc containernetworking-plugins docker-registry umoci skopeo busybox-static apache2-utils iptables socat)

missing=()
for p in "${REAL_NODE_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

command -v apt-get >/dev/null 2>&1 || die "the real node needs Debian packages (${missing[*]}) but apt-get is not available here; install them by other means or run with REAL_NODES=0"
[ "$(id -u)" -eq 0 ] || die "the real node needs packages (${missing[*]}) and root to install them (and to run containerd); run as root or with REAL_NODES=0"

export DEBIAN_FRONTEND=noninteractive
started=$(date +%s)
# A fresh machine's package lists may be missing or stale: refresh them once, when a package is unknown.
if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
  log "real node: apt-get update"
  apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed: is the Debian package mirror reachable? (try: apt-get update)"
fi
log "real node: installing ${missing[*]}"
# --no-install-recommends keeps docker-registry/skopeo from dragging in daemons we do not run;
# policy-rc.d stops Debian from starting containerd/docker-registry as services on install.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; own_policy=1; fi
rc=0
apt_log=$(mktemp "${TMPDIR:-/tmp}/triage-real-node-apt.XXXXXX")
apt-get install -y -q --no-install-recommends "${missing[@]}" >"$apt_log" 2>&1 || rc=$?
[ $own_policy -eq 1 ] && rm -f "$policy"
if [ $rc -ne 0 ]; then
  tail -n 20 "$apt_log" >&2
  die "apt-get install ${missing[*]} failed (exit $rc; log: $apt_log)"
fi
rm -f "$apt_log"
log "real node: packages installed in $(( $(date +%s) - started ))s"
