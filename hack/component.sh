#!/usr/bin/env bash
# Stops or starts one component of the running local cluster, e.g. to simulate an apiserver outage:
#   hack/component.sh stop kube-apiserver && sleep 10 && hack/component.sh start kube-apiserver
# `start` reuses the exact command line cluster-up used.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"

action=${1:-}; name=${2:-}
state=$(controlplane_state_dir)
[ -f "$state/cmd/$name" ] || die "usage: component.sh stop|start <component>; no component '$name' in $state"
pid=$(cat "$state/pids/$name.pid" 2>/dev/null || true)

case $action in
  stop)
    if pid_alive "$pid"; then
      kill -TERM -- "-$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.1; done
      pid_alive "$pid" && kill -KILL -- "-$pid" 2>/dev/null
      log "$name stopped"
    else
      log "$name was not running"
    fi
    ;;
  start)
    pid_alive "$pid" && { log "$name already running"; exit 0; }
    eval "setsid $(cat "$state/cmd/$name") >>\"$state/logs/$name.log\" 2>&1 </dev/null &"
    echo $! >"$state/pids/$name.pid"
    log "$name started"
    ;;
  *) die "usage: component.sh stop|start <component>" ;;
esac
