#!/usr/bin/env bash
# Starts and stops the gateway and workers in the background (pid files and logs under .local/).
# Usage: deploy/local/processes.sh start BIN_DIR | stop | memory
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/env.sh
RUN="$TALENT_HOME/run"
LOGS="$TALENT_HOME/logs"
mkdir -p "$RUN" "$LOGS"

start() {
  local bin="$1" workers="${TALENT_WORKERS:-1}" association_workers="${TALENT_ASSOCIATION_WORKERS:-1}"
  stop
  local targets=()
  for i in $(seq 1 "$workers"); do
    local port=$((TALENT_ATTACHMENT_WORKER_PORT_BASE + i))
    nohup "$bin/talent-worker" attachment.validation --http-port "$port" >> "$LOGS/worker-$i.log" 2>&1 &
    echo $! > "$RUN/worker-$i.pid"
    targets+=("{\"targets\": [\"127.0.0.1:$port\"], \"labels\": {\"worker_kind\": \"attachment.validation\", \"name\": \"worker-$i\"}}")
  done
  for i in $(seq 1 "$association_workers"); do
    local port=$((TALENT_ASSOCIATION_WORKER_PORT_BASE + i))
    nohup "$bin/talent-worker" association.decision --http-port "$port" >> "$LOGS/association-worker-$i.log" 2>&1 &
    echo $! > "$RUN/association-worker-$i.pid"
    targets+=("{\"targets\": [\"127.0.0.1:$port\"], \"labels\": {\"worker_kind\": \"association.decision\", \"name\": \"association-worker-$i\"}}")
  done
  # Prometheus's file_sd targets for the workers (deploy/local/monitoring.sh).
  local sd="${TALENT_PROMETHEUS_HOME:-$TALENT_HOME/prometheus}/targets"
  mkdir -p "$sd"
  (IFS=,; echo "[${targets[*]}]") > "$sd/workers.json.tmp"
  mv "$sd/workers.json.tmp" "$sd/workers.json"
  TALENT_HTTP_PORT="$TALENT_HTTP_PORT" nohup "$bin/talent-gateway" >> "$LOGS/gateway.log" 2>&1 &
  echo $! > "$RUN/gateway.pid"
  for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$TALENT_HTTP_PORT/health/ready" >/dev/null 2>&1; then
      echo "gateway ready on 127.0.0.1:$TALENT_HTTP_PORT; $workers attachment and $association_workers association worker(s) running"
      return
    fi
    sleep 0.2
  done
  echo "gateway did not become ready; see $LOGS/gateway.log" >&2
  exit 1
}

stop() {
  local pids=()
  for f in "$RUN"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f"); rm -f "$f"
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid") || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}

memory() {
  for f in "$RUN"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo "?")
    echo "resident memory	$(basename "$f" .pid)	${rss} kB"
  done
}

case "${1:-}" in
  start) start "${2:?bin dir}" ;;
  stop) stop ;;
  memory) memory ;;
  *) echo "usage: $0 start BIN_DIR | stop | memory" >&2; exit 64 ;;
esac
