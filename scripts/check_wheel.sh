#!/usr/bin/env bash
# Check the wheel the way a hub admin installs it. Builds the sdist and wheel with `python -m build` from a snapshot
# of the working tree (tracked and untracked, not ignored, files) in a temp dir, so the labextension is a fresh
# production build and nothing in the repo is touched; checks that the wheel holds the labextension and the
# jupyter_server_config.d file and no model weights, node_modules or tests; installs only that wheel into a fresh
# venv (dependencies from the index; llama-cpp-python from pip's wheel cache when it holds one) with node, npm and
# jlpm off the PATH (JupyterLab 4 comes with it); checks `jupyter server extension list` and `jupyter labextension
# list`; starts `jupyter server` on a free loopback port and checks /api/opencodeinterpreter/status (200 with a
# token, 401/403 without), the /lab page and the labextension's remoteEntry, then shuts it down.
# Prints one summary line with each step's seconds; exits non-zero with a FAIL line on any failure.
# Env: PYTHON (for the fresh venv, default python3), KEEP_TMP=1 keeps the temp dir.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

PY_PKG=opencodeinterpreter_lab
LAB_EXT=opencodeinterpreter-lab
REPO_PY=$REPO/.venv/bin/python
BASE_PY=${PYTHON:-python3}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/check_wheel.XXXXXX")
SERVER_PID=""
STEP="setup"
STEP_START=$EPOCHREALTIME
T0=$EPOCHREALTIME
TIMINGS=()
NOTES=()

elapsed() { # seconds since $1, one decimal
  awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}
step() { # end the current step (if any) and start the next one
  if [ "$STEP" != "setup" ]; then TIMINGS+=("$STEP $(elapsed "$STEP_START")s"); fi
  STEP=$1
  STEP_START=$EPOCHREALTIME
  echo "==> [$STEP] $2"
}
joined() {
  local IFS=,
  echo "${TIMINGS[*]}" | sed 's/,/, /g'
}
fail() { # fail MESSAGE [LOG_FILE]
  trap - ERR
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    echo "---- last lines of $2 ----" >&2
    tail -n 40 "$2" >&2
    echo "----" >&2
  fi
  TIMINGS+=("$STEP $(elapsed "$STEP_START")s (failed)")
  echo "check_wheel: FAIL in step '$STEP': $1 [$(joined); total $(elapsed "$T0")s]" >&2
  exit 1
}
trap 'fail "command failed (exit $?, line $LINENO): $BASH_COMMAND"' ERR

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 20); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "${KEEP_TMP:-0}" = 1 ]; then
    echo "check_wheel: kept $TMP" >&2
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT

strip_ansi() { sed 's/\x1b\[[0-9;]*m//g'; }

[ -x "$REPO_PY" ] || fail "$REPO_PY is missing: run scripts/setup.sh first"
"$REPO_PY" -c 'import build' 2>/dev/null || fail "the 'build' package is missing from .venv (pip install build)"
command -v node >/dev/null || fail "node is needed to build the labextension (only the build step uses it)"
command -v git >/dev/null || fail "git is needed to snapshot the working tree"
command -v curl >/dev/null || fail "curl is needed to query the server"

# ---------------------------------------------------------------------------------------------------------------------
step build "snapshot the working tree and run python -m build (sdist, then the wheel from the sdist)"
SRC=$TMP/src
DIST=$TMP/dist
mkdir -p "$SRC" "$DIST"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi; done \
  | tar --null -T - -cf - | tar -xf - -C "$SRC"
# The project's yarn cache (gitignored) lets `jlpm install` in the snapshot run offline; hard links when possible.
if [ -d .yarn/cache ]; then
  mkdir -p "$SRC/.yarn"
  cp -al .yarn/cache "$SRC/.yarn/cache" 2>/dev/null || cp -a .yarn/cache "$SRC/.yarn/cache"
fi
BUILD_LOG=$TMP/build.log
"$REPO_PY" -m build --outdir "$DIST" "$SRC" >"$BUILD_LOG" 2>&1 || fail "python -m build failed" "$BUILD_LOG"
grep -q "Building with hatch_jupyter_builder.npm_builder" "$BUILD_LOG" \
  || fail "the sdist build did not build the labextension (jlpm build:prod did not run)" "$BUILD_LOG"
