#!/usr/bin/env bash
# Install what the JupyterHub end-to-end check needs, if missing, then run it (arguments go to e2e.py):
#   - JupyterHub into .venv (pip);
#   - configurable-http-proxy (npm) into a cache directory outside the repository
#     ($OCI_HUB_NODE_PREFIX, default ~/.cache/opencodeinterpreter-lab/hub-node), unless one is on PATH.
# Needs the dev environment (scripts/setup.sh: the extension, llama-cpp-python[server], the 0.5B model) and node.
set -euo pipefail
cd "$(dirname "$0")/../.."

py=.venv/bin/python
[ -x "$py" ] || { echo "hub e2e FAILED: no .venv (run scripts/setup.sh first)" >&2; exit 1; }
start=$(date +%s%N)

if ! "$py" -c "import jupyterhub" 2>/dev/null; then
  echo "==> pip install jupyterhub"
  "$py" -m pip install --quiet "jupyterhub>=5,<7"
fi

proxy=${OCI_HUB_PROXY:-$(command -v configurable-http-proxy || true)}
if [ -z "$proxy" ]; then
  prefix=${OCI_HUB_NODE_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/opencodeinterpreter-lab/hub-node}
  proxy="$prefix/node_modules/.bin/configurable-http-proxy"
  if [ ! -x "$proxy" ]; then
    echo "==> npm install configurable-http-proxy (into $prefix)"
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "configurable-http-proxy@^5" >/dev/null
  fi
fi

ms=$((($(date +%s%N) - start) / 1000000))
printf '==> install step took %d.%01ds\n' $((ms / 1000)) $((ms % 1000 / 100))
exec "$py" scripts/hub/e2e.py --proxy "$proxy" "$@"
