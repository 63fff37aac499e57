"""When the compose rehearsal gives up on starting the stack, its error's first line says why: the line of
each late service's log that names the problem, and for each service not started yet what it waits for."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.compose.conftest import require_rehearsal
from tests.compose.rehearsal import Rehearsal, RehearsalError, files_folder
from tests.conftest import RUN_ID

pytestmark = pytest.mark.slow


def test_giving_up_names_the_permission_error_in_the_services_log():
    """PostgreSQL's data volume holds a postgresql.conf its user may not read (a volume another user left):
    the server exits at each start, and the error names that line of its log, not only the timeout. S3 is
    moto here, which starts in seconds; nothing after PostgreSQL starts."""
    require_rehearsal()
    stack = Rehearsal(files_folder(f"nps-gives-up-{RUN_ID}"), {"LAB_S3_SERVER": "moto"}, dotenv={})
    data = stack.volumes / "postgres-data"
    data.mkdir(parents=True)
    (data / "PG_VERSION").write_text("16\n")  # an initialised volume: the stand-in does not run initdb
    (data / "postgresql.conf").write_text("")
    (data / "postgresql.conf").chmod(0o600)  # root's own
    try:
        with pytest.raises(RehearsalError) as raised:
            stack.up(timeout=30)
    finally:
        stack.down()
        shutil.rmtree(stack.folder, ignore_errors=True)
    first = str(raised.value).splitlines()[0]
    assert first.startswith("not ready after 30 s: "), first
    assert re.search(r"postgres: [^;]*postgresql\.conf[^;]*Permission denied", first), first
    assert "redshift: waits for postgres service_healthy" in first, first
