#!/usr/bin/env bash
# The local cluster's real node: containerd + a 1.35 kubelet as node `real-node-1`, beside kwok's fake
# nodes, plus two local registries (one open, one with basic auth) on loopback. cluster-up and
# cluster-down call it (REAL_NODES=1); it leaves the machine as it found it.
#
#   real-node.sh prepare   packages and images (before the control plane starts; no output)
#   real-node.sh up        registries, containerd + kubelet, image pushes; waits for the node Ready
#   real-node.sh down      stops all of it: processes, cgroups, bridge; idempotent
#   real-node.sh load-image IMAGE.tar   a docker-archive into the node's containerd (preloaded image)
#   real-node.sh kubelet stop|start   only the kubelet (NotReady node; containers keep running)
#   real-node.sh kubelet pressure disk|memory|pid|off   restarts the kubelet with an eviction threshold
#                          the node always crosses (<signal>.available<99%: Disk/Memory/PIDPressure), or without
#   real-node.sh run       (internal) the node itself, inside its private mount namespace
#
# Isolation: containerd and the kubelet run in a private mount namespace (unshare) where /var/log,
# /run/containerd, /run/netns, /var/lib/cni, /var/lib/kubelet and the /proc/sys entries the kubelet
# and the CNI bridge rewrite are bind mounts onto files and dirs in $TRIAGE_CLUSTER_DIR/real-node, so
# nothing they write reaches the host. Every process of the node (containerd, shims, containers,
# kubelet) lives under a cgroup of its own (`triage-rn-<hash of the state dir>`), which `down` kills and
# removes. The CNI bridge and pod subnet are per state dir too, so two real-node clusters can coexist.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"

state=$(controlplane_state_dir)
rn="$state/real-node"
REAL_NODE_NAME=${REAL_NODE_NAME:-real-node-1}
REGISTRY_USER=triage
REGISTRY_PASSWORD=triage-local-registry