shopt -s nullglob
wheels=("$DIST"/*.whl)
sdists=("$DIST"/*.tar.gz)
shopt -u nullglob
[ "${#wheels[@]}" -eq 1 ] && [ "${#sdists[@]}" -eq 1 ] || fail "expected one wheel and one sdist in $DIST: $(ls "$DIST")"
WHEEL=${wheels[0]}
SDIST=${sdists[0]}

# ---------------------------------------------------------------------------------------------------------------------
step inspect "check what the wheel and sdist contain"
INSPECT_OUT=$TMP/inspect.out
"$REPO_PY" - "$WHEEL" "$SDIST" "$SRC" "$PY_PKG" "$LAB_EXT" >"$INSPECT_OUT" 2>&1 <<'PY' || fail "artifact check failed" "$INSPECT_OUT"
import json
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.version import Version

wheel_path, sdist_path, src, pkg, ext = sys.argv[1:]
src = Path(src)
errors = []
MAX_FILE = 5 * 1024 * 1024  # anything this big in the wheel would be model weights or a bundle gone wrong
WEIGHTS = (".gguf", ".bin", ".safetensors", ".pt", ".pth", ".onnx", ".ckpt")

npm_version = json.loads((src / "package.json").read_text())["version"]
zf = zipfile.ZipFile(wheel_path)
infos = zf.infolist()
names = [i.filename for i in infos]
dist_info = next(n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info"))
metadata = Parser().parsestr(zf.read(f"{dist_info}/METADATA").decode())
version = metadata["Version"]
data = f"{pkg}-{version}.data/data"
if Version(version) != Version(npm_version):
    errors.append(f"wheel version {version} != package.json version {npm_version}")

for info in infos:
    n = info.filename
    parts = n.split("/")
    if parts[0] not in (pkg, dist_info, f"{pkg}-{version}.data"):
        errors.append(f"unexpected top-level entry: {n}")
    if n.lower().endswith(WEIGHTS):
        errors.append(f"model weights in the wheel: {n}")
    if info.file_size > MAX_FILE:
        errors.append(f"file over {MAX_FILE} bytes in the wheel: {n} ({info.file_size} bytes)")
    if "node_modules" in parts:
        errors.append(f"node_modules in the wheel: {n}")
    if {"tests", "__tests__", "ui-tests"} & set(parts) or parts[-1] == "conftest.py" or parts[-1].startswith("test_"):
        errors.append(f"tests in the wheel: {n}")
    if n.endswith((".ts", ".tsx")) and not n.endswith(".d.ts"):
        errors.append(f"TypeScript source in the wheel: {n}")

labext = f"{data}/share/jupyter/labextensions/{ext}"
required = [
    f"{pkg}/__init__.py",
    f"{pkg}/_version.py",
    f"{labext}/package.json",
    f"{labext}/install.json",
    f"{labext}/static/style.js",
    f"{data}/etc/jupyter/jupyter_server_config.d/{pkg}.json",
]
required += [f"{labext}/schemas/{ext}/{p.name}" for p in sorted((src / "schema").glob("*.json"))]
for r in required:
    if r not in names:
        errors.append(f"missing from the wheel: {r}")
if f"{labext}/package.json" in names:
    lab_pkg = json.loads(zf.read(f"{labext}/package.json"))
    load = lab_pkg.get("jupyterlab", {}).get("_build", {}).get("load")
    if lab_pkg.get("name") != ext or lab_pkg.get("version") != npm_version:
        errors.append(f"labextension package.json is {lab_pkg.get('name')}@{lab_pkg.get('version')}")
    if not load or f"{labext}/{load}" not in names:
        errors.append(f"labextension entry point {load!r} is not in the wheel")
    print(f"LOAD={load}")
conf = f"{data}/etc/jupyter/jupyter_server_config.d/{pkg}.json"
if conf in names and json.loads(zf.read(conf)).get("ServerApp", {}).get("jpserver_extensions", {}).get(pkg) is not True:
    errors.append(f"{conf} does not enable {pkg}")
entry_points = zf.read(f"{dist_info}/entry_points.txt").decode() if f"{dist_info}/entry_points.txt" in names else ""
if "jupyter-opencodeinterpreter" not in entry_points:
    errors.append("the jupyter-opencodeinterpreter console script is missing from entry_points.txt")

with tarfile.open(sdist_path) as tf:
    members = tf.getmembers()
snames = ["/".join(m.name.split("/")[1:]) for m in members]
for m, n in zip(members, snames):
    if n.lower().endswith(WEIGHTS) or m.size > MAX_FILE:
        errors.append(f"model weights or oversized file in the sdist: {n} ({m.size} bytes)")
    if "node_modules" in n.split("/") or n.startswith(".yarn/"):
        errors.append(f"node_modules or the yarn cache in the sdist: {n}")
# The prebuilt labextension must travel in the sdist, so that `pip install <sdist>` needs no node.
if f"{pkg}/labextension/static/style.js" not in snames:
    errors.append("the sdist lacks the prebuilt labextension (pip install from the sdist would need node)")

static = sum(i.file_size for i in infos if i.filename.startswith(f"{labext}/static/"))
print(f"VERSION={version}")
print(f"NPM_VERSION={npm_version}")
print(
    f"wheel {Path(wheel_path).name}: {Path(wheel_path).stat().st_size / 1024:.0f} KiB, {len(names)} files "
    f"(labextension static {static / 1024:.0f} KiB); sdist {Path(sdist_path).stat().st_size / 1024:.0f} KiB"
)
for e in errors:
    print(f"ERROR: {e}")
sys.exit(1 if errors else 0)
PY
VERSION=$(sed -n 's/^VERSION=//p' "$INSPECT_OUT")
NPM_VERSION=$(sed -n 's/^NPM_VERSION=//p' "$INSPECT_OUT")
LOAD=$(sed -n 's/^LOAD=//p' "$INSPECT_OUT")
SIZES=$(grep '^wheel ' "$INSPECT_OUT")
echo "    $SIZES"

# ---------------------------------------------------------------------------------------------------------------------
step venv "create a fresh venv; a PATH without node, npm or jlpm"
VENV=$TMP/venv
"$BASE_PY" -m venv "$VENV"
# /usr/bin holds node here, so the clean PATH is the venv's bin plus a dir of links to /usr/bin and /bin minus node's
# tools (and nothing from /usr/local/bin).
NONODE=$TMP/nonode-bin
mkdir -p "$NONODE"
for d in /usr/bin /bin; do
  for f in "$d"/*; do
    b=${f##*/}
    case "$b" in node | nodejs | npm | npx | corepack | yarn | yarnpkg | jlpm | pnpm) continue ;; esac
    [ -e "$NONODE/$b" ] || ln -s "$f" "$NONODE/$b"
  done
