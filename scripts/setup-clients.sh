#!/usr/bin/env bash
# Set up .venv-clients/: the real clients the emulator's client tests drive (tests/clients: dbt-redshift,
# sqlalchemy-redshift with pandas), from the pinned requirements-clients.lock. A venv of its own: dbt-core pins
# packages that Airflow, in .venv/, pins otherwise (requirements-clients.in says more).
# Runs after scripts/setup.sh, whose .venv/ provides uv and the Python.
# Idempotent: when nothing changed since the last run it returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=.venv-clients/.lab-setup-stamp
want="$(cat requirements-clients.lock scripts/setup-clients.sh | sha256sum | cut -d' ' -f1)"
if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

uv=.venv/bin/uv
if [[ ! -x $uv ]]; then
  echo "setup-clients: $uv is missing; run scripts/setup.sh first" >&2
  exit 1
fi
# The lab's own Python (3.11, what the lock is compiled for), as its absolute path.
python=$(.venv/bin/python -c 'import sys, os; print(os.path.realpath(sys.executable))')
if [[ ! -x .venv-clients/bin/python ]]; then
  rm -rf .venv-clients
  "$uv" venv --quiet --python "$python" .venv-clients
fi
"$uv" pip sync --quiet --compile-bytecode --python .venv-clients/bin/python requirements-clients.lock
echo "$want" >"$stamp"
echo "setup-clients: .venv-clients is ready"
