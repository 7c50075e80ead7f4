#!/usr/bin/env bash
# Stops every process `cluster-up.sh` started (by process group: SIGTERM, then SIGKILL after 10 s)
# and removes the state dir. A no-op when no cluster is there. With --keep-logs the component logs stay
# (cluster-up uses it after a failed start, so the log it pointed at is still there to read).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"

state=$(controlplane_state_dir)
if [ ! -d "$state" ]; then
  log "no cluster in $state; nothing to do"
  exit 0
fi

# The real node first (containerd, shims, containers, kubelet, registries; its cgroups and bridge): its
# processes are not all in one process group.
if [ -d "$state/real-node" ]; then
  "$here/real-node.sh" down
fi

pids=()
# Processes started beside the cluster (the demo's operator) first, then the components in reverse.
extra=()
for file in "$state"/pids/*.pid; do
  [ -e "$file" ] || continue
  c=$(basename "$file" .pid)
  [[ " ${CONTROLPLANE_COMPONENTS[*]} " == *" $c "* ]] || extra+=("$c")
done
order=("${extra[@]}")
for (( i=${#CONTROLPLANE_COMPONENTS[@]}-1; i>=0; i-- )); do order+=("${CONTROLPLANE_COMPONENTS[$i]}"); done
for c in "${order[@]}"; do
  pid=$(cat "$state/pids/$c.pid" 2>/dev/null) || continue
  if pid_alive "$pid"; then
    log "stopping $c (process group $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || true
    pids+=("$pid")
  fi
done

deadline=$(( $(date +%s) + 10 ))
for pid in "${pids[@]}"; do
  while pid_alive "$pid" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
  if pid_alive "$pid"; then
    log "process group $pid ignored SIGTERM; killing it"
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
done
for pid in "${pids[@]}"; do
  while pid_alive "$pid"; do sleep 0.1; done
done

if [ "${1:-}" = "--keep-logs" ]; then
  find "$state" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
  log "cluster stopped; logs kept in $state/logs"
else
  rm -rf "$state"
  log "cluster stopped and its state removed"
fi
