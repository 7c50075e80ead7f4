{{/* Name of the chart, overridable. */}}
{{- define "triage-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified name: the release name when it already contains the chart's name. */}}
{{- define "triage-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "triage-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "triage-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: triage-operator
{{- end }}

{{- define "triage-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "triage-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "triage-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "triage-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image reference: a digest pins it; otherwise the tag, defaulting to the chart's appVersion. */}}
{{- define "triage-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Lease the replicas compete for; the leader-election Role is limited to this name. */}}
{{- define "triage-operator.leaseName" -}}
{{- include "triage-operator.fullname" . }}
{{- end }}

{{/* Namespaces whose requests may target other namespaces or the cluster: the release's, then the listed. */}}
{{- define "triage-operator.trustedNamespaces" -}}
{{- $namespaces := list }}
{{- if .Values.trust.releaseNamespace }}{{ $namespaces = append $namespaces .Release.Namespace }}{{ end }}
{{- range .Values.trust.namespaces }}{{ $namespaces = append $namespaces . }}{{ end }}
{{- $namespaces | uniq | join "," }}
{{- end }}

{{/* Combinations the schema cannot express: refused with the values to change. */}}
{{- define "triage-operator.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail "replicaCount > 1 needs leaderElection.enabled: without a Lease every replica reconciles every request" }}
{{- end }}
{{- if and .Values.networkPolicy.enabled .Values.networkPolicy.egress.enabled (not .Values.networkPolicy.egress.apiServer) }}
{{- fail "networkPolicy.egress.enabled needs networkPolicy.egress.apiServer (the apiserver's endpoints): without it the operator cannot reach the apiserver" }}
{{- end }}
{{- if ne (toString .Values.kubernetesService.host | empty) (toString .Values.kubernetesService.port | empty) }}
{{- fail "kubernetesService.host and kubernetesService.port go together" }}
{{- end }}
{{- if and .Values.alertReceiver.enabled (not .Values.alertReceiver.tokenSecret) }}
{{- fail "alertReceiver.enabled needs alertReceiver.tokenSecret (a Secret with key token): the receiver never runs without authentication" }}
{{- end }}
{{- if and .Values.alertReceiver.enabled (not .Values.trust.releaseNamespace) }}
{{- fail "alertReceiver.enabled needs trust.releaseNamespace: requests for alerts on Nodes go to the release namespace, which must be trusted for cluster-scoped intents" }}
{{- end }}
{{- end }}
