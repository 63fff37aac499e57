"""Commands that need the running lab say so when it is not running, in the words of their runtime."""

import pytest

from lab.sandbox import lab

PIECES = ("s3", "redshift", "airflow", "jupyter")
# Natively `lab up` starts the lab; in a container of docker-compose.yml, compose on the learner's machine.
START = {"native": "`lab up`", "compose": "`docker compose up` on your machine"}


def log_hint(runtime: str, env: dict[str, str], piece: str) -> str:
    if runtime == "compose":
        return f"`docker compose logs {piece}` on your machine shows its log"
    logs = f"{env['LAB_STATE_DIR']}/logs"
    return f"the logs of what `lab up` started are in {logs}"


@pytest.mark.parametrize("runtime", sorted(START))
@pytest.mark.parametrize("command", ["init", "reset"])
def test_init_and_reset_ask_for_the_lab_first(stack_env, command, runtime):
    result = lab({**stack_env, "LAB_RUNTIME": runtime}, command)
    assert result.returncode == 2
    assert result.stderr == (
        f"lab {command}: s3, redshift not answering; start the lab first ({START[runtime]})\n"
    )


@pytest.mark.parametrize("runtime", sorted(START))
def test_status_names_every_piece_down_and_where_its_log_is(stack_env, runtime):
    result = lab({**stack_env, "LAB_RUNTIME": runtime}, "status", *PIECES)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    # Each DOWN line is followed by an indented one: why, and where to look.
    assert [line.split()[:2] for line in lines[::2]] == [[piece, "DOWN"] for piece in PIECES]
    assert [line[:1] for line in lines[1::2]] == [" "] * len(PIECES)
    assert [line.strip() for line in lines[1::2]] == [
        f"does not answer; {log_hint(runtime, stack_env, piece)}" for piece in PIECES
    ]
