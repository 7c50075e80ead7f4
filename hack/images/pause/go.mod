// The local cluster's pod sandbox ("pause") image: built by hack/real-node-images.sh, no registry needed.
module triage-operator.local/hack/images/pause

go 1.25.0
