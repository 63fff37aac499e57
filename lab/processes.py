"""Start, watch and stop the lab's background processes (S3 server, Redshift emulator, Airflow, Jupyter).

Shared by `lab up` and the test fixtures, so the tests start each piece exactly as a learner's lab does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from lab.config import LOOPBACK

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port of this machine's loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def port_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class StartupError(RuntimeError):
    """A process died or never became ready; the message names it and its log."""


@dataclass
class ManagedProcess:
    """One background process with its own log file and process group."""

    name: str
    popen: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_until(self, ready: Callable[[], bool], timeout: float) -> None:
        """Block until ``ready()`` is true; raise StartupError if the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise StartupError(
                    f"{self.name} exited with code {self.popen.returncode}; log {self.log_path}:\n"
                    + self.log_tail()
                )
            if ready():
                return
            time.sleep(0.1)
        raise StartupError(
            f"{self.name} was not ready after {timeout:.0f} s; log {self.log_path}:\n" + self.log_tail()
        )

    def stop(self, timeout: float = 15) -> None:
        stop_all([self], timeout)


def stop_all(started: Sequence[ManagedProcess], timeout: float = 15) -> None:
    """Stop ``started`` together: their shutdowns overlap, so this takes as long as the slowest one."""
    stop_process_groups([process.pid for process in started], timeout)
    for process in started:
        if process.popen.poll() is None:
            process.popen.wait(timeout=timeout)


def start(
    name: str,
    command: Sequence[str],
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    secrets: Sequence[str] = (),
    echo: bool = False,
) -> ManagedProcess:
    """Start ``command`` in a new process group, its output appended to ``log_path``.

    With ``secrets``, the output passes through this process, which writes each of them as ``***``. With
    ``echo``, it also goes to this process's standard output, where a container's log is read.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    through_here = bool(secrets) or echo
    with open(log_path, "ab") as log:
        popen = subprocess.Popen(
            list(command),
            stdout=subprocess.PIPE if through_here else log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )
    if through_here:
        redacted = [secret.encode() for secret in secrets if secret]
        copies = [sys.stdout.buffer] if echo else []
        threading.Thread(
            target=_copy_redacted, args=(popen.stdout, log_path, redacted, copies), daemon=True
        ).start()
    return ManagedProcess(name, popen, log_path)


def _copy_redacted(output, log_path: Path, secrets: list[bytes], copies: list) -> None:
    with output, open(log_path, "ab") as log:
        for line in output:
            for secret in secrets:
                line = line.replace(secret, b"***")
            for stream in (log, *copies):
                stream.write(line)
                stream.flush()


def stop_process_groups(pids: Sequence[int], timeout: float = 15) -> None:
    """SIGTERM the groups led by ``pids``, then SIGKILL whatever is left after ``timeout`` seconds.

    Every group gets the signal before any is waited for, so their shutdowns overlap.
    """
    remaining = list(pids)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pgid in remaining:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, sig)
        deadline = time.monotonic() + timeout
        while True:
            for pgid in remaining:
                _reap(pgid)
            remaining = [pgid for pgid in remaining if _group_running(pgid)]
            if not remaining:
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)


def _group_running(pgid: int) -> bool:
    """True while a process of group ``pgid`` runs."""
    for process in psutil.process_iter():
        with contextlib.suppress(OSError, psutil.Error):
            if os.getpgid(process.pid) == pgid and running(process):
                return True
    return False


def running(process: psutil.Process) -> bool:
    """Alive and not a zombie. A stopped orphan stays a zombie until init reaps it, which some inits (a
    container's, a VM's) do only every few seconds."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def moto_command(host: str, port: int) -> list[str]:
    """How the lab runs moto's S3-compatible server (natively, in tests and in its container)."""
    return [str(VENV_BIN / "moto_server"), "-H", host, "-p", str(port)]


def redshift_emulator_command(
    host: str, port: int, upstream_url: str, s3_endpoint: str | None, data_api: tuple[int, str] | None = None
) -> list[str]:
    """How the lab runs the Redshift emulator in front of the PostgreSQL at ``upstream_url``;
    ``data_api``: (port, login URL) of the Redshift Data API it serves beside."""
    command = [str(VENV_BIN / "redshift-emulator"), "--host", host, "--port", str(port)]
    command += ["--upstream", upstream_url]
    if s3_endpoint:
        command += ["--s3-endpoint-url", s3_endpoint]
    if data_api is not None:
        command += ["--data-api-port", str(data_api[0]), "--data-api-login", data_api[1]]
    return command


def start_moto(port: int, log_path: Path) -> ManagedProcess:
    """moto's S3-compatible server on this machine's loopback, ``port``: for the tests."""
    process = start("s3 (moto_server)", moto_command(LOOPBACK, port), log_path)
    process.wait_until(lambda: port_answers(LOOPBACK, port), timeout=30)
    return process


def start_redshift_emulator(
    port: int,
    upstream_url: str,
    s3_endpoint: str | None,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    data_api: tuple[int, str] | None = None,
) -> ManagedProcess:
    """The Redshift emulator on this machine's loopback, ``port``, in front of the PostgreSQL at
    ``upstream_url``: for the tests; ``data_api``: (port, login URL) of the Data API it serves too."""
    command = redshift_emulator_command(LOOPBACK, port, upstream_url, s3_endpoint, data_api)
    process = start("redshift emulator", command, log_path, env=env)
    process.wait_until(lambda: port_answers(LOOPBACK, port), timeout=30)
    if data_api is not None:
        process.wait_until(lambda: port_answers(LOOPBACK, data_api[0]), timeout=30)
    return process
