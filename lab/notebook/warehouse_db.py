"""The warehouse through its Redshift endpoint: queries, COPY, and what it received and refused."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import redshift_connector

from lab.config import Settings
from lab.notebook.peers import frame, settings, when_up


def _redshift(lab: Settings) -> redshift_connector.Connection:
    url = lab.redshift
    return when_up(
        "redshift",
        f"{url.host}:{url.port}",
        lab.redshift_connection,
        # What the driver raises when nothing listens, or the name does not resolve yet.
        lambda error: isinstance(error, redshift_connector.InterfaceError),
    )


def warehouse(query: str, params: Sequence = ()) -> pd.DataFrame:
    """Rows of a query on the warehouse, through the Redshift endpoint (the emulator in the lab)."""
    with _redshift(settings()) as conn:
        cur = conn.cursor()
        cur.execute(query, tuple(params) or None)
        rows = cur.fetchall() if cur.description else ()
        return frame(cur, rows)


def change_warehouse(statement: str, params: Sequence = ()) -> None:
    """Run one statement on the warehouse and commit."""
    with _redshift(settings()) as conn:
        conn.cursor().execute(statement, tuple(params) or None)
        conn.commit()


def authorization() -> str:
    """What COPY and UNLOAD put in ``credentials '...'``, as S3ToRedshiftOperator writes it: the AWS
    connection's keys, or its role on a real cluster. A secret: never print it."""
    lab = settings()
    if lab.aws_role_arn:
        return f"aws_iam_role={lab.aws_role_arn}"
    return f"aws_access_key_id={lab.aws_access_key_id};aws_secret_access_key={lab.aws_secret_access_key}"


def copy_from_s3(table: str, key: str, options: str = "csv") -> int:
    """COPY one object of the lab's bucket into ``table`` as S3ToRedshiftOperator writes the statement;
    returns the rows loaded."""
    lab = settings()
    with _redshift(lab) as conn:
        cur = conn.cursor()
        cur.execute(f"COPY {table} FROM 's3://{lab.bucket}/{key}' credentials '{authorization()}' {options}")
        conn.commit()
        return cur.rowcount


def history_mark() -> int:
    """The newest query id in the warehouse's query history: pass it to ``query_history`` as ``after``."""
    mark = warehouse("SELECT COALESCE(MAX(query_id), 0) AS mark FROM sys_query_history")
    return int(mark["mark"][0])


def query_history(after: int = 0, like: str = "%") -> pd.DataFrame:
    """Statements the warehouse ran after query id ``after`` whose text matches ``like``, oldest first.

    The text is as Redshift's SYS_QUERY_HISTORY keeps it (COPY credentials masked), on one line; the
    notebook's own look-ups into the history are left out.
    """
    history = warehouse(
        "SELECT query_id, status, start_time, query_text FROM sys_query_history"
        " WHERE query_id > %s AND query_text ILIKE %s AND query_text NOT ILIKE %s ORDER BY query_id",
        (after, like, "%sys_query_history%"),
    )
    history["query_text"] = [" ".join(text.split()) for text in history["query_text"]]
    return history


def print_history(history: pd.DataFrame) -> None:
    """One line per statement: status, then the full text."""
    print("상태(status) 쿼리(query_text)")
    for status, text in zip(history["status"], history["query_text"], strict=True):
        print(f"{status:<8} {text}")


def load_errors(table: str | None = None) -> pd.DataFrame:
    """Rows of STL_LOAD_ERRORS, newest first: which file, line and column a COPY refused, and why."""
    query = (
        "SELECT e.starttime, e.query, TRIM(e.filename) AS filename, e.line_number,"
        " TRIM(e.colname) AS colname, TRIM(e.raw_field_value) AS raw_field_value, e.err_code,"
        " TRIM(e.err_reason) AS err_reason"
        " FROM stl_load_errors e"
    )
    if table is None:
        return warehouse(query + " ORDER BY e.starttime DESC")
    return warehouse(
        query + " JOIN pg_class c ON c.oid = e.tbl WHERE c.relname = %s ORDER BY e.starttime DESC", (table,)
    )
