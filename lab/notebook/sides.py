"""The same table on either side, source or warehouse: a day's rows, counts per day, what to forget."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd

from lab.bilingual import say
from lab.notebook.peers import settings
from lab.notebook.source_db import source
from lab.notebook.warehouse_db import change_warehouse, warehouse


def per_day(frame: pd.DataFrame, column: str = "created_at") -> pd.Series:
    """Row counts by calendar day of ``column``."""
    return frame.groupby(pd.to_datetime(frame[column]).dt.date).size().rename("rows")


def _query(side: str) -> Callable[..., pd.DataFrame]:
    if side not in ("source", "warehouse"):
        raise ValueError(
            say(
                f"side는 'source' 또는 'warehouse'여야 합니다: {side!r}",
                f"side must be 'source' or 'warehouse', not {side!r}",
            )
        )
    return source if side == "source" else warehouse


def _table(side: str, table: str) -> str:
    return table if side == "source" else f"{settings().warehouse_schema}.{table}"


def day_rows(
    side: str,
    day: date,
    table: str = "nps",
    columns: str = "id, created_at, score",
    column: str = "created_at",
) -> pd.DataFrame:
    """The rows of ``table`` whose ``column`` falls on ``day``, from the source or the warehouse, by id."""
    window = (day.isoformat(), (day + timedelta(days=1)).isoformat())
    where = f"{column} >= %s AND {column} < %s"
    return _query(side)(f"SELECT {columns} FROM {_table(side, table)} WHERE {where} ORDER BY id", window)


def forget_days(first: date, last: date, table: str = "nps") -> None:
    """Delete ``first`` to ``last`` (included) from the warehouse table, as if never loaded."""
    window = (first.isoformat(), (last + timedelta(days=1)).isoformat())
    change_warehouse(
        f"DELETE FROM {_table('warehouse', table)} WHERE created_at >= %s AND created_at < %s", window
    )


def row_count(side: str, table: str = "nps") -> int:
    return int(_query(side)(f"SELECT COUNT(*) AS n FROM {_table(side, table)}")["n"][0])


def daily_counts(first: date, last: date, table: str = "nps") -> pd.DataFrame:
    """Rows per day of ``table``, ``first`` to ``last`` included: source and warehouse side by side."""
    window = (first.isoformat(), (last + timedelta(days=1)).isoformat())
    query = "SELECT id, created_at FROM {} WHERE created_at >= %s AND created_at < %s"
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    sides = {
        "source": per_day(source(query.format(table), window)),
        "warehouse": per_day(warehouse(query.format(f"{settings().warehouse_schema}.{table}"), window)),
    }
    return pd.DataFrame({name: counts.reindex(days, fill_value=0) for name, counts in sides.items()})
