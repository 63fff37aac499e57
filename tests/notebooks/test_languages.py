"""Every notebook reads in Korean first and in English second (labs.md, "The lessons' two languages").

- A markdown cell: its Korean, then the English in a ``<details><summary>English</summary>`` block.
- A check message (``assert ..., msg``): ``nb.say("한국어", "English")``.
- What a code cell prints in words, and a chart's title or axis label: ``nb.say`` for a message, or one
  label that carries both ("일별 NPS (daily NPS)").
- A code comment that explains in words: in Korean (English may follow it).

Each failure names the notebook, the cell and what lacks a language.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from lab.bilingual import has_hangul
from lab.config import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DETAILS = re.compile(r"<details>\s*<summary>\s*English\s*</summary>(?P<english>.*?)</details>", re.DOTALL)
PROSE = re.compile(r"[A-Za-z]{2,}[ ,:'-]+[A-Za-z]{2,}")  # two English words in a row
WORDS = re.compile(r"\b[A-Za-z]{2,}\b")
LABEL_KEYWORDS = {"title", "xlabel", "ylabel", "label", "suptitle"}
LABEL_METHODS = {"set_title", "set_xlabel", "set_ylabel", "suptitle", "title", "xlabel", "ylabel"}
CODE_SPAN = re.compile(r"`[^`]*`|```.*?```", re.DOTALL)


def cells(path: Path):
    yield from enumerate(nbformat.read(path, as_version=4).cells)


def markdown_problems(source: str) -> list[str]:
    details = DETAILS.search(source)
    if details is None:
        return ["no <details><summary>English</summary> ... </details> block"]
    korean = CODE_SPAN.sub("", source[: details.start()] + source[details.end() :])
    problems = []
    if not has_hangul(korean):
        return ["no Korean outside the English block"]
    if len(WORDS.findall(CODE_SPAN.sub("", details["english"]))) < 2:
        problems.append("the English block is empty")
    return problems


def literal_text(node: ast.AST) -> str | None:
    """The text of a string literal or f-string (its literal parts), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value for part in node.values if isinstance(part, ast.Constant))
    return None


def is_say(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Attribute) and node.func.attr == "say")
        or (isinstance(node.func, ast.Name) and node.func.id == "say")
    )


def say_problems(node: ast.Call, source: str) -> list[str]:
    if len(node.args) != 2:
        return [f"say() takes the Korean and the English: {ast.get_source_segment(source, node)}"]
    korean, english = (ast.get_source_segment(source, arg) or "" for arg in node.args)
    problems = []
    if not has_hangul(korean):
        problems.append(f"say()'s first text is not Korean: {korean[:80]}")
    if has_hangul(english) or not WORDS.search(english):
        problems.append(f"say()'s second text is not English: {english[:80]}")
    return problems


def code_problems(source: str) -> list[str]:
    # IPython's own lines (%magic, !shell) are not Python.
    python = "\n".join("" if line.lstrip()[:1] in "%!" else line for line in source.splitlines())
    try:
        tree = ast.parse(python)
    except SyntaxError as error:
        return [f"does not parse: {error}"]
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            if node.msg is None:
                problems.append(f"an assert without a message: {ast.get_source_segment(python, node)[:80]}")
            elif not is_say(node.msg):
                message = ast.get_source_segment(python, node.msg)[:80]
                problems.append(f"an assert's message is not nb.say(ko, en): {message}")
        if is_say(node):
            problems += say_problems(node, python)
        if isinstance(node, ast.Call):
            printed = isinstance(node.func, ast.Name) and node.func.id == "print"
            labelled = isinstance(node.func, ast.Attribute) and node.func.attr in LABEL_METHODS
            texts = list(node.args) if printed or labelled else []
            texts += [keyword.value for keyword in node.keywords if keyword.arg in LABEL_KEYWORDS]
            for text_node in texts:
                text = literal_text(text_node)
                if text is not None and PROSE.search(text) and not has_hangul(text):
                    problems.append(
                        f"English words with no Korean: {text[:80]!r} (use nb.say, or both in one label)"
                    )
    for line in source.splitlines():
        comment = line.split("#", 1)[1] if "#" in line and not line.lstrip().startswith(("%", "!")) else ""
        if len(WORDS.findall(comment)) >= 3 and not has_hangul(comment) and "EXERCISE" not in comment:
            problems.append(f"a comment in English only: {line.strip()[:80]}")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_every_cell_speaks_korean_and_english(path):
    problems = []
    for index, cell in cells(path):
        found = markdown_problems(cell.source) if cell.cell_type == "markdown" else code_problems(cell.source)
        problems += [f"cell {index} ({cell.cell_type}): {problem}" for problem in found]
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_the_checker_catches_each_missing_language():
    assert markdown_problems("# 3. Incremental upsert\n\nEnglish only.")
    assert markdown_problems("# 3. 증분 업데이트\n\n한국어만 있습니다.")
    assert not markdown_problems(
        "# 3. 증분 업데이트\n\n하루치만 옮깁니다.\n\n"
        "<details><summary>English</summary>\n\nOnly one day moves.\n</details>"
    )
    assert code_problems("assert x == 1, 'x should be 1'")
    assert code_problems("assert x == 1")
    assert code_problems("assert x == 1, nb.say('x should be 1', 'x는 1이어야 합니다')")
    assert not code_problems("assert x == 1, nb.say('x는 1이어야 합니다', 'x should be 1')")
    assert code_problems("print(f'{n} new rows on {day}')")
    assert not code_problems("print(nb.say(f'{day}에 새 행 {n}개', f'{n} new rows on {day}'))")
    assert code_problems("ax.set_title('rows moved per day')")
    assert not code_problems("ax.set_title('일별 옮긴 행 수 (rows moved per day)')")
    assert code_problems("x = 1  # the rows the run moved")
    assert not code_problems("x = 1  # 실행이 옮긴 행")
