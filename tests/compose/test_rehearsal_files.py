"""The rehearsal's files are reachable by every host's user wherever the checkout sits, even in a folder
only its owner may enter (a home folder, a `mktemp -d`); where they would not be, it says why at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.compose import images
from tests.compose.rehearsal import FILES_ROOT, Rehearsal, RehearsalError, files_folder


@pytest.fixture
def private_folder():
    """A `mktemp -d` (mode 0700) in a folder everyone may pass, as a checkout in a home folder sits."""
    folder = Path(tempfile.mkdtemp(prefix="nps-private-", dir=FILES_ROOT))
    yield folder
    shutil.rmtree(folder)


def enters(user: str, folder) -> bool:
    return subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(folder)]).returncode == 0


def test_files_folder_is_entered_by_the_servers_users():
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        if os.environ.get("CI"):
            pytest.fail("CI runs this as root, with runuser (util-linux)")
        pytest.skip("needs root and runuser (util-linux), as the compose rehearsal does")
    folder = files_folder("nps-test")
    try:
        for user in ("mysql", "postgres", "nobody"):
            assert enters(user, folder), f"{user} cannot enter {folder}"
    finally:
        shutil.rmtree(folder)


def test_a_folder_behind_a_closed_one_is_refused_with_the_reason(private_folder):
    inside = private_folder / "rehearsal"
    inside.mkdir()
    with pytest.raises(RehearsalError, match=rf"{private_folder} is closed to them \(mode 700\)"):
        Rehearsal(inside, dotenv={})


def test_a_venv_in_a_private_folder_is_made_passable_in_the_lab_hosts(private_folder):
    venv_python = private_folder / "checkout" / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.symlink_to(sys.executable)
    closed = images._closed_directories(venv_python)
    assert str(private_folder) in closed, closed
    assert closed == sorted(closed, key=len), "a folder must be made passable before the folders inside it"
