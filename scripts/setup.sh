#!/usr/bin/env bash
# Set up the lab on this machine: OS packages, then .venv/ from the pinned lock, then the lab itself.
# Idempotent: when nothing changed since the last run it returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."

OS_PACKAGES=(pkg-config libmariadb-dev)   # mysqlclient (MySQL provider) builds from source against them
stamp=.venv/.lab-setup-stamp
want="$(cat requirements.lock pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

missing=()
for package in "${OS_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    echo "setup: installing OS packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: missing OS packages: ${missing[*]}" >&2
    echo "setup: install them first, e.g. 'sudo apt-get install ${missing[*]}' (macOS: 'brew install pkg-config mariadb-connector-c')" >&2
    exit 1
  fi
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
