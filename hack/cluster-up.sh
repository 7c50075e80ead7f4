#!/usr/bin/env bash
# Starts a real Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, and kwok (a fake kubelet) managing NODES fake nodes. Idempotent: when the cluster
# in the state dir is already up it says so. The last line on stdout is `export KUBECONFIG=<path>`.
#
# Settings (environment):
#   NODES=3  NODE_CPU=4  NODE_MEMORY=16Gi  NODE_PODS=110
#   NODE_LABELS="k=v,k2=v2"           extra labels on every node
#   NODE_TAINTS="k=v:NoSchedule,..."  taints on every node
#   KUBE_APISERVER_EXTRA_FLAGS        more kube-apiserver flags (feature gates, audit, ...)
#   KUBE_CONTROLLER_MANAGER_EXTRA_FLAGS  more kube-controller-manager flags (e.g. --node-monitor-grace-period)
#   KWOK_NODE_LEASE_SECONDS=40        kwok's node Lease duration; it renews every quarter of it
#   KWOK_CONFIG                       a kwok config file (KwokConfiguration options such as parallelism)
#   REAL_NODES=0|1                    1: also a real node (containerd + kubelet, `real-node-1`) and two
#                                     local registries; see hack/real-node.sh
#   TRIAGE_CLUSTER_DIR                state dir (default ~/.cache/triage-operator/cluster)
#   TRIAGE_CACHE_DIR                  binary cache (default ~/.cache/triage-operator)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"

NODES=${NODES:-3}
NODE_CPU=${NODE_CPU:-4}
NODE_MEMORY=${NODE_MEMORY:-16Gi}
NODE_PODS=${NODE_PODS:-110}
NODE_LABELS=${NODE_LABELS:-}
NODE_TAINTS=${NODE_TAINTS:-}
REAL_NODES=${REAL_NODES:-0}
KWOK_NODE_LEASE_SECONDS=${KWOK_NODE_LEASE_SECONDS:-40}
[[ $KWOK_NODE_LEASE_SECONDS =~ ^[0-9]+$ ]] || die "KWOK_NODE_LEASE_SECONDS must be a whole number, got '$KWOK_NODE_LEASE_SECONDS'"
[[ $NODES =~ ^[0-9]+$ ]] || die "NODES must be a whole number, got '$NODES'"
[[ $REAL_NODES =~ ^[01]$ ]] || die "REAL_NODES must be 0 or 1, got '$REAL_NODES'"

state=$(controlplane_state_dir)
kubeconfig="$state/admin.kubeconfig"

if cluster_is_up "$state"; then
  log "cluster already up (state in $state)"
  echo "export KUBECONFIG=$kubeconfig"
  exit 0
fi
# Leftovers of a cluster that died or was half started: stop them and start clean.
if [ -d "$state/pids" ]; then
  log "found a stale cluster state in $state; cleaning it up"
  "$here/cluster-down.sh" >/dev/null
fi

started_at=$(date +%s)
# The real node's packages and images first: a missing package fails here, before anything runs.
[ "$REAL_NODES" = 1 ] && "$here/real-node.sh" prepare
bin=$("$here/build-controlplane.sh")
mkdir -p "$state"/{pki,logs,pids,etcd}
chmod 700 "$state/etcd"

# --- ports: free ones, picked once and kept in the state dir -------------------------------------
read -r ETCD_PORT PEER_PORT API_PORT KCM_PORT SCHED_PORT KWOK_PORT \
  KUBELET_PORT KUBELET_HEALTHZ_PORT REGISTRY_OPEN_PORT REGISTRY_AUTH_PORT < <(free_ports 10)
cat > "$state/ports.env" <<EOF
ETCD_PORT=$ETCD_PORT
PEER_PORT=$PEER_PORT
API_PORT=$API_PORT
KCM_PORT=$KCM_PORT
SCHED_PORT=$SCHED_PORT
KWOK_PORT=$KWOK_PORT
KUBELET_PORT=$KUBELET_PORT
KUBELET_HEALTHZ_PORT=$KUBELET_HEALTHZ_PORT
REGISTRY_OPEN_PORT=$REGISTRY_OPEN_PORT
REGISTRY_AUTH_PORT=$REGISTRY_AUTH_PORT
EOF

# --- PKI ----------------------------------------------------------------------------------------
log "generating certificates"
pki="$state/pki"
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=triage-local-ca" -keyout ca.key -out ca.crt \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
  cat > apiserver.ext <<EOF
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.0.0.1
EOF
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout apiserver.key -out apiserver.csr
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -extfile apiserver.ext -out apiserver.crt
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > client.ext
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=triage-local-admin" -keyout admin.key -out admin.csr
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -extfile client.ext -out admin.crt
  # The apiserver's client cert towards kubelets (kubectl logs/exec on the real node).
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=kube-apiserver-kubelet-client" -keyout apiserver-kubelet-client.key -out apiserver-kubelet-client.csr
  openssl x509 -req -in apiserver-kubelet-client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -extfile client.ext -out apiserver-kubelet-client.crt
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key
  openssl pkey -in sa.key -pubout -out sa.pub
) >"$state/logs/pki.log" 2>&1 || { tail -n 20 "$state/logs/pki.log" >&2; die "certificate generation failed (openssl)"; }