done
CLEAN_PATH=$VENV/bin:$NONODE
unset_args=(-u PYTHONPATH -u PYTHONHOME -u PYTHONSTARTUP -u VIRTUAL_ENV -u CONDA_PREFIX)
for v in $(compgen -e); do [[ $v == JUPYTER* ]] && unset_args+=(-u "$v"); done
# pip keeps the real HOME (its config and its wheel cache); jupyter gets a bare HOME, like a new hub user.
venv_env=(env "${unset_args[@]}" PATH="$CLEAN_PATH" PYTHONNOUSERSITE=1)
HUB_HOME=$TMP/home
mkdir -p "$HUB_HOME" "$TMP/root"
hub_env=(env "${unset_args[@]}" -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_CACHE_HOME -u XDG_RUNTIME_DIR
  PATH="$CLEAN_PATH" PYTHONNOUSERSITE=1 HOME="$HUB_HOME")
"${venv_env[@]}" bash -c 'for t in node nodejs npm npx yarn corepack jlpm; do
  if p=$(command -v "$t"); then echo "$t is on the clean PATH: $p"; exit 1; fi; done' \
  || fail "node tools are still reachable on the clean PATH"
PIP_LOG=$TMP/pip.out
"${venv_env[@]}" python -m pip install --quiet --upgrade pip >"$PIP_LOG" 2>&1 || fail "pip upgrade failed" "$PIP_LOG"

# ---------------------------------------------------------------------------------------------------------------------
step install "pip install only the wheel into the fresh venv (dependencies from the index)"
llama_cached=$("${venv_env[@]}" python -m pip cache list llama_cpp_python --format=abspath 2>/dev/null | head -n 1 || true)
PIP_VERBOSE_LOG=$TMP/pip-install.log
"${venv_env[@]}" python -m pip install --quiet --log "$PIP_VERBOSE_LOG" "$WHEEL" >"$PIP_LOG" 2>&1 \
  || fail "pip install of the wheel failed" "$PIP_LOG"
