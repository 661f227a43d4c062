{{/*
_helpers.tpl -- names, labels, worker.conf rendering and value checks.
Owns: the rules the schema cannot express (cross-field limits).
Not here: per-object templates (one file per Kubernetes kind).
*/}}

{{- define "payatom-worker.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "payatom-worker.fullname" -}}
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

{{- define "payatom-worker.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "payatom-worker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "payatom-worker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "payatom-worker.labels" -}}
helm.sh/chart: {{ include "payatom-worker.chart" . }}
{{ include "payatom-worker.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: worker
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "payatom-worker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "payatom-worker.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "payatom-worker.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Name of the Secret holding worker secrets ("" when there is none). */}}
{{- define "payatom-worker.secretName" -}}
{{- if .Values.existingSecret.name }}
{{- .Values.existingSecret.name }}
{{- else if .Values.secrets }}
{{- include "payatom-worker.fullname" . }}
{{- end }}
{{- end }}

{{/*
Seconds in a duration ("25s", "1500ms", "2m", "1h" or a bare number of
seconds), rounded up. The schema already restricts the form.
*/}}
{{- define "payatom-worker.durationSeconds" -}}
{{- $d := toString . }}
{{- if regexMatch "^[0-9]+ms$" $d }}
{{- div (add (trimSuffix "ms" $d | atoi) 999) 1000 }}
{{- else if regexMatch "^[0-9]+s$" $d }}
{{- trimSuffix "s" $d | atoi }}
{{- else if regexMatch "^[0-9]+m$" $d }}
{{- mul (trimSuffix "m" $d | atoi) 60 }}
{{- else if regexMatch "^[0-9]+h$" $d }}
{{- mul (trimSuffix "h" $d | atoi) 3600 }}
{{- else if regexMatch "^[0-9]+$" $d }}
{{- $d }}
{{- else }}
{{- fail (printf "shutdownTimeout %q is not a duration (e.g. 25s, 1500ms, 2m)" $d) }}
{{- end }}
{{- end }}

{{/*
Cross-field checks, included by the Deployment so that every render runs
them. Each failure names the values to change.
*/}}
{{- define "payatom-worker.validate" -}}
{{- $v := .Values }}
{{- $parts := int $v.partitions }}
{{- $shutdown := include "payatom-worker.durationSeconds" $v.shutdownTimeout | int }}
{{- $grace := int $v.terminationGracePeriodSeconds }}
{{- $pre := int $v.preStopSleepSeconds }}
{{- if le $grace (add $shutdown $pre) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed preStopSleepSeconds (%d) + shutdownTimeout (%s = %ds): the kubelet would kill the worker before it commits and leaves the group" $grace $pre (toString $v.shutdownTimeout) $shutdown) }}
{{- end }}
{{- if and (not $v.autoscaling.enabled) (gt (int $v.replicaCount) $parts) }}
{{- fail (printf "replicaCount (%d) exceeds partitions (%d): consumers beyond the partition count sit idle" (int $v.replicaCount) $parts) }}
{{- end }}
{{- if $v.autoscaling.enabled }}
{{- if gt (int $v.autoscaling.maxReplicas) $parts }}
{{- fail (printf "autoscaling.maxReplicas (%d) exceeds partitions (%d): consumers beyond the partition count sit idle" (int $v.autoscaling.maxReplicas) $parts) }}
{{- end }}
{{- if gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas) }}
{{- fail (printf "autoscaling.minReplicas (%d) exceeds autoscaling.maxReplicas (%d)" (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) }}
{{- end }}
{{- end }}
{{- if and $v.existingSecret.name $v.secrets }}
{{- fail "set either secrets or existingSecret.name, not both" }}
{{- end }}
{{- if and $v.existingSecret.keys (not $v.existingSecret.name) }}
{{- fail "existingSecret.keys is set but existingSecret.name is empty" }}
{{- end }}
{{- if and $v.kafkaTls.enabled (not $v.kafkaTls.secretName) }}
{{- fail "kafkaTls.enabled needs kafkaTls.secretName" }}
{{- end }}
{{- if ne (empty $v.kafkaTls.certKey) (empty $v.kafkaTls.keyKey) }}
{{- fail "kafkaTls.certKey and kafkaTls.keyKey go together (client certificate and its key)" }}
{{- end }}
{{- if and $v.ingress.enabled (not $v.ingress.hosts) }}
{{- fail "ingress.enabled needs at least one ingress.hosts entry (the public webhook host)" }}
{{- end }}
{{- $pdbMax := ne (toString (default "" $v.podDisruptionBudget.maxUnavailable | toString)) "" }}
{{- $pdbMin := ne (toString (default "" $v.podDisruptionBudget.minAvailable | toString)) "" }}
{{- if and $v.podDisruptionBudget.enabled (eq $pdbMax $pdbMin) }}
{{- fail "podDisruptionBudget: set exactly one of maxUnavailable and minAvailable" }}
{{- end }}
{{- if and (include "payatom-worker.podTransactionalId" .) (hasKey $v.config "kafka.transactional.id") }}
{{- fail "config.kafka.transactional.id: a StatefulSet under exactly_once gives each pod its own id from its name; remove it (or use workload.kind=Deployment)" }}
{{- end }}
{{- $chartKeys := list "http.listen" "topics.partitions" "shutdown.timeout" }}
{{- range $k, $_ := $v.extraConfig }}
{{- if or (has $k $chartKeys) (hasKey $v.config $k) }}
{{- fail (printf "extraConfig.%s: key is set by the chart or in config" $k) }}
{{- end }}
{{- if regexMatch (include "payatom-worker.secretKeyPattern" $) $k }}
{{- fail (printf "extraConfig.%s is a secret: put it in secrets or existingSecret.keys" $k) }}
{{- end }}
{{- end }}
{{- range $k, $_ := (merge (dict) $v.secrets $v.existingSecret.keys) }}
{{- if or (hasKey $v.config $k) (hasKey $v.extraConfig $k) }}
{{- fail (printf "%s is set both as a secret and in config/extraConfig" $k) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Config keys whose values are secrets (style.md habit 14: SECRET). */}}
{{- define "payatom-worker.secretKeyPattern" -}}
^(merchant\.[^.]+\.(secret|api\.key|recon\.token|bot\.api\.key|complaint\.token)|kafka\.sasl\.password|kafka\.ssl\.key\.password|kafka\.ssl\.keystore\.password|kafka\.sasl\.oauthbearer\.client\.secret|schema\.registry\.basic\.auth)$
{{- end }}

{{/*
worker.conf: `key=value` lines, sorted. Chart-owned keys first, then
config, extraConfig, and every secret as `key=@/etc/payatom/secrets/<file>`.
*/}}
{{- define "payatom-worker.workerConf" -}}
{{- $v := .Values }}
# Rendered by Helm ({{ include "payatom-worker.chart" . }}); edit values, not this file.
http.listen=0.0.0.0:{{ $v.containerPort }}
topics.partitions={{ $v.partitions }}
shutdown.timeout={{ $v.shutdownTimeout }}
{{- if not (hasKey $v.config "state.dir") }}
state.dir={{ $v.stateStore.mountPath }}
{{- end }}
{{- if $v.kafkaTls.enabled }}
kafka.security.protocol={{ default "ssl" (get $v.config "kafka.security.protocol") }}
kafka.ssl.ca.location=/etc/payatom/kafka-tls/{{ $v.kafkaTls.caKey }}
{{- if $v.kafkaTls.certKey }}
kafka.ssl.certificate.location=/etc/payatom/kafka-tls/{{ $v.kafkaTls.certKey }}
kafka.ssl.key.location=/etc/payatom/kafka-tls/{{ $v.kafkaTls.keyKey }}
{{- end }}
{{- end }}
{{- range $k := keys $v.config | sortAlpha }}
{{- if not (and $v.kafkaTls.enabled (eq $k "kafka.security.protocol")) }}
{{ $k }}={{ include "payatom-worker.confValue" (get $v.config $k) }}
{{- end }}
{{- end }}
{{- range $k := keys $v.extraConfig | sortAlpha }}
{{ $k }}={{ include "payatom-worker.confValue" (get $v.extraConfig $k) }}
{{- end }}
{{- range $k := keys $v.secrets | sortAlpha }}
{{ $k }}=@/etc/payatom/secrets/{{ $k }}
{{- end }}
{{- range $k := keys $v.existingSecret.keys | sortAlpha }}
{{ $k }}=@/etc/payatom/secrets/{{ get $v.existingSecret.keys $k }}
{{- end }}
{{- end }}

{{/* One config value: booleans as true/false, lists comma-joined,
numbers without exponent, no newlines. */}}
{{- define "payatom-worker.confValue" -}}
{{- if kindIs "slice" . }}
{{- join "," . }}
{{- else if kindIs "float64" . }}
{{- if eq (floor .) . }}{{ int64 . }}{{ else }}{{ . }}{{ end }}
{{- else if regexMatch "[\r\n]" (toString .) }}
{{- fail (printf "config value %q contains a newline" (toString .)) }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/*
Checksum of an existingSecret for the pod annotation that rolls the pods
when it changes: existingSecret.checksum when the user passes one (e.g.
the Secret's resourceVersion or a hash of its data, from CI or GitOps),
else a hash of the Secret's data read at install/upgrade with lookup
(existingSecret.lookupChecksum; `helm template` and Argo CD cannot read
it: then nothing, and pods roll only by the checksum value). "" = none.
*/}}
{{- define "payatom-worker.existingSecretChecksum" -}}
{{- $es := .Values.existingSecret }}
{{- if $es.name }}
{{- if $es.checksum }}
{{- $es.checksum | toString | sha256sum }}
{{- else if $es.lookupChecksum }}
{{- $s := lookup "v1" "Secret" .Release.Namespace $es.name }}
{{- if and $s $s.data }}
{{- toJson $s.data | sha256sum }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
kafka.transactional.id of a StatefulSet pod under exactly_once:
"<namespace>.$(POD_NAME)" (the pod name is stable across restarts, so the
new pod fences its predecessor at once; the namespace keeps two releases
of the same name apart on one Kafka cluster). "" for a Deployment or
at_least_once (a Deployment's pods have new names each time: the worker's
default id, group-host-pid, is used).
*/}}
{{- define "payatom-worker.podTransactionalId" -}}
{{- if and (eq .Values.workload.kind "StatefulSet") (eq (toString (get .Values.config "processing.guarantee")) "exactly_once") }}
{{- printf "%s.$(POD_NAME)" .Release.Namespace }}
{{- end }}
{{- end }}

{{/*
KEDA lagThreshold: the value when set, else (0) what one pod can hold in
flight, which lag below is not a backlog more pods would cure:
min(max.inflight, max.inflight.per.partition x partitions per pod at
minReplicas), with the worker's defaults (10000, 1000) for keys config
does not set.
*/}}
{{- define "payatom-worker.kedaLagThreshold" -}}
{{- $k := .Values.autoscaling.keda }}
{{- if gt (int $k.lagThreshold) 0 }}
{{- int $k.lagThreshold }}
{{- else }}
{{- $inflight := int (default 10000 (get .Values.config "max.inflight")) }}
{{- $perPart := int (default 1000 (get .Values.config "max.inflight.per.partition")) }}
{{- $minRep := max 1 (int .Values.autoscaling.minReplicas) }}
{{- $partsPerPod := div (add (int .Values.partitions) (sub $minRep 1)) $minRep }}
{{- min $inflight (mul $perPart $partsPerPod) }}
{{- end }}
{{- end }}

{{/* Labels of the `helm test` pod: not the workload's selector labels, so
the Services and the PodDisruptionBudget never select it. */}}
{{- define "payatom-worker.testSelectorLabels" -}}
app.kubernetes.io/component: helm-test
payatom.io/test-of: {{ .Release.Name }}
{{- end }}
