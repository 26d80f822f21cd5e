#!/bin/sh
# Creates Temporal's two PostgreSQL databases and brings both schemas to this admin-tools version's latest.
# Safe to re-run, and run it again after upgrading the images: `create` skips an existing database,
# `setup-schema` keeps a newer version, `update-schema` applies only the versions still missing.
set -eu
: "${POSTGRES_PWD:?set POSTGRES_PWD in deploy/postgres.env}"
export SQL_PASSWORD="$POSTGRES_PWD" # read by temporal-sql-tool; not on the command line, so not in `ps`
schemas=/etc/temporal/schema/postgresql/v12

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" "$@"
}

setup() {
  sql --db "$1" create
  sql --db "$1" setup-schema -v 0.0
  sql --db "$1" update-schema -d "$2"
  echo "setup-schema: database $1 is up to date"
}

setup "${DBNAME:-temporal}" "$schemas/temporal/versioned"
setup "${VISIBILITY_DBNAME:-temporal_visibility}" "$schemas/visibility/versioned"
