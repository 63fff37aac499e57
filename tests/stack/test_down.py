"""`lab down` stops what `lab up` recorded, children included, and no process that merely has its pid."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time

import psutil

from lab.processes import running
from lab.sandbox import lab

# A server as `lab up` leaves one: its starter has exited, it leads its own session, and it has a child
# that left that session, as Airflow's components leave `lab serve airflow`'s.
SERVER = "setsid bash -c 'setsid sleep 300 & exec sleep 300' </dev/null >/dev/null 2>&1 & echo $!"


def start_server_like() -> tuple[psutil.Process, psutil.Process]:
    started = subprocess.run(["bash", "-c", SERVER], capture_output=True, text=True, check=True)
    server = psutil.Process(int(started.stdout))
    deadline = time.monotonic() + 10
    while len(server.children()) != 1 or server.name() != "sleep":
        assert time.monotonic() < deadline, "the fake server did not start"
        time.sleep(0.05)
    return server, server.children()[0]


def record(state_dir, name: str, server: psutil.Process, create_time: float) -> None:
    run_dir = state_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / f"{name}.json").write_text(json.dumps({"pid": server.pid, "create_time": create_time}))


def kill(*processes: psutil.Process) -> None:
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()


def test_down_leaves_a_process_whose_start_time_differs(tmp_path):
    server, child = start_server_like()
    try:
        # The pid was recorded for a process that started an hour earlier: this one is someone else's.
        record(tmp_path, "s3", server, server.create_time() - 3600)
        down = lab({"LAB_STATE_DIR": str(tmp_path)}, "down")
        assert down.returncode == 0, down.stderr
        assert "s3: was not running" in down.stdout
        assert server.is_running() and child.is_running()
    finally:
        kill(server, child)


def test_down_stops_the_recorded_process_and_its_children(tmp_path):
    server, child = start_server_like()
    try:
        record(tmp_path, "jupyter", server, server.create_time())
        down = lab({"LAB_STATE_DIR": str(tmp_path)}, "down")
        assert down.returncode == 0, down.stderr
        assert "jupyter: stopped" in down.stdout
        # Stopped: gone, or a zombie that init has yet to reap.
        assert not running(server) and not running(child)
        assert list((tmp_path / "run").iterdir()) == []
    finally:
        kill(server, child)
