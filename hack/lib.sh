# Shared helpers for hack/ scripts. Source it; it defines functions only.

hack_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$hack_dir/.." && pwd)

log() { printf '[controlplane] %s\n' "$*" >&2; }
die() { printf '[controlplane] error: %s\n' "$*" >&2; exit 1; }

# Binaries live outside the repo, keyed by the wrapper modules' content, so a version bump rebuilds.
controlplane_bin_dir() {
  local key
  key=$(cat "$hack_dir"/controlplane/*/go.mod "$hack_dir"/controlplane/*/go.sum "$hack_dir/build-controlplane.sh" | sha256sum | cut -c1-16)
  echo "${TRIAGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/triage-operator}/controlplane-$key"
}

# State of a running local cluster: certs, data, logs, kubeconfig, pids.
controlplane_state_dir() {
  echo "${TRIAGE_CLUSTER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/triage-operator/cluster}"
}

# Components in start order; cluster-down stops them in reverse.
CONTROLPLANE_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

# The process state letter (R, S, D, Z, ...), or nothing when there is no such process.
pid_state() {
  local stat
  if [ -r "/proc/$1/stat" ]; then
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }  # the command name may hold spaces and parentheses; the state follows the last ')'
    printf '%s' "${stat:0:1}"
  else
    stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
    printf '%s' "${stat:0:1}"
  fi
}

# Alive = exists and is not a zombie: `kill -0` succeeds on a zombie no one has reaped yet (a
# container's PID 1 may reap late or never), and a zombie holds no port, so treating it as running lies.
# A zombie gets up to 3 s to be reaped first, so whoever lists processes after us rarely still sees it.
pid_alive() {
  local pid=${1:-} i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ "$(pid_state "$pid")" = Z ] || return 0
  for (( i = 0; i < 30; i++ )); do [ "$(pid_state "$pid")" = Z ] || break; sleep 0.1; done
  return 1
}

# Waits up to TIMEOUT seconds for PID to be gone (exited, or a zombie); fails if it is still running.
wait_gone() {
  local pid=$1 timeout=$2 i
  for (( i = 0; i < timeout * 10; i++ )); do pid_alive "$pid" || return 0; sleep 0.1; done
  ! pid_alive "$pid"
}

# The health probe of a running component, from the ports cluster-up recorded (needs $state).
component_probe() {
  # shellcheck disable=SC1091
  source "$state/ports.env"
  case $1 in
    etcd) curl -fsS -m 5 "http://127.0.0.1:$ETCD_PORT/readyz" ;;
    kube-apiserver) curl -fsS -m 5 --cacert "$state/pki/ca.crt" "https://127.0.0.1:$API_PORT/readyz" ;;
    kube-controller-manager) curl -fsSk -m 5 "https://127.0.0.1:$KCM_PORT/healthz" ;;
    kube-scheduler) curl -fsSk -m 5 "https://127.0.0.1:$SCHED_PORT/readyz" ;;
    kwok) curl -fsS -m 5 "http://127.0.0.1:$KWOK_PORT/healthz" ;;
    real-node) curl -fsS -m 5 "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz" ;;
    apiserver-proxy) curl -fsS -m 5 --cacert "$state/pki/ca.crt" --resolve "kubernetes.default.svc:$API_PORT:$(cat "$state/real-node/apiserver-address" 2>/dev/null)" "https://kubernetes.default.svc:$API_PORT/readyz" ;;
    registry-open) curl -fsS -m 5 "http://127.0.0.1:$REGISTRY_OPEN_PORT/v2/" ;;
    registry-auth) [ "$(curl -sS -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$REGISTRY_AUTH_PORT/v2/")" = 401 ] ;;
    *) return 1 ;;
  esac
}

# The real node's components (hack/real-node.sh), present when the cluster was started with REAL_NODES=1.
REAL_NODE_COMPONENTS=(apiserver-proxy registry-open registry-auth real-node)