# Names derived from the state dir: the same dir always gets the same ones.
id=$(printf '%s' "$(cd "$(dirname "$state")" 2>/dev/null && pwd)/$(basename "$state")" | sha256sum | cut -c1-6)
cgroup_name="triage-rn-$id"
bridge="trn$id"
subnet_octet=$(( 16#${id:0:4} % 200 + 20 ))   # 10.201.<20..219>.0/24
pod_subnet="10.201.$subnet_octet.0/24"
pod_gateway="10.201.$subnet_octet.1"
# Host paths the node's processes see through bind mounts in their namespace (mountpoints are created
# on the host when missing, empty, and removed again by `down`).
bind_dirs=(/var/log /run/containerd /run/netns /var/lib/cni /var/lib/kubelet)
sysctls=(vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys kernel/keys/root_maxbytes net/ipv4/ip_forward)

cgroup_v1_controllers() {
  local d
  for d in /sys/fs/cgroup/*/; do
    d=${d%/}
    [ "$(basename "$d")" = unified ] && continue
    [ -L "$d" ] && continue            # cpu -> cpu,cpuacct style aliases
    [ -f "$d/cgroup.procs" ] && echo "$d"
  done
}

# ---------------------------------------------------------------------------------------------------
prepare() {
  "$here/real-node-deps.sh"
  "$here/real-node-images.sh" >/dev/null
}

# ---------------------------------------------------------------------------------------------------
write_configs() {
  local bin=$1 images=$2 pki="$state/pki" cg_fs
  # shellcheck disable=SC1091
  source "$state/ports.env"
  mkdir -p "$rn"/{pki,containerd,run,netns,log,cni-lib,cni-conf,kubelet,kubelet.conf.d,sysctl,certs.d,registry-open,registry-auth}
  : >"$rn/enabled"
  echo "$images" >"$rn/images"

  # The pod subnet and bridge must be ours alone.
  if ip -o link show "$bridge" >/dev/null 2>&1; then
    die "real node: network bridge $bridge already exists (a real node of this state dir still running, or a leftover: 'ip link del $bridge')"
  fi
  # Any route but the default one that covers the subnet means it is in use (another real node, a VPN, ...).
  if ip -4 route show match "$pod_gateway" | grep -v '^default' | grep -q .; then
    die "real node: pod subnet $pod_subnet collides with a route on this machine ($(ip -4 route show match "$pod_gateway" | grep -v '^default' | head -1)); use another TRIAGE_CLUSTER_DIR"
  fi
  # The pod bridge, made here rather than by the CNI plugin on the first pod: its gateway address is the
  # node's InternalIP (the kubelet refuses a loopback node IP, and the apiserver reaches the kubelet for
  # logs/exec at the InternalIP). Host-internal: only this machine and the node's pods reach it.
  ip link add "$bridge" type bridge
  ip addr add "$pod_gateway/24" dev "$bridge"
  ip link set "$bridge" up

  # --- identity: node client cert, kubelet serving cert, the apiserver's kubelet client cert ---------
  (
    cd "$rn/pki"
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >client.ext
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:%s,IP:127.0.0.1,DNS:%s\n' "$pod_gateway" "$REAL_NODE_NAME" >serving.ext
    openssl req -newkey rsa:2048 -nodes -subj "/O=system:nodes/CN=system:node:$REAL_NODE_NAME" -keyout node.key -out node.csr
    openssl x509 -req -in node.csr -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 365 -extfile client.ext -out node.crt
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$REAL_NODE_NAME" -keyout serving.key -out serving.csr
    openssl x509 -req -in serving.csr -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 365 -extfile serving.ext -out serving.crt
  ) >"$state/logs/real-node-pki.log" 2>&1 || { tail -n 20 "$state/logs/real-node-pki.log" >&2; die "real node: certificate generation failed"; }

  cat >"$rn/kubelet.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: triage-local
  cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$pki/ca.crt"}
users:
- name: $REAL_NODE_NAME
  user: {client-certificate: "$rn/pki/node.crt", client-key: "$rn/pki/node.key"}
contexts:
- name: triage-local
  context: {cluster: triage-local, user: $REAL_NODE_NAME}
current-context: triage-local
EOF

  # --- registries ------------------------------------------------------------------------------------
  htpasswd -Bbn "$REGISTRY_USER" "$REGISTRY_PASSWORD" >"$rn/registry.htpasswd" 2>/dev/null
  local kind port auth
  for kind in open auth; do
    port=$REGISTRY_OPEN_PORT; auth=""
    if [ "$kind" = auth ]; then
      port=$REGISTRY_AUTH_PORT
      auth=$(printf 'auth:\n  htpasswd:\n    realm: triage-local\n    path: %s\n' "$rn/registry.htpasswd")
    fi
    cat >"$rn/registry-$kind.yml" <<EOF
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: "$rn/registry-$kind"}
  delete: {enabled: true}
http: {addr: "127.0.0.1:$port", secret: triage-local-$kind}
$auth
EOF
    mkdir -p "$rn/certs.d/127.0.0.1:$port"
    cat >"$rn/certs.d/127.0.0.1:$port/hosts.toml" <<EOF
server = "http://127.0.0.1:$port"

[host."http://127.0.0.1:$port"]
  capabilities = ["pull", "resolve"]
  skip_verify = true
EOF
  done

  # --- containerd ------------------------------------------------------------------------------------
  cat >"$rn/containerd.toml" <<EOF
version = 2
root = "$rn/containerd/root"
state = "$rn/containerd/state"
oom_score = 0
[grpc]
  address = "$rn/containerd.sock"
[ttrpc]
  address = "$rn/containerd.sock.ttrpc"
[debug]
  level = "warn"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/triage/pause:1"
  # root here lacks CAP_SYS_RESOURCE: without this every sandbox fails to start (FACTS §5).
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$rn/cni-conf"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$rn/certs.d"
EOF
  cat >"$rn/cni-conf/10-triage.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "triage-$id",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$pod_subnet", "gateway": "$pod_gateway"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
EOF

  # --- kubelet ---------------------------------------------------------------------------------------
  cg_fs=$(stat -fc %T /sys/fs/cgroup)
  {
    cat <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $pod_gateway
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: "$rn/pki/serving.crt"
tlsPrivateKeyFile: "$rn/pki/serving.key"
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$pki/ca.crt"}
authorization: {mode: Webhook}
containerRuntimeEndpoint: "unix://$rn/containerd.sock"
cgroupDriver: cgroupfs
cgroupRoot: "/$cgroup_name"
cgroupsPerQOS: true
enforceNodeAllocatable: [pods]
makeIPTablesUtilChains: false
protectKernelDefaults: false
failSwapOn: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
clusterDNS: [10.0.0.10]
clusterDomain: cluster.local
resolvConf: "$rn/resolv.conf"
registerNode: true
nodeStatusUpdateFrequency: 10s
nodeStatusReportFrequency: 1m
syncFrequency: 10s
fileCheckFrequency: 20s
serializeImagePulls: false
maxPods: 30
podPidsLimit: 1024
shutdownGracePeriod: 0s
# Only pods meant for the real node land here (a toleration and the triage.dev/real-node nodeSelector):
# other tests' pods must not run real containers by accident. Applied when the node registers.
registerWithTaints:
- {key: triage.dev/real-node, value: "true", effect: NoSchedule}
# Eviction tests should not wait minutes: emptyDir usage is measured every 10 s (default 1 m) and a
# pressure condition clears 10 s after the signal does (default 5 m). Ephemeral-storage limits are enforced.
localStorageCapacityIsolation: true
volumeStatsAggPeriod: 10s
evictionPressureTransitionPeriod: 10s
EOF
    # 1.35 refuses cgroup v1 unless told otherwise (tmpfs at /sys/fs/cgroup = v1 or hybrid).
    [ "$cg_fs" = cgroup2fs ] || echo "failCgroupV1: false"
  } >"$rn/kubelet.yaml"
  # Pods resolve nothing (no cluster DNS runs); an empty search list keeps the kubelet from copying the host's.
  printf 'nameserver 10.0.0.10\n' >"$rn/resolv.conf"

  cat >"$rn/kubelet.args" <<EOF
$bin/kubelet --config=$rn/kubelet.yaml --config-dir=$rn/kubelet.conf.d --kubeconfig=$rn/kubelet.kubeconfig --hostname-override=$REAL_NODE_NAME --node-ip=$pod_gateway --node-labels=triage.dev/real-node=true,type=real --v=1
EOF
}

# ---------------------------------------------------------------------------------------------------
# Creates the node's cgroup in every v1 hierarchy (the kubelet wants its cgroupRoot to exist) or in the
# unified one, and a `node` child holding containerd, the kubelet and the shims.
make_cgroups() {
  local d cg_fs
  cg_fs=$(stat -fc %T /sys/fs/cgroup)
  if [ "$cg_fs" = cgroup2fs ]; then
    mkdir -p "/sys/fs/cgroup/$cgroup_name/node"
    return
  fi
  for d in $(cgroup_v1_controllers); do
    mkdir -p "$d/$cgroup_name/node"
    if [ -f "$d/cpuset.cpus" ]; then
      cat "$d/cpuset.cpus" >"$d/$cgroup_name/cpuset.cpus"; cat "$d/cpuset.mems" >"$d/$cgroup_name/cpuset.mems"
      cat "$d/cpuset.cpus" >"$d/$cgroup_name/node/cpuset.cpus"; cat "$d/cpuset.mems" >"$d/$cgroup_name/node/cpuset.mems"
    fi
  done
}

join_cgroups() {
  local pid=$1 d
  if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
    echo "$pid" >"/sys/fs/cgroup/$cgroup_name/node/cgroup.procs"
    return
  fi
  for d in $(cgroup_v1_controllers); do echo "$pid" >"$d/$cgroup_name/node/cgroup.procs"; done
}

# Every pid in the node's cgroup trees.
cgroup_pids() {
  local d
  for d in /sys/fs/cgroup/*/"$cgroup_name" /sys/fs/cgroup/"$cgroup_name"; do
    [ -d "$d" ] || continue
    find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -u
}

# ---------------------------------------------------------------------------------------------------
# The node itself: runs inside `unshare --mount --propagation private`, as the real-node component.
run_node() {
  local f shadow images
  # First thing: into the node's cgroup, so everything started from here on is found by `down`.
  join_cgroups "$$"
  images=$(cat "$rn/images")
  for f in "${sysctls[@]}"; do
    shadow="$rn/sysctl/${f//\//_}"
    cat "/proc/sys/$f" >"$shadow"
    mount --bind "$shadow" "/proc/sys/$f"
  done
  mount --bind "$rn/log" /var/log
  mount --bind "$rn/run" /run/containerd
  mount --bind "$rn/netns" /run/netns
  mount --bind "$rn/cni-lib" /var/lib/cni
  mount --bind "$rn/kubelet" /var/lib/kubelet

  containerd --config "$rn/containerd.toml" >>"$state/logs/containerd.log" 2>&1 &
  local containerd_pid=$!
  local i
  for (( i = 0; i < 100; i++ )); do
    ctr --address "$rn/containerd.sock" version >/dev/null 2>&1 && break
    kill -0 "$containerd_pid" 2>/dev/null || { echo "containerd exited (log: $state/logs/containerd.log)"; exit 1; }
    sleep 0.1
  done
  for image in pause busybox; do
    ctr --address "$rn/containerd.sock" -n k8s.io images import --snapshotter overlayfs "$images/$image.tar" >/dev/null
  done
  echo "containerd up, images imported"
  local kubelet_pid=""
  trap 'kill -TERM $kubelet_pid $containerd_pid 2>/dev/null; wait; exit 0' TERM INT
  # The kubelet runs as under systemd's Restart=always, except while `real-node.sh kubelet stop` holds
  # it stopped (a NotReady node, containers still running). containerd exiting takes the node down.
  while kill -0 "$containerd_pid" 2>/dev/null; do
    if [ -e "$rn/kubelet.stopped" ]; then
      sleep 0.2
      continue
    fi
    echo "starting the kubelet"
    # shellcheck disable=SC2046
    $(cat "$rn/kubelet.args") >>"$state/logs/kubelet.log" 2>&1 &
    kubelet_pid=$!
    echo "$kubelet_pid" >"$rn/kubelet.pid"
    wait -n "$kubelet_pid" "$containerd_pid" || true
    kill -0 "$kubelet_pid" 2>/dev/null || { echo "kubelet exited"; [ -e "$rn/kubelet.stopped" ] || sleep 1; }
  done
  echo "containerd exited; stopping the node"
  kill -TERM "$kubelet_pid" 2>/dev/null || true
  wait || true
  exit 1
}

# `kubelet stop`: the kubelet exits and stays down (the node goes NotReady after the grace period);
# `kubelet start`: it runs again and answers /healthz. containerd and the containers keep running.
kubelet_ctl() {
  local pid
  [ -f "$rn/kubelet.args" ] || die "no real node in $state"
  case ${1:-} in
    stop)
      : >"$rn/kubelet.stopped"
      pid=$(cat "$rn/kubelet.pid" 2>/dev/null || true)
      if pid_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        wait_gone "$pid" 10 || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" 5 || die "kubelet (pid $pid) still running"; }
      fi
      log "kubelet stopped"
      ;;
    start)
      rm -f "$rn/kubelet.stopped"
      wait_for real-node "kubelet healthy" "${COMPONENT_START_TIMEOUT:-60}" component_probe real-node
      ;;
    pressure)
      # An eviction threshold the node always crosses, in a config drop-in of its own (the kubelet merges
      # --config-dir over --config), so "off" is removing it; the kubelet restarts to read it. A kubelet
      # restarted under pressure rejects the pods already bound to it ("The node had condition: [...]").
      local threshold
      case ${2:-} in
        disk) threshold='nodefs.available: "99%"' ;;
        memory) threshold='memory.available: "99%"' ;;
        # Free PIDs are pid_max minus the processes running, always over 99 %: a count no node has instead.
        pid) threshold='pid.available: "1G"' ;;
        off) threshold="" ;;
        *) die "usage: real-node.sh kubelet pressure disk|memory|pid|off" ;;
      esac
      mkdir -p "$rn/kubelet.conf.d"
      rm -f "$rn/kubelet.conf.d/50-pressure.conf"
      [ -z "$threshold" ] || printf 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nevictionHard: {%s}\n' "$threshold" >"$rn/kubelet.conf.d/50-pressure.conf"
      kubelet_ctl stop
      kubelet_ctl start
      ;;
    *) die "usage: real-node.sh kubelet stop|start|pressure disk|memory|pid|off" ;;
  esac
}

