# Shared settings for the local system (sourced by the other scripts). Everything lives under
# $TALENT_HOME (default: .local/ in the repository, git-ignored); services listen on loopback only.
TALENT_ROOT="${TALENT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
TALENT_HOME="${TALENT_HOME:-$TALENT_ROOT/.local}"
# PostgreSQL's and RabbitMQ's data (services.sh); another home (a test system's) can share them.
TALENT_SERVICES_HOME="${TALENT_SERVICES_HOME:-$TALENT_HOME}"
export TALENT_ROOT TALENT_HOME TALENT_SERVICES_HOME
export TALENT_PG_PORT="${TALENT_PG_PORT:-54329}"
export TALENT_AMQP_PORT="${TALENT_AMQP_PORT:-56729}"
export TALENT_AMQP_DIST_PORT="${TALENT_AMQP_DIST_PORT:-56739}"
export TALENT_HTTP_PORT="${TALENT_HTTP_PORT:-58080}"
# Workers serve /metrics and /health/* on consecutive ports from these (attachment, association, profile,
# notice, eligibility).
export TALENT_ATTACHMENT_WORKER_PORT_BASE="${TALENT_ATTACHMENT_WORKER_PORT_BASE:-58100}"
export TALENT_ASSOCIATION_WORKER_PORT_BASE="${TALENT_ASSOCIATION_WORKER_PORT_BASE:-58200}"
export TALENT_PROFILE_WORKER_PORT_BASE="${TALENT_PROFILE_WORKER_PORT_BASE:-58300}"
export TALENT_NOTICE_WORKER_PORT_BASE="${TALENT_NOTICE_WORKER_PORT_BASE:-58400}"
export TALENT_ELIGIBILITY_WORKER_PORT_BASE="${TALENT_ELIGIBILITY_WORKER_PORT_BASE:-58500}"
export TALENT_PROMETHEUS_PORT="${TALENT_PROMETHEUS_PORT:-59090}"
export TALENT_RABBITMQ_PROMETHEUS_PORT="${TALENT_RABBITMQ_PROMETHEUS_PORT:-56792}"
export TALENT_DATABASE="${TALENT_DATABASE:-talent}"
export TALENT_POSTGRES_URL="${TALENT_POSTGRES_URL:-host=127.0.0.1 port=$TALENT_PG_PORT dbname=$TALENT_DATABASE user=postgres}"
export TALENT_AMQP_HOST="${TALENT_AMQP_HOST:-127.0.0.1}"
# The development issuer (`talentctl dev-keys`, `talentctl token`) stands in for the identity platform;
# production names its own issuer (the gateway has no default).
export TALENT_JWT_ISSUER="${TALENT_JWT_ISSUER:-https://sso.beijing.gov.cn.local-dev}"
export TALENT_JWT_PRIVATE_KEY="${TALENT_JWT_PRIVATE_KEY:-$TALENT_HOME/keys/issuer-private.pem}"
# The identity platform's key set (JWKS: a file or an http(s) URL), reloaded every
# TALENT_JWKS_REFRESH_SECONDS; `talentctl dev-keys rotate` replaces the development key.
export TALENT_JWT_JWKS="${TALENT_JWT_JWKS:-$TALENT_HOME/keys/issuer-jwks.json}"
export TALENT_JWKS_REFRESH_SECONDS="${TALENT_JWKS_REFRESH_SECONDS:-2}"
export TALENT_SERVICE_PRIVATE_KEY="${TALENT_SERVICE_PRIVATE_KEY:-$TALENT_HOME/keys/service-private.pem}"
export TALENT_SERVICE_PUBLIC_KEY="${TALENT_SERVICE_PUBLIC_KEY:-$TALENT_HOME/keys/service-public.pem}"
export TALENT_SCHEMAS_DIR="${TALENT_SCHEMAS_DIR:-$TALENT_ROOT/schemas}"
PG_BIN=/usr/lib/postgresql/15/bin
RABBIT_BIN=/usr/lib/rabbitmq/bin

# RabbitMQ needs the same environment for the server and its CLI.
export HOME="${HOME:-/root}"
export RABBITMQ_NODENAME="talent@localhost"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT="$TALENT_AMQP_PORT"
export RABBITMQ_DIST_PORT="$TALENT_AMQP_DIST_PORT"
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_MNESIA_BASE="$TALENT_SERVICES_HOME/rabbitmq/mnesia"
export RABBITMQ_LOG_BASE="$TALENT_SERVICES_HOME/rabbitmq/log"
export RABBITMQ_CONFIG_FILE="$TALENT_SERVICES_HOME/rabbitmq/rabbitmq"
export RABBITMQ_ENABLED_PLUGINS_FILE="$TALENT_SERVICES_HOME/rabbitmq/enabled_plugins"
export RABBITMQ_PID_FILE="$TALENT_SERVICES_HOME/rabbitmq/rabbitmq.pid"
export RABBITMQ_CONF_ENV_FILE="$TALENT_SERVICES_HOME/rabbitmq/rabbitmq-env.conf"
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
