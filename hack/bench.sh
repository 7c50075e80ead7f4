#!/usr/bin/env bash
# make bench: starts a dedicated kwok cluster with apiserver audit logging, grows it to BENCH_SIZES pods
# (BENCH_LARGE_NODES nodes from BENCH_LARGE_FROM pods on), runs the operator in both modes (informer
# cache, LIST per triage) at each size, and writes docs/benchmarks.md with a plot, even when a size
# cannot be reached or the run stops early.
#   BENCH_SIZES=1000,10000,50000,150000  BENCH_BURST=1000  BENCH_STEADY=200  BENCH_RATE=10 (steady requests/s)
#   BENCH_SWEEP=10000 (cluster-health sweep at every size from this one; 0 skips)
#   BENCH_TRIM_AT=10000 (size also measured with --trim-caches=false; 0 skips)
#   BENCH_LARGE_FROM=50000  BENCH_LARGE_NODES=5000  BENCH_NODE_LEASE_SECONDS=1200 (kwok node Lease; renewed every quarter)
#   BENCH_POPULATE_BUDGET_MINUTES=90 (population + settling per size, and as long again for adding nodes; past it the size is reported as not reached)
#   BENCH_RUN_BUDGET_MINUTES (unset: none) a budget for the whole run; a size still growing when it runs out is reported as not reached
#   BENCH_PHASE_BUDGET_MINUTES=15 (per measuring phase)
#   BENCH_KEEP=1 (leave the cluster up)
# To end a run early and still get the page: pkill -TERM -f dist-bench/test/bench/bench.js (the size being grown
# to is reported as not reached, with how far it got).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"
cd "$repo_root"

export TRIAGE_CLUSTER_DIR=${TRIAGE_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/triage-operator/bench-cluster}
audit_dir="$TRIAGE_CLUSTER_DIR.audit"
sizes=${BENCH_SIZES:-1000,10000,50000,150000}
lease=${BENCH_NODE_LEASE_SECONDS:-1200}

"$here/cluster-down.sh" >/dev/null 2>&1 || true
rm -rf "$audit_dir" && mkdir -p "$audit_dir"
# Only what the benchmark measures: the operator's own requests and the TriageRequest creates.
cat > "$audit_dir/policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
- level: Metadata
  users: ["system:serviceaccount:triage-system:triage-operator"]
- level: Metadata
  resources: [{group: triage.dev, resources: [triagerequests]}]
  verbs: [create]
- level: None
EOF
export KUBE_APISERVER_EXTRA_FLAGS="--audit-policy-file=$audit_dir/policy.yaml --audit-log-path=$audit_dir/audit.log --audit-log-format=json --audit-log-maxsize=4000 --audit-log-maxbackup=1 --max-requests-inflight=800 --max-mutating-requests-inflight=400"

log "bench: starting a 20-node cluster (state $TRIAGE_CLUSTER_DIR, node Lease ${lease}s)"
# 3000 pods a node: sizes below BENCH_LARGE_FROM fit on 20 nodes; the benchmark adds nodes for the larger ones.
# A long node Lease keeps 5,000 kwok heartbeats affordable (5,000 / (lease / 4) renewals a second); the node
# lifecycle controller must then wait as long before calling a node dead.
# The PV controller re-syncs every claim every 15 s by default; the benchmark's claims never bind (no provisioner, no
# volumes), so at 50,000 pods that was 720 claim syncs a second and half a core of the controller-manager: 10 min here.
# kwok works 4 nodes and 4 pods at a time by default: thousands of new nodes would sit NotReady (then Unknown) for minutes.
cat > "$audit_dir/kwok.yaml" <<'EOF'
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  nodePlayStageParallelism: 32
  nodeLeaseParallelism: 32
  podPlayStageParallelism: 32
