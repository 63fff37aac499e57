"""Commands that need the running lab say so when it is not running."""

import pytest

from lab.sandbox import lab


@pytest.mark.parametrize("command", ["init", "reset"])
def test_init_and_reset_ask_for_the_lab_first(stack_env, command):
    result = lab(stack_env, command)
    assert result.returncode == 2
    assert result.stderr == (
        f"lab {command}: s3, redshift not answering; start the lab first (`lab up` or `docker compose up`)\n"
    )


def test_status_names_every_piece_down_and_fails(stack_env):
    result = lab(stack_env, "status", "s3", "redshift", "airflow", "jupyter")
    assert result.returncode == 1
    assert [line.split()[:2] for line in result.stdout.splitlines()] == [
        ["s3", "DOWN"],
        ["redshift", "DOWN"],
        ["airflow", "DOWN"],
        ["jupyter", "DOWN"],
    ]
