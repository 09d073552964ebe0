{{/* The release's name prefix of every object: <release>-tarn, or <release> when it already says tarn. */}}
{{- define "tarn.fullname" -}}
{{- if contains "tarn" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-tarn" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tarn.selectorLabels" -}}
app.kubernetes.io/name: tarn
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tarn.labels" -}}
{{ include "tarn.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "tarn.image" -}}
{{ printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end -}}

{{/* Where DATABASE_URL comes from: a Secret of the user's, or the chart's. */}}
{{- define "tarn.databaseSecret" -}}
{{- if .Values.database.existingSecret -}}
name: {{ .Values.database.existingSecret }}
key: {{ .Values.database.existingSecretKey }}
{{- else -}}
name: {{ include "tarn.fullname" . }}
key: DATABASE_URL
{{- end -}}
{{- end -}}

{{/* Settings of every Tarn container: the ConfigMap, the chart's Secret, DATABASE_URL. */}}
{{- define "tarn.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "tarn.fullname" . }}
  - secretRef:
      name: {{ include "tarn.fullname" . }}
env:
  - name: DATABASE_URL
    valueFrom:
      secretKeyRef:
        {{- include "tarn.databaseSecret" . | nindent 8 }}
{{- end -}}

{{/* Pod-level settings shared by the API, the daemons and the migration Job. */}}
{{- define "tarn.podSpec" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir: {}
{{- end -}}
