#!/usr/bin/env bash
# Makes sure the agent's shell sandbox (bubblewrap, activities/security/sandbox.ts) is there: on Linux without
# `bwrap`, installs Debian's bubblewrap when this runs as root with apt-get, else says how. Never fails the setup:
# `longhaul doctor` says whether sandboxing works, and `start` refuses a sandboxed goal without it.
set -euo pipefail

if [[ "$(uname -s)" != "Linux" ]] || command -v bwrap >/dev/null 2>&1 || [[ -n "${LONGHAUL_BWRAP:-}" ]]; then
  exit 0
fi
if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing bubblewrap (the agent's shell sandbox)" >&2
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q bubblewrap >/dev/null
else
  echo "setup: bubblewrap (bwrap) is missing: the agent's shell runs in it. Install it (sudo apt-get install bubblewrap," >&2
  echo "       or your distribution's package), then check with: npx longhaul doctor" >&2
fi