# ---------------------------------------------------------------------------------------------------
up() {
  local bin images d
  bin=$("$here/build-controlplane.sh")
  images=$("$here/real-node-images.sh")
  kubectl() { "$bin/kubectl" --kubeconfig="$state/admin.kubeconfig" "$@"; }
  write_configs "$bin" "$images"
  # shellcheck disable=SC1091
  source "$state/ports.env"

  # Mountpoints for the namespace's bind mounts: created empty when missing, removed by `down`.
  : >"$rn/created-mountpoints"
  for d in "${bind_dirs[@]}"; do
    [ -d "$d" ] || { mkdir -p "$d"; echo "$d" >>"$rn/created-mountpoints"; }
  done
  make_cgroups

  kubectl apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: triage-local:nodes}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:node}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:nodes}
EOF

  # Pods reach the apiserver at the node's address: the apiserver listens on loopback only and no
  # kube-proxy runs, so this forwarder on the pod bridge stands in for the `kubernetes` Service (pods
  # set KUBERNETES_SERVICE_HOST/PORT to it, e.g. the chart's kubernetesService values).
  # range: only the node's pods may connect (a bound address alone is reachable from any interface).
  # max-children: each watch is its own connection (client-node has no HTTP/2), ~32 per operator pod;
  # at the cap socat stops accepting, so it must sit well above a rolling update's three pods.
  echo "$pod_gateway" >"$rn/apiserver-address"
  start_component apiserver-proxy socat "TCP-LISTEN:$API_PORT,bind=$pod_gateway,range=$pod_subnet,fork,max-children=1024,reuseaddr" "TCP:127.0.0.1:$API_PORT"
  start_component registry-open /usr/bin/docker-registry serve "$rn/registry-open.yml"
  start_component registry-auth /usr/bin/docker-registry serve "$rn/registry-auth.yml"
  # The node: unshare's child is the supervisor (run_node); it joins the node cgroup first thing so
  # everything it starts (containerd, shims, kubelet) is found by `down`.
  start_component real-node unshare --mount --propagation private -- "$here/real-node.sh" run

  wait_for apiserver-proxy serving 20 component_probe apiserver-proxy
  wait_for registry-open serving 20 curl -fsS "http://127.0.0.1:$REGISTRY_OPEN_PORT/v2/"
  wait_for registry-auth serving 20 bash -c "curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1:$REGISTRY_AUTH_PORT/v2/ | grep -q 401"
  (
    skopeo copy --quiet --dest-tls-verify=false "oci:$images/oci:busybox-open" "docker://127.0.0.1:$REGISTRY_OPEN_PORT/triage/busybox:1"
    skopeo copy --quiet --dest-tls-verify=false --dest-creds "$REGISTRY_USER:$REGISTRY_PASSWORD" \
      "oci:$images/oci:busybox-auth" "docker://127.0.0.1:$REGISTRY_AUTH_PORT/triage/busybox:1"
  ) >>"$state/logs/registry-push.log" 2>&1 || { tail -n 20 "$state/logs/registry-push.log" >&2; die "real node: pushing the test image to the local registries failed"; }
  log "registries: 127.0.0.1:$REGISTRY_OPEN_PORT (open), 127.0.0.1:$REGISTRY_AUTH_PORT (basic auth) hold triage/busybox:1"

  # What tests need to know, readable by anyone in the cluster.
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: triage-real-node, namespace: kube-public}
data:
  nodeName: $REAL_NODE_NAME
  pauseImage: localhost/triage/pause:1
  busyboxImage: localhost/triage/busybox:1
  openRegistry: "127.0.0.1:$REGISTRY_OPEN_PORT"
  authRegistry: "127.0.0.1:$REGISTRY_AUTH_PORT"
  authUsername: $REGISTRY_USER
  authPassword: $REGISTRY_PASSWORD
  registryImage: triage/busybox:1
  podSubnet: $pod_subnet
  apiServerAddressForPods: "$pod_gateway"
  apiServerPortForPods: "$API_PORT"
  bridge: $bridge
  cgroupRoot: /$cgroup_name
