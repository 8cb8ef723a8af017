#!/usr/bin/env bash
# Start PostgreSQL and Redis if they are down, then create WaddleBot's own test role
# and database (password auth: never rely on trust). Writes var/ci/test-env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_ROLE=${PG_ROLE:-waddlebot}
PG_DB=${PG_DB:-waddlebot_test}
mkdir -p var/ci
# One password per machine (not per checkout), so parallel checkouts keep working.
PW_DIR=/var/lib/waddlebot-ci
mkdir -p "$PW_DIR" 2>/dev/null && [ -w "$PW_DIR" ] || PW_DIR=var/ci
PW_FILE=$PW_DIR/pg-password
[ -s "$PW_FILE" ] || python3 -c 'import secrets; print(secrets.token_hex(16))' > "$PW_FILE"
PG_PASSWORD=$(cat "$PW_FILE")

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 50); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "starting postgresql"
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 100); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.1; done
fi

psql_admin() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname='$PG_ROLE'")" != "1" ]; then
  psql_admin -c "CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
else
  psql_admin -c "ALTER ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='$PG_DB'")" != "1" ]; then
  psql_admin -c "CREATE DATABASE $PG_DB OWNER $PG_ROLE"
fi

cat > var/ci/test-env.sh <<ENV
export TEST_DATABASE_URL=postgresql://$PG_ROLE:$PG_PASSWORD@127.0.0.1:5432/$PG_DB
export TEST_REDIS_URL=redis://127.0.0.1:6379/0
ENV
echo "postgresql and redis ready (role $PG_ROLE, database $PG_DB)"
