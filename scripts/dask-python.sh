#!/usr/bin/env bash
# Prepares a Python that can `import dask.distributed` (pinned in dask-requirements.txt) and prints
# its absolute path as the last line of stdout; everything else goes to stderr.
# Usage: DASK_PY="$(scripts/dask-python.sh | tail -1)"
set -euo pipefail

req="$(cd "$(dirname "$0")" && pwd)/dask-requirements.txt"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/concbench"
venv="$cache/dask-venv"
stamp="$venv/.concbench-stamp"

die() { echo "dask-python.sh: error: $*" >&2; exit 1; }

command -v python3 >/dev/null 2>&1 || die "python3 not found on PATH"
[ -f "$req" ] || die "missing $req"
pyver="$(python3 -c 'import platform; print(platform.python_version())')" || die "python3 does not run"
# The venv is valid for exactly this requirements file and this base interpreter version.
want="$(sha256sum "$req" | cut -d' ' -f1) python-$pyver"

mkdir -p "$cache"
# Serialise concurrent callers (e.g. parallel tests) so that they never build the same venv at once.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/dask-venv.lock"
  flock 9
fi

# Fast path. The import check also catches a venv whose base interpreter was removed or upgraded.
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
  "$venv/bin/python" -c 'import dask.distributed' >/dev/null 2>&1; then
  echo "$venv/bin/python"
  exit 0
fi

# The venv is built in place (venvs are not relocatable: console scripts such as bin/dask hard-code
# the interpreter path), and the stamp is written last, so an interrupted build is never taken as
# ready: the next run finds no stamp and starts over.
echo "dask-python.sh: building $venv (python $pyver) ..." >&2
rm -rf "$venv"
python3 -m venv "$venv" >&2 || die "python3 -m venv failed (on Debian/Ubuntu: apt install python3-venv)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req" >&2 ||
  die "pip install -r $req failed (is PyPI reachable?)"
"$venv/bin/python" -c 'import dask.distributed' >&2 || die "dask.distributed does not import after install"
echo "$want" >"$stamp"
echo "dask-python.sh: ready" >&2
echo "$venv/bin/python"
