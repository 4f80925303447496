#!/usr/bin/env bash
# The second command: installs what is missing, starts PostgreSQL and RabbitMQ on loopback, gives the
# tests a fresh database and virtual host, checks formatting, builds, and runs every test (unit and
# integration, against the real services).
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/local/env.sh

deploy/local/services.sh start
deploy/local/replica.sh start
# Replay left paused by an interrupted run of the replica tests would keep the new talent_test from it.
psql -h 127.0.0.1 -p "${TALENT_PG_REPLICA_PORT:-54330}" -U postgres -qtAc "SELECT pg_wal_replay_resume()" postgres >/dev/null
PSQL=(psql -h 127.0.0.1 -p "$TALENT_PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q)
"${PSQL[@]}" -c "DROP DATABASE IF EXISTS talent_test WITH (FORCE)" -c "CREATE DATABASE talent_test" postgres
RMQ=/usr/lib/rabbitmq/bin/rabbitmqctl
"$RMQ" -q delete_vhost talent_test >/dev/null 2>&1 || true
"$RMQ" -q add_vhost talent_test >/dev/null
"$RMQ" -q set_permissions -p talent_test guest ".*" ".*" ".*" >/dev/null

echo "== swift format lint --strict"
swift format lint --strict --recursive Package.swift Sources Tests

echo "== architecture (docs/architecture.md: who may import whom; Package.swift declares every import)"
python3 scripts/check-architecture.py

echo "== Kubernetes manifests (deploy/kubernetes: API schemas, custom resources, names the code uses)"
K8S_VENV="$TALENT_HOME/k8s-venv"
"$K8S_VENV/bin/python" -c "import kubernetes_validate" 2>/dev/null \
  || { python3 -m venv "$K8S_VENV" && "$K8S_VENV/bin/pip" install -q kubernetes-validate==1.37.0; }
"$K8S_VENV/bin/python" scripts/check-kubernetes.py

echo "== build"
# The same products as the run command (deploy/local/up.sh), so neither relinks the other's; a failed
# build fails this command (its own exit status), and no stale binary runs.
if ! swift build --build-tests > "$TALENT_HOME/build.log" 2>&1; then
  grep -E "error" "$TALENT_HOME/build.log" | head -40 || true
  echo "build failed (full log: $TALENT_HOME/build.log)" >&2; exit 1
fi
grep -E "warning:|Build complete" "$TALENT_HOME/build.log" | grep -v "unhandled" || true
BIN="$(swift build --show-bin-path)"

echo "== systemd units (systemd-analyze verify, against this build's binaries)"
command -v systemd-analyze >/dev/null 2>&1 \
  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null; }
