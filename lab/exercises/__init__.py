"""Exercises that grade themselves: each lesson's checkers, and the one way a notebook calls them.

An exercise in a notebook is three cells:

1. a markdown cell (Korean, then English) with the task;
2. a code cell that the learner edits. Its first line is ``# EXERCISE NN.M``; it only assigns the names
   its checker takes (``answer_sql = "..."``), so that it runs on its own;
3. ``nb.grade("NN.M", answer_sql=answer_sql)``: says right, or wrong with a hint, in both languages.

The solution is ``notebooks/solutions/NN_M.py``: the same names, assigned right (in the notebook,
``%load solutions/NN_M.py`` shows it). A lesson's checkers are the functions of ``lab.exercises.lessonNN``
registered with ``@exercise("NN.M")``; they return ``right()`` or ``wrong(ko, en)`` and work on tables of
their own, never on what earlier cells left. tests/notebooks/test_exercises.py proves that each one says
wrong on the untouched cell and right on its solution.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass

from lab.bilingual import say


@dataclass(frozen=True)
class Verdict:
    ok: bool
    hint_ko: str = ""
    hint_en: str = ""

    def __str__(self) -> str:
        if self.ok:
            return say("✅ 정답입니다.", "✅ Correct.")
        return say(f"❌ 아직 아닙니다. {self.hint_ko}", f"❌ Not yet. {self.hint_en}")


Checker = Callable[..., Verdict]
CHECKERS: dict[str, Checker] = {}


def right() -> Verdict:
    return Verdict(True)


def wrong(hint_ko: str, hint_en: str) -> Verdict:
    return Verdict(False, hint_ko, hint_en)


def exercise(exercise_id: str) -> Callable[[Checker], Checker]:
    """Register a checker for the exercise ``NN.M``."""

    def register(checker: Checker) -> Checker:
        if exercise_id in CHECKERS:
            raise ValueError(f"exercise {exercise_id} has two checkers")
        CHECKERS[exercise_id] = checker
        return checker

    return register


def checker(exercise_id: str) -> Checker:
    lesson = exercise_id.split(".")[0]
    importlib.import_module(f"lab.exercises.lesson{lesson}")
    if exercise_id not in CHECKERS:
        raise KeyError(f"no checker for exercise {exercise_id} in lab.exercises.lesson{lesson}")
    return CHECKERS[exercise_id]


def answer_names(exercise_id: str) -> list[str]:
    """The names the exercise's cell must assign: its checker's parameters."""
    return list(inspect.signature(checker(exercise_id)).parameters)


def check(exercise_id: str, **answers) -> Verdict:
    """The checker's verdict. An answer that makes the check itself fail (SQL that does not run, a value of
    the wrong type) is a wrong answer whose hint is the error."""
    try:
        return checker(exercise_id)(**answers)
    except Exception as error:  # the learner's answer may break anything; say what broke
        return wrong(f"확인하다가 오류가 났습니다: {error}", f"checking it raised an error: {error}")


def grade(exercise_id: str, **answers) -> None:
    """What the notebook's check cell calls: prints the verdict, in both languages."""
    print(check(exercise_id, **answers))
