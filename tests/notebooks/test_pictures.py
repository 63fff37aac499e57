"""Every picture a lesson or README shows is in the repository: a link to a missing PNG is a broken lesson."""

from __future__ import annotations

import re

import nbformat
import pytest

from lab.config import REPO_ROOT

IMAGE = re.compile(r"!\[[^\]]*\]\((?P<path>[^)\s]+\.png)\)|<img [^>]*src=\"(?P<src>[^\"]+\.png)\"")
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DOCUMENTS = [REPO_ROOT / name for name in ("README.md", "labs.md", "labs.ko.md")]


def shown(text: str) -> list[str]:
    return [match["path"] or match["src"] for match in IMAGE.finditer(text)]


@pytest.mark.parametrize("path", NOTEBOOKS + DOCUMENTS, ids=lambda path: path.name)
def test_every_picture_shown_exists(path):
    if path.suffix == ".ipynb":
        text = "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)
    else:
        text = path.read_text()
    missing = [image for image in shown(text) if not (path.parent / image).is_file()]
    assert not missing, f"{path.name} shows pictures that are not in the repository: {missing}"


def test_the_lessons_show_the_method_pictures():
    lessons = {
        path.name[:2]: shown("\n".join(c.source for c in nbformat.read(path, 4).cells)) for path in NOTEBOOKS
    }
    expected = {"01": "pipeline.png", "02": "full_refresh.png", "03": "upsert.png", "05": "row_number.png"}
    for lesson, picture in expected.items():
        assert any(image.endswith(picture) for image in lessons[lesson]), f"lesson {lesson} lacks {picture}"
