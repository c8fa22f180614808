#!/usr/bin/env bash
# Set up (see setup.sh) and launch JupyterLab with the extension and the embedded model. Extra args go to jupyter lab.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/jupyter lab "$@"
