"""The lessons' pictures in the repository are the ones tools/diagrams.py draws from tools/diagrams.yaml now.

Change a lesson's picture in the YAML (or the drawing code) without re-drawing, delete a PNG, or leave one the
source no longer names, and this fails, naming the picture and the command that re-makes them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMITTED = REPO_ROOT / "notebooks" / "images" / "diagrams"
REMAKE = ".venv/bin/python tools/diagrams.py"


def pixels(path: Path) -> tuple:
    with Image.open(path) as image:
        return image.size, image.mode, image.tobytes()


def test_committed_diagrams_are_what_the_script_draws(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "diagrams.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"tools/diagrams.py failed:\n{result.stdout}\n{result.stderr}"
    drawn = sorted(path.name for path in tmp_path.glob("*.png"))
    committed = sorted(path.name for path in COMMITTED.glob("*.png"))
    assert drawn, "tools/diagrams.py drew no picture"
    assert committed == drawn, (
        f"notebooks/images/diagrams/ holds {committed}, the source draws {drawn}: run `{REMAKE}`"
    )
    # Pixels, not bytes: another zlib may pack the same picture differently.
    stale = [name for name in drawn if pixels(tmp_path / name) != pixels(COMMITTED / name)]
    assert not stale, f"these pictures differ from what the source draws now: {stale}; run `{REMAKE}`"


def test_drawing_twice_gives_the_same_bytes(tmp_path):
    """Reproducible to the byte on one machine: no timestamp or version in the PNG, fixed sizes."""
    for out in ("first", "second"):
        subprocess.run(
            [sys.executable, str(REPO_ROOT / "tools" / "diagrams.py"), "--out", str(tmp_path / out)],
            check=True,
            capture_output=True,
            timeout=300,
        )
    for first in sorted((tmp_path / "first").glob("*.png")):
        second = tmp_path / "second" / first.name
        assert first.read_bytes() == second.read_bytes(), f"{first.name} differs between two runs"
    assert list((tmp_path / "first").glob("*.png")), "tools/diagrams.py drew no picture"
