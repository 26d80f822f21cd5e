#!/usr/bin/env bash
# A local PostgreSQL for the tests of the PostgreSQL goal store (test/store-postgres.test.ts), idempotently:
# installs Debian's `postgresql` package when pg_lsclusters is missing, starts the newest cluster named `main`
# (creating one if the package left none), creates the role `longhaul` (password `longhaul`) and the database
# `longhaul_test` if missing, waits until it accepts password logins over TCP, and prints on stdout:
#   export LONGHAUL_TEST_STORE_URL=postgres://longhaul:longhaul@127.0.0.1:5432/longhaul_test
# so `eval "$(bash scripts/setup-postgres.sh)"` sets it. Progress goes to stderr. Runs as root (as CI does).
# A test-only database on loopback: the password is not a secret. Never point production at it.
set -euo pipefail

ROLE=longhaul
PASSWORD=longhaul
DATABASE=longhaul_test

log() { echo "setup-postgres: $*" >&2; }
fail() {
  log "$*"
  exit 1
}

if [[ "$(id -u)" != 0 ]]; then
  fail "run as root (e.g. sudo bash scripts/setup-postgres.sh): it installs and starts the system's PostgreSQL"
fi

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  log "installing Debian's postgresql package"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
fi

# "ver cluster port status owner datadir logfile", one line per cluster, no header.
cluster_line() { pg_lsclusters -h | awk '$2 == "main"' | sort -k1,1n | tail -n 1; }

line="$(cluster_line)"
if [[ -z "$line" ]]; then
  version="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort -n | tail -n 1)"
  [[ -n "$version" ]] || fail "no PostgreSQL server under /usr/lib/postgresql: apt-get install postgresql"
  log "creating the cluster $version/main"
  pg_createcluster "$version" main >/dev/null
  line="$(cluster_line)"
fi
read -r version _ port status _ <<<"$line"

if [[ "$status" != online* ]]; then
  log "starting the cluster $version/main on port $port"
  # To stderr: only the export line may reach stdout (the caller evals it), and pg_ctlcluster prints
  # "Removed stale pid file." there after a crash. (Not `exec 3>&1 1>&2`: the server would inherit fd 3 and
  # hold the caller's $(...) open for as long as it runs.)
  pg_ctlcluster "$version" main start >&2 || fail "pg_ctlcluster $version main start failed: see /var/log/postgresql/postgresql-$version-main.log"
fi

for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$port" || fail "PostgreSQL $version does not accept connections on 127.0.0.1:$port"

# As the postgres superuser over the local socket (peer authentication); from / so psql can read its cwd.
admin() { (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres "$@"); }
admin_run() { admin "$@" >&2; }

if [[ "$(admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]]; then
  log "creating the role $ROLE"
  admin_run -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
else
  admin_run -c "ALTER ROLE $ROLE LOGIN PASSWORD '$PASSWORD'" # the known password, whatever it was
fi
if [[ "$(admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]]; then
  log "creating the database $DATABASE"
  admin_run -c "CREATE DATABASE $DATABASE OWNER $ROLE"
fi

url="postgres://$ROLE:$PASSWORD@127.0.0.1:$port/$DATABASE"
PGPASSWORD="$PASSWORD" psql -X -q -h 127.0.0.1 -p "$port" -U "$ROLE" -d "$DATABASE" -tAc 'SELECT 1' >/dev/null ||
  fail "cannot log in as $ROLE over TCP at 127.0.0.1:$port: check pg_hba.conf allows password logins from 127.0.0.1"
log "PostgreSQL $version is ready on 127.0.0.1:$port (database $DATABASE)"
echo "export LONGHAUL_TEST_STORE_URL=$url"
