#!/usr/bin/env bash
# The first command: installs what is missing, starts PostgreSQL and RabbitMQ on loopback (data under
# .local/), builds, migrates, declares the broker topology, starts the gateway and the workers, and runs
# the demos: every corpus file uploaded through the gateway (summary against the manifest), then the
# demo units' first logins and profile completion and the employee-association demo (generated
# requests and a scripted portal session), then a rotation of the identity platform's key.
#
# Environment: TALENT_BUILD=debug|release (default debug), TALENT_WORKERS (default 1),
# TALENT_ASSOCIATION_WORKERS (default 1), TALENT_PROFILE_WORKERS (default 1),
# TALENT_CORPUS (default ../shared/corpus/attachments), TALENT_SKIP_DEMO=1 to only start the system.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/env.sh
BUILD="${TALENT_BUILD:-debug}"
CORPUS="${TALENT_CORPUS:-$TALENT_ROOT/../shared/corpus/attachments}"

deploy/local/services.sh start
# A streaming replica (deploy/local/replica.sh): the gateway reads lists that may lag from it.
deploy/local/replica.sh start
export TALENT_POSTGRES_REPLICA_URL="${TALENT_POSTGRES_REPLICA_URL:-$(deploy/local/replica.sh url)}"
echo "building ($BUILD)…"
build_started=$(date +%s)
# Debug builds include the tests: the test command (scripts/test.sh) builds the same products, so
# neither relinks the other's.
PRODUCTS=()
[ "$BUILD" = debug ] && PRODUCTS=(--build-tests)
mkdir -p "$TALENT_HOME"
# The build's own exit status decides (never a filter's): a failed build stops here.
if ! swift build -c "$BUILD" "${PRODUCTS[@]}" > "$TALENT_HOME/build.log" 2>&1; then
  grep -E "error" "$TALENT_HOME/build.log" | head -40 || true
  echo "build failed (full log: $TALENT_HOME/build.log)" >&2; exit 1
fi
grep -E "warning: unre|Build complete" "$TALENT_HOME/build.log" || true
BIN="$(swift build -c "$BUILD" --show-bin-path)"
echo "build took $(( $(date +%s) - build_started )) s"

"$BIN/talentctl" migrate
"$BIN/talentctl" topology >/dev/null
"$BIN/talentctl" dev-keys >/dev/null
deploy/local/processes.sh start "$BIN"
deploy/local/monitoring.sh start

if [ "${TALENT_SKIP_DEMO:-0}" != 1 ]; then
  echo
  echo "== demo: uploading $(ls "$CORPUS/files" | wc -l) files from $CORPUS/files =="
  mkdir -p "$TALENT_HOME/demo"
  status=0
  "$BIN/talentctl" upload "$CORPUS/files" --gateway "http://127.0.0.1:$TALENT_HTTP_PORT" \
    --manifest "$CORPUS/manifest.tsv" > "$TALENT_HOME/demo/verdicts.tsv" || status=$?
  echo "per-file verdicts: $TALENT_HOME/demo/verdicts.tsv (name, verdict, reason)"
  echo
  echo "== demo: first logins, profile completion step by step, employee associations (generated units and people, scripted portal session) =="
  "$BIN/talentctl" demo associations --gateway "http://127.0.0.1:$TALENT_HTTP_PORT" || status=$?
  echo
  echo "== demo: the identity platform rotates its key; the old key's tokens are refused =="
  "$BIN/talentctl" demo key-rotation --gateway "http://127.0.0.1:$TALENT_HTTP_PORT" || status=$?
  echo "== demo: a policy notice reaches every unit; system prompts follow a unit's state =="
  "$BIN/talentctl" demo notices --gateway "http://127.0.0.1:$TALENT_HTTP_PORT" || status=$?
  echo
  echo "== demo: restricted services follow their inputs and the unit's fixes; business in progress (manual §4, §7) =="
  "$BIN/talentctl" rules show || status=$?
  "$BIN/talentctl" demo eligibility --gateway "http://127.0.0.1:$TALENT_HTTP_PORT" || status=$?
  echo
  echo "== monitoring: Prometheus scrapes every process; the dashboard page with the demo's traffic =="
  deploy/local/monitoring.sh check "$TALENT_HOME/dashboard.png" || status=$?
  echo
  deploy/local/processes.sh memory
  echo
  echo "The system keeps running: gateway http://127.0.0.1:$TALENT_HTTP_PORT, logs in $TALENT_HOME/logs."
  echo "Dashboard: $(deploy/local/monitoring.sh url) (Prometheus http://127.0.0.1:$TALENT_PROMETHEUS_PORT; Grafana: import deploy/grafana/talent-dashboard.json)."
  echo "Stop everything with: deploy/local/down.sh"
  exit $status
fi
