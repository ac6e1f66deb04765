{{/* The collector configuration: the embedded otelsec:otlp/loki pipelines, with the node's name
as host.name and the runtime sockets under the host's /run. */}}
{{- define "otelsec.config" -}}
receivers:
  syscall:
    rules_filter: security_rules
processors:
  memory_limiter:
    check_interval: 1s
    limit_mib: {{ .Values.memoryLimiterMiB }}
    spike_limit_mib: {{ div .Values.memoryLimiterMiB 4 }}
  container_metadata:
    docker: {{ toJson .Values.runtimeSockets.docker }}
    podman: {{ toJson .Values.runtimeSockets.podman }}
    cri: {{ toJson .Values.runtimeSockets.cri }}
    containerd: {{ toJson .Values.runtimeSockets.containerd }}
  security_rules: {}
  resource:
    attributes:
      - {key: service.name, value: {{ .Values.serviceName | quote }}, action: upsert}
      - {key: host.name, value: "${env:K8S_NODE_NAME}", action: upsert}
      - {key: k8s.node.name, value: "${env:K8S_NODE_NAME}", action: upsert}
exporters:
  alert:
    format: text
{{- $queue := dict "enabled" true "storage" "file_storage/queue" "sizer" "items" "queue_size" 100000 "batch" (dict "flush_timeout" "1s" "min_size" 512 "max_size" 4096) }}
{{- $retry := dict "enabled" true "initial_interval" "1s" "max_interval" "30s" "max_elapsed_time" "0s" }}
{{- if .Values.otlp.endpoint }}
  otlp_http:
    endpoint: {{ .Values.otlp.endpoint | quote }}
    timeout: 10s
    retry_on_failure: {{ toJson $retry }}
    sending_queue: {{ toJson $queue }}
{{- end }}
{{- if .Values.loki.endpoint }}
  otlp_http/loki:
    endpoint: {{ .Values.loki.endpoint | quote }}
    headers:
      X-Scope-OrgID: {{ .Values.loki.tenant | quote }}
    timeout: 10s
    retry_on_failure: {{ toJson $retry }}
    sending_queue: {{ toJson $queue }}
{{- end }}
extensions:
  health_check:
    endpoint: "${env:K8S_POD_IP}:13133"
  file_storage/queue:
    directory: /var/lib/otelsec/queue
    create_directory: true
service:
  extensions: [health_check, file_storage/queue]
  telemetry:
    metrics:
      level: detailed
      readers:
        - pull:
            exporter:
              prometheus:
                host: "${env:K8S_POD_IP}"
                port: 8888
  pipelines:
    logs:
      receivers: [syscall]
      processors: [memory_limiter, container_metadata, security_rules, resource]
      exporters:
        - alert
{{- if .Values.otlp.endpoint }}
        - otlp_http
{{- end }}
{{- if .Values.loki.endpoint }}
        - otlp_http/loki
{{- end }}
{{- end -}}
