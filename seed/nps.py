"""`prod.nps`, the course's OLTP table: created exactly as in the course, filled with seeded responses."""

from __future__ import annotations

from datetime import date, timedelta

import pymysql

from seed.source import fill_table, recreate_table

TABLE = "nps"
# The course's DDL, unchanged.
CREATE_TABLE = """
CREATE TABLE nps (
    id INT NOT NULL AUTO_INCREMENT primary key,
    created_at timestamp,
    score smallint
)
"""
# Not in the course: the incremental DAGs read one day at a time (`created_at >= ds AND created_at < ds + 1
# day`), and without an index on created_at MySQL reads the whole table for every day it exports.
CREATE_INDEX = "CREATE INDEX created_at ON nps (created_at)"


def days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=n) for n in range(count)]


def recreate(conn: pymysql.Connection) -> None:
    recreate_table(conn, TABLE, CREATE_TABLE)
    with conn.cursor() as cur:
        cur.execute(CREATE_INDEX)


def fill(conn: pymysql.Connection, dates: list[date], rows_per_day: int, seed: int) -> int:
    """Insert the responses of ``dates``; ids follow arrival time. Returns the row count."""
    return fill_table(
        conn,
        TABLE,
        ("created_at", "score"),
        lambda created_at, score: f"('{created_at}',{score})",
        dates,
        rows_per_day,
        seed,
    )
