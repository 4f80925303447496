#!/usr/bin/env bash
# A PostgreSQL streaming replica of the local primary (deploy/local/services.sh), on loopback port
# $TALENT_PG_REPLICA_PORT (54330), data in $TALENT_SERVICES_HOME/postgres-replica. Made once with
# pg_basebackup (-R: it follows the primary; a replication slot keeps the WAL it has not received yet);
# afterwards start and stop only start and stop it. The gateway reads lists that may lag from it when
# TALENT_POSTGRES_REPLICA_URL names it (README, "Past one machine"). The copy is made in a folder of its
# own and moved into place when complete, so an interrupted first start leaves no half replica; the
# primary keeps at most 2 GB of WAL for a replica that stays away (max_slot_wal_keep_size).
#
# Usage: deploy/local/replica.sh start | stop | status | url | data | drop (stop, remove the data and the slot)
set -euo pipefail
source "$(dirname "$0")/env.sh"

export TALENT_PG_REPLICA_PORT="${TALENT_PG_REPLICA_PORT:-54330}"
DATA="$TALENT_SERVICES_HOME/postgres-replica"
SLOT=talent_replica
PRIMARY=(-h 127.0.0.1 -p "$TALENT_PG_PORT" -U postgres)

start() {
  if [ ! -f "$DATA/PG_VERSION" ]; then
    local partial="$DATA.partial"
    rm -rf "$DATA" "$partial" && mkdir -p "$partial" && chown postgres:postgres "$partial" && chmod 700 "$partial"
    psql "${PRIMARY[@]}" -qc "ALTER SYSTEM SET max_slot_wal_keep_size = '2GB'" -c "SELECT pg_reload_conf()" postgres >/dev/null
    psql "${PRIMARY[@]}" -qtAc "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$SLOT'" postgres | grep -q 1 \
      && psql "${PRIMARY[@]}" -qc "SELECT pg_drop_replication_slot('$SLOT')" postgres >/dev/null
    runuser -u postgres -- "$PG_BIN/pg_basebackup" "${PRIMARY[@]}" -D "$partial" -R -X stream -c fast -C -S "$SLOT" \
      > "$TALENT_SERVICES_HOME/replica-basebackup.log" 2>&1 || { cat "$TALENT_SERVICES_HOME/replica-basebackup.log" >&2; exit 1; }
    cat >> "$partial/postgresql.conf" <<CONF
# talent-platform replica
port = $TALENT_PG_REPLICA_PORT
unix_socket_directories = '$DATA'
hot_standby = on
hot_standby_feedback = on
CONF
    mv "$partial" "$DATA"
  fi
  if runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    echo "postgresql replica on 127.0.0.1:$TALENT_PG_REPLICA_PORT (running)"; return 0
  fi
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w start >/dev/null
  echo "postgresql replica on 127.0.0.1:$TALENT_PG_REPLICA_PORT"
}

stop() {
  [ -f "$DATA/PG_VERSION" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1 && echo "replica: running" || echo "replica: stopped" ;;
  url) echo "host=127.0.0.1 port=$TALENT_PG_REPLICA_PORT dbname=$TALENT_DATABASE user=postgres connect_timeout=2 tcp_user_timeout=5000" ;;
  data) echo "$DATA" ;;
  drop)
    stop
    rm -rf "$DATA" "$DATA.partial"
    psql "${PRIMARY[@]}" -qc "SELECT pg_drop_replication_slot('$SLOT') WHERE EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$SLOT')" postgres >/dev/null
    echo "replica dropped" ;;
  *) echo "usage: $0 start|stop|status|url|data|drop" >&2; exit 64 ;;
esac
