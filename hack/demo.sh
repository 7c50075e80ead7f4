#!/usr/bin/env bash
# The quickstart's first command: starts the local control plane (or uses the running one) and
# shows it. Triage of sample broken workloads joins here as the controller lands.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/lib.sh
source "$here/lib.sh"

bin=$("$here/build-controlplane.sh")
export_line=$("$here/cluster-up.sh" | tail -n 1)
export KUBECONFIG=${export_line#export KUBECONFIG=}
kubectl() { "$bin/kubectl" "$@"; }

echo
echo "== kubectl version"
kubectl version
echo
echo "== kubectl get nodes"
kubectl get nodes -o wide
echo
echo "== kubectl get --raw /readyz?verbose (tail)"
kubectl get --raw '/readyz?verbose' | tail -n 4
cat <<EOF

The cluster keeps running. To look further:
  $export_line
  export PATH=$bin:\$PATH      # a kubectl matching the apiserver
  kubectl get pods -A
Component logs: $(controlplane_state_dir)/logs
To stop it:     make cluster-down
EOF