UNITS="$TALENT_HOME/systemd-verify"
rm -rf "$UNITS" && mkdir -p "$UNITS"
for unit in deploy/systemd/*.service; do sed "s|/opt/talent/bin|$BIN|g" "$unit" > "$UNITS/$(basename "$unit")"; done
for kind in attachment.validation association.decision unit.profile notice.fanout eligibility.check; do cp "$UNITS/talent-worker@.service" "$UNITS/talent-worker@$kind.service"; done
systemd-analyze verify --man=no "$UNITS/talent-gateway.service" "$UNITS"/talent-worker@?*.service

export TALENT_TEST_BIN="$BIN"
export TALENT_TEST_POSTGRES_URL="host=127.0.0.1 port=$TALENT_PG_PORT dbname=talent_test user=postgres"
export TALENT_TEST_AMQP_PORT="$TALENT_AMQP_PORT"
export TALENT_TEST_AMQP_VHOST="talent_test"
export TALENT_TEST_CORPUS="${TALENT_CORPUS:-$TALENT_ROOT/../shared/corpus/attachments}"
export TALENT_TEST_RUN_DIR="$TALENT_HOME/test-run"
export TALENT_TEST_HTTP_PORT="${TALENT_TEST_HTTP_PORT:-58090}"
export TALENT_SCHEMAS_DIR="$TALENT_ROOT/schemas"
# The replica of the test database (ReplicaReadTests pause its replay, stop and start it).
export TALENT_TEST_REPLICA_URL="host=127.0.0.1 port=${TALENT_PG_REPLICA_PORT:-54330} dbname=talent_test user=postgres connect_timeout=2 tcp_user_timeout=5000"
export TALENT_TEST_REPLICA_SCRIPT="$TALENT_ROOT/deploy/local/replica.sh"
# Processes an interrupted earlier run left (pid files anywhere under the run folder: gateways,
# workers, Prometheus) would hold the test ports and answer for the new ones: end them first.
if [ -d "$TALENT_TEST_RUN_DIR" ]; then
  find "$TALENT_TEST_RUN_DIR" -name "*.pid" -type f | while read -r f; do
    pid=$(cat "$f" 2>/dev/null || true)
    [ -n "$pid" ] && grep -qaE "talent-|prometheus" "/proc/$pid/cmdline" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  done
fi
rm -rf "$TALENT_TEST_RUN_DIR" && mkdir -p "$TALENT_TEST_RUN_DIR"

cleanup() {
  for f in "$TALENT_TEST_RUN_DIR"/*.pid; do
    [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true
  done
}
# An interrupted run also leaves no cluster behind (stopping one that is not running is quick).
trap 'cleanup; deploy/local/cluster.sh stop >/dev/null 2>&1 || true' EXIT

# In a subshell: points the local scripts at the test database and virtual host, with its own home
# ($TALENT_TEST_RUN_DIR/NAME-home), keys and gateway port, migrated and with the topology declared.
use_test_system() {
  local name="$1" port="$2"
  export TALENT_POSTGRES_URL="$TALENT_TEST_POSTGRES_URL" TALENT_AMQP_PORT="$TALENT_TEST_AMQP_PORT" \
    TALENT_AMQP_VHOST="$TALENT_TEST_AMQP_VHOST" TALENT_HTTP_PORT="$port" TALENT_HOME="$TALENT_TEST_RUN_DIR/$name-home" \
    TALENT_JWT_PRIVATE_KEY="$TALENT_TEST_RUN_DIR/keys/$name-private.pem" \
    TALENT_JWT_JWKS="$TALENT_TEST_RUN_DIR/keys/$name-jwks.json" \
    TALENT_SERVICE_PRIVATE_KEY="$TALENT_TEST_RUN_DIR/keys/$name-service-private.pem" \
    TALENT_SERVICE_PUBLIC_KEY="$TALENT_TEST_RUN_DIR/keys/$name-service-public.pem"
  mkdir -p "$TALENT_HOME/logs"
  "$BIN/talentctl" migrate >/dev/null
  "$BIN/talentctl" topology >/dev/null
  "$BIN/talentctl" dev-keys >/dev/null
}

echo "== swift test"
swift test --skip-build "$@"

# Fault injection: restarts the shared services, so it runs alone after the other tests.
# TALENT_SKIP_FAULTS=1 skips it for quick local runs.
if [ "${TALENT_SKIP_FAULTS:-0}" != 1 ] && [ $# -eq 0 ]; then
  echo "== fault injection"
  cleanup  # processes left by the first run would hold the test ports
  TALENT_TEST_FAULTS=1 timeout 1200 swift test --skip-build --filter FaultTests 2>&1 | tee "$TALENT_TEST_RUN_DIR/faults.log" \
    | grep -vE "^[0-9T:+-]+ (info|debug)"
  test "${PIPESTATUS[0]}" = 0
  printf 'fault\taccepted\teffects\tduplicates\tlost\n'
  grep -E "^fault	" "$TALENT_TEST_RUN_DIR/faults.log" | sed 's/^fault	//'
fi

# Cluster faults: a three-node RabbitMQ cluster in network namespaces of this machine
# (deploy/local/cluster.sh), its own virtual host, every process given the three addresses and 5 s
# heartbeats; leader and follower killed, a node stopped and restarted, the node a worker consumes from
# killed while it holds deliveries, the leader's node partitioned and healed (Tests/FaultTests/
# ClusterFaultTests.swift). The cluster is stopped afterwards. TALENT_SKIP_CLUSTER=1 skips it.
if [ "${TALENT_SKIP_CLUSTER:-0}" != 1 ] && [ $# -eq 0 ]; then
  echo "== cluster faults (deploy/local/cluster.sh)"
  cleanup
  CLUSTER=deploy/local/cluster.sh
  # A new cluster each run: nodes left killed or cut off by an interrupted run start over.
  "$CLUSTER" reset >/dev/null
  "$CLUSTER" start
  "$CLUSTER" ctl 1 -q delete_vhost talent_cluster >/dev/null 2>&1 || true
  "$CLUSTER" ctl 1 -q add_vhost talent_cluster >/dev/null
  "$CLUSTER" ctl 1 -q set_permissions -p talent_cluster guest ".*" ".*" ".*" >/dev/null
  # The quorum-queue policy of deploy/kubernetes/rabbitmq.yaml: leaders spread over the nodes.
  "$CLUSTER" ctl 1 -q set_policy -p talent_cluster --apply-to queues talent-quorum-queues \
    '^(attachment\.validation|association\.decision|unit\.profile|notice\.fanout|eligibility\.check)(\.retry\.[0-9]+|\.dead)?$' \
    '{"queue-leader-locator":"balanced"}' >/dev/null
  (
    export TALENT_TEST_CLUSTER=1 TALENT_TEST_AMQP_ADDRESSES="$("$CLUSTER" addresses)" TALENT_TEST_AMQP_VHOST=talent_cluster \
      TALENT_TEST_CLUSTER_SCRIPT="$TALENT_ROOT/$CLUSTER" TALENT_AMQP_HEARTBEAT_SECONDS=5
    timeout 1500 swift test --skip-build --filter ClusterFaultTests 2>&1 | tee "$TALENT_TEST_RUN_DIR/cluster-faults.log" \
      | grep -vE "^[0-9T:+-]+ (info|debug)"
    test "${PIPESTATUS[0]}" = 0
  ) || { cleanup; "$CLUSTER" stop; exit 1; }
  cleanup
  "$CLUSTER" stop
  printf 'cluster fault\taccepted\teffects\tduplicates\tlost\tanswered other than 202\tseconds below half the rate\tlast such second after the fault\n'
  grep -E "^cluster	" "$TALENT_TEST_RUN_DIR/cluster-faults.log" | sed 's/^cluster	//'
  grep -E "^cluster-detail	" "$TALENT_TEST_RUN_DIR/cluster-faults.log" | sed 's/^cluster-detail	//' || true
fi

# HTTP fuzzing from the OpenAPI document against seeded data, with a unit and a service token: no
# 5xx, every response in its documented shape, every operation reached with a 2xx (scripts/fuzz.sh).
# TALENT_SKIP_FUZZ=1 skips it for quick local runs.
if [ "${TALENT_SKIP_FUZZ:-0}" != 1 ] && [ $# -eq 0 ]; then
  echo "== HTTP fuzzing (schemathesis, scripts/fuzz.sh)"
  VENV="$TALENT_HOME/venv"
  [ -x "$VENV/bin/schemathesis" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q schemathesis==4.32.5; }
  cleanup
  scripts/fuzz.sh "$BIN" "$TALENT_TEST_RUN_DIR" "$VENV"
  echo "fuzzing: no failures; every operation reached with a 2xx ($TALENT_TEST_RUN_DIR/fuzz-coverage.md)"
fi

# Monitoring: the alert rules checked and unit-tested (promtool), the dashboard's two forms up to date,
# then the local stack end to end on the test database and virtual host: gateway, workers and
# Prometheus, a small demo, every panel's query answered by the live Prometheus, and a screenshot of the
# dashboard page by headless Chromium (.local/dashboard-test.png); then the operator's commands on that
# system (scripts/check-operations.sh). TALENT_SKIP_MONITORING=1 skips the end-to-end part.
echo "== monitoring: promtool check rules, promtool test rules, dashboard files"
promtool check rules deploy/prometheus/alerts.yml
promtool test rules deploy/prometheus/alerts_test.yml
python3 deploy/dashboard/generate.py --check
if [ "${TALENT_SKIP_MONITORING:-0}" != 1 ] && [ $# -eq 0 ]; then
  echo "== monitoring: the local stack end to end"
  cleanup
  (
    # Clear of the local system's ports (58100 + i … 58500 + i): the README's first command leaves it running.
    export TALENT_PROMETHEUS_PORT=59091 TALENT_ATTACHMENT_WORKER_PORT_BASE=58700 \
      TALENT_ASSOCIATION_WORKER_PORT_BASE=58750 TALENT_PROFILE_WORKER_PORT_BASE=58800 TALENT_NOTICE_WORKER_PORT_BASE=58850 \
      TALENT_ELIGIBILITY_WORKER_PORT_BASE=58900
    use_test_system monitoring 58093
    stop_monitoring() { deploy/local/monitoring.sh stop; deploy/local/processes.sh stop; }
    trap stop_monitoring EXIT
    deploy/local/processes.sh start "$BIN"
    deploy/local/monitoring.sh start
    mkdir -p "$TALENT_HOME/demo-files"
    # (sed reads its whole input: `head` would end `find` with SIGPIPE, which pipefail turns into a failure)
    find "$TALENT_TEST_CORPUS/files" -maxdepth 1 -type f | sort | sed -n '1,40p' | xargs -I{} cp {} "$TALENT_HOME/demo-files/"
    "$BIN/talentctl" upload "$TALENT_HOME/demo-files" --gateway "http://127.0.0.1:$TALENT_HTTP_PORT" >/dev/null
    "$BIN/talentctl" demo associations --gateway "http://127.0.0.1:$TALENT_HTTP_PORT" >/dev/null
    "$BIN/talentctl" demo key-rotation --gateway "http://127.0.0.1:$TALENT_HTTP_PORT"
    "$BIN/talentctl" demo notices --gateway "http://127.0.0.1:$TALENT_HTTP_PORT"
    "$BIN/talentctl" demo eligibility --gateway "http://127.0.0.1:$TALENT_HTTP_PORT"
    "$BIN/talentctl" rules show
    deploy/local/monitoring.sh check "$TALENT_ROOT/.local/dashboard-test.png"
    echo "== operator commands: workers scale, system restart, settings (scripts/check-operations.sh)"
    mkdir -p "$TALENT_HOME/ops-files"
    find "$TALENT_HOME/demo-files" -maxdepth 1 -type f | sort | sed -n '1,6p' | xargs -I{} cp {} "$TALENT_HOME/ops-files/"
    scripts/check-operations.sh "$BIN" "$TALENT_HOME/ops-files"
  )
fi

# A smoke run of the benchmark command's measures with tiny counts, on the test database and virtual
# host (its figures mean nothing; scripts/bench.sh is the benchmark). TALENT_SKIP_BENCH=1 skips it.
if [ "${TALENT_SKIP_BENCH:-0}" != 1 ] && [ $# -eq 0 ]; then
  echo "== benchmark smoke run (benchmarks/bench.py --smoke)"
  dpkg -s wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
  BENCH_VENV="$TALENT_HOME/bench-venv"
  "$BENCH_VENV/bin/python" -c "import celery, psycopg" 2>/dev/null \
    || { python3 -m venv "$BENCH_VENV" && "$BENCH_VENV/bin/pip" install -q -r benchmarks/celery/requirements.txt; }
  cleanup
  (
    use_test_system bench 58092
    timeout 900 "$BENCH_VENV/bin/python" benchmarks/bench.py --bin "$BIN" --smoke > "$TALENT_TEST_RUN_DIR/bench-smoke.md" \
      2> "$TALENT_TEST_RUN_DIR/bench-smoke.log" || { tail -30 "$TALENT_TEST_RUN_DIR/bench-smoke.log"; exit 1; }
    grep -c "^| " "$TALENT_TEST_RUN_DIR/bench-smoke.md" | xargs -I{} echo "benchmark smoke: table of {} lines (full output: $TALENT_TEST_RUN_DIR/bench-smoke.md)"
  )
fi
