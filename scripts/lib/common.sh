# Shared helpers for scripts/*: locating Python 3.13.0 and building pinned venvs.
# Venvs live outside the clone (~/.cache/eg4/), keyed by a hash of their requirements file,
# so a fresh clone on the same machine reuses them and a changed pin rebuilds by itself.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE_DIR="${EG4_CACHE_DIR:-$HOME/.cache/eg4}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

find_python() {
  local want="3.13.0" candidate
  for candidate in \
    "${EG4_PYTHON:-}" \
    "$(command -v pyenv >/dev/null 2>&1 && echo "$(pyenv root)/versions/$want/bin/python" || true)" \
    "$HOME/.pyenv/versions/$want/bin/python" \
    "$(command -v python3.13 || true)"; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then
      if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) else 1)' 2>/dev/null; then
        echo "$candidate"; return 0
      fi
    fi
  done
  die "Python 3.13 not found. Install it (e.g. 'pyenv install 3.13.0') or set EG4_PYTHON=/path/to/python3.13."
}

# ensure_venv <requirements file> [extra pip args...] -> prints the venv path
ensure_venv() {
  local req="$1"; shift
  [[ -f "$req" ]] || die "requirements file missing: $req"
  local name hash venv py
  name="$(basename "$req" .txt)"
  hash="$( (cat "$req"; echo "$*") | sha256sum | cut -c1-12)"
  venv="$CACHE_DIR/venv-$name-$hash"
  if [[ -x "$venv/bin/python" && -f "$venv/.complete" ]]; then
    echo "$venv"; return 0
  fi
  py="$(find_python)"
  log "Building $name environment in $venv (first run only, a few minutes)"
  rm -rf "$venv"
  mkdir -p "$CACHE_DIR"
  "$py" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || die "pip upgrade failed for $name"
  local rc=0
  "$venv/bin/python" -m pip install --quiet "$@" -r "$req" >"$CACHE_DIR/pip-$name.log" 2>&1 || rc=$?
  grep -v "^WARNING: Location" "$CACHE_DIR/pip-$name.log" >&2 || true
  [[ $rc -eq 0 ]] || die "installing $req failed (log: $CACHE_DIR/pip-$name.log)"
  touch "$venv/.complete"
  echo "$venv"
}

# venv_pylxpweb -> prints the path of pylxpweb's own venv (requirements/tool-pylxpweb.txt):
# the third-party EG4 cloud client that tests/e2e/test_pylxpweb.py runs as a subprocess against
# the simulated portal (never imported by the Home Assistant venvs). Cached like the others, keyed
# by the requirements' hash, so a changed pin rebuilds it; dies when it cannot be built or does
# not import the pinned version.
venv_pylxpweb() {
  local req="$REPO_ROOT/requirements/tool-pylxpweb.txt" pin venv
  [[ -f "$req" ]] || die "requirements file missing: $req"
  pin="$(sed -n 's/^pylxpweb==\([^[:space:]]*\).*/\1/p' "$req")"
  [[ -n "$pin" ]] || die "no pylxpweb==<version> pin in $req"
  venv="$(ensure_venv "$req")" || exit 1
  "$venv/bin/python" - "$pin" >&2 <<'PY' || die "the pylxpweb venv $venv does not import pylxpweb $pin; delete it and rerun"
import importlib.metadata, sys
import pylxpweb  # noqa: F401
sys.exit(importlib.metadata.version("pylxpweb") != sys.argv[1])
PY
  echo "$venv"
}

