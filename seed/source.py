"""The MySQL side of the seed: connect to the source database and insert rows in bulk."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date

import pymysql
from tqdm import tqdm

from lab.config import DatabaseUrl, redact
from lab.errors import UsageError
from seed import rows

# Rows per INSERT statement: big enough that MySQL parses few statements, small enough to stay far
# below max_allowed_packet (16 MiB by default; a row here is under 40 bytes).
BATCH_ROWS = 20_000
# Above this many rows a progress bar is worth showing even when stderr is not a terminal.
PROGRESS_ROWS = 500_000


def connect(url: DatabaseUrl, create_database: bool = False) -> pymysql.Connection:
    """A connection to ``url``'s database; a UsageError naming the server if it cannot be reached."""
    try:
        conn = pymysql.connect(
            host=url.host, port=url.port, user=url.user, password=url.password, connect_timeout=5
        )
    except pymysql.err.MySQLError as error:
        raise UsageError(f"cannot reach MySQL at {redact(str(url))}: {error.args[-1]}") from None
    with conn.cursor() as cur:
        if create_database:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{url.database}`")
        try:
            conn.select_db(url.database)
        except pymysql.err.MySQLError as error:
            conn.close()
            raise UsageError(f"MySQL database {url.database!r}: {error.args[-1]}") from None
    return conn


def progress(total: int, description: str) -> tqdm:
    """A progress bar over ``total`` rows, shown on a terminal or for a long run only."""
    return tqdm(
        total=total,
        desc=description,
        unit="rows",
        unit_scale=True,
        disable=not sys.stderr.isatty() and total < PROGRESS_ROWS,
    )


def insert_rows(
    conn: pymysql.Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[str],
    bar: tqdm,
) -> int:
    """INSERT ``rows`` (each a ready SQL tuple such as ``('2024-01-01 10:00:00',9)``) in batches.

    The seed makes every value itself (numbers and timestamps), so the tuples are formatted directly:
    escaping each value through the driver would cost more than MySQL's whole insert.
    """
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    batch: list[str] = []
    count = 0
    with conn.cursor() as cur:
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH_ROWS:
                cur.execute(head + ",".join(batch))
                count += len(batch)
                bar.update(len(batch))
                batch.clear()
        if batch:
            cur.execute(head + ",".join(batch))
            count += len(batch)
            bar.update(len(batch))
    return count


def recreate_table(conn: pymysql.Connection, table: str, create_sql: str) -> None:
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {table}")
        cur.execute(create_sql)


def fill_table(
    conn: pymysql.Connection,
    table: str,
    columns: Sequence[str],
    to_sql: Callable[[str, int], str],
    dates: list[date],
    rows_per_day: int,
    seed: int,
) -> int:
    """Insert the responses created on ``dates``, each made a SQL tuple by ``to_sql(created_at, score)``.

    Returns the row count."""
    tuples = (
        to_sql(created_at, score)
        for day in dates
        for created_at, score in rows.responses(seed, table, day, rows_per_day)
    )
    total = sum(rows.day_count(seed, table, day, rows_per_day) for day in dates)
    with progress(total, table) as bar:
        count = insert_rows(conn, table, columns, tuples, bar)
    conn.commit()
    return count