if grep -qiE "Building wheel for llama[-_]cpp[-_]python" "$PIP_VERBOSE_LOG"; then
  [ -z "$llama_cached" ] || fail "pip compiled llama-cpp-python although its cache holds $llama_cached"
  NOTES+=("llama-cpp-python compiled from source (pip's cache had no wheel; the next run reuses it)")
elif grep -qE "Using cached .*llama_cpp_python-[^ ]*\.whl" "$PIP_VERBOSE_LOG"; then
  NOTES+=("llama-cpp-python from pip's wheel cache")
else
  NOTES+=("llama-cpp-python neither compiled nor from the wheel cache (a binary wheel from the index?)")
fi
"${venv_env[@]}" python -m pip check >"$PIP_LOG" 2>&1 || fail "pip check found broken requirements" "$PIP_LOG"
"${venv_env[@]}" python -c 'import llama_cpp, opencodeinterpreter_lab as p; print(p.__version__)' >"$PIP_LOG" 2>&1 \
  || fail "importing llama_cpp / $PY_PKG from the fresh venv failed" "$PIP_LOG"
[ "$(cat "$PIP_LOG")" = "$VERSION" ] || fail "$PY_PKG.__version__ is $(cat "$PIP_LOG"), the wheel is $VERSION"

# ---------------------------------------------------------------------------------------------------------------------
step jupyterlab "JupyterLab 4 came with the wheel (a dependency)"
"${venv_env[@]}" python -c 'import jupyterlab; assert jupyterlab.__version__.startswith("4.")' >"$PIP_LOG" 2>&1 \
  || fail "the wheel did not bring JupyterLab 4" "$PIP_LOG"

# ---------------------------------------------------------------------------------------------------------------------
step lists "jupyter server extension list / jupyter labextension list"
LIST_OUT=$TMP/server-extension-list.out
"${hub_env[@]}" jupyter server extension list 2>&1 | strip_ansi >"$LIST_OUT" \
  || fail "jupyter server extension list failed" "$LIST_OUT"
# The extension must be enabled by the wheel's own config file, in the venv's etc/jupyter, and validate OK.
where=$(awk -v pkg="$PY_PKG" '/^Config dir: / { dir = $3 } $1 == pkg && $2 == "enabled" { print dir }' "$LIST_OUT")
[ "$where" = "$VENV/etc/jupyter" ] \
  || fail "$PY_PKG is not enabled in $VENV/etc/jupyter (enabled in: '${where//$'\n'/ }')" "$LIST_OUT"
grep -qE "^[[:space:]]+$PY_PKG[[:space:]]+${VERSION//./\\.}[[:space:]]+OK" "$LIST_OUT" \
  || fail "$PY_PKG $VERSION does not validate OK" "$LIST_OUT"
LAB_OUT=$TMP/labextension-list.out
"${hub_env[@]}" jupyter labextension list 2>&1 | strip_ansi >"$LAB_OUT" \
  || fail "jupyter labextension list failed" "$LAB_OUT"
where=$(awk -v ext="$LAB_EXT" -v ver="v$NPM_VERSION" \
  '/^\// { dir = $1 } $1 == ext && $2 == ver && $3 == "enabled" && $4 == "OK" { print dir }' "$LAB_OUT")
[ "$where" = "$VENV/share/jupyter/labextensions" ] \
  || fail "$LAB_EXT v$NPM_VERSION is not 'enabled OK' in $VENV/share/jupyter/labextensions" "$LAB_OUT"
"${hub_env[@]}" bash -c '! command -v node' >/dev/null || fail "node is on the clean PATH"

