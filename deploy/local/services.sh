#!/usr/bin/env bash
# Installs (Debian packages) and starts/stops PostgreSQL and RabbitMQ on loopback, data under
# $TALENT_SERVICES_HOME (default $TALENT_HOME).
# Usage: deploy/local/services.sh install|start|stop|status
set -euo pipefail
source "$(dirname "$0")/env.sh"

PACKAGES=(postgresql rabbitmq-server librabbitmq-dev libpq-dev libmagic-dev libmagic-mgc libpng-dev
  libturbojpeg0-dev libqpdf-dev pkg-config python3 python3-venv curl prometheus)

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then echo "need root to apt-get install ${missing[*]}" >&2; exit 1; fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

start_postgres() {
  local data="$TALENT_SERVICES_HOME/postgres"
  mkdir -p "$TALENT_SERVICES_HOME"
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data" && chown postgres:postgres "$data"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $TALENT_PG_PORT
unix_socket_directories = '$data'
max_connections = 200
fsync = on
CONF
  fi
  # Settings added after a data folder was made are appended once (they take effect at the next
  # start). Commit times of rows (pg_xact_commit_timestamp) give the benchmark its request →
  # committed-effect latencies; the memory and checkpoint settings suit a 24 GiB machine under a
  # write-heavy job load (fewer full-page writes); pg_stat_statements profiles the statements;
  # durability (fsync, synchronous_commit) is untouched.
  if ! grep -q "^# talent-platform settings v2" "$data/postgresql.conf"; then
    cat >> "$data/postgresql.conf" <<CONF
# talent-platform settings v2
track_commit_timestamp = on
shared_preload_libraries = 'pg_stat_statements'

shared_buffers = 512MB
max_wal_size = 4GB
checkpoint_timeout = 15min
CONF
  fi
  if runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    # A server started before the settings above were appended: restart it once to take them.
    [ "$(psql -h 127.0.0.1 -p "$TALENT_PG_PORT" -U postgres -tAc 'SHOW track_commit_timestamp' 2>/dev/null)" = off ] \
      || { echo "postgresql on 127.0.0.1:$TALENT_PG_PORT (running)"; return 0; }
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -m fast restart >/dev/null
    return
  fi
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w start >/dev/null
  psql -h 127.0.0.1 -p "$TALENT_PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$TALENT_DATABASE'" \
    | grep -q 1 || psql -h 127.0.0.1 -p "$TALENT_PG_PORT" -U postgres -qc "CREATE DATABASE $TALENT_DATABASE" >/dev/null
  echo "postgresql on 127.0.0.1:$TALENT_PG_PORT"
}

start_rabbitmq() {
  mkdir -p "$TALENT_SERVICES_HOME/rabbitmq/log" "$TALENT_SERVICES_HOME/rabbitmq/mnesia"
  : > "$RABBITMQ_CONF_ENV_FILE"
  # rabbitmq_prometheus: queue depths and consumers for Prometheus (deploy/local/monitoring.sh).
  echo "[rabbitmq_prometheus]." > "$RABBITMQ_ENABLED_PLUGINS_FILE"
  cat > "$RABBITMQ_CONFIG_FILE.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$TALENT_AMQP_PORT
loopback_users.guest = true
raft.wal_max_size_bytes = 64000000
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $TALENT_RABBITMQ_PROMETHEUS_PORT
CONF
  if "$RABBIT_BIN/rabbitmqctl" -q status >/dev/null 2>&1; then
    # A node started before the plugin and its loopback port were configured (both are read at boot
    # only): restart it once, so that the plugin listens on 127.0.0.1 and the configured port.
    curl -sf "http://127.0.0.1:$TALENT_RABBITMQ_PROMETHEUS_PORT/metrics" -o /dev/null \
      && { echo "rabbitmq on 127.0.0.1:$TALENT_AMQP_PORT (running)"; return 0; }
    echo "restarting rabbitmq to load rabbitmq_prometheus on 127.0.0.1:$TALENT_RABBITMQ_PROMETHEUS_PORT"
    "$RABBIT_BIN/rabbitmqctl" -q shutdown >/dev/null 2>&1 || true
  fi
  "$RABBIT_BIN/rabbitmq-server" -detached >/dev/null 2>&1 || true
  "$RABBIT_BIN/rabbitmqctl" -q wait "$RABBITMQ_PID_FILE" --timeout 120 >/dev/null
  echo "rabbitmq on 127.0.0.1:$TALENT_AMQP_PORT"
}

stop_all() {
  if [ -f "$TALENT_SERVICES_HOME/postgres/PG_VERSION" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$TALENT_SERVICES_HOME/postgres" -m fast stop >/dev/null 2>&1 || true
  fi
  "$RABBIT_BIN/rabbitmqctl" -q shutdown >/dev/null 2>&1 || true
  pkill -f "epmd.*-address 127.0.0.1" >/dev/null 2>&1 || true
}

case "${1:-start}" in
  install) install_packages ;;
  start) install_packages; start_postgres; start_rabbitmq ;;
  stop) stop_all ;;
  status)
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$TALENT_SERVICES_HOME/postgres" status || true
    "$RABBIT_BIN/rabbitmqctl" -q status >/dev/null 2>&1 && echo "rabbitmq: running" || echo "rabbitmq: stopped" ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 64 ;;
esac
