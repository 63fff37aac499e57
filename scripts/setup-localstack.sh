#!/usr/bin/env bash
# Set up .venv-localstack/: real LocalStack 4.14.0 (the image docker-compose.yml pins), run without Docker,
# from the pinned requirements-localstack.lock. It needs Python 3.13 (requirements-localstack.in says why), so it
# gets a venv of its own.
# Runs after scripts/setup.sh, whose .venv/ provides uv.
# Idempotent: when nothing changed since the last run it returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=.venv-localstack/.lab-setup-stamp
want="$(cat requirements-localstack.lock scripts/setup-localstack.sh | sha256sum | cut -d' ' -f1)"
if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

uv=.venv/bin/uv
if [[ ! -x $uv ]]; then
  echo "setup-localstack: $uv is missing; run scripts/setup.sh first" >&2
  exit 1
fi

# A Python 3.13+: $LAB_LOCALSTACK_PYTHON, then python3.13 on PATH, then pyenv's 3.13.
# Each candidate is run, not only looked up: a pyenv shim is on PATH even where its version is not
# selected, and then it fails. The one chosen is handed to uv as its own absolute path (sys.executable).
is_new_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 13))' >/dev/null 2>&1; }
real_path() { "$1" -c 'import sys; print(sys.executable)'; }
python=
if [[ -n ${LAB_LOCALSTACK_PYTHON:-} ]]; then
  if ! is_new_enough "$LAB_LOCALSTACK_PYTHON"; then
    echo "setup-localstack: LAB_LOCALSTACK_PYTHON=$LAB_LOCALSTACK_PYTHON is not a Python 3.13+" >&2
    exit 1
  fi
  python=$(real_path "$LAB_LOCALSTACK_PYTHON")
else
  for candidate in python3.13 "$HOME"/.pyenv/versions/3.13*/bin/python; do
    if is_new_enough "$candidate"; then
      python=$(real_path "$candidate")
      break
    fi
  done
fi
if [[ -z $python ]]; then
  echo "setup-localstack: LocalStack 4.14.0 needs Python 3.13, and none was found" >&2
  echo "setup-localstack: install it ('pyenv install 3.13', your OS's python3.13 package," \
    "'brew install python@3.13') or set LAB_LOCALSTACK_PYTHON to its path" >&2
  exit 1
fi

# A missing or broken venv, or one of a Python older than 3.13, is made again.
if ! .venv-localstack/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 13))' >/dev/null 2>&1; then
  rm -rf .venv-localstack
  "$uv" venv --quiet --python "$python" .venv-localstack
fi
# uv ignores pip's own configuration files: it installs exactly the lock, compiled now rather than at
# first import (see scripts/setup.sh).
"$uv" pip sync --quiet --compile-bytecode --python .venv-localstack/bin/python requirements-localstack.lock
# The index of every AWS service spec that LocalStack builds at its first request, unless it finds it in its static
# libs (the image builds it at its own build time). Built once here: a run whose $FILESYSTEM_ROOT/usr/lib/localstack/
# holds a link to it gets its init hooks done in about 2 s at about 180 MB, instead of about 4.5 s at about 520 MB.
# OVERRIDE_IN_DOCKER=0: on a machine with /.dockerenv, LocalStack would write to /usr/lib/localstack itself.
catalog=.venv-localstack/filesystem/usr/lib/localstack
rm -rf .venv-localstack/filesystem
mkdir -p "$catalog"
env HOME="$PWD/.venv-localstack/filesystem" OVERRIDE_IN_DOCKER=0 FILESYSTEM_ROOT="$PWD/.venv-localstack/filesystem" \
  .venv-localstack/bin/python -m localstack.aws.spec
echo "$want" >"$stamp"
echo "setup-localstack: .venv-localstack is ready (Python $(.venv-localstack/bin/python -c 'import platform; print(platform.python_version())'))"
