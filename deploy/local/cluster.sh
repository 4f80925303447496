#!/usr/bin/env bash
# A three-node RabbitMQ cluster on this machine, for the cluster fault suite and for trying failover.
#
# Each node runs in a network namespace of its own (talent-rmq-1 … -3), joined to the host by a veth
# pair on a bridge of this script's (talentbr0, 10.203.0.1/24): node N listens on 10.203.0.1N, AMQP
# port 5672, Erlang distribution 25672, its own epmd. Nothing listens beyond the host: the bridge has
# no uplink. Namespaces let a test cut one node off (`partition N`: its veth goes down) while its
# process keeps running, as a switch failure would. The nodes share one Erlang cookie (HOME below) and
# the data folders under $TALENT_HOME/cluster/node-N; node 2 and 3 join node 1 (`join_cluster`). Long
# node names (talent@10.203.0.1N); `cluster_partition_handling = pause_minority`, so a cut-off node
# stops serving until it sees the majority again; `net_ticktime` 10 s (default 60), so that nodes notice
# a cut-off peer within about 10 s.
#
# Clients take the list `addresses` prints (TALENT_AMQP_ADDRESSES); guest may connect from the host
# (`loopback_users = none`: the bridge is reachable from this machine only).
#
# Usage: deploy/local/cluster.sh start | stop | reset (stop, remove the data) | status | addresses
#        | kill N | stop-node N | start-node N | partition N | heal N | ctl N ARGS… | leader VHOST QUEUE
set -euo pipefail
source "$(dirname "$0")/env.sh"

CLUSTER_HOME="${TALENT_CLUSTER_HOME:-$TALENT_HOME/cluster}"
NODES=(1 2 3)
BRIDGE=talentbr0
SUBNET=10.203.0

node_ip() { echo "$SUBNET.1$1"; }
node_name() { echo "talent@$(node_ip "$1")"; }
namespace() { echo "talent-rmq-$1"; }

# Runs a RabbitMQ command as node N's server or CLI: inside its namespace, with its environment.
in_node() {
  local n="$1"; shift
  local dir="$CLUSTER_HOME/node-$n" ip; ip="$(node_ip "$n")"
  # CTL_TIMEOUT (seconds): a deadline for a CLI call.
  ${CTL_TIMEOUT:+timeout "$CTL_TIMEOUT"} ip netns exec "$(namespace "$n")" env -i PATH="$PATH" HOME="$CLUSTER_HOME/home" LANG=C.UTF-8 \
    RABBITMQ_USE_LONGNAME=true RABBITMQ_NODENAME="$(node_name "$n")" RABBITMQ_NODE_IP_ADDRESS="$ip" \
    RABBITMQ_NODE_PORT=5672 RABBITMQ_DIST_PORT=25672 ERL_EPMD_ADDRESS="$ip" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_CONFIG_FILE="$dir/rabbitmq" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" RABBITMQ_PID_FILE="$dir/rabbitmq.pid" \
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {${ip//./,}} -kernel net_ticktime 10" "$@"
}

network_up() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$SUBNET.1/24" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  for n in "${NODES[@]}"; do
    local ns; ns="$(namespace "$n")"
    ip netns list | grep -qw "$ns" || ip netns add "$ns"
    if ! ip link show "trmq$n" >/dev/null 2>&1; then
      ip link add "trmq$n" type veth peer name eth0 netns "$ns"
      ip link set "trmq$n" master "$BRIDGE"
      ip -n "$ns" addr add "$(node_ip "$n")/24" dev eth0
    fi
    ip link set "trmq$n" up
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
  done
}

network_down() {
  for n in "${NODES[@]}"; do
    ip link del "trmq$n" >/dev/null 2>&1 || true
    ip netns del "$(namespace "$n")" >/dev/null 2>&1 || true
  done
  ip link del "$BRIDGE" >/dev/null 2>&1 || true
}

configure_node() {
  local n="$1" dir="$CLUSTER_HOME/node-$1"
  mkdir -p "$dir/log" "$dir/mnesia"
  : > "$dir/rabbitmq-env.conf"
  echo "[]." > "$dir/enabled_plugins"
  cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.1 = $(node_ip "$n"):5672
loopback_users = none
cluster_partition_handling = pause_minority
raft.wal_max_size_bytes = 64000000
CONF
}

# Every rabbitmqctl call has a deadline: a node stuck in RabbitMQ's own partition recovery can leave the
# CLI waiting forever.
running() { CTL_TIMEOUT=30 in_node "$1" "$RABBIT_BIN/rabbitmqctl" -q status >/dev/null 2>&1; }

