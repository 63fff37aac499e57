"""Every exercise in the notebooks grades itself: wrong on the cell as the learner finds it, right on its
solution (lab.exercises explains the three cells of an exercise)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from lab import exercises
from lab.config import REPO_ROOT

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
SOLUTIONS_DIR = NOTEBOOKS_DIR / "solutions"
MARKER = re.compile(r"^# EXERCISE (?P<id>\d\d\.\d+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Exercise:
    id: str
    notebook: Path
    cell: str  # the code cell the learner edits, as stored
    grading_cell: str  # the code cell after it

    @property
    def solution(self) -> Path:
        return SOLUTIONS_DIR / f"{self.id.replace('.', '_')}.py"


def notebook_exercises() -> list[Exercise]:
    found = []
    for path in sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")):
        code = [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
        for index, source in enumerate(code):
            if match := MARKER.match(source):
                grading = code[index + 1] if index + 1 < len(code) else ""
                found.append(Exercise(match["id"], path, source, grading))
    return found


EXERCISES = notebook_exercises()
IDS = [exercise.id for exercise in EXERCISES]


def answers(exercise: Exercise, source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, f"{exercise.notebook.name} exercise {exercise.id}", "exec"), namespace)
    names = exercises.answer_names(exercise.id)
    missing = [name for name in names if name not in namespace]
    assert not missing, f"exercise {exercise.id}'s code does not assign {missing}"
    return {name: namespace[name] for name in names}


def test_every_lesson_has_exercises():
    lessons = {path.name[:2] for path in NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")}
    with_exercises = {exercise.id[:2] for exercise in EXERCISES}
    assert lessons <= with_exercises, f"lessons without an exercise: {sorted(lessons - with_exercises)}"
    assert len(IDS) == len(set(IDS)), f"an exercise id appears twice: {IDS}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_exercise_is_wired(exercise):
    assert exercise.solution.is_file(), f"exercise {exercise.id} has no solution at {exercise.solution}"
    call = re.search(r"nb\.grade\(\s*[\"'](?P<id>[^\"']+)[\"']", exercise.grading_cell)
    assert call and call["id"] == exercise.id, (
        f"the cell after exercise {exercise.id} in {exercise.notebook.name} must call "
        f"nb.grade({exercise.id!r}, ...): {exercise.grading_cell!r}"
    )
    assert exercises.answer_names(exercise.id), f"exercise {exercise.id}'s checker takes no answer"


@pytest.mark.slow
@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_untouched_exercise_is_wrong_and_solution_is_right(exercise, notebook_lab, monkeypatch):
    for name, value in notebook_lab.items():
        monkeypatch.setenv(name, value)
    untouched = exercises.check(exercise.id, **answers(exercise, exercise.cell))
    assert not untouched.ok, f"exercise {exercise.id} says right before the learner did anything"
    assert untouched.hint_ko and untouched.hint_en, f"exercise {exercise.id} says wrong with no hint"
    solved = exercises.check(exercise.id, **answers(exercise, exercise.solution.read_text()))
    assert solved.ok, f"exercise {exercise.id}'s solution is graded wrong: {solved}"
