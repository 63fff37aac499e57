"""Lesson 03's exercise: the upsert S3ToRedshiftOperator(method="UPSERT") runs, written by hand.

A target table with ids 1-5 and a batch table with ids 4-7 (4 and 5 with new scores, 6 and 7 new): the
learner's statements must leave ids 1-7 once each, 4 and 5 with the batch's scores, and do the same when
run a second time. Redshift does not enforce the primary key
(https://docs.aws.amazon.com/redshift/latest/dg/t_Defining_constraints.html), so an INSERT alone duplicates.
DELETE ... USING: https://docs.aws.amazon.com/redshift/latest/dg/r_DELETE.html
"""

from __future__ import annotations

from lab import notebook as nb
from lab.exercises import exercise, right, wrong

TARGET = "raw_data.nps_ex03"
BATCH = "raw_data.nps_ex03_batch"
DDL = "(id INT NOT NULL PRIMARY KEY, created_at TIMESTAMP, score SMALLINT)"
TARGET_ROWS = [(n, f"2024-01-01 0{n}:00:00", 5) for n in range(1, 6)]
BATCH_ROWS = [(4, "2024-01-01 04:00:00", 9), (5, "2024-01-01 05:00:00", 10)] + [
    (n, f"2024-01-02 0{n}:00:00", 7) for n in (6, 7)
]


def _fill(table: str, rows: list[tuple]) -> None:
    nb.change_warehouse(f"DROP TABLE IF EXISTS {table}")
    nb.change_warehouse(f"CREATE TABLE {table} {DDL}")
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    nb.change_warehouse(f"INSERT INTO {table} VALUES {values}", [value for row in rows for value in row])


def _statements(upsert_sql: str) -> list[str]:
    return [statement.strip() for statement in upsert_sql.split(";") if statement.strip()]


def _target() -> list[tuple]:
    rows = nb.warehouse(f"SELECT id, score FROM {TARGET} ORDER BY id, score")
    return [(int(id_), int(score)) for id_, score in rows.itertuples(index=False)]


@exercise("03.1")
def upsert(upsert_sql: str):
    statements = _statements(upsert_sql)
    if not statements:
        return wrong("SQL이 비어 있습니다.", "the SQL is empty.")
    _fill(TARGET, TARGET_ROWS)
    _fill(BATCH, BATCH_ROWS)
    expected = sorted({id_: score for id_, _, score in TARGET_ROWS + BATCH_ROWS}.items())
    for attempt, attempt_en in (("첫 번째", "1"), ("두 번째", "2")):
        for statement in statements:
            nb.change_warehouse(statement)
        found = _target()
        ids = [id_ for id_, _ in found]
        twice = sorted({id_ for id_ in ids if ids.count(id_) > 1})
        if twice:
            return wrong(
                f"{attempt} 실행 뒤 id {twice}가 두 번 이상 있습니다. INSERT 전에 배치에 있는 id를 "
                f"DELETE ... USING {BATCH}로 지워야 합니다(Redshift는 기본 키를 강제하지 않습니다).",
                f"after run {attempt_en}, ids {twice} appear more than once: delete the "
                f"batch's ids first with DELETE ... USING {BATCH} (Redshift does not enforce primary keys).",
            )
        if found != expected:
            return wrong(
                f"{attempt} 실행 뒤 {TARGET}의 (id, score)는 {found}입니다. 기대한 값: {expected}",
                f"after run {attempt_en}, {TARGET}'s (id, score) are {found}; expected {expected}",
            )
    return right()