# ---------------------------------------------------------------------------------------------------------------------
step server "start jupyter server, query /api/opencodeinterpreter/status, stop it"
PORT=$("$REPO_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN=$("$REPO_PY" -c 'import secrets; print(secrets.token_hex(24))')
BASE=http://127.0.0.1:$PORT
SERVER_LOG=$TMP/server.log
"${hub_env[@]}" jupyter server --no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port="$PORT" \
  --ServerApp.port_retries=0 --IdentityProvider.token="$TOKEN" --ServerApp.allow_root=True \
  --ServerApp.root_dir="$TMP/root" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
AUTH=(-H "Authorization: token $TOKEN")
http() { # http OUTFILE URL [curl args...] -> prints the status code (000: no answer)
  local out=$1 url=$2
  shift 2
  curl -s --max-time 10 -o "$out" -w '%{http_code}' "$@" "$url" || true
}
up=""
for _ in $(seq 180); do
  kill -0 "$SERVER_PID" 2>/dev/null || fail "jupyter server exited during startup" "$SERVER_LOG"
  [ "$(http /dev/null "$BASE/api/status" "${AUTH[@]}")" = 200 ] && up=1 && break
  sleep 0.5
done
[ -n "$up" ] || fail "jupyter server did not answer on $BASE within 90 s" "$SERVER_LOG"
grep -q "$PY_PKG | extension was successfully loaded" "$SERVER_LOG" \
  || fail "the server log does not say $PY_PKG was loaded" "$SERVER_LOG"

BODY=$TMP/status.json
code=$(http "$BODY" "$BASE/api/opencodeinterpreter/status" "${AUTH[@]}")
[ "$code" = 200 ] || fail "GET /api/opencodeinterpreter/status with the token answered $code: $(head -c 300 "$BODY")"
STATE=$("${venv_env[@]}" python -c 'import json, sys; print(json.load(open(sys.argv[1]))["state"])' "$BODY" 2>&1) \
  || fail "the status body is not JSON with a \"state\" field: $(head -c 300 "$BODY")"
code=$(http "$BODY" "$BASE/api/opencodeinterpreter/status")
[ "$code" = 403 ] || [ "$code" = 401 ] || fail "GET /api/opencodeinterpreter/status without a token answered $code"
code=$(http "$BODY" "$BASE/api/opencodeinterpreter/status" -H "Authorization: token wrong-$TOKEN")
[ "$code" = 403 ] || [ "$code" = 401 ] || fail "GET /api/opencodeinterpreter/status with a wrong token answered $code"

# The browser side: /lab lists the labextension and its remoteEntry is served from the venv.
LAB_HTML=$TMP/lab.html
code=$(http "$LAB_HTML" "$BASE/lab" "${AUTH[@]}")
[ "$code" = 200 ] || fail "GET /lab answered $code"
served_load=$("${venv_env[@]}" python - "$LAB_HTML" "$LAB_EXT" <<'PY' 2>&1
import json, re, sys
html = open(sys.argv[1]).read()
m = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S)
exts = json.loads(m.group(1)).get("federated_extensions", []) if m else []
print(next((e["load"] for e in exts if e.get("name") == sys.argv[2]), ""))
PY
) || fail "could not read the /lab page config: $served_load"
[ "$served_load" = "$LOAD" ] \
  || fail "/lab lists $LAB_EXT with load '$served_load', the wheel has '$LOAD'"
code=$(http /dev/null "$BASE/lab/extensions/$LAB_EXT/$LOAD" "${AUTH[@]}")
[ "$code" = 200 ] || fail "GET /lab/extensions/$LAB_EXT/$LOAD answered $code"

code=$(http /dev/null "$BASE/api/shutdown" -X POST "${AUTH[@]}")
[ "$code" = 200 ] || fail "POST /api/shutdown answered $code" "$SERVER_LOG"
for _ in $(seq 60); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "jupyter server still runs 30 s after /api/shutdown" "$SERVER_LOG"
rc=0
wait "$SERVER_PID" || rc=$?
SERVER_PID=""
[ "$rc" = 0 ] || fail "jupyter server exited with $rc after /api/shutdown" "$SERVER_LOG"
if grep -q "Traceback" "$SERVER_LOG"; then
  grep -q "$PY_PKG/" "$SERVER_LOG" && fail "the server log has a traceback through $PY_PKG" "$SERVER_LOG"
  NOTES+=("the server log has a traceback outside $PY_PKG")
fi

step done "summary"
NOTE_TEXT=""
[ "${#NOTES[@]}" -eq 0 ] || NOTE_TEXT=$(printf '; %s' "${NOTES[@]}")
echo "check_wheel: OK $PY_PKG $VERSION (wheel ${SIZES#wheel * }; status state=$STATE): $(joined); total $(elapsed "$T0")s$NOTE_TEXT"