EOF
# kwok 0.7 picks its default node stages the wrong way round (with a Lease it adds the 20-45 s status
# heartbeat meant for nodes without one: ~43 node status PATCHes a second at 5,000 nodes, measured). Its own
# node-initialize and node-heartbeat-with-lease (10-20 min) Stages, read from the module kwok is built from, fix that.
kwok_dir=$(cd "$here/controlplane/kwok" && go mod download -json sigs.k8s.io/kwok | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$kwok_dir/kustomize/stage/node" ] || die "bench: kwok's node stages not found (go mod download sigs.k8s.io/kwok gave '$kwok_dir')"
for stage in fast/node-initialize.yaml heartbeat-with-lease/node-heartbeat-with-lease.yaml; do
  printf -- '---\n' >> "$audit_dir/kwok.yaml"
  cat "$kwok_dir/kustomize/stage/node/$stage" >> "$audit_dir/kwok.yaml"
done
export_line=$(NODES=20 NODE_CPU=64 NODE_MEMORY=256Gi NODE_PODS=3000 KWOK_NODE_LEASE_SECONDS=$lease KWOK_CONFIG="$audit_dir/kwok.yaml" \
  KUBE_CONTROLLER_MANAGER_EXTRA_FLAGS="--node-monitor-grace-period=${lease}s --node-startup-grace-period=${lease}s --pvclaimbinder-sync-period=10m" \
  "$here/cluster-up.sh" | tail -n 1)
kubeconfig=${export_line#export KUBECONFIG=}
bin=$("$here/build-controlplane.sh")
kubectl() { "$bin/kubectl" --kubeconfig="$kubeconfig" "$@"; }
[ "${BENCH_KEEP:-0}" = 1 ] || trap '"$here/cluster-down.sh" >/dev/null 2>&1 || true' EXIT

log "bench: building the operator and the benchmark"
npm run --silent build
npx --no-install tsc -p tsconfig.bench.json
kubectl apply -k config/crd >/dev/null
kubectl apply -f config/manager/namespace.yaml >/dev/null
kubectl apply -k config/rbac >/dev/null
kubectl wait --for=condition=Established --timeout=30s crd/triagerequests.triage.dev >/dev/null

# The operator runs as its ServiceAccount, so the audit log tells its requests apart from kwok's and the tests'.
token=$(kubectl create token triage-operator -n triage-system --duration=24h)
operator_kubeconfig="$audit_dir/operator.kubeconfig"
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
ca=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.certificate-authority}')
cat > "$operator_kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: bench, cluster: {server: "$server", certificate-authority: "$ca"}}]
users: [{name: operator, user: {token: "$token"}}]
contexts: [{name: bench, context: {cluster: bench, user: operator}}]
current-context: bench
EOF
chmod 600 "$operator_kubeconfig"

mkdir -p .test-results && rm -f .test-results/bench.json .test-results/bench-sweep.json
knobs="BENCH_SIZES=$sizes BENCH_BURST=${BENCH_BURST:-1000} BENCH_STEADY=${BENCH_STEADY:-200} BENCH_RATE=${BENCH_RATE:-10} BENCH_SWEEP=${BENCH_SWEEP:-10000} BENCH_TRIM_AT=${BENCH_TRIM_AT:-10000} BENCH_LARGE_FROM=${BENCH_LARGE_FROM:-50000} BENCH_LARGE_NODES=${BENCH_LARGE_NODES:-5000} BENCH_NODE_LEASE_SECONDS=$lease BENCH_POPULATE_BUDGET_MINUTES=${BENCH_POPULATE_BUDGET_MINUTES:-90}${BENCH_RUN_BUDGET_MINUTES:+ BENCH_RUN_BUDGET_MINUTES=$BENCH_RUN_BUDGET_MINUTES}"
started=$(date +%s)
rc=0
node dist-bench/test/bench/bench.js --kubeconfig="$kubeconfig" --operator-kubeconfig="$operator_kubeconfig" \
  --audit-log="$audit_dir/audit.log" --cluster-dir="$TRIAGE_CLUSTER_DIR" --sizes="$sizes" \
  --burst="${BENCH_BURST:-1000}" --steady="${BENCH_STEADY:-200}" --rate="${BENCH_RATE:-10}" --sweep="${BENCH_SWEEP:-10000}" \
  --trim-at="${BENCH_TRIM_AT:-10000}" --large-from="${BENCH_LARGE_FROM:-50000}" --large-nodes="${BENCH_LARGE_NODES:-5000}" --small-nodes=20 \
  --populate-budget-minutes="${BENCH_POPULATE_BUDGET_MINUTES:-90}" --run-budget-minutes="${BENCH_RUN_BUDGET_MINUTES:-Infinity}" --phase-budget-minutes="${BENCH_PHASE_BUDGET_MINUTES:-15}" \
  --node-lease-seconds="$lease" || rc=$?
# The doc is written from whatever was measured: a run that stopped early says so in it.
[ -f .test-results/bench.json ] || die "bench: nothing measured (exit $rc)"
node dist-bench/test/bench/report.js "make bench $knobs" "$(( $(date +%s) - started ))"
log "bench: wrote docs/benchmarks.md and docs/benchmarks-latency.svg in $(( $(date +%s) - started ))s"
exit "$rc"
