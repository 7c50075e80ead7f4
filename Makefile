# triage-operator: the front door. `make help` lists the targets.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

NPM_STAMP := node_modules/.package-lock.json

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# Not `npm ci`: the registry reachable here serves no other platforms' optional packages (@swc/core-darwin-*,
# ...), so no lockfile written here lists them and `npm ci` refuses it. `npm install` installs the locked
# versions all the same.
$(NPM_STAMP): package.json package-lock.json
	npm install --no-audit --no-fund
	@touch $@

.PHONY: deps
deps: $(NPM_STAMP) ## Install npm dependencies (npm ci)

.PHONY: build
build: $(NPM_STAMP) ## Compile TypeScript to dist/
	npm run build

.PHONY: typecheck
typecheck: $(NPM_STAMP) ## Type-check sources and tests
	npm run typecheck

.PHONY: lint
lint: $(NPM_STAMP) ## Run ESLint and check formatting (npm run format fixes it)
	npm run lint

.PHONY: generate
generate: $(NPM_STAMP) ## Regenerate config/crd and config/rbac/role.yaml from src/crds and src/kube/kinds.ts
	npm run --silent generate

.PHONY: verify-generated
verify-generated: $(NPM_STAMP) ## Fail when generated manifests drift from their source
	npm run --silent verify-generated

.PHONY: controlplane
controlplane: ## Build (or reuse) the local control plane binaries
	@hack/build-controlplane.sh >/dev/null

.PHONY: tools
tools: ## Build (or reuse) Helm and manifest-check, the offline schema validator
	@hack/build-tools.sh >/dev/null

.PHONY: image
image: $(NPM_STAMP) ## Build the operator's image without a daemon (OCI layout + docker-archive + SBOM); prints its directory
	@hack/build-image.sh

.PHONY: plugin
plugin: $(NPM_STAMP) ## Build the kubectl-triage archive and its krew manifest in dist-plugin/ (or: npm install -g .)
	@hack/build-plugin.sh

.PHONY: install-yaml
install-yaml: tools ## Render config/install.yaml from the chart (make test fails when it drifts)
	@hack/render-install.sh --write

.PHONY: cluster-up
cluster-up: ## Start the local control plane on 127.0.0.1 (NODES=3 NODE_CPU=4 NODE_MEMORY=16Gi ...)
	@hack/cluster-up.sh

.PHONY: cluster-down
cluster-down: ## Stop the local control plane and remove its state
	@hack/cluster-down.sh

.PHONY: test
test: $(NPM_STAMP) controlplane tools ## Type-check, lint, then unit + e2e tests; ends with "tests: N passed, M failed"
	@hack/run-tests.sh --selectProjects unit e2e

.PHONY: test-unit
test-unit: $(NPM_STAMP) ## Unit tests only
	@hack/run-tests.sh --selectProjects unit

.PHONY: fault-test
fault-test: $(NPM_STAMP) controlplane ## The long fault and abuse suite: 1,000-request burst with SIGKILL, 60 s outage, Continuous at rest (~15 min)
	@hack/run-tests.sh --selectProjects fault

.PHONY: test-e2e
test-e2e: $(NPM_STAMP) controlplane tools ## E2E tests only (starts a cluster unless KUBECONFIG points at a local one)
	@hack/run-tests.sh --selectProjects e2e

KUBECTL = $$(hack/build-controlplane.sh 2>/dev/null)/kubectl

.PHONY: install
install: controlplane ## Install the CRDs, namespace and RBAC into the current cluster (KUBECONFIG)
	$(KUBECTL) apply -k config/crd
	$(KUBECTL) apply -f config/manager/namespace.yaml
	$(KUBECTL) apply -k config/rbac
	$(KUBECTL) wait --for=condition=Established --timeout=30s crd/triagerequests.triage.dev crd/triagetemplates.triage.dev crd/triagepolicies.triage.dev crd/triagesinks.triage.dev

.PHONY: run
run: build ## Run the operator in the foreground against the current KUBECONFIG (ARGS=... for more flags)
	node dist/main.js --trusted-namespaces=triage-system $(ARGS)

.PHONY: bench
bench: $(NPM_STAMP) controlplane ## Benchmark cache vs LIST-per-triage at 1k, 10k, 50k, 150k pods (5,000 nodes from 50k); writes docs/benchmarks.md (BENCH_* knobs: hack/bench.sh)
	@hack/bench.sh

.PHONY: demo
demo: $(NPM_STAMP) ## Start the local cluster and show it
	@hack/demo.sh
