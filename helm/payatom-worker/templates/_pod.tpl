{{/*
_pod.tpl -- the worker pod, shared by the Deployment and the StatefulSet
(workload.kind). Include with the root context.
Not here: the workload objects (deployment.yaml, statefulset.yaml), value
checks (_helpers.tpl "payatom-worker.validate").
*/}}
{{- define "payatom-worker.podTemplate" -}}
{{- $secretName := include "payatom-worker.secretName" . }}
{{- $sts := eq .Values.workload.kind "StatefulSet" }}
metadata:
  annotations:
    # Pods roll when worker.conf or the chart's Secret changes, and when an
    # existingSecret changes: by the checksum the user passes
    # (existingSecret.checksum), else by the Secret's data read at
    # install/upgrade (lookup; empty under `helm template`).
    checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    {{- if and .Values.secrets (not .Values.existingSecret.name) }}
    checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
    {{- end }}
    {{- with include "payatom-worker.existingSecretChecksum" . }}
    checksum/existing-secret: {{ . }}
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  labels:
    {{- include "payatom-worker.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "payatom-worker.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  enableServiceLinks: false
  containers:
    - name: worker
      image: {{ include "payatom-worker.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args: ["--config", "/etc/payatom/worker.conf"]
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      ports:
        - name: http
          containerPort: {{ .Values.containerPort }}
          protocol: TCP
      {{- if or .Values.env (include "payatom-worker.podTransactionalId" .) }}
      env:
        {{- with include "payatom-worker.podTransactionalId" . }}
        # exactly_once in a StatefulSet: a stable transactional.id per pod
        # (namespace + pod name), so a restarted pod fences its predecessor
        # at once (env wins over worker.conf's kafka.transactional.id)
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: PAYATOM_KAFKA_TRANSACTIONAL_ID
          value: {{ . | quote }}
        {{- end }}
        {{- with .Values.env }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      {{- with .Values.envFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if .Values.startupProbe.enabled }}
      startupProbe:
        httpGet:
          path: /healthz
          port: http
        {{- toYaml (omit .Values.startupProbe "enabled") | nindent 8 }}
      {{- end }}
      {{- if .Values.livenessProbe.enabled }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: http
        {{- toYaml (omit .Values.livenessProbe "enabled") | nindent 8 }}
      {{- end }}
      {{- if .Values.readinessProbe.enabled }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: http
        {{- toYaml (omit .Values.readinessProbe "enabled") | nindent 8 }}
      {{- end }}
      {{- if gt (int .Values.preStopSleepSeconds) 0 }}
      lifecycle:
        preStop:
          exec:
            command: ["/bin/sleep", "{{ .Values.preStopSleepSeconds }}"]
      {{- end }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/payatom/worker.conf
          subPath: worker.conf
          readOnly: true
        {{- if $secretName }}
        - name: secrets
          mountPath: /etc/payatom/secrets
          readOnly: true
        {{- end }}
        {{- if .Values.kafkaTls.enabled }}
        - name: kafka-tls
          mountPath: /etc/payatom/kafka-tls
          readOnly: true
        {{- end }}
        - name: tmp
          mountPath: /tmp
        - name: state
          mountPath: {{ .Values.stateStore.mountPath }}
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "payatom-worker.fullname" . }}
    {{- if $secretName }}
    - name: secrets
      secret:
        secretName: {{ $secretName }}
        defaultMode: 0440
    {{- end }}
    {{- if .Values.kafkaTls.enabled }}
    - name: kafka-tls
      secret:
        secretName: {{ .Values.kafkaTls.secretName }}
        defaultMode: 0440
    {{- end }}
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- if ne .Values.workload.kind "StatefulSet" }}
    {{- /* a StatefulSet has a PVC of this name (statefulset.yaml) */}}
    - name: state
      emptyDir:
        {{- with .Values.stateStore.emptyDirSizeLimit }}
        sizeLimit: {{ . }}
        {{- else }} {}
        {{- end }}
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- if .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml .Values.topologySpreadConstraints | nindent 4 }}
  {{- else if .Values.topologySpread.enabled }}
  topologySpreadConstraints:
    {{- range .Values.topologySpread.topologyKeys }}
    - maxSkew: {{ $.Values.topologySpread.maxSkew }}
      topologyKey: {{ . }}
      whenUnsatisfiable: {{ $.Values.topologySpread.whenUnsatisfiable }}
      labelSelector:
        matchLabels:
          {{- include "payatom-worker.selectorLabels" $ | nindent 10 }}
      matchLabelKeys:
        - {{ if $sts }}controller-revision-hash{{ else }}pod-template-hash{{ end }}
    {{- end }}
  {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
