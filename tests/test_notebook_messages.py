"""What lab.notebook prints or raises for a learner speaks Korean first, then English (lab/bilingual.py).

Two nets: the source (every literal text a helper prints or raises, unless ``say`` carries it) and the
messages themselves, as a lesson shows them (a Comparison, what ``watch`` prints and its bar, a timeout,
a server that does not answer).
"""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from lab import notebook as nb
from lab.bilingual import has_hangul
from lab.notebook import peers
from tests.notebooks.test_languages import PROSE, is_say, literal_text

# The calls whose text a learner reads: printed, written above the progress bar, the bar's own label.
SHOWN = {"print", "_write", "set_description"}


def unsaid_texts(source: str) -> list[str]:
    """Literal texts with English words and no Korean, printed or raised outside ``say``."""
    tree = ast.parse(source)
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            texts = node.exc.args
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in SHOWN:
            texts = node.args
        else:
            continue
        for text in texts:
            literal = None if is_say(text) else literal_text(text)
            if literal is not None and PROSE.search(literal) and not has_hangul(literal):
                problems.append(f"line {text.lineno}: {ast.get_source_segment(source, text)[:90]}")
    return problems


def test_every_text_the_helpers_print_or_raise_goes_through_say():
    modules = sorted(Path(nb.__file__).parent.glob("*.py"))
    assert len(modules) > 5, modules
    problems = [f"{path.name} {problem}" for path in modules for problem in unsaid_texts(path.read_text())]
    assert not problems, "English-only learner messages in lab/notebook/:\n" + "\n".join(problems)


def test_the_source_check_finds_an_english_only_message():
    assert unsaid_texts('print(f"{dag_id}: unpaused now")')
    assert unsaid_texts('raise ValueError("side must be source")')
    assert not unsaid_texts('print(say("일시 중지를 해제했습니다.", "unpaused now"))')
    assert not unsaid_texts('print("$ lab", " ".join(args))')


def bilingual_problems(message: str) -> list[str]:
    """Korean first, and no more English-only lines than lines with Korean (each has its Korean twin)."""
    lines = [line for line in message.splitlines() if line.strip()]
    korean = [line for line in lines if has_hangul(line)]
    english_only = [line for line in lines if PROSE.search(line) and not has_hangul(line)]
    problems = []
    if not lines or not has_hangul(lines[0]):
        problems.append(f"does not start in Korean: {message[:90]!r}")
    if len(english_only) > len(korean):
        problems.append(f"English without its Korean: {english_only}")
    return problems


def test_the_message_check_finds_english_only_and_english_first():
    assert bilingual_problems("equal: 4 rows on both sides")
    assert bilingual_problems("different: 4 rows\n같지 않습니다")
    assert bilingual_problems("같지 않습니다\ndifferent: source side\n2 ids missing here")
    assert not bilingual_problems("같습니다: 4행입니다.\nequal: 4 rows on both sides")


SOURCE = pd.DataFrame({"id": [1, 2, 3, 4], "score": [9, 3, 10, 7]})
COMPARISONS = {
    "equal": SOURCE,
    "every difference": pd.DataFrame({"id": [2, 3, 3, 5], "score": [4, 10, 10, 1]}),
    "fewer rows": SOURCE.iloc[:2],
}


@pytest.mark.parametrize("warehouse", COMPARISONS.values(), ids=COMPARISONS.keys())
def test_a_comparison_speaks_both_languages(warehouse):
    assert not bilingual_problems(str(nb.compare(SOURCE, warehouse)))


def test_what_watch_prints_and_its_bar_speak_both_languages():
    def watched(per_task: bool) -> str:
        states = {"a": iter(["queued", "running", "success"]), "b": iter(["running", "failed", "failed"])}
        out = io.StringIO()
        nb.watch(
            lambda: [{"dag_run_id": run_id, "state": next(states[run_id])} for run_id in ("a", "b")],
            lambda run_id: {"load": "running"},
            timeout=10,
            poll_seconds=0,
            out=out,
            per_task=per_task,
        )
        return out.getvalue()

    for per_task in (True, False):
        lines = [line.strip() for line in watched(per_task).replace("\r", "\n").splitlines() if line.strip()]
        worded = [line for line in lines if re.search(r"[A-Za-z]{3,}", line.split("|")[0])]
        assert worded, "watch printed nothing in words: the check would pass on nothing"
        # A state or a label carries both in one line ("실행 중 (running)"); a summary is a say() pair.
        for index, line in enumerate(worded):
            if not has_hangul(line):
                assert index and has_hangul(worded[index - 1]), f"no Korean for {line!r} in {worded}"


def test_a_timeout_and_a_server_that_does_not_answer_speak_both_languages(monkeypatch):
    out = io.StringIO()
    with pytest.raises(TimeoutError) as timeout:
        nb.watch(lambda: [{"dag_run_id": "a", "state": "running"}], lambda run_id: {}, 0, 0, out=out)
    assert not bilingual_problems(str(timeout.value))

    monkeypatch.setattr(peers, "PEER_WAIT", 0.02)
    monkeypatch.setattr(peers, "POLL_SECONDS", 0.01)
    printed = io.StringIO()
    monkeypatch.setattr("sys.stdout", printed)

    def refused():
        raise ConnectionRefusedError("refused")

    with pytest.raises(nb.PeerUnavailable) as unavailable:
        nb.when_up("mysql", "127.0.0.1:1", refused, lambda error: True)
    assert not bilingual_problems(str(unavailable.value))
    assert not bilingual_problems(printed.getvalue())
