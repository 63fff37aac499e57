"""Lesson 05's exercise: the ROW_NUMBER dedupe by hand, on a work table of its own.

The table holds several versions of some ids (an edit, a soft delete); the learner's SELECT must return each
id's latest version once (ORDER BY modified DESC, row number 1), and none whose latest version is deleted.
ROW_NUMBER: https://docs.aws.amazon.com/redshift/latest/dg/r_WF_ROW_NUMBER.html
"""

from __future__ import annotations

from lab import notebook as nb
from lab.exercises import Verdict, exercise, right, wrong
from lab.exercises.answers import answer_rows

TABLE = "raw_data.nps_changes_ex05"
DDL = "(id INT NOT NULL, score SMALLINT, modified TIMESTAMP, deleted BOOLEAN)"
ROWS = [
    (1, 5, "2024-01-01 09:00:00", False),
    (1, 9, "2024-01-03 10:00:00", False),  # edited: the new score wins
    (2, 7, "2024-01-02 11:00:00", False),  # one version only
    (3, 8, "2024-01-01 12:00:00", False),
    (3, 8, "2024-01-04 08:00:00", True),  # soft-deleted later: gone
    (4, 2, "2024-01-01 13:00:00", False),
    (4, 6, "2024-01-02 13:00:00", False),
    (4, 10, "2024-01-05 13:00:00", False),  # three versions: the last wins
]
EXPECTED = [(1, 9), (2, 7), (4, 10)]


def _fill() -> None:
    nb.change_warehouse(f"DROP TABLE IF EXISTS {TABLE}")
    nb.change_warehouse(f"CREATE TABLE {TABLE} {DDL}")
    values = ", ".join(["(%s, %s, %s, %s)"] * len(ROWS))
    nb.change_warehouse(f"INSERT INTO {TABLE} VALUES {values}", [value for row in ROWS for value in row])


@exercise("05.1")
def latest_rows(answer_sql: str):
    found = answer_rows(answer_sql, TABLE, ["id", "score"], _fill)
    if isinstance(found, Verdict):
        return found
    ids = [int(id_) for id_ in found["id"]]
    twice = sorted({id_ for id_ in ids if ids.count(id_) > 1})
    if twice:
        return wrong(
            f"id {twice}가 두 번 이상 나옵니다. ROW_NUMBER() OVER (PARTITION BY id ORDER BY modified DESC)로"
            " 번호를 매기고 row_num = 1인 행만 남기세요.",
            f"ids {twice} appear more than once: number each id's rows with ROW_NUMBER() OVER"
            " (PARTITION BY id ORDER BY modified DESC) and keep row_num = 1.",
        )
    rows = sorted((int(id_), int(score)) for id_, score in found[["id", "score"]].itertuples(index=False))
    if 3 in ids:
        return wrong(
            "id 3의 최신 버전은 삭제 표시(deleted)된 행입니다. 번호 1이어도 NOT deleted인 행만 남기세요.",
            "id 3's latest version is flagged deleted: keep row number 1 only when it is NOT deleted.",
        )
    if rows != EXPECTED:
        return wrong(
            f"(id, score)가 {rows}입니다. 기대한 값: {EXPECTED}. ORDER BY modified DESC인지 보세요.",
            f"(id, score) are {rows}; expected {EXPECTED}. Is the order modified DESC?",
        )
    return right()