# venv_powermon -> prints the path of powermon's own venv. powermon 1.0.18 requires Python < 3.13,
# so it gets Python 3.12 (EG4_POWERMON_PYTHON, else pyenv's 3.12.1, else python3.12) and a venv
# of its own, never Home Assistant's. Every package of requirements/tool-powermon.txt is pinned and
# installed with --no-deps (exactly those versions run); `pip check` and `powermon --version` must
# pass. Cached like the test venvs, keyed by the requirements and the interpreter's version.
venv_powermon() {
  local req="$REPO_ROOT/requirements/tool-powermon.txt" py="" candidate hash venv rc=0
  local pip_log="$CACHE_DIR/pip-tool-powermon.log"
  [[ -f "$req" ]] || die "requirements file missing: $req"
  for candidate in \
    "${EG4_POWERMON_PYTHON:-}" \
    "$(command -v pyenv >/dev/null 2>&1 && echo "$(pyenv root)/versions/3.12.1/bin/python" || true)" \
    "$HOME/.pyenv/versions/3.12.1/bin/python" \
    "$(command -v python3.12 || true)"; do
    if [[ -n "$candidate" && -x "$candidate" ]] \
      && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
      py="$candidate"; break
    fi
  done
  [[ -n "$py" ]] || die "Python 3.12 not found (powermon 1.0.18 requires Python < 3.13): install it \
(e.g. 'pyenv install 3.12.1') or set EG4_POWERMON_PYTHON=/path/to/python3.12."
  hash="$( (cat "$req"; "$py" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-12)"
  venv="$CACHE_DIR/venv-tool-powermon-$hash"
  if [[ -x "$venv/bin/powermon" && -f "$venv/.complete" ]]; then
    echo "$venv"; return 0
  fi
  log "Building powermon's environment in $venv (first run only)"
  rm -rf "$venv"
  mkdir -p "$CACHE_DIR"
  "$py" -m venv "$venv" >&2 || die "creating the powermon venv $venv failed"
  "$venv/bin/python" -m pip install --quiet --no-deps -r "$req" >"$pip_log" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    grep -v "^WARNING: Location" "$pip_log" >&2 || true
    die "installing $req failed (log: $pip_log)"
  fi
  "$venv/bin/python" -m pip check >&2 \
    || die "powermon's environment is incomplete: pin the missing package in $req"
  "$venv/bin/powermon" --version >&2 || die "powermon does not start in $venv"
  touch "$venv/.complete"
  echo "$venv"
}

venv_ha2026() { ensure_venv "$REPO_ROOT/requirements/test-ha2026.txt" --ignore-requires-python; }
venv_ha2025() { ensure_venv "$REPO_ROOT/requirements/test-ha2025.txt"; }

# apt_install PACKAGE -> installs a Debian package with apt-get (as root, or with sudo outside
# CI); non-zero when it cannot be installed here. The caller says what is missing and why.
apt_install() {
  local package="$1"
  if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
    log "Installing $package with apt-get"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package") >&2
  elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [[ -z "${CI:-}" ]]; then
    log "Installing $package with sudo apt-get"
    (sudo apt-get update -qq \
      && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package") >&2
  else
    return 1
  fi
}

ensure_mosquitto() {
  if command -v mosquitto >/dev/null 2>&1 || [[ -x /usr/sbin/mosquitto ]]; then return 0; fi
  apt_install mosquitto \
    || die "mosquitto is not installed and could not be installed automatically; install it (apt-get install mosquitto) and retry."
  command -v mosquitto >/dev/null 2>&1 || [[ -x /usr/sbin/mosquitto ]] || die "mosquitto still not found after install"
}

# faketime_library -> prints the path of libfaketime (Debian's libfaketime package), or fails.
faketime_library() {
  local lib
  for lib in "${EG4_FAKETIME_LIB:-}" /usr/lib/*-linux-gnu/faketime/libfaketime.so.1 \
    /usr/lib/faketime/libfaketime.so.1; do
    if [[ -n "$lib" && -f "$lib" ]]; then
      echo "$lib"
      return 0
    fi
  done
  return 1
}

# libfaketime lets the demo check restart Home Assistant on a clock moved past the top of the
# hour, so the recorder compiles the hour's statistics (scripts/demo, scripts/lib/demo_energy.py).
ensure_faketime() {
  faketime_library >/dev/null && return 0
  apt_install libfaketime \
    || die "libfaketime is not installed and could not be installed automatically; install it (apt-get install libfaketime) or set EG4_FAKETIME_LIB."
  faketime_library >/dev/null || die "libfaketime still not found after install"
}