# Up = every component's process alive (the real node's too, when it has one) and the apiserver ready.
cluster_is_up() {
  local state=$1 c pid components=("${CONTROLPLANE_COMPONENTS[@]}")
  [ -f "$state/ports.env" ] || return 1
  [ -f "$state/real-node/enabled" ] && components+=("${REAL_NODE_COMPONENTS[@]}")
  for c in "${components[@]}"; do
    pid=$(cat "$state/pids/$c.pid" 2>/dev/null) || return 1
    pid_alive "$pid" || return 1
  done
  # shellcheck disable=SC1091
  (source "$state/ports.env" && curl -fsS -m 5 --cacert "$state/pki/ca.crt" "https://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1)
}

# N distinct free TCP ports on 127.0.0.1, space separated.
free_ports() {
  node -e '
    const net = require("net");
    const servers = Array.from({ length: Number(process.argv[1]) }, () => net.createServer());
    Promise.all(servers.map((s) => new Promise((ok) => s.listen(0, "127.0.0.1", () => ok(s.address().port)))))
      .then((ports) => { console.log(ports.join(" ")); servers.forEach((s) => s.close()); });' "$1"
}

# Starts a component in its own session (so its whole process group can be stopped), logging to the state dir.
start_component() {
  local name=$1; shift
  log "starting $name"
  mkdir -p "$state/cmd"
  printf '%q ' "$@" >"$state/cmd/$name"
  setsid "$@" >>"$state/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$state/pids/$name.pid"
}

# wait_for COMPONENT WHAT TIMEOUT PROBE...: retries PROBE until it succeeds; on timeout or on the
# component's death, prints the component's log tail and fails with a one-line reason.
wait_for() {
  local name=$1 what=$2 timeout=$3; shift 3
  local deadline=$(( $(date +%s) + timeout )) pid
  pid=$(cat "$state/pids/$name.pid")
  until "$@" >/dev/null 2>&1; do
    if ! pid_alive "$pid"; then
      tail -n 25 "$state/logs/$name.log" >&2
      die "$name exited during start-up (log: $state/logs/$name.log)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 25 "$state/logs/$name.log" >&2
      die "$name: not $what after ${timeout}s (log: $state/logs/$name.log)"
    fi
    sleep 0.5
  done
  log "$name: $what"
}

# True when no kwok node still carries the not-ready taint the apiserver puts on new nodes.
nodes_schedulable() {
  ! kubectl get nodes -l type=kwok -o jsonpath='{range .items[*]}{.spec.taints[*].key}{"\n"}{end}' | grep -q 'node.kubernetes.io/not-ready'
}

# A Node object as a kubelet would register it; kwok takes it over through the annotation.
node_manifest() {
  local name=$1 zone=$2 kv key value effect
  printf 'apiVersion: v1\nkind: Node\nmetadata:\n  name: %s\n' "$name"
  printf '  annotations:\n    kwok.x-k8s.io/node: fake\n'
  printf '  labels:\n    type: kwok\n    kubernetes.io/hostname: %s\n' "$name"
  printf '    kubernetes.io/os: linux\n    kubernetes.io/arch: amd64\n    topology.kubernetes.io/zone: %s\n' "$zone"
  local IFS=','
  for kv in $NODE_LABELS; do
    [[ $kv == *=* ]] || die "NODE_LABELS entry '$kv' is not key=value"
    printf '    %s: "%s"\n' "${kv%%=*}" "${kv#*=}"
  done
  printf 'spec:\n'
  if [ -n "$NODE_TAINTS" ]; then
    printf '  taints:\n'
    for kv in $NODE_TAINTS; do
      [[ $kv == *:* ]] || die "NODE_TAINTS entry '$kv' is not key[=value]:Effect"
      effect=${kv##*:}; key=${kv%:*}; value=""
      if [[ $key == *=* ]]; then value=${key#*=}; key=${key%%=*}; fi
      printf '  - {key: "%s", value: "%s", effect: %s}\n' "$key" "$value" "$effect"
    done
  fi
  printf 'status:\n'
  printf '  capacity: {cpu: "%s", memory: "%s", pods: "%s", ephemeral-storage: 100Gi}\n' "$NODE_CPU" "$NODE_MEMORY" "$NODE_PODS"
  printf '  allocatable: {cpu: "%s", memory: "%s", pods: "%s", ephemeral-storage: 100Gi}\n' "$NODE_CPU" "$NODE_MEMORY" "$NODE_PODS"
}
