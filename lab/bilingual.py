"""Every lesson speaks Korean first and English second; this is the one way a message says both.

The course's learners read Korean first (notebooks, check messages, printed summaries); an English reader
must be able to follow too. ``say`` keeps the two side by side in one string, Korean on top:

    assert run["state"] == "success", nb.say("실행이 실패했습니다", "the run failed")

tests/notebooks/test_languages.py holds every notebook to it.
"""

from __future__ import annotations

import re

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def has_hangul(text: str) -> bool:
    return HANGUL.search(text) is not None


def say(ko: str, en: str) -> str:
    """One message in both languages: the Korean line(s), then the English."""
    if not has_hangul(ko):
        raise ValueError(f"say(): the Korean text has no Korean in it: {ko!r}")
    if has_hangul(en) or not en.strip():
        raise ValueError(f"say(): the English text must be English: {en!r}")
    return f"{ko}\n{en}"