cat > "$kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: triage-local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $pki/ca.crt
users:
- name: triage-local-admin
  user:
    client-certificate: $pki/admin.crt
    client-key: $pki/admin.key
contexts:
- name: triage-local
  context: {cluster: triage-local, user: triage-local-admin}
current-context: triage-local
EOF
chmod 600 "$kubeconfig"

# If anything below fails, stop what was started: a failed start leaves no process behind.
trap 'rc=$?; if [ $rc -ne 0 ]; then "$here/cluster-down.sh" --keep-logs >/dev/null 2>&1 || true; fi' EXIT

# --- etcd ---------------------------------------------------------------------------------------
start_component etcd "$bin/etcd" --name=triage-local --data-dir="$state/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$PEER_PORT" \
  --initial-cluster="triage-local=http://127.0.0.1:$PEER_PORT" \
  --unsafe-no-fsync --quota-backend-bytes=4294967296 --auto-compaction-retention=1 --log-level=warn
wait_for etcd ready 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/readyz"

# --- kube-apiserver -----------------------------------------------------------------------------
start_component kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --secure-port="$API_PORT" \
  --endpoint-reconciler-type=none \
  --cert-dir="$state/apiserver" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" \
  --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.0.0.0/16 \
  --authorization-mode=RBAC \
  --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types=InternalIP,Hostname \
  --allow-privileged=true \
  --profiling=false --v=1 \
  ${KUBE_APISERVER_EXTRA_FLAGS:-}
wait_for kube-apiserver ready 60 curl -fsS --cacert "$pki/ca.crt" "https://127.0.0.1:$API_PORT/readyz"

# --- kube-controller-manager and kube-scheduler --------------------------------------------------
start_component kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig="$kubeconfig" \
  --authentication-kubeconfig="$kubeconfig" --authorization-kubeconfig="$kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
  --authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics \
  --leader-elect=false \
  --use-service-account-credentials=false \
  --service-account-private-key-file="$pki/sa.key" \
  --root-ca-file="$pki/ca.crt" \
  --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
  --controllers='*' \
  --enable-hostpath-provisioner=true \
  --kube-api-qps=100 --kube-api-burst=200 --v=1 \
  ${KUBE_CONTROLLER_MANAGER_EXTRA_FLAGS:-}
start_component kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig="$kubeconfig" \
  --authentication-kubeconfig="$kubeconfig" --authorization-kubeconfig="$kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" \
  --authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics \
  --leader-elect=false --kube-api-qps=100 --kube-api-burst=200 --v=1
wait_for kube-controller-manager healthy 60 curl -fsSk "https://127.0.0.1:$KCM_PORT/healthz"
wait_for kube-scheduler ready 60 curl -fsSk "https://127.0.0.1:$SCHED_PORT/readyz"

kubectl() { "$bin/kubectl" --kubeconfig="$kubeconfig" "$@"; }
# The service-account controller creating `default` proves the controller-manager's controllers run.
wait_for kube-controller-manager "running controllers (serviceaccount/default exists)" 60 kubectl get serviceaccount default -n default

# --- nodes and kwok -----------------------------------------------------------------------------
log "registering $NODES fake node(s): cpu=$NODE_CPU memory=$NODE_MEMORY pods=$NODE_PODS"
zones=(zone-a zone-b zone-c)
for i in $(seq 1 "$NODES"); do
  name="kwok-node-$i"
  node_manifest "$name" "${zones[$(( (i - 1) % 3 ))]}" | kubectl apply -f - >/dev/null
done

start_component kwok "$bin/kwok" --kubeconfig="$kubeconfig" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds="$KWOK_NODE_LEASE_SECONDS" --cidr=10.244.0.1/16 --node-ip=10.96.0.1 \
  --server-address="127.0.0.1:$KWOK_PORT" ${KWOK_CONFIG:+--config="$KWOK_CONFIG"}
if [ "$NODES" -gt 0 ]; then
  wait_for kwok "reporting nodes Ready" 60 kubectl wait --for=condition=Ready node -l type=kwok --timeout=5s
  # The node lifecycle controller lifts node.kubernetes.io/not-ready once it sees Ready.
  wait_for kube-controller-manager "lifting the not-ready taint" 60 nodes_schedulable
fi

if [ "$REAL_NODES" = 1 ]; then
  "$here/real-node.sh" up
fi

log "cluster up in $(( $(date +%s) - started_at ))s: $("$bin/kube-apiserver" --version), $NODES node(s)$([ "$REAL_NODES" = 1 ] && echo " + real-node-1"); logs in $state/logs"
log "a matching kubectl: $bin/kubectl"
echo "export KUBECONFIG=$kubeconfig"
