"""The `lab` command line: what reaches pytest through `lab test`, and what is refused."""

from lab.sandbox import lab


def test_lab_test_hands_pytest_its_own_options():
    # ruff runs first, as in CI; then pytest gets `--version`, which argparse would otherwise refuse.
    result = lab({}, "test", "--version")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "+ -m pytest -n 2 -m not slow --version" in result.stdout  # the quick tests first
    assert "-m slow --durations=20 --version" in result.stdout
    assert "pytest " in result.stdout + result.stderr


def test_other_commands_refuse_unknown_options():
    result = lab({}, "status", "--bogus")
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr
