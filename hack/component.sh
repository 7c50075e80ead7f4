#!/usr/bin/env bash
# Stops or starts one component of the running local cluster, e.g. to simulate an apiserver outage:
#   hack/component.sh stop kube-apiserver && sleep 10 && hack/component.sh start kube-apiserver
# `start` reuses the exact command line cluster-up used and returns once the component's health
# endpoint answers; `stop` returns once the process has exited (a zombie counts as exited).
# `kubelet` is the real node's kubelet alone (REAL_NODES=1): stopped, the node goes NotReady while
# containerd and its containers keep running (hack/real-node.sh kubelet stop|start).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"

action=${1:-}; name=${2:-}
state=$(controlplane_state_dir)
if [ "$name" = kubelet ]; then
  exec "$here/real-node.sh" kubelet "$action"
fi
[ -f "$state/cmd/$name" ] || die "usage: component.sh stop|start <component>; no component '$name' in $state"
pid=$(cat "$state/pids/$name.pid" 2>/dev/null || true)

case $action in
  stop)
    if pid_alive "$pid"; then
      kill -TERM -- "-$pid" 2>/dev/null || true
      if ! wait_gone "$pid" 10; then
        log "$name ignored SIGTERM for 10s; killing it"
        kill -KILL -- "-$pid" 2>/dev/null || true
        # Stopped means really gone: a caller starts it again right after, on the same port.
        wait_gone "$pid" 10 || die "$name (pid $pid) still running after SIGKILL"
      fi
      log "$name stopped"
    else
      log "$name was not running"
    fi
    ;;
  start)
    if pid_alive "$pid"; then
      log "$name already running"
    else
      eval "setsid $(cat "$state/cmd/$name") >>\"$state/logs/$name.log\" 2>&1 </dev/null &"
      echo $! >"$state/pids/$name.pid"
      log "$name started"
    fi
    # Started means serving: wait_for fails (with the log tail) if it dies or never turns healthy.
    wait_for "$name" healthy "${COMPONENT_START_TIMEOUT:-60}" component_probe "$name"
    ;;
  *) die "usage: component.sh stop|start <component>" ;;
esac
