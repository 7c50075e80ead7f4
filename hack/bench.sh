#!/usr/bin/env bash
# make bench: starts a dedicated 20-node cluster with apiserver audit logging, runs the operator in both
# modes (informer cache, LIST per triage) at BENCH_SIZES pods, and writes docs/benchmarks.md with a plot.
#   BENCH_SIZES=1000,10000  BENCH_BURST=1000  BENCH_STEADY=200  BENCH_SWEEP=50000 (cluster-health sweep size; 0 skips)
#   BENCH_KEEP=1 (leave the cluster up)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"
cd "$repo_root"

export TRIAGE_CLUSTER_DIR=${TRIAGE_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/triage-operator/bench-cluster}
audit_dir="$TRIAGE_CLUSTER_DIR.audit"
sizes=${BENCH_SIZES:-1000,10000}

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

log "bench: starting a 20-node cluster (state $TRIAGE_CLUSTER_DIR)"
# 3000 pods a node: the sweep's 50,000 pods (90% schedulable) fit on 20 nodes.
export_line=$(NODES=20 NODE_CPU=64 NODE_MEMORY=256Gi NODE_PODS=3000 "$here/cluster-up.sh" | tail -n 1)
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
token=$(kubectl create token triage-operator -n triage-system --duration=4h)
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

mkdir -p .test-results && rm -f .test-results/bench-sweep.json
node dist-bench/test/bench/bench.js --kubeconfig="$kubeconfig" --operator-kubeconfig="$operator_kubeconfig" \
  --audit-log="$audit_dir/audit.log" --sizes="$sizes" --burst="${BENCH_BURST:-1000}" --steady="${BENCH_STEADY:-200}" --sweep="${BENCH_SWEEP:-50000}"
node dist-bench/test/bench/report.js "make bench BENCH_SIZES=$sizes BENCH_BURST=${BENCH_BURST:-1000} BENCH_STEADY=${BENCH_STEADY:-200} BENCH_SWEEP=${BENCH_SWEEP:-50000}"
log "bench: wrote docs/benchmarks.md and docs/benchmarks-latency.svg"
