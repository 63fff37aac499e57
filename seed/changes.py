"""`prod.nps_changes`: the source table of the incremental lessons, and one simulated day of changes.

The course lists what a table needs for incremental updates: `created` (optional), `modified` and a
`deleted` flag (rows are never physically deleted). This table has them; a new row starts with
``modified = created_at``, and each day (``tick``) creates rows, modifies some older ones and
soft-deletes a few, stamping ``modified`` with that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pymysql

from seed import rows
from seed.source import fill_table, insert_rows, progress, recreate_table

TABLE = "nps_changes"
COLUMNS = ("created_at", "score", "modified", "deleted")
# `NULL` on the timestamps keeps MySQL from adding ON UPDATE CURRENT_TIMESTAMP to the first one
# (servers with explicit_defaults_for_timestamp off), which would rewrite created_at on every update.
CREATE_TABLE = """
CREATE TABLE nps_changes (
    id INT NOT NULL AUTO_INCREMENT primary key,
    created_at timestamp NULL,
    score smallint,
    modified timestamp NULL,
    deleted boolean NOT NULL DEFAULT false,
    INDEX (modified)
)
"""
# Of a day's new-row volume, the share of older rows modified and soft-deleted that day.
MODIFIED_SHARE = 0.2
DELETED_SHARE = 0.05


@dataclass(frozen=True)
class DayOfChanges:
    created: int
    modified: int
    deleted: int


def recreate(conn: pymysql.Connection) -> None:
    recreate_table(conn, TABLE, CREATE_TABLE)


def fill(conn: pymysql.Connection, dates: list[date], rows_per_day: int, seed: int) -> int:
    """Insert the rows created on ``dates``, unmodified and live. Returns the row count."""
    return fill_table(conn, TABLE, COLUMNS, live_row, dates, rows_per_day, seed)


def live_row(created_at: str, score: int) -> str:
    """A new row as a SQL tuple: modified when created, not deleted."""
    return f"('{created_at}',{score},'{created_at}',0)"


def tick(conn: pymysql.Connection, day: date, rows_per_day: int, seed: int) -> DayOfChanges:
    """One day of production on ``day``: new rows, and changes to rows created before that day."""
    rnd = rows.day_random(seed, "tick", day)
    created = rows.day_volume(rnd, day, rows_per_day)
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT id FROM {TABLE} WHERE NOT deleted AND created_at < %s ORDER BY id", (day.isoformat(),)
        )
        older = [row[0] for row in cur.fetchall()]
        changed = rnd.sample(older, min(len(older), round(created * (MODIFIED_SHARE + DELETED_SHARE))))
        deleted_count = round(len(changed) * DELETED_SHARE / (MODIFIED_SHARE + DELETED_SHARE))
        deleted, modified = changed[:deleted_count], changed[deleted_count:]
        stamps = rows.times_of_day(rnd, day, len(changed))
        cur.executemany(
            f"UPDATE {TABLE} SET score = %s, modified = %s WHERE id = %s",
            list(zip(rows.scores(rnd, len(modified)), stamps[: len(modified)], modified, strict=True)),
        )
        cur.executemany(
            f"UPDATE {TABLE} SET deleted = true, modified = %s WHERE id = %s",
            list(zip(stamps[len(modified) :], deleted, strict=True)),
        )
        new_rows = (
            live_row(created_at, score)
            for created_at, score in zip(
                rows.times_of_day(rnd, day, created), rows.scores(rnd, created), strict=True
            )
        )
        with progress(created, TABLE) as bar:
            insert_rows(conn, TABLE, COLUMNS, new_rows, bar)
    conn.commit()
    return DayOfChanges(created=created, modified=len(modified), deleted=len(deleted))
