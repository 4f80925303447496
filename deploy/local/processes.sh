#!/usr/bin/env bash
# Starts and stops the gateway and workers in the background (pid files and logs under .local/), and
# scales one worker kind. Workers serve /metrics and /health/* on consecutive ports per kind
# (TALENT_ATTACHMENT_WORKER_PORT_BASE + i, TALENT_ASSOCIATION_WORKER_PORT_BASE + i,
# TALENT_PROFILE_WORKER_PORT_BASE + i, TALENT_NOTICE_WORKER_PORT_BASE + i,
# TALENT_ELIGIBILITY_WORKER_PORT_BASE + i); their targets for Prometheus (file_sd) are rewritten whenever
# workers start or stop.
# Usage: deploy/local/processes.sh start BIN_DIR | restart BIN_DIR | stop | scale KIND COUNT BIN_DIR | memory
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/env.sh
RUN="$TALENT_HOME/run"
LOGS="$TALENT_HOME/logs"
mkdir -p "$RUN" "$LOGS"

KINDS=(attachment.validation association.decision unit.profile notice.fanout eligibility.check)

# The pid-file prefix, port base and default count (its variable) of a worker kind.
prefix() {
  case "$1" in
    attachment.validation) echo worker ;;
    association.decision) echo association-worker ;;
    unit.profile) echo profile-worker ;;
    notice.fanout) echo notice-worker ;;
    eligibility.check) echo eligibility-worker ;;
    *) echo "unknown job kind $1 (${KINDS[*]})" >&2; exit 64 ;;
  esac
}
port_base() {
  case "$1" in
    attachment.validation) echo "$TALENT_ATTACHMENT_WORKER_PORT_BASE" ;;
    association.decision) echo "$TALENT_ASSOCIATION_WORKER_PORT_BASE" ;;
    unit.profile) echo "$TALENT_PROFILE_WORKER_PORT_BASE" ;;
    notice.fanout) echo "$TALENT_NOTICE_WORKER_PORT_BASE" ;;
    eligibility.check) echo "$TALENT_ELIGIBILITY_WORKER_PORT_BASE" ;;
  esac
}
default_count() {
  case "$1" in
    attachment.validation) echo "${TALENT_WORKERS:-1}" ;;
    association.decision) echo "${TALENT_ASSOCIATION_WORKERS:-1}" ;;
    unit.profile) echo "${TALENT_PROFILE_WORKERS:-1}" ;;
    notice.fanout) echo "${TALENT_NOTICE_WORKERS:-1}" ;;
    eligibility.check) echo "${TALENT_ELIGIBILITY_WORKERS:-1}" ;;
  esac
}

# Whether the pid file names a live talent process (a pid reused by another program is not one).
alive() { [ -f "$1" ] && grep -qa "talent-" "/proc/$(cat "$1")/cmdline" 2>/dev/null; }

# Fails when something already listens on 127.0.0.1:PORT (another system's process would answer
# the new one's readiness checks while the new one exits on its bind error).
require_free_port() {
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    echo "$2: port $1 is already in use (another local system running? stop it, or set the TALENT_*_PORT settings)" >&2
    exit 1
  fi
}

start_worker() {
  local bin="$1" kind="$2" i="$3" name port
  name="$(prefix "$kind")-$i"; port=$(( $(port_base "$kind") + i ))
  alive "$RUN/$name.pid" && return 0
  require_free_port "$port" "$name"
  nohup "$bin/talent-worker" "$kind" --http-port "$port" >> "$LOGS/$name.log" 2>&1 &
  echo $! > "$RUN/$name.pid"
  STARTED+=("$name:$port")
}

# Waits up to 60 s for each worker started by this run (STARTED) to answer /health/ready.
STARTED=()
wait_started() {
  local entry name port
  for entry in "${STARTED[@]}"; do
    name="${entry%%:*}"; port="${entry##*:}"
    for _ in $(seq 1 300); do
      curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
      alive "$RUN/$name.pid" || { echo "$name exited; see $LOGS/$name.log" >&2; exit 1; }
      sleep 0.2
    done
    curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 \
      || { echo "$name not ready after 60 s; see $LOGS/$name.log" >&2; exit 1; }
    echo "$name ready (127.0.0.1:$port/health/ready)"
  done
  STARTED=()
}

