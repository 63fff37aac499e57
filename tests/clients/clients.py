"""Where the client tests find the real clients: .venv-clients/, made by scripts/setup-clients.sh from the
pinned requirements-clients.lock."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENTS_VENV = REPO / ".venv-clients"
HERE = Path(__file__).resolve().parent


def client_program(name: str) -> Path:
    """A program of .venv-clients (python, dbt); the test fails saying how to install it if it is missing."""
    program = CLIENTS_VENV / "bin" / name
    if not program.exists():
        pytest.fail(
            f"{program} is missing: run `bash scripts/setup-clients.sh` (installs requirements-clients.lock)"
        )
    return program


def run_client(arguments: list[str], cwd: Path | None = None, env: dict | None = None, timeout: int = 300):
    """Run a client program, its output kept for the test's message."""
    return subprocess.run(
        [str(argument) for argument in arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )
