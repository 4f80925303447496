#!/usr/bin/env bash
# The benchmark command (not a test): starts PostgreSQL and RabbitMQ on loopback, builds the release
# binaries, installs wrk (Debian) and the Celery peer (PyPI, into .local/bench-venv), then runs every
# measure in one run on the same services and prints one table (also in .local/bench/report.md).
# Stops the local gateway and workers first (the benchmark starts its own); restart them with
# deploy/local/up.sh.
#
# Usage: scripts/bench.sh [--smoke] [--runs N] [other options of benchmarks/bench.py]
#   --smoke      each measure once with tiny counts (checks the benchmark works; used by the tests)
#   TALENT_BUILD=debug uses the debug binaries (figures then mean nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/local/env.sh
BUILD="${TALENT_BUILD:-release}"

deploy/local/services.sh start
dpkg -s wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
VENV="$TALENT_HOME/bench-venv"
if ! "$VENV/bin/python" -c "import celery, psycopg" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r benchmarks/celery/requirements.txt
fi

echo "building ($BUILD)…"
if ! swift build -c "$BUILD" > "$TALENT_HOME/bench-build.log" 2>&1; then
  grep -E "error" "$TALENT_HOME/bench-build.log" | head -40 || true
  echo "build failed (full log: $TALENT_HOME/bench-build.log)" >&2; exit 1
fi
grep -E "Build complete" "$TALENT_HOME/bench-build.log" || true
BIN="$(swift build -c "$BUILD" --show-bin-path)"
"$BIN/talentctl" migrate >/dev/null
"$BIN/talentctl" topology >/dev/null
"$BIN/talentctl" dev-keys >/dev/null
deploy/local/processes.sh stop
exec "$VENV/bin/python" benchmarks/bench.py --bin "$BIN" "$@"
