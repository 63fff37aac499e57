"""The lessons' screenshots come from tools/screenshots.py: run here against the notebooks' lab, in a real
Chromium, it makes exactly the PNGs the repository holds, each one a picture of the lab's Korean UI (the
script checks each page's words before it saves), and every one of them is shown by a lesson.

Without Debian's Chromium the test fails and says what to install: CI installs it (scripts/setup-browser.sh).
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys

import nbformat
import pytest

from lab.config import REPO_ROOT

SCRIPT = REPO_ROOT / "tools" / "screenshots.py"
UI_DIR = REPO_ROOT / "notebooks" / "images" / "ui"
CHROMIUM = "/usr/bin/chromium"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SIZES = {(1280, 800), (1280, 1000)}  # the window, and the taller one the backfill form needs


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.slow
def test_the_script_makes_the_screenshots_the_lessons_show(notebook_lab, tmp_path):
    assert os.path.exists(CHROMIUM), (
        f"no browser at {CHROMIUM}: run scripts/setup-browser.sh"
        " (`sudo apt-get install chromium fonts-noto-cjk`)"
    )
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        env={**os.environ, **notebook_lab},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"tools/screenshots.py failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    made = sorted(path.name for path in tmp_path.glob("*.png"))
    kept = sorted(path.name for path in UI_DIR.glob("*.png"))
    assert made == kept, f"the script makes {made}, the repository holds {kept}: run tools/screenshots.py"
    for name in made:
        size = png_size((tmp_path / name).read_bytes())
        assert size in SIZES and size == png_size((UI_DIR / name).read_bytes()), (name, size)


def test_every_screenshot_is_shown_by_a_lesson():
    lessons = "\n".join(
        cell.source
        for path in sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        for cell in nbformat.read(path, as_version=4).cells
    )
    unshown = [path.name for path in UI_DIR.glob("*.png") if f"images/ui/{path.name}" not in lessons]
    assert UI_DIR.is_dir() and not unshown, f"screenshots no lesson shows: {unshown}"
