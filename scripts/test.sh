#!/usr/bin/env bash
# Set up and run every check and test: ruff, mypy, pytest (real model, real kernels), eslint/prettier, jest,
# and the Galata browser tests in Debian's Chromium (installed with apt when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh test
export PATH="$PWD/.venv/bin:$PATH"

if [ ! -x /usr/bin/chromium ]; then
  echo "==> Installing Debian's chromium for the browser tests"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
fi

echo "==> Python: ruff, mypy"
ruff check .
ruff format --check .
mypy

echo "==> Python: pytest"
python -m pytest

echo "==> TypeScript: lint, jest"
jlpm lint:check
jlpm test

echo "==> Browser: Galata"
(
  cd ui-tests
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 jlpm install --immutable
  CI=1 jlpm playwright test
)
echo "==> JupyterHub: two users' servers chatting at once through one shared model server"
scripts/hub/run.sh

echo "==> Packaging: the wheel, installed the way a hub admin installs it"
scripts/check_wheel.sh
echo "==> All tests passed"
