#!/usr/bin/env bash
# The operator's commands end to end on a running local system (the test command runs it on its test
# system, with Prometheus): `talentctl workers scale` up and down (processes, readiness, Prometheus's
# targets, work served), `talentctl system restart` (scaled counts kept, work served after it), and the
# settings read without `source deploy/local/env.sh` (or refused at once outside a checkout).
# Usage: scripts/check-operations.sh BIN_DIR FILES_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/local/env.sh
BIN="$1" FILES="$2"
CTL="$BIN/talentctl"
RUN="$TALENT_HOME/run"
PROMETHEUS="http://127.0.0.1:$TALENT_PROMETHEUS_PORT"
fail() { echo "check-operations: $*" >&2; exit 1; }

# Waits up to 60 s until Prometheus scrapes exactly N attachment workers, all up.
prometheus_workers() {
  local want="$1" got=""
  for _ in $(seq 1 120); do
    got=$(curl -sf "$PROMETHEUS/api/v1/targets" | python3 -c '
import json, sys
active = json.load(sys.stdin)["data"]["activeTargets"]
kind = [t for t in active if t["labels"].get("worker_kind") == "attachment.validation"]
print("%d/%d" % (sum(t["health"] == "up" for t in kind), len(kind)))') || true
    [ "$got" = "$want/$want" ] && return 0
    sleep 0.5
  done
  fail "Prometheus scrapes $got attachment workers up, expected $want/$want"
}

# Every file of FILES uploaded gets a verdict (none pending, none refused at the door).
uploads_served() {
  local out
  out=$("$CTL" upload "$FILES" --timeout 120 2>/dev/null) || true
  [ -n "$out" ] || fail "upload printed nothing"
  if grep -qP "\t(pending|error)\t" <<< "$out"; then fail "uploads not served: $(grep -P "\t(pending|error)\t" <<< "$out" | head -3)"; fi
  echo "$(wc -l <<< "$out") uploads with a verdict"
}

echo "-- workers scale attachment.validation 2"
out=$("$CTL" workers scale attachment.validation 2)
echo "$out"
grep -q "^worker-2 ready" <<< "$out" || fail "scale up did not report worker-2 ready"
curl -sf "http://127.0.0.1:$(( TALENT_ATTACHMENT_WORKER_PORT_BASE + 2 ))/health/ready" >/dev/null || fail "worker-2 not ready"
prometheus_workers 2
uploads_served

echo "-- system restart (two attachment workers are kept)"
gateway_before=$(cat "$RUN/gateway.pid")
"$CTL" system restart
[ "$(cat "$RUN/gateway.pid")" != "$gateway_before" ] || fail "the gateway was not restarted"
for i in 1 2; do
  curl -sf "http://127.0.0.1:$(( TALENT_ATTACHMENT_WORKER_PORT_BASE + i ))/health/ready" >/dev/null \
    || fail "worker-$i not ready after the restart"
done
prometheus_workers 2
uploads_served
"$CTL" status | grep -q "^queue	messages	consumers" || fail "status after the restart printed no queue table"

echo "-- workers scale attachment.validation 1"
pid2=$(cat "$RUN/worker-2.pid")
out=$("$CTL" workers scale attachment.validation 1)
echo "$out"
grep -q "^worker-2 stopped" <<< "$out" || fail "scale down did not report worker-2 stopped"
! kill -0 "$pid2" 2>/dev/null || fail "worker-2 (pid $pid2) still runs"
[ ! -f "$RUN/worker-2.pid" ] || fail "worker-2's pid file is left"
prometheus_workers 1

echo "-- settings without source deploy/local/env.sh"
out=$(cd / && env -i PATH=/usr/bin:/bin HOME="${HOME:-/root}" "$CTL" settings)
grep -q "completed by $TALENT_ROOT/deploy/local/env.sh" <<< "$out" || fail "settings not read from env.sh: $out"
grep -q "^TALENT_PG_PORT=[0-9]" <<< "$out" || fail "no TALENT_PG_PORT in: $out"
outside=$(mktemp -d)
cp "$CTL" "$outside/talentctl"
status=0
err=$(cd / && env -i PATH=/usr/bin:/bin timeout 10 "$outside/talentctl" status 2>&1) || status=$?
rm -rf "$outside"
[ "$status" = 78 ] && grep -q "source deploy/local/env.sh" <<< "$err" \
  || fail "outside a checkout without settings: exit $status, $err"
echo "operations: scale up/down, restart, settings: all as expected"
