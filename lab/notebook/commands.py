"""The lab's and Airflow's command lines, run from a notebook as a learner types them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lab import airflow, airflow_client
from lab.bilingual import say
from lab.cli import main as lab_main

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")  # colours in Airflow's CLI output


def lab(*args: str) -> None:
    """Run a `lab` command (e.g. ``lab("seed", "tick", "--date", "2024-01-31")``) here; raise if it fails."""
    print("$ lab", " ".join(args), flush=True)
    code = lab_main(list(args))
    if code:
        command = f"`lab {' '.join(args)}`"
        raise RuntimeError(
            say(
                f"{command}가 종료 코드 {code}로 끝났습니다. 위에 나온 메시지를 확인하세요.",
                f"{command} exited with code {code}; its message is above",
            )
        )


@dataclass(frozen=True)
class CommandOutput:
    returncode: int
    stdout: str
    stderr: str


def airflow_command(*args: str) -> CommandOutput:
    """``airflow ARGS`` against the lab's Airflow, as a learner types it in a terminal: its exit code and
    output, colours stripped and the connections' secrets masked (`airflow dags test` prints each COPY with
    its credentials). It does not raise: in the lessons a failing command is often the point."""
    lab_airflow = airflow.configure()
    result = lab_airflow.run(*args, check=False)
    secrets = airflow.connection_secrets(lab_airflow.connections)
    return CommandOutput(result.returncode, _shown(result.stdout, secrets), _shown(result.stderr, secrets))


def _shown(text: str, secrets: Sequence[str]) -> str:
    text = _ANSI_ESCAPE.sub("", text)
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def raised(log: str) -> list[tuple[str, str]]:
    """The (exception type, message) pairs that end the tracebacks in ``log``, each once, sorted."""
    return sorted(set(re.findall(r"^([\w.]+(?:Error|Exception)): (.+)$", log, re.MULTILINE)))


def airflow_cli(*args: str) -> str:
    """Run ``airflow ARGS`` against the lab's Airflow; prints and returns its output, raises if it fails."""
    print("$ airflow", " ".join(args), flush=True)
    result = airflow_command(*args)
    print(result.stdout.strip()[-3000:], flush=True)
    if result.returncode:
        command = f"airflow {' '.join(args)}"
        failed = say(f"{command} 명령이 실패했습니다:", f"{command} failed:")
        raise airflow_client.AirflowError(f"{failed}\n{result.stderr.strip()[-3000:]}")
    return result.stdout
