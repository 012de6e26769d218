#!/usr/bin/env bash
# Builds a free-threaded CPython (PEP 703, `--disable-gil`) from the upstream tarball that Debian
# ships as the orig tarball of its pythonX.Y source package (no registry reachable here ships a
# free-threaded binary), and prints the interpreter's absolute path as the last line of stdout.
# Progress goes to stderr. A second run reuses the existing build and only prints its path.
# Usage: FT_PY="$(scripts/free-threaded-python.sh | tail -1)"
set -euo pipefail

prog="free-threaded-python.sh"
usage() {
  cat <<EOF
Usage: scripts/$prog [--print-path | --help]

Builds a free-threaded CPython (./configure --disable-gil) once and prints its absolute path
as the last line of stdout; progress goes to stderr. Later runs find the existing build
(sys._is_gil_enabled() is False) and only print its path.

Install dir: \${XDG_CACHE_HOME:-\$HOME/.cache}/concbench/python/<version>t
Sources:     Debian source packages (apt-get source --download-only, with a private apt
             config; the system's apt sources are not changed), newest suite first:
             $sources
             The orig tarball (= upstream's Python-X.Y.Z.tar.xz, Debian's patches not
             applied) is checked against the .dsc's Checksums-Sha256.
Mirror:      the Debian mirror apt already uses; override with CONCBENCH_DEBIAN_MIRROR.
Build deps:  a C compiler, make, tar and xz are required. Missing optional -dev packages are
             installed with apt-get when running as root (the script names them); otherwise
             the build goes on without them and names the modules that will be missing.

Options:
  --print-path  print the path of an existing good build, or exit 1; never builds
  --help        this text
EOF
}

# suite:package pairs, newest first. Fallback order matters: the newest suites' files may
# answer 404 on a mirror whose index already lists them.
sources="sid:python3.14 forky:python3.14 trixie:python3.13"
# Optional -dev package -> what the build lacks without it.
optional_deps="libssl-dev:ssl,_hashlib zlib1g-dev:zlib,ensurepip libffi-dev:_ctypes
libbz2-dev:_bz2 liblzma-dev:_lzma libsqlite3-dev:_sqlite3 libreadline-dev:readline
libncurses-dev:_curses uuid-dev:_uuid libgdbm-dev:_gdbm libgdbm-compat-dev:_dbm pkg-config:(detection)"
# Modules whose absence is reported after the build.
check_modules=(ssl _hashlib zlib _ctypes _bz2 _lzma _sqlite3 readline _curses _uuid _gdbm _dbm _tkinter _multiprocessing _interpreters)

die() { echo "$prog: error: $*" >&2; exit 1; }
say() { echo "$prog: $*" >&2; }

print_only=false
case "${1:-}" in
  "") ;;
  --print-path) print_only=true ;;
  -h | --help) usage; exit 0 ;;
  *) echo "$prog: error: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac
[ $# -le 1 ] || { echo "$prog: error: at most one argument (try --help)" >&2; exit 2; }

root="${XDG_CACHE_HOME:-$HOME/.cache}/concbench/python"
log="$root/build.log"
# CPython's Makefile cannot install into a prefix with spaces.
case "$root" in *[[:space:]]*) die "the install dir '$root' contains whitespace; set XDG_CACHE_HOME" ;; esac

# True when $1 runs and is free-threaded with the GIL off by default, and -X gil=1 turns it on.
# -I ignores PYTHON_GIL and friends from the caller's environment.
is_free_threaded() {
  [ -x "$1" ] &&
    "$1" -I -c 'import sys; sys.exit(sys._is_gil_enabled())' >/dev/null 2>&1 &&
    ! "$1" -I -X gil=1 -c 'import sys; sys.exit(sys._is_gil_enabled())' >/dev/null 2>&1
}

