"""No code of the lab reaches a peer at an assumed loopback address: every peer is reached through a setting.

Inside a container, 127.0.0.1 (localhost, ::1) is the container itself, not the machine nor the service the
code means: `http://127.0.0.1:8080` finds Airflow natively and nothing in compose's jupyter container. Only
lab/config.py names loopback: LOOPBACK, and the native lab's defaults built on it. Every string constant and
f-string part of lab/ and dags/ is checked; docstrings are prose (they may explain this very rule).
"""

from __future__ import annotations

import ast

import pytest

from lab.config import REPO_ROOT

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
CHECKED = ("lab", "dags")
ALLOWED = {"lab/config.py"}


def _docstrings(tree: ast.AST) -> set[ast.AST]:
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        node.body[0].value
        for node in ast.walk(tree)
        if isinstance(node, owners)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def loopback_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of each string constant or f-string part, docstrings aside, that names loopback."""
    tree = ast.parse(source)
    prose = _docstrings(tree)
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)  # an f-string's literal parts are Constant nodes too
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node not in prose
        and any(name in node.value for name in LOOPBACK_NAMES)
    )


def test_peers_are_reached_through_settings():
    found = [
        f"{path.relative_to(REPO_ROOT)}:{line}: {text!r}"
        for folder in CHECKED
        for path in sorted((REPO_ROOT / folder).rglob("*.py"))
        if str(path.relative_to(REPO_ROOT)) not in ALLOWED
        for line, text in loopback_literals(path.read_text())
    ]
    assert not found, (
        "loopback addresses outside lab/config.py: reach a peer through its setting (Settings), this machine"
        " through lab.config.LOOPBACK\n" + "\n".join(found)
    )


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ('def api_url(port):\n    return f"http://127.0.0.1:{port}"\n', [2]),
        ('ENDPOINT = "http://localhost:4566"\n', [1]),
        ('def start(host="::1"):\n    pass\n', [1]),
        ('def start(host):\n    """Listens on 127.0.0.1 natively."""\n', []),
        ("from lab.config import LOOPBACK\nURL = f'http://{LOOPBACK}:8080'\n", []),
    ],
)
def test_the_check_finds_loopback_in_code_not_in_docstrings(source, lines):
    assert [line for line, _ in loopback_literals(source)] == lines
