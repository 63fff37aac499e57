"""`lab up` names the piece that failed and its log; `lab down` then stops whatever had started."""

from __future__ import annotations

import pytest

from lab import processes
from lab.sandbox import lab

pytestmark = pytest.mark.slow


def test_a_piece_that_cannot_start_is_named_with_its_log(stack_env, tmp_path):
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: every server fails to listen on it.
    env = {**stack_env, "LAB_STATE_DIR": str(tmp_path), "LAB_BIND_HOST": "192.0.2.1"}
    up = lab(env, "up")
    assert up.returncode == 2
    log = tmp_path / "logs" / "s3.log"
    assert f"lab up: s3 failed to start; its log is {log}" in up.stderr
    assert "Cannot assign requested address" in log.read_text()

    down = lab(env, "down")
    assert down.returncode == 0, down.stderr
    assert list((tmp_path / "run").iterdir()) == []


def test_a_port_taken_by_another_program_is_named_before_anything_starts(stack_env, tmp_path):
    s3_port = int(stack_env["LAB_S3_ENDPOINT"].rsplit(":", 1)[1])
    other = processes.start(
        "other", ["python3", "-m", "http.server", "-b", "127.0.0.1", str(s3_port)], tmp_path / "o.log"
    )
    try:
        other.wait_until(lambda: processes.port_answers("127.0.0.1", s3_port), timeout=10)
        up = lab({**stack_env, "LAB_STATE_DIR": str(tmp_path)}, "up")
        assert up.returncode == 2
        assert (
            f"lab up: s3: port {s3_port} is taken by a process this lab did not start;"
            " stop it, or choose another port with LAB_S3_ENDPOINT"
        ) in up.stderr
        assert not (tmp_path / "run").exists()
    finally:
        other.stop()