# SIGTERM (the processes drain), up to 30 s each, then SIGKILL.
stop_pid_files() {
  local pids=()
  local names=() i started=$SECONDS
  for f in "$@"; do
    [ -f "$f" ] || continue
    if alive "$f"; then
      pid=$(cat "$f"); kill -TERM "$pid" 2>/dev/null && pids+=("$pid") && names+=("$(basename "$f" .pid)") || true
    fi
    rm -f "$f"
  done
  [ ${#pids[@]} -gt 0 ] && echo "draining ${names[*]} (SIGTERM)"
  for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      echo "${names[$i]} did not stop within 30 s: killed (SIGKILL)"
    else
      echo "${names[$i]} stopped ($(( SECONDS - started )) s)"
    fi
  done
}

# Prometheus's file_sd targets: one per running worker (deploy/local/monitoring.sh).
write_targets() {
  local sd="${TALENT_PROMETHEUS_HOME:-$TALENT_HOME/prometheus}/targets" targets=() kind i name
  mkdir -p "$sd"
  for kind in "${KINDS[@]}"; do
    for f in "$RUN/$(prefix "$kind")"-*.pid; do
      [ -f "$f" ] || continue
      name=$(basename "$f" .pid); i=${name##*-}
      targets+=("{\"targets\": [\"127.0.0.1:$(( $(port_base "$kind") + i ))\"], \"labels\": {\"worker_kind\": \"$kind\", \"name\": \"$name\"}}")
    done
  done
  (IFS=,; echo "[${targets[*]}]") > "$sd/workers.json.tmp"
  mv "$sd/workers.json.tmp" "$sd/workers.json"
}

# Exactly COUNT workers of KIND: starts the missing ones (1…COUNT), drains and stops those above.
scale() {
  local kind="$1" count="$2" bin="$3" name i
  [[ "$count" =~ ^[0-9]+$ ]] || { echo "COUNT must be a whole number, not $count" >&2; exit 64; }
  for i in $(seq 1 "$count"); do start_worker "$bin" "$kind" "$i"; done
  local extra=()
  for f in "$RUN/$(prefix "$kind")"-*.pid; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .pid); i=${name##*-}
    [ "$i" -gt "$count" ] && extra+=("$f")
  done
  [ ${#extra[@]} -gt 0 ] && stop_pid_files "${extra[@]}"
  write_targets
  wait_started
  echo "$kind: $count worker(s) running"
}

start() {
  local bin="$1" kind i counts=()
  stop
  for kind in "${KINDS[@]}"; do
    for i in $(seq 1 "$(default_count "$kind")"); do start_worker "$bin" "$kind" "$i"; done
    counts+=("$(default_count "$kind") $kind")
  done
  write_targets
  require_free_port "$TALENT_HTTP_PORT" gateway
  TALENT_HTTP_PORT="$TALENT_HTTP_PORT" nohup "$bin/talent-gateway" >> "$LOGS/gateway.log" 2>&1 &
  echo $! > "$RUN/gateway.pid"
  for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$TALENT_HTTP_PORT/health/ready" >/dev/null 2>&1; then
      wait_started
      (IFS=,; echo "gateway ready on 127.0.0.1:$TALENT_HTTP_PORT; workers:${counts[*]}")
      return
    fi
    sleep 0.2
  done
  echo "gateway did not become ready; see $LOGS/gateway.log" >&2
  exit 1
}

stop() {
  stop_pid_files "$RUN"/*.pid
  write_targets
}

# The workers of KIND the system has (pid files: a worker that crashed still counts, so a restart
# brings it back).
configured() {
  local n=0
  for f in "$RUN/$(prefix "$1")"-*.pid; do [ -f "$f" ] && n=$(( n + 1 )); done
  echo "$n"
}

# Stops and starts everything with as many workers of each kind as it has (scaled counts are kept);
# when it has none, with the defaults (TALENT_WORKERS, TALENT_ASSOCIATION_WORKERS, TALENT_PROFILE_WORKERS, TALENT_NOTICE_WORKERS,
# TALENT_ELIGIBILITY_WORKERS).
restart() {
  local bin="$1" kind any=0
  [ -f "$RUN/gateway.pid" ] && any=1
  for kind in "${KINDS[@]}"; do [ "$(configured "$kind")" != 0 ] && any=1; done
  if [ "$any" = 1 ]; then
    TALENT_WORKERS="$(configured attachment.validation)" TALENT_ASSOCIATION_WORKERS="$(configured association.decision)" \
      TALENT_PROFILE_WORKERS="$(configured unit.profile)" TALENT_NOTICE_WORKERS="$(configured notice.fanout)" \
      TALENT_ELIGIBILITY_WORKERS="$(configured eligibility.check)" start "$bin"
  else
    start "$bin"
  fi
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
  restart) restart "${2:?bin dir}" ;;
  stop) stop ;;
  scale) scale "${2:?kind}" "${3:?count}" "${4:?bin dir}" ;;
  memory) memory ;;
  *) echo "usage: $0 start BIN_DIR | restart BIN_DIR | stop | scale KIND COUNT BIN_DIR | memory" >&2; exit 64 ;;
esac
