"""The source MySQL database (the course's `prod`), as DataFrames."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pandas as pd
import pymysql

from lab.config import Settings
from lab.notebook import commands
from lab.notebook.peers import frame, settings, when_up

# MySQL client errors that mean "nothing answers there (yet)": can't connect, unknown host, connection lost.
_MYSQL_UNREACHABLE = (2003, 2005, 2013)


def _mysql(lab: Settings) -> pymysql.Connection:
    url = lab.mysql
    return when_up(
        "mysql",
        f"{url.host}:{url.port}",
        lambda: pymysql.connect(
            host=url.host, port=url.port, user=url.user, password=url.password, database=url.database
        ),
        lambda error: isinstance(error, pymysql.err.OperationalError) and error.args[0] in _MYSQL_UNREACHABLE,
    )


def source(query: str, params: Sequence = ()) -> pd.DataFrame:
    """Rows of a query on the source MySQL database (the course's `prod`)."""
    with _mysql(settings()) as conn, conn.cursor() as cur:
        cur.execute(query, params or None)
        return frame(cur, cur.fetchall())


def change_source(statement: str, params: Sequence = ()) -> int:
    """Run one statement on the source database and commit; returns the rows it touched."""
    with _mysql(settings()) as conn, conn.cursor() as cur:
        count = cur.execute(statement, params or None)
        conn.commit()
        return count


def source_days(table: str = "nps", column: str = "created_at") -> list[date]:
    """The days that have rows in a source table, in order."""
    days = source(f"SELECT DISTINCT DATE({column}) AS day FROM {table} ORDER BY day")
    return list(days["day"])


def next_day(table: str = "nps", column: str = "created_at") -> date:
    """The first day after the last one with rows: where a new day of production goes."""
    return source_days(table, column)[-1] + timedelta(days=1)


def tick(day: date) -> None:
    """One new day of production in the source, as busy as the days it already has on average:
    `lab seed tick --date DAY --rows-per-day N`."""
    volume = source("SELECT COUNT(*) / COUNT(DISTINCT DATE(created_at)) AS n FROM nps")["n"][0]
    commands.lab("seed", "tick", "--date", day.isoformat(), "--rows-per-day", str(round(volume or 0)))


def ensure_source_days(days: Sequence[date]) -> None:
    """Give every day of ``days`` its rows in the source (a day of production, `tick`), where it has none."""
    have = set(source_days())
    for day in days:
        if day not in have:
            tick(day)