# Prints the newest good existing build, or returns 1.
find_existing() {
  local py
  while IFS= read -r py; do
    if is_free_threaded "$py"; then echo "$py"; return 0; fi
  done < <(printf '%s\n' "$root"/*t/bin/python3.*t | sort -rV)
  return 1
}

if $print_only; then
  find_existing || exit 1
  exit 0
fi

mkdir -p "$root"
# Serialise concurrent callers so that two runs never build at once; the loser of the race
# waits here and then takes the fast path below.
command -v flock >/dev/null 2>&1 || die "flock not found (util-linux)"
exec 9>"$root/.lock"
flock 9

if py="$(find_existing)"; then
  echo "$py"
  exit 0
fi

start=$SECONDS
: >"$log"
say "no free-threaded build under $root: building one (log: $log)"

# apt-get install as root, waiting for another apt to finish; one `apt-get update` retry.
apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  say "installing with apt-get: $*"
  local a=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=600)
  DEBIAN_FRONTEND=noninteractive apt-get install "${a[@]}" "$@" >>"$log" 2>&1 && return 0
  say "apt-get install failed; retrying after apt-get update"
  apt-get update -q >>"$log" 2>&1 &&
    DEBIAN_FRONTEND=noninteractive apt-get install "${a[@]}" "$@" >>"$log" 2>&1
}

cc_works() { echo 'int main(void){return 0;}' | "${CC:-cc}" -x c - -o /dev/null >/dev/null 2>&1; }

check_essentials() {
  local missing=()
  cc_works || missing+=(gcc libc6-dev)
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v xz >/dev/null 2>&1 || missing+=(xz-utils)
  command -v tar >/dev/null 2>&1 || missing+=(tar)
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_install "${missing[@]}" || die "missing build essentials (Debian packages: ${missing[*]}); install them and rerun"
  cc_works || die "no working C compiler after installing ${missing[*]}"
}

deb_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Installs missing optional -dev packages when possible; otherwise says what the build will lack.
check_optionals() {
  command -v dpkg-query >/dev/null 2>&1 || { say "no dpkg-query: optional build deps not checked"; return 0; }
  local entry missing=()
  for entry in $optional_deps; do deb_installed "${entry%%:*}" || missing+=("$entry"); done
  [ ${#missing[@]} -eq 0 ] && { say "optional build deps: all installed"; return 0; }
  if apt_install "${missing[@]%%:*}"; then return 0; fi
  for entry in "${missing[@]}"; do say "building without ${entry%%:*}: no ${entry#*:}"; done
}

# The Debian mirror apt already uses (deb822 URIs: lines, then one-line `deb` entries).
debian_mirror() {
  [ -n "${CONCBENCH_DEBIAN_MIRROR:-}" ] && { echo "$CONCBENCH_DEBIAN_MIRROR"; return; }
  local m
  m="$({ grep -hoP '^URIs:\s*\K\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
    grep -hoP '^deb\s+(\[[^]]*\]\s+)?\K\S+' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true
  } | grep -v -e security -e ubuntu | head -1 || true)"
  echo "${m:-http://deb.debian.org/debian}"
}

# Downloads suite $1's package $2 into $3/dl with a private apt config; returns 1 on failure.
fetch_suite() {
  local suite=$1 pkg=$2 dir=$3
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/dl"
  echo "deb-src $mirror $suite main" >"$dir/sources.list"
  local A=(-o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache")
  apt-get "${A[@]}" update >>"$log" 2>&1 || return 1
  (cd "$dir/dl" && apt-get "${A[@]}" source --download-only "$pkg") >>"$log" 2>&1
}

# Prints the path of the orig tarball in $1 after checking its sha256 against the .dsc.
verify_orig() {
  local dl=$1 dsc orig want got
  dsc="$(ls "$dl"/*.dsc)"
  read -r want orig < <(awk '/^Checksums-Sha256:/ {s=1; next} /^[^ ]/ {s=0}
    s && $3 ~ /\.orig\.tar\./ {print $1, $3; exit}' "$dsc")
  [ -n "${orig:-}" ] && [ -f "$dl/$orig" ] || die "no orig tarball listed in $(basename "$dsc")"
  got="$(sha256sum "$dl/$orig" | cut -d' ' -f1)"
  [ "$got" = "$want" ] || die "sha256 mismatch for $orig: got $got, .dsc says $want"
  say "sha256 OK: $orig ($got)"
  echo "$dl/$orig"
}

check_essentials
check_optionals
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script fetches Debian source packages"

# Everything happens under a temporary dir on the same filesystem as the install dir, so the
# finished install moves into place atomically; an interrupted build leaves nothing that
# find_existing would accept.
# Under the lock, any earlier temporary dir belongs to a run that was killed outright.
rm -rf "$root"/.tmp-build.*
tmp="$(mktemp -d "$root/.tmp-build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mirror="$(debian_mirror)"
tarball=""
for entry in $sources; do
  suite="${entry%%:*}" pkg="${entry#*:}"
  if fetch_suite "$suite" "$pkg" "$tmp/apt-$suite"; then
    say "fetched $pkg from $suite ($mirror)"
    tarball="$(verify_orig "$tmp/apt-$suite/dl")"
    break
  fi
  say "$pkg from $suite: not available on $mirror, trying the next suite"
done
[ -n "$tarball" ] || die "no source package could be fetched from $mirror (tried: $sources; see $log)"

mkdir "$tmp/src"
tar -xf "$tarball" -C "$tmp/src"
src="$(dirname "$(ls "$tmp"/src/*/configure)")"
version="$(grep -oP '^#define PY_VERSION\s+"\K[^"]+' "$src/Include/patchlevel.h")"
[ -n "$version" ] || die "no PY_VERSION in $src/Include/patchlevel.h"
prefix="$root/${version}t"
bin="$prefix/bin/python${version%.*}t"
staged="$tmp/stage$prefix/bin/python${version%.*}t"

# ensurepip unpacks zip-compressed wheels, so it cannot work without zlib.
extra=()
[ -f /usr/include/zlib.h ] || extra+=(--without-ensurepip)
say "configure --disable-gil --prefix=$prefix${extra[*]:+ ${extra[*]}}"
(cd "$src" && ./configure --disable-gil --prefix="$prefix" "${extra[@]}") >>"$log" 2>&1 ||
  die "configure failed (see $log)"
say "make -j$(nproc) (takes minutes)"
make -C "$src" -j"$(nproc)" >>"$log" 2>&1 || die "make failed (see $log)"
say "make install (staged)"
make -C "$src" install DESTDIR="$tmp/stage" >>"$log" 2>&1 || die "make install failed (see $log)"

[ -x "$staged" ] || die "build finished but $staged is missing"
is_free_threaded "$staged" ||
  die "the built interpreter is not free-threaded (sys._is_gil_enabled() is not False, or -X gil=1 does not turn it on)"
absent="$("$staged" -I -c 'import importlib, sys
miss = []
for m in sys.argv[1:]:
    try:
        importlib.import_module(m)
    except ImportError:
        miss.append(m)
print(" ".join(miss))' "${check_modules[@]}" 2>/dev/null)"
say "modules missing: ${absent:-none}"

rm -rf "$prefix" # a broken earlier install of this version (find_existing rejected it)
mv "$tmp/stage$prefix" "$prefix"
is_free_threaded "$bin" || { rm -rf "$prefix"; die "$bin does not run after moving it into place"; }
say "installed $prefix (Python $version free-threaded) in $((SECONDS - start)) s"
echo "$bin"