EOF

  wait_for real-node "registered" 60 kubectl get node "$REAL_NODE_NAME"
  wait_for real-node "Ready" 60 kubectl wait --for=condition=Ready node "$REAL_NODE_NAME" --timeout=5s
}

# ---------------------------------------------------------------------------------------------------
# Stops everything `up` started and removes what it made on the host. Safe to run any number of times.
down() {
  local c pid i pids d
  for c in real-node registry-auth registry-open apiserver-proxy; do
    pid=$(cat "$state/pids/$c.pid" 2>/dev/null) || continue
    if pid_alive "$pid"; then
      log "stopping $c (process group $pid)"
      kill -TERM -- "-$pid" 2>/dev/null || true
    fi
  done
  # The kubelet and containerd get a moment to exit on SIGTERM (the supervisor passes it on); then
  # whatever is left in the node's cgroups is killed: shims run in process groups of their own and
  # containers in sessions of their own, and nothing of a test cluster is worth a graceful stop.
  pid=$(cat "$state/pids/real-node.pid" 2>/dev/null || true)
  [ -n "$pid" ] && wait_gone "$pid" 2 >/dev/null || true
  for (( i = 0; i < 100; i++ )); do
    pids=$(cgroup_pids)
    [ -z "$pids" ] && break
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.1
  done
  [ -z "$(cgroup_pids)" ] || log "warning: processes left in cgroup $cgroup_name: $(cgroup_pids | tr '\n' ' ')"
  for c in real-node registry-auth registry-open apiserver-proxy; do
    pid=$(cat "$state/pids/$c.pid" 2>/dev/null) || continue
    wait_gone "$pid" 5 || { kill -KILL -- "-$pid" 2>/dev/null || true; wait_gone "$pid" 5 || true; }
  done

  # cgroups: deepest first, in every hierarchy (the kubelet makes kubepods/... in each controller).
  for d in /sys/fs/cgroup/*/"$cgroup_name" /sys/fs/cgroup/"$cgroup_name"; do
    [ -d "$d" ] || continue
    for (( i = 0; i < 50; i++ )); do
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [ -d "$d" ] || break
      sleep 0.1
    done
    [ -d "$d" ] && log "warning: could not remove cgroup $d"
  done

  # Network: pod veths vanish with their network namespaces once no process and no mount holds
  # them (the mount namespace died with its processes); then the bridge goes.
  if ip -o link show "$bridge" >/dev/null 2>&1; then
    for (( i = 0; i < 50; i++ )); do
      ip -o link show master "$bridge" 2>/dev/null | grep -q . || break
      sleep 0.1
    done
    ip -o link show master "$bridge" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | while read -r veth; do
      ip link del "$veth" 2>/dev/null || true
    done
    ip link del "$bridge" 2>/dev/null || log "warning: could not delete bridge $bridge"
  fi

  if [ -f "$rn/created-mountpoints" ]; then
    while read -r d; do rmdir "$d" 2>/dev/null || true; done <"$rn/created-mountpoints"
  fi
}

case ${1:-} in
  prepare) prepare ;;
  up) up ;;
  down) down ;;
  kubelet) kubelet_ctl "${2:-}" "${3:-}" ;;
  load-image)
    # An image (docker-archive) into the node's containerd, as a preloaded image: pods use it with
    # imagePullPolicy IfNotPresent or Never.
    [ -f "${2:-}" ] || die "usage: real-node.sh load-image IMAGE.tar"
    ctr --address "$rn/containerd.sock" -n k8s.io images import --snapshotter overlayfs "$2" >/dev/null
    ;;
  run)
    # Output goes to the real-node component log.
    run_node
    ;;
  *) die "usage: real-node.sh prepare|up|down|load-image IMAGE.tar|kubelet stop|start|pressure disk|memory|pid|off" ;;
esac
