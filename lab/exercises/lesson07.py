"""Lesson 07's exercise: weekly NPS with DATE_TRUNC, on a table of its own.

The table holds answers over three weeks (one of them unanswered: score NULL). The expected figures are
computed here in Python from the same rows, not by the warehouse: NPS = % promoters (9-10) - % detractors
(0-6) of the answers that carry a score (COUNT(score), as Build_Summary). DATE_TRUNC('week', ...) gives the
Monday of the week: https://docs.aws.amazon.com/redshift/latest/dg/r_DATE_TRUNC.html
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from lab import notebook as nb
from lab.exercises import Verdict, exercise, right, wrong
from lab.exercises.answers import answer_rows

TABLE = "raw_data.nps_ex07"
# (created_at, score): Monday 2024-01-01, 2024-01-08 and 2024-01-15 start the three weeks.
ANSWERS = [
    ("2024-01-01 09:00:00", 10),
    ("2024-01-03 12:00:00", 3),
    ("2024-01-07 23:30:00", 9),  # a Sunday: still the week of 2024-01-01
    ("2024-01-08 00:10:00", 7),
    ("2024-01-10 15:00:00", 9),
    ("2024-01-12 08:00:00", None),  # unanswered: counts for nothing
    ("2024-01-16 10:00:00", 2),
    ("2024-01-18 11:00:00", 6),
    ("2024-01-20 17:00:00", 10),
]


def expected_weekly() -> dict[str, float]:
    weeks: dict[str, list[int]] = {}
    for created_at, score in ANSWERS:
        day = datetime.fromisoformat(created_at).date()
        monday = (day - timedelta(days=day.weekday())).isoformat()
        weeks.setdefault(monday, [])
        if score is not None:
            weeks[monday].append(score)
    return {
        week: round((sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) * 100 / len(scores), 2)
        for week, scores in sorted(weeks.items())
    }


def _fill() -> None:
    nb.change_warehouse(f"DROP TABLE IF EXISTS {TABLE}")
    nb.change_warehouse(f"CREATE TABLE {TABLE} (id INT NOT NULL, created_at TIMESTAMP, score SMALLINT)")
    values = ", ".join(["(%s, %s, %s)"] * len(ANSWERS))
    rows = [value for n, answer in enumerate(ANSWERS, 1) for value in (n, *answer)]
    nb.change_warehouse(f"INSERT INTO {TABLE} VALUES {values}", rows)


def _day(value) -> str:
    return value.isoformat()[:10] if isinstance(value, date | datetime) else str(value)[:10]


@exercise("07.1")
def weekly_nps(answer_sql: str):
    found = answer_rows(answer_sql, TABLE, ["week", "nps"], _fill)
    if isinstance(found, Verdict):
        return found
    expected = expected_weekly()
    weeks = [_day(week) for week in found["week"]]
    if weeks != list(expected):
        return wrong(
            f"week 값이 {weeks}입니다. 주마다 한 행, 그 주의 월요일이어야 합니다: {list(expected)}."
            " DATE_TRUNC('week', created_at)로 묶고 ORDER BY 1로 정렬하세요.",
            f"the weeks are {weeks}; one row per week, its Monday, expected {list(expected)}."
            " Group by DATE_TRUNC('week', created_at) and ORDER BY 1.",
        )
    nps = [round(float(value), 2) for value in found["nps"]]
    if nps != list(expected.values()):
        return wrong(
            f"nps가 {nps}입니다. 기대한 값은 {list(expected.values())}입니다. 점수가 없는 응답(NULL)은"
            " 분모에서 빼야 합니다: COUNT(score)로 나누고, ::float로 정수 나눗셈을 피하세요.",
            f"nps is {nps}; expected {list(expected.values())}. An answer without a score (NULL) is not in"
            " the denominator: divide by COUNT(score), and use ::float to avoid integer division.",
        )
    return right()
