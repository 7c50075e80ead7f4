// Pins the Gateway API release whose CRDs the e2e tests install (hack/gateway-api-crds.sh); not built.
module triage-operator/hack/gateway-api

go 1.24

require sigs.k8s.io/gateway-api v1.6.3
