#!/usr/bin/env bash
# Set up the lab on this machine: OS packages, then .venv/ from the pinned lock, then the lab itself.
# Idempotent: when nothing changed since the last run it returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=.venv/.lab-setup-stamp
want="$(cat requirements.lock pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

# mysqlclient (the MySQL provider's driver) has no wheel for Linux or macOS: it is compiled against the MySQL
# or MariaDB client library, which its setup.py finds with pkg-config under one of these names (or takes
# from MYSQLCLIENT_CFLAGS and MYSQLCLIENT_LDFLAGS). The library itself is checked, so any platform works.
CLIENT_PC_NAMES=(mysqlclient mariadb libmariadb perconaserverclient)
have_client_library() {
  [[ -n ${MYSQLCLIENT_CFLAGS:-} && -n ${MYSQLCLIENT_LDFLAGS:-} ]] && return 0
  command -v pkg-config >/dev/null || return 1
  local name
  for name in "${CLIENT_PC_NAMES[@]}"; do
    pkg-config --exists "$name" && return 0
  done
  return 1
}
# Homebrew's mariadb-connector-c is keg-only (it conflicts with mariadb): its libmariadb.pc is not linked
# where pkg-config looks, so this run points pkg-config at the keg (uv hands the environment to the build).
if [[ $(uname -s) == Darwin ]] && command -v brew >/dev/null \
  && keg="$(brew --prefix mariadb-connector-c 2>/dev/null)" && [[ -d $keg/lib/pkgconfig ]]; then
  export PKG_CONFIG_PATH="$keg/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
fi
if ! have_client_library && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
  echo "setup: installing OS packages: pkg-config libmariadb-dev"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pkg-config libmariadb-dev >/dev/null
fi
if ! have_client_library; then
  if ! command -v pkg-config >/dev/null; then
    echo "setup: pkg-config is missing: mysqlclient (MySQL provider) finds the MySQL/MariaDB client library with it" >&2
  else
    echo "setup: pkg-config finds no MySQL/MariaDB client library (as ${CLIENT_PC_NAMES[*]}): mysqlclient (MySQL provider) compiles against it" >&2
  fi
  if [[ $(uname -s) == Darwin ]]; then
    echo "setup: install both with 'brew install pkg-config mariadb-connector-c', then run this again" >&2
    echo "setup: (this script finds the unlinked keg itself; elsewhere: export PKG_CONFIG_PATH=\"\$(brew --prefix mariadb-connector-c)/lib/pkgconfig\")" >&2
  elif command -v apt-get >/dev/null; then
    echo "setup: install both with 'sudo apt-get install pkg-config libmariadb-dev' (as root this script does it)" >&2
  elif command -v dnf >/dev/null; then
    echo "setup: install both with 'sudo dnf install pkgconf mariadb-connector-c-devel'" >&2
  else
    echo "setup: install pkg-config and MariaDB Connector/C's development files, e.g. Debian/Ubuntu 'apt-get install pkg-config libmariadb-dev', Fedora 'dnf install pkgconf mariadb-connector-c-devel', macOS 'brew install pkg-config mariadb-connector-c'" >&2
  fi
  exit 1
fi

python=${LAB_PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: Python 3.11+ is needed; set LAB_PYTHON to its path" >&2
  exit 1
fi
[[ -x .venv/bin/python ]] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
# uv ignores pip's own configuration files: it installs exactly the lock. Compiled now, not at first
# import: where PYTHONDONTWRITEBYTECODE is set (many images and CI machines), every process would compile
# Airflow again, which doubles the time it takes to start (bench/stack_bench.py).
.venv/bin/uv pip sync --quiet --compile-bytecode --python .venv/bin/python requirements.lock
.venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e .
echo "$want" >"$stamp"
echo "setup: .venv is ready"
