//go:build tools

// Package tools pins Alertmanager's command so `go mod tidy` keeps its dependencies in go.sum.
package tools

import _ "github.com/prometheus/alertmanager/cmd/alertmanager"
