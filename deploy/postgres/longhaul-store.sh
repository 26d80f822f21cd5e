#!/bin/sh
# The goal store's database in the compose PostgreSQL: the role `longhaul` (password LONGHAUL_DB_PASSWORD from
# deploy/postgres.env) and the database `longhaul` it owns, for the worker's
#   LONGHAUL_STORE_URL=postgres://longhaul:<LONGHAUL_DB_PASSWORD>@postgresql:5432/longhaul
# The worker creates its tables on first use. The postgres image runs this on the first start of an empty data
# volume (it is mounted into /docker-entrypoint-initdb.d). Safe to run again: a volume created before it existed,
# or a changed password (set again on the role):
#   docker compose exec postgresql sh /docker-entrypoint-initdb.d/longhaul-store.sh
# Without LONGHAUL_DB_PASSWORD it creates nothing, and the worker keeps its goal store in files.
# Sourced or run by the image's entrypoint: no `exit` and no shell options here, only this function.

longhaul_store_database() {
  longhaul_user="${LONGHAUL_DB_USER:-longhaul}"
  longhaul_db="${LONGHAUL_DB_NAME:-longhaul}"
  if [ -z "${LONGHAUL_DB_PASSWORD:-}" ]; then
    echo "longhaul-store: LONGHAUL_DB_PASSWORD is not set (deploy/postgres.env): no $longhaul_db database; the worker keeps its goal store in files" >&2
    return 0
  fi
  # The password reaches psql on stdin, not on its command line (`ps`), as an SQL string: quotes doubled.
  longhaul_password_sql=$(printf '%s' "$LONGHAUL_DB_PASSWORD" | sed "s/'/''/g")
  psql -v ON_ERROR_STOP=1 -q -X -v user="$longhaul_user" -v db="$longhaul_db" \
    --username "${POSTGRES_USER:-postgres}" --dbname postgres <<SQL || return 1
SELECT format('CREATE ROLE %I LOGIN', :'user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'user', '$longhaul_password_sql') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
  echo "longhaul-store: database $longhaul_db owned by $longhaul_user is ready" >&2
}

longhaul_store_database
