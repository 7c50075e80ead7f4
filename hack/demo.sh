#!/usr/bin/env bash
# The quickstart's first command. Starts the local control plane (unless KUBECONFIG names one that
# cluster-up started), installs the CRDs, runs the operator, applies sample broken workloads and their
# TriageRequests, and prints the results. Everything keeps running afterwards; `make cluster-down` stops it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"
cd "$repo_root"

# A real node (containerd + kubelet) beside the fake ones, so one diagnosis is of a real crash loop.
export REAL_NODES=${REAL_NODES:-1}
bin=$("$here/build-controlplane.sh")
export_line=$("$here/cluster-up.sh" | tail -n 1)
export KUBECONFIG=${export_line#export KUBECONFIG=}
state=$(controlplane_state_dir)
kubectl() { "$bin/kubectl" "$@"; }
# The plugin as kubectl finds it: an executable named kubectl-triage on PATH (what `npm install -g` links).
mkdir -p "$state/plugins"
printf '#!/bin/sh\nexec node "%s/dist/cli/kubectl-triage.js" "$@"\n' "$repo_root" >"$state/plugins/kubectl-triage"
chmod +x "$state/plugins/kubectl-triage"
export PATH="$state/plugins:$PATH"

log "building the operator"
npm run --silent build
log "installing the CRDs"
kubectl apply -k config/crd >/dev/null
kubectl wait --for=condition=Established --timeout=30s crd/triagerequests.triage.dev crd/triagetemplates.triage.dev crd/triagepolicies.triage.dev crd/triagesinks.triage.dev >/dev/null

if pid_alive "$(cat "$state/pids/operator.pid" 2>/dev/null || true)"; then
  log "the operator is already running"
else
  log "starting the operator (log: $state/logs/operator.log)"
  setsid node dist/main.js --trusted-namespaces=triage-system --metrics-bind-address=127.0.0.1:0 \
    --health-probe-bind-address=127.0.0.1:0 >>"$state/logs/operator.log" 2>&1 </dev/null &
  echo $! >"$state/pids/operator.pid"
fi

log "applying sample broken workloads, then waiting for the scheduler and PV controller to react"
kubectl apply -f config/samples/demo/broken-workloads.yaml >/dev/null
kubectl wait --for=condition=PodScheduled=false --timeout=60s -n triage-demo pod/orders-db-0 pod/analytics >/dev/null
kubectl wait --for=condition=Available --timeout=60s -n triage-demo deployment/storefront >/dev/null
log "applying the TriageRequests"
kubectl apply -f config/samples/demo/triage-requests.yaml >/dev/null
expected=5
if [ "$REAL_NODES" = 1 ]; then
  log "applying a crash-looping Deployment on the real node, and its Continuous TriageRequest"
  kubectl apply -f config/samples/demo/real-node.yaml >/dev/null
  expected=6
fi
for _ in $(seq 1 120); do
  done_count=$(kubectl get tr -n triage-demo -o jsonpath='{range .items[?(@.status.verdict)]}{.metadata.name}{"\n"}{end}' | wc -l)
  [ "$done_count" -ge "$expected" ] && break
  sleep 0.5
done
if [ "$REAL_NODES" = 1 ]; then
  # The real container needs a few seconds to crash for the first time.
  for _ in $(seq 1 120); do
    [ "$(kubectl get tr why-checkout-restarts -n triage-demo -o jsonpath='{.status.verdict}')" = RootCauseFound ] && break
    sleep 0.5
  done
fi

echo
echo "== kubectl triage pod/analytics -n triage-demo     (creates a TriageRequest, waits, prints; exit 1: RootCauseFound)"
kubectl triage pod/analytics -n triage-demo || echo "(exit $?)"
echo
echo "== kubectl get triagerequests -n triage-demo"
kubectl get tr -n triage-demo
echo
echo "== kubectl triage list -n triage-demo"
kubectl triage list -n triage-demo
echo
echo "== one envelope in full: kubectl triage show tr/why-orders-db-pending -n triage-demo"
kubectl triage show tr/why-orders-db-pending -n triage-demo || true
if [ "$REAL_NODES" = 1 ]; then
  echo
  echo "== a real kubelet's crash loop: kubectl triage show tr/why-checkout-restarts -n triage-demo"
  kubectl triage show tr/why-checkout-restarts -n triage-demo || true
fi
cat <<EOF

Look further:
  $export_line
  export PATH=$state/plugins:$bin:\$PATH        # kubectl matching the 1.35 apiserver, and kubectl-triage
  kubectl triage --help
  kubectl describe tr why-storefront-unreachable -n triage-demo
  kubectl get tr -n triage-demo -o yaml
  kubectl get events -n triage-demo --field-selector reason=StorageClassNotFound
Operator log: $state/logs/operator.log
Stop everything: make cluster-down
EOF
