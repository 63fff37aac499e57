"""What most query exercises check first: the learner's SQL reads the exercise's own table, runs on a fresh
copy of it, and returns the columns the checker compares."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from lab import notebook as nb
from lab.exercises import Verdict, wrong


def answer_rows(
    answer_sql: str, table: str, columns: list[str], fill: Callable[[], None]
) -> pd.DataFrame | Verdict:
    """The rows ``answer_sql`` returns after ``fill()`` made ``table`` anew, or the verdict that it cannot
    be graded yet (it reads another table, or lacks one of ``columns``)."""
    if table not in answer_sql:
        return wrong(f"쿼리가 {table}을 읽어야 합니다.", f"the query must read {table}.")
    fill()
    found = nb.warehouse(answer_sql)
    if not set(columns) <= set(found.columns):
        return wrong(
            f"결과에 {'와 '.join(columns)} 열이 있어야 합니다. 지금 열: {list(found.columns)}",
            f"the result needs the columns {' and '.join(columns)}; it has {list(found.columns)}",
        )
    return found