start_node() {
  local n="$1"
  configure_node "$n"
  if running "$n"; then return 0; fi
  in_node "$n" "$RABBIT_BIN/rabbitmq-server" -detached >/dev/null 2>&1 || true
  CTL_TIMEOUT=150 in_node "$n" "$RABBIT_BIN/rabbitmqctl" -q wait "$CLUSTER_HOME/node-$n/rabbitmq.pid" --timeout 120 >/dev/null
}

# Joins node N to node 1 unless it already is a member.
join_node() {
  local n="$1"
  CTL_TIMEOUT=60 in_node 1 "$RABBIT_BIN/rabbitmqctl" -q cluster_status --formatter json 2>/dev/null \
    | grep -q "\"$(node_name "$n")\"" && return 0
  CTL_TIMEOUT=120 in_node "$n" "$RABBIT_BIN/rabbitmqctl" -q stop_app
  CTL_TIMEOUT=120 in_node "$n" "$RABBIT_BIN/rabbitmqctl" -q join_cluster "$(node_name 1)"
  CTL_TIMEOUT=120 in_node "$n" "$RABBIT_BIN/rabbitmqctl" -q start_app
}

start_cluster() {
  command -v ip >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null; }
  mkdir -p "$CLUSTER_HOME/home"
  if [ ! -f "$CLUSTER_HOME/home/.erlang.cookie" ]; then
    head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$CLUSTER_HOME/home/.erlang.cookie"
    chmod 400 "$CLUSTER_HOME/home/.erlang.cookie"
  fi
  network_up
  start_node 1
  for n in 2 3; do start_node "$n"; join_node "$n"; done
  echo "rabbitmq cluster: $(addresses)"
}

# `rabbitmqctl shutdown`, and SIGKILL when it does not finish within a minute.
stop_node() {
  CTL_TIMEOUT=60 in_node "$1" "$RABBIT_BIN/rabbitmqctl" -q shutdown >/dev/null 2>&1 || kill_node "$1"
}

# SIGKILL of node N's Erlang VM (beam.smp), as a crash would.
kill_node() {
  local pid
  pid="$(cat "$CLUSTER_HOME/node-$1/rabbitmq.pid" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$CLUSTER_HOME/node-$1/rabbitmq.pid"
}

stop_cluster() {
  # Followers first, node 1 last: the last node down is the first that may boot alone.
  for n in 3 2 1; do
    if ip netns list 2>/dev/null | grep -qw "$(namespace "$n")"; then
      ip link set "trmq$n" up 2>/dev/null || true
      stop_node "$n"
      ip netns pids "$(namespace "$n")" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    fi
  done
  network_down
}

addresses() {
  local list=()
  for n in "${NODES[@]}"; do list+=("$(node_ip "$n"):5672"); done
  (IFS=,; echo "${list[*]}")
}

node_arg() {
  case "${1:-}" in 1|2|3) ;; *) echo "node must be 1, 2 or 3" >&2; exit 64 ;; esac
}

case "${1:-start}" in
  start) start_cluster ;;
  stop) stop_cluster; echo "rabbitmq cluster stopped" ;;
  reset) stop_cluster; rm -rf "$CLUSTER_HOME"; echo "rabbitmq cluster stopped, its data removed" ;;
  status)
    for n in "${NODES[@]}"; do
      if running "$n"; then echo "$(node_name "$n"): running"; else echo "$(node_name "$n"): stopped"; fi
    done ;;
  addresses) addresses ;;
  kill) node_arg "${2:-}"; kill_node "$2" ;;
  stop-node) node_arg "${2:-}"; stop_node "$2" ;;
  start-node) node_arg "${2:-}"; configure_node "$2"; start_node "$2" ;;
  partition) node_arg "${2:-}"; ip link set "trmq$2" down ;;
  heal) node_arg "${2:-}"; ip link set "trmq$2" up ;;
  ctl) node_arg "${2:-}"; n="$2"; shift 2; CTL_TIMEOUT="${CTL_TIMEOUT:-300}" in_node "$n" "$RABBIT_BIN/rabbitmqctl" "$@" ;;
  leader)
    # The node (1, 2 or 3) holding the leader of a quorum queue, asked of any running node.
    for n in "${NODES[@]}"; do
      if line="$(CTL_TIMEOUT=30 in_node "$n" "$RABBIT_BIN/rabbitmqctl" -q list_queues -p "$2" name leader --no-table-headers 2>/dev/null \
        | awk -v q="$3" '$1 == q { print $2 }')" && [ -n "$line" ]; then
        echo "${line##*.}" | sed 's/^1//'; exit 0
      fi
    done
    echo "no running node knows queue $3 in $2" >&2; exit 1 ;;
  *) echo "usage: $0 start|stop|reset|status|addresses|kill N|stop-node N|start-node N|partition N|heal N|ctl N ARGS|leader VHOST QUEUE" >&2; exit 64 ;;
esac
