#!/usr/bin/env bash
# Starts and stops the local Prometheus (Debian's package) on loopback, scraping the gateway, every
# worker (targets written by processes.sh into $TALENT_HOME/prometheus/targets/) and RabbitMQ's
# rabbitmq_prometheus plugin, with the alert rules of deploy/prometheus/alerts.yml and the dashboard
# page deploy/prometheus/consoles/talent.html.
# Usage: deploy/local/monitoring.sh start | stop | url | check PNG
#   check PNG: every target up, every dashboard panel with data, the page rendered by headless
#   Chromium (Debian's package, installed if missing) into the screenshot PNG.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/env.sh
HOME_DIR="${TALENT_PROMETHEUS_HOME:-$TALENT_HOME/prometheus}"
PID_FILE="$HOME_DIR/prometheus.pid"

write_config() {
  mkdir -p "$HOME_DIR/targets" "$HOME_DIR/data"
  cat > "$HOME_DIR/prometheus.yml" <<CONF
# Written by deploy/local/monitoring.sh; edit that script, not this file.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - $TALENT_ROOT/deploy/prometheus/alerts.yml
scrape_configs:
  - job_name: talent-gateway
    static_configs:
      - targets: ["127.0.0.1:$TALENT_HTTP_PORT"]
  - job_name: talent-workers
    file_sd_configs:
      - files: ["$HOME_DIR/targets/*.json"]
  - job_name: rabbitmq
    metrics_path: /metrics/detailed
    params:
      family: [queue_coarse_metrics, queue_consumer_count]
    static_configs:
      - targets: ["127.0.0.1:$TALENT_RABBITMQ_PROMETHEUS_PORT"]
CONF
}

start() {
  write_config
  if [ -f "$PID_FILE" ] && grep -qa prometheus "/proc/$(cat "$PID_FILE")/cmdline" 2>/dev/null; then
    # Running: reload the configuration (targets files are watched by Prometheus itself).
    kill -HUP "$(cat "$PID_FILE")"
  else
    nohup /usr/bin/prometheus --config.file="$HOME_DIR/prometheus.yml" --storage.tsdb.path="$HOME_DIR/data" \
      --web.listen-address="127.0.0.1:$TALENT_PROMETHEUS_PORT" \
      --web.console.templates="$TALENT_ROOT/deploy/prometheus/consoles" \
      --web.console.libraries="$TALENT_ROOT/deploy/prometheus/consoles" \
      --storage.tsdb.retention.time=7d >> "$TALENT_HOME/logs/prometheus.log" 2>&1 &
    echo $! > "$PID_FILE"
  fi
  for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$TALENT_PROMETHEUS_PORT/-/ready" >/dev/null 2>&1; then
      # Every target scraped once before returning: traffic that follows shows up in rates.
      python3 scripts/check-monitoring.py --prometheus "http://127.0.0.1:$TALENT_PROMETHEUS_PORT" --targets-only
      echo "prometheus on 127.0.0.1:$TALENT_PROMETHEUS_PORT"
      return
    fi
    sleep 0.2
  done
  echo "prometheus did not become ready; see $TALENT_HOME/logs/prometheus.log" >&2
  exit 1
}

stop() {
  [ -f "$PID_FILE" ] || return 0
  local pid; pid=$(cat "$PID_FILE"); rm -f "$PID_FILE"
  # A stale pid file (after a reboot) may name another program now.
  grep -qa prometheus "/proc/$pid/cmdline" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) mkdir -p "$TALENT_HOME/logs"; start ;;
  stop) stop ;;
  url) echo "http://127.0.0.1:$TALENT_PROMETHEUS_PORT/consoles/talent.html" ;;
  check)
    if ! command -v chromium >/dev/null 2>&1; then
      echo "installing: chromium"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
    python3 scripts/check-monitoring.py --prometheus "http://127.0.0.1:$TALENT_PROMETHEUS_PORT" \
      --screenshot "${2:?screenshot path}" ;;
  *) echo "usage: $0 start | stop | url | check PNG" >&2; exit 64 ;;
esac
