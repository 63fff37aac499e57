"""`prod.nps`, the course's OLTP table: created exactly as in the course, filled with seeded responses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pymysql

from seed import rows
from seed.source import insert_rows, progress

TABLE = "nps"
# The course's DDL, unchanged.
CREATE_TABLE = """
CREATE TABLE nps (
    id INT NOT NULL AUTO_INCREMENT primary key,
    created_at timestamp,
    score smallint
)
"""


def days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=n) for n in range(count)]


def recreate(conn: pymysql.Connection) -> None:
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cur.execute(CREATE_TABLE)


def _tuples(seed: int, dates: list[date], rows_per_day: int) -> Iterator[str]:
    for day in dates:
        for created_at, score in rows.responses(seed, TABLE, day, rows_per_day):
            yield f"('{created_at}',{score})"


def fill(conn: pymysql.Connection, dates: list[date], rows_per_day: int, seed: int) -> int:
    """Insert the responses of ``dates``; ids follow arrival time. Returns the row count."""
    total = sum(rows.day_count(seed, TABLE, day, rows_per_day) for day in dates)
    with progress(total, TABLE) as bar:
        count = insert_rows(conn, TABLE, ("created_at", "score"), _tuples(seed, dates, rows_per_day), bar)
    conn.commit()
    return count
