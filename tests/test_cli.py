"""The `lab` command line: what reaches pytest through `lab test`, and what is refused."""

import subprocess

from lab.config import REPO_ROOT
from lab.processes import VENV_BIN


def lab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "lab"), *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )


def test_lab_test_hands_pytest_its_own_options():
    # ruff runs first, as in CI; then pytest gets `--version`, which argparse would otherwise refuse.
    result = lab("test", "--version")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "+ -m pytest --version" in result.stdout
    assert "pytest " in result.stdout + result.stderr


def test_other_commands_refuse_unknown_options():
    result = lab("status", "--bogus")
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr
