"""The compose rehearsal's stack (tests/compose/rehearsal.py): up for the module that uses it, then down."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.compose import hosts, images
from tests.compose.rehearsal import Rehearsal, files_folder
from tests.conftest import RUN_ID, TEST_LOG_DIR

# A bucket that is not the default: it reaches LocalStack's hook and the lab's containers only through .env.
DOTENV = {"LAB_S3_BUCKET": f"rehearsal-{RUN_ID}".replace("_", "-")}


def require_rehearsal() -> None:
    """Skips, in one line, only where namespaces cannot be made (not root, no iproute2) and only outside CI;
    CI runs as root and runs it. Fails where a stand-in's program is missing."""
    if reason := hosts.namespaces_unavailable():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the compose rehearsal: {reason}")
        pytest.skip(reason)
    if missing := images.tools_missing():
        pytest.fail(
            f"the compose rehearsal's MySQL stand-in needs {', '.join(missing)}: install mariadb-server"
        )


@pytest.fixture(scope="module")
def compose_stack():
    """`docker compose up` rehearsed: every service healthy or completed (see require_rehearsal)."""
    require_rehearsal()
    stack = Rehearsal(files_folder(f"nps-rehearsal-{RUN_ID}"), dotenv=DOTENV)
    try:
        stack.up()
        yield stack
    finally:
        stack.down()
        # The logs stay for reading, beside the other tests' logs; the databases' files and the hosts go.
        logs = TEST_LOG_DIR / "compose"
        logs.mkdir(parents=True, exist_ok=True)
        for log in stack.folder.glob("*.log"):
            shutil.copyfile(log, logs / log.name)
        shutil.rmtree(stack.folder, ignore_errors=True)
