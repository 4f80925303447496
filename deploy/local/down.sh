#!/usr/bin/env bash
# Stops the gateway and workers (SIGTERM: they drain), Prometheus, then RabbitMQ and PostgreSQL. Data
# stays in .local/.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local/processes.sh stop
deploy/local/monitoring.sh stop
deploy/local/replica.sh stop
deploy/local/services.sh stop
echo "stopped"
