"""What the notebooks call: the lab's tables and bucket as pandas, and DAG runs driven through Airflow.

A lesson's code cell is one call here, so the notebook reads like the lesson and the logic is tested
like any code (tests/test_notebook_helpers.py). Everything reads the running lab through the same
settings as the rest of the lab (``lab.config``): MySQL, the Redshift endpoint, S3 and Airflow's API.

    from lab import notebook as nb
    nb.source("SELECT COUNT(*) AS n FROM nps")            # prod.nps, as a DataFrame
    nb.warehouse("SELECT COUNT(*) AS n FROM raw_data.nps")  # through the Redshift endpoint
    run = nb.run_dag("MySQL_to_Redshift", date(2024, 1, 1))  # trigger (or re-run), wait, show progress
"""

from __future__ import annotations

import json
import re
import sys
import time
import urllib.error
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
import pymysql
import redshift_connector
from pandas.io.formats.style import Styler

from lab import airflow
from lab.bilingual import say as say  # the notebooks call nb.say
from lab.cli import main as lab_main
from lab.config import REPO_ROOT, Settings, load_settings
from lab.exercises import grade as grade  # and nb.grade

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")  # colours in Airflow's CLI output
POLL_SECONDS = 1.0
PEER_WAIT = 180  # seconds a notebook waits for a server that does not answer yet: it may be starting
# MySQL client errors that mean "nothing answers there (yet)": can't connect, unknown host, connection lost.
_MYSQL_UNREACHABLE = (2003, 2005, 2013)


# How long a notebook waits for DAG runs: a run of 5 tasks takes about 4 s on a 2-core machine (10.6 s with
# Airflow's default settings; bench/backfill_bench.py), allowed 30 s for a slower laptop, plus a base for a
# scheduler that has just started and parses every DAG before it runs one. A backfill waits for all its
# runs: the seeded month's, 30 allowances.
RUN_SECONDS = 30
WAIT_BASE = 120


def wait_allowance(runs: int) -> float:
    """Seconds to wait for ``runs`` runs. Overlapping runs share the machine's cores and Airflow's
    parallelism (2): they are allowed as long as one after another."""
    return WAIT_BASE + RUN_SECONDS * runs


RUN_TIMEOUT = wait_allowance(1)  # seconds a notebook waits for one DAG run


def settings() -> Settings:
    return load_settings()


class PeerUnavailable(ConnectionError):
    """A server of the lab did not answer within PEER_WAIT seconds; the message says where to look."""


def when_up(
    service: str, address: str, attempt: Callable[[], object], unreachable: Callable[[Exception], bool]
):
    """``attempt()``, tried again while ``service`` at ``address`` does not answer, PEER_WAIT seconds at most.

    Right after `docker compose up` (or a restart of one container) a notebook may run before a server it
    needs has started: it waits, says so once, and then names the command that shows the server's log.
    """
    deadline = time.monotonic() + PEER_WAIT
    waiting = False
    while True:
        try:
            return attempt()
        except Exception as error:
            if not unreachable(error):
                raise
            if time.monotonic() > deadline:
                raise PeerUnavailable(
                    f"{service} does not answer at {address} after {PEER_WAIT} s ({error});"
                    f" {settings().log_hint(service)}"
                ) from None
            if not waiting:
                print(f"waiting for {service} at {address}: it does not answer yet", flush=True)
                waiting = True
            time.sleep(POLL_SECONDS)


# --- The two databases and the bucket, as DataFrames ----------------------------------------------------


def _frame(cursor, rows: Sequence[Sequence]) -> pd.DataFrame:
    columns = [column[0] for column in cursor.description or ()]
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


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
        return _frame(cur, cur.fetchall())


def change_source(statement: str, params: Sequence = ()) -> int:
    """Run one statement on the source database and commit; returns the rows it touched."""
    with _mysql(settings()) as conn, conn.cursor() as cur:
        count = cur.execute(statement, params or None)
        conn.commit()
        return count


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
        return _frame(cur, rows)


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


def objects(prefix: str = "") -> pd.DataFrame:
    """The bucket's objects under ``prefix``: key, size in bytes, last modified."""
    lab = settings()
    listed = []
    for page in lab.s3_client().get_paginator("list_objects_v2").paginate(Bucket=lab.bucket, Prefix=prefix):
        listed += [(item["Key"], item["Size"], item["LastModified"]) for item in page.get("Contents", [])]
    return pd.DataFrame(listed, columns=["key", "size", "last_modified"])


def object_text(key: str) -> str:
    lab = settings()
    return lab.s3_client().get_object(Bucket=lab.bucket, Key=key)["Body"].read().decode()


def connections() -> pd.DataFrame:
    """The Airflow connections the lab renders as AIRFLOW_CONN_* variables, passwords hidden."""
    rows = []
    for variable, value in settings().airflow_connections().items():
        connection = json.loads(value)
        rows.append(
            {
                "conn_id": variable.removeprefix("AIRFLOW_CONN_").lower(),
                "conn_type": connection["conn_type"],
                "host": connection.get("host"),
                "port": connection.get("port"),
                "schema": connection.get("schema"),
                "login": connection.get("login"),
                "password": "***" if connection.get("password") else "",
                "extra": connection.get("extra"),
            }
        )
    frame = pd.DataFrame(rows)
    frame["port"] = frame["port"].astype("Int64")  # a missing port would make the column float
    return frame


# --- What the warehouse received and refused ------------------------------------------------------------


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


# --- Comparing both sides -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """How a warehouse table differs from its source, row for row by key.

    Equal means: as many rows on both sides, no key twice on either side, every key on both sides with
    the same values. A key that repeats (an append that should have been an upsert) is reported as a
    duplicate, not compared value by value: which copy would be "the" row is the question itself.
    """

    source_rows: int
    warehouse_rows: int
    missing: list  # keys in the source, not in the warehouse
    extra: list  # keys in the warehouse, not in the source
    changed: list  # keys once on each side, with different values
    source_duplicates: dict = field(default_factory=dict)  # key -> how many times it is in the source
    warehouse_duplicates: dict = field(default_factory=dict)  # key -> times in the warehouse
    key: str = "id"

    @property
    def equal(self) -> bool:
        return self.source_rows == self.warehouse_rows and not (
            self.missing or self.extra or self.changed or self.source_duplicates or self.warehouse_duplicates
        )

    def __str__(self) -> str:
        if self.equal:
            return say(
                f"같습니다: 양쪽 모두 {self.source_rows}행입니다.",
                f"equal: {self.source_rows} rows on both sides",
            )
        korean = [
            f"다릅니다: source {self.source_rows}행, warehouse {self.warehouse_rows}행{self._count_ko()}."
        ]
        sides = f"source {self.source_rows} rows, warehouse {self.warehouse_rows} rows"
        english = [f"different: {sides}{self._count_en()}."]
        for side, duplicates in (
            ("source", self.source_duplicates),
            ("warehouse", self.warehouse_duplicates),
        ):
            if duplicates:
                korean.append(f"- {side}에 중복된 {self.key} {len(duplicates)}개: {_times(duplicates, '번')}")
                english.append(
                    f"- {len(duplicates)} {self.key}s more than once in the {side}: {_times(duplicates)}"
                )
        for keys, ko, en in (
            (self.missing, "warehouse에 없는", "missing in the warehouse"),
            (self.extra, "source에 없는", "extra in the warehouse (not in the source)"),
            (self.changed, "값이 다른", "changed"),
        ):
            if keys:
                korean.append(f"- {ko} {self.key} {len(keys)}개: {_examples(keys)}")
                english.append(f"- {len(keys)} {self.key}s {en}: {_examples(keys)}")
        return say("\n".join(korean), "\n".join(english))

    def _count_ko(self) -> str:
        more = self.warehouse_rows - self.source_rows
        if more == 0:
            return ""
        return f" (warehouse가 {abs(more)}행 {'많습니다' if more > 0 else '적습니다'})"

    def _count_en(self) -> str:
        more = self.warehouse_rows - self.source_rows
        if more == 0:
            return ""
        return f" ({abs(more)} {'more' if more > 0 else 'fewer'} in the warehouse)"


EXAMPLES = 5  # keys a Comparison names of each kind; the counts are always whole


def _examples(keys: list) -> str:
    shown = ", ".join(str(key) for key in keys[:EXAMPLES])
    return f"[{shown}{', ...' if len(keys) > EXAMPLES else ''}]"


def _times(duplicates: dict, unit: str = " times") -> str:
    shown = [f"{key} ({count}{unit})" for key, count in list(duplicates.items())[:EXAMPLES]]
    return ", ".join(shown) + (", ..." if len(duplicates) > EXAMPLES else "")


def compare(source_rows: pd.DataFrame, warehouse_rows: pd.DataFrame, key: str = "id") -> Comparison:
    """Compare two tables with the same columns by ``key``; types are normalised (MySQL 1 == PG true)."""
    _require_columns(source_rows, warehouse_rows, key)
    left = _normalised(source_rows, key)
    right = _normalised(warehouse_rows[list(source_rows.columns)], key)
    # Only keys that are once on each side have "the" row to compare; repeated keys are reported as such.
    once_left = left[~left.index.duplicated(keep=False)]
    once_right = right[~right.index.duplicated(keep=False)]
    both = once_left.index.intersection(once_right.index)
    paired_left, paired_right = once_left.loc[both], once_right.loc[both]
    differs = (paired_left != paired_right) & ~(paired_left.isna() & paired_right.isna())
    return Comparison(
        source_rows=len(left),
        warehouse_rows=len(right),
        missing=sorted(left.index.difference(right.index).tolist()),
        extra=sorted(right.index.difference(left.index).tolist()),
        changed=sorted(both[differs.any(axis=1)].tolist()),
        source_duplicates=_duplicates(left.index),
        warehouse_duplicates=_duplicates(right.index),
        key=key,
    )


def _require_columns(source_rows: pd.DataFrame, warehouse_rows: pd.DataFrame, key: str) -> None:
    if key not in source_rows.columns:
        raise ValueError(
            say(f"source 쪽 행에 키 열 {key!r}이 없습니다.", f"the source rows have no key column {key!r}")
        )
    absent = [name for name in source_rows.columns if name not in warehouse_rows.columns]
    if absent:
        raise ValueError(
            say(
                f"warehouse 쪽 행에 없는 열이 있습니다: {absent}", f"the warehouse rows lack columns {absent}"
            )
        )


def _duplicates(keys: pd.Index) -> dict:
    """Each key that is more than once in ``keys``, with how many times, in key order."""
    counts = keys.value_counts()
    return {key: int(count) for key, count in sorted(counts[counts > 1].items())}


def _normalised(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.set_index(key).sort_index().apply(_comparable)


def _comparable(column: pd.Series) -> pd.Series:
    """Numbers and flags as floats (MySQL's 1 equals PostgreSQL's true), times as is, the rest as text."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column
    if pd.api.types.is_bool_dtype(column):
        return column.astype(float)
    try:
        return pd.to_numeric(column).astype(float)
    except (TypeError, ValueError):
        return column.astype(str)


# --- A table before and after, for the eye -------------------------------------------------------------

# How each kind of row looks, and what the legend calls it. Deleted rows stay in the picture, struck through:
# what a method removed is the half of the lesson a plain snapshot cannot show.
ROW_STYLES = {
    "inserted": "background-color: #d4f4d4",
    "deleted": "background-color: #f9d3d3; color: #8b1a1a; text-decoration: line-through",
    "changed": "background-color: #fff4c2",
    "unchanged": "",
}
CHANGED_CELL = "background-color: #ffd54a; font-weight: bold"
ROW_LABELS = {
    "inserted": "추가 (inserted)",
    "deleted": "삭제 (deleted)",
    "changed": "변경 (changed)",
    "unchanged": "",
}
CHANGE_COLUMN = "변경 (change)"


def show_changes(
    before: pd.DataFrame,
    after: pd.DataFrame,
    key: str = "id",
    unchanged: int | None = 5,
    limit: int = 100,
) -> Styler:
    """The table after a change, its rows coloured by what happened to them: inserted green, deleted red
    (struck through), changed yellow with each changed cell shown as ``old → new``, unchanged plain.

    Rows are matched by ``key`` and, where a key repeats, by its order among the rows with that key: the
    second copy of an appended row shows as inserted. Shows every changed row (``limit`` at most) and the
    first ``unchanged`` unchanged rows (None: all of them, a snapshot of the whole table); the caption
    counts every kind and says what it left out.
    """
    columns = list(after.columns)
    if key not in columns or set(before.columns) != set(columns):
        raise ValueError(
            say(
                f"before와 after는 같은 열에 키 열 {key!r}이 있어야 합니다:"
                f" {list(before.columns)} / {columns}",
                f"before and after need the same columns, key {key!r} among them:"
                f" {list(before.columns)} / {columns}",
            )
        )
    old, new = _by_occurrence(before[columns], key), _by_occurrence(after, key)
    both = old.index.intersection(new.index)
    old_values, new_values = old.apply(_comparable).loc[both], new.apply(_comparable).loc[both]
    differs = (old_values != new_values) & ~(old_values.isna() & new_values.isna())
    kinds = pd.Series("unchanged", index=old.index.union(new.index).sort_values())
    kinds[old.index.difference(new.index)] = "deleted"
    kinds[new.index.difference(old.index)] = "inserted"
    kinds[differs.index[differs.any(axis=1)]] = "changed"

    shown_kinds = _rows_to_show(kinds, unchanged, limit)
    # As objects, so that a column keeps its values as they are (no int turned float by a gap).
    every_row = pd.concat([new.astype(object), old.loc[kinds.index[kinds == "deleted"]].astype(object)])
    rows = every_row.loc[shown_kinds.index]
    cells = differs.reindex(index=shown_kinds.index, columns=columns, fill_value=False)
    for row, column in zip(*cells.to_numpy().nonzero(), strict=True):
        index, name = cells.index[row], columns[column]
        rows.loc[index, name] = f"{old.loc[index, name]} → {new.loc[index, name]}"
    rows.insert(0, CHANGE_COLUMN, [ROW_LABELS[kind] for kind in shown_kinds])
    rows = rows.reset_index(level=1, drop=True).reset_index()[[CHANGE_COLUMN, *columns]]

    def styles(frame: pd.DataFrame) -> pd.DataFrame:
        css = pd.DataFrame(
            [[ROW_STYLES[kind]] * len(frame.columns) for kind in shown_kinds], columns=frame.columns
        )
        css[columns] = css[columns].mask(cells.to_numpy(), CHANGED_CELL)
        return css.set_axis(frame.index)

    return rows.style.apply(styles, axis=None).hide(axis="index").set_caption(_legend(kinds, shown_kinds))


def _by_occurrence(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows indexed by (key, how many rows with that key came before): repeated keys stay apart."""
    return frame.set_index([key, frame.groupby(key).cumcount().rename("occurrence")])


def _rows_to_show(kinds: pd.Series, unchanged: int | None, limit: int) -> pd.Series:
    changed = kinds[kinds != "unchanged"].iloc[:limit]
    kept = kinds[kinds == "unchanged"]
    if unchanged is not None:
        kept = kept.iloc[:unchanged]
    return pd.concat([changed, kept]).sort_index()


def _legend(kinds: pd.Series, shown: pd.Series) -> str:
    """The caption: each kind's colour and count, then which rows were left out, in both languages."""
    counts = kinds.value_counts()
    swatches = " ".join(
        f'<span style="{ROW_STYLES[kind]}; padding: 0 0.4em">{ROW_LABELS[kind]} {counts.get(kind, 0)}</span>'
        for kind in ("inserted", "deleted", "changed")
    )
    swatches += f" · 그대로 (unchanged) {counts.get('unchanged', 0)}"
    if len(shown) == len(kinds):
        return swatches
    changed_total, changed_shown = (kinds != "unchanged").sum(), (shown != "unchanged").sum()
    kept = (shown == "unchanged").sum()
    if changed_shown == changed_total:
        changed_ko, changed_en = f"바뀐 행 {changed_total}행 전부", f"all {changed_total} changed"
    else:
        changed_ko = f"바뀐 행 {changed_total}행 중 처음 {changed_shown}행"
        changed_en = f"the first {changed_shown} of {changed_total} changed"
    note = say(
        f"전체 {len(kinds)}행 중 {len(shown)}행만 보여 줍니다({changed_ko}, 그대로인 행 {kept}행).",
        f"showing {len(shown)} of {len(kinds)} rows ({changed_en}, {kept} unchanged).",
    )
    return swatches + "<br>" + note.replace("\n", "<br>")


def per_day(frame: pd.DataFrame, column: str = "created_at") -> pd.Series:
    """Row counts by calendar day of ``column``."""
    return frame.groupby(pd.to_datetime(frame[column]).dt.date).size().rename("rows")


def _query(side: str) -> Callable[..., pd.DataFrame]:
    if side not in ("source", "warehouse"):
        raise ValueError(f"side must be 'source' or 'warehouse', not {side!r}")
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


def source_days(table: str = "nps", column: str = "created_at") -> list[date]:
    """The days that have rows in a source table, in order."""
    days = source(f"SELECT DISTINCT DATE({column}) AS day FROM {table} ORDER BY day")
    return list(days["day"])


def next_day(table: str = "nps", column: str = "created_at") -> date:
    """The first day after the last one with rows: where a new day of production goes."""
    return source_days(table, column)[-1] + timedelta(days=1)


def snippet(path: str, name: str) -> str:
    """The code between ``# [START name]`` and ``# [END name]`` in a file of the repository."""
    lines = (REPO_ROOT / path).read_text().splitlines()
    marks = [line.strip() for line in lines]
    try:
        start = marks.index(f"# [START {name}]")
        end = marks.index(f"# [END {name}]", start)
    except ValueError:
        raise ValueError(f"{path} has no snippet {name!r}") from None
    body = [line for line in lines[start + 1 : end] if not line.strip().startswith("# [")]
    indent = min(len(line) - len(line.lstrip()) for line in body if line.strip())
    return "\n".join(line[indent:] for line in body)


# --- The lab's command line -------------------------------------------------------------------------------


def lab(*args: str) -> None:
    """Run a `lab` command (e.g. ``lab("seed", "tick", "--date", "2024-01-31")``) here; raise if it fails."""
    print("$ lab", " ".join(args), flush=True)
    code = lab_main(list(args))
    if code:
        raise RuntimeError(f"`lab {' '.join(args)}` exited with code {code}; its message is above")


def tick(day: date) -> None:
    """One new day of production in the source, as busy as the days it already has on average:
    `lab seed tick --date DAY --rows-per-day N`."""
    volume = source("SELECT COUNT(*) / COUNT(DISTINCT DATE(created_at)) AS n FROM nps")["n"][0]
    lab("seed", "tick", "--date", day.isoformat(), "--rows-per-day", str(round(volume or 0)))


# --- Airflow: runs, backfills, task states ----------------------------------------------------------------


@dataclass(frozen=True)
class CommandOutput:
    returncode: int
    stdout: str
    stderr: str


def airflow_command(*args: str) -> CommandOutput:
    """``airflow ARGS`` against the lab's Airflow, as a learner types it in a terminal: its exit code and
    output, colours stripped and the connections' secrets masked (`airflow dags test` prints each COPY with
    its credentials). It does not raise: in the lessons a failing command is often the point."""
    lab_airflow = airflow.configure()
    result = lab_airflow.run(*args, check=False)
    secrets = airflow.connection_secrets(lab_airflow.env)
    return CommandOutput(result.returncode, _shown(result.stdout, secrets), _shown(result.stderr, secrets))


def _shown(text: str, secrets: Sequence[str]) -> str:
    text = _ANSI_ESCAPE.sub("", text)
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def raised(log: str) -> list[tuple[str, str]]:
    """The (exception type, message) pairs that end the tracebacks in ``log``, each once, sorted."""
    return sorted(set(re.findall(r"^([\w.]+(?:Error|Exception)): (.+)$", log, re.MULTILINE)))


def airflow_cli(*args: str) -> str:
    """Run ``airflow ARGS`` against the lab's Airflow; prints and returns its output, raises if it fails."""
    print("$ airflow", " ".join(args), flush=True)
    result = airflow_command(*args)
    print(result.stdout.strip()[-3000:], flush=True)
    if result.returncode:
        raise airflow.AirflowError(f"airflow {' '.join(args)} failed:\n{result.stderr.strip()[-3000:]}")
    return result.stdout


def _client() -> airflow.Client:
    """A client of the lab's Airflow, logged in once its API answers."""
    lab = settings()
    client = airflow.client(lab)
    when_up(
        "airflow",
        lab.airflow_url,
        client.log_in,
        lambda error: isinstance(error, urllib.error.URLError | ConnectionError | TimeoutError),
    )
    return client


def dags() -> pd.DataFrame:
    """The DAGs Airflow has parsed: id, paused or not, tags, the file they come from."""
    listed = _client().request("GET", "/dags?limit=100")["dags"]
    return pd.DataFrame(
        [
            {
                "dag_id": dag["dag_id"],
                "is_paused": dag["is_paused"],
                "tags": ", ".join(sorted(tag["name"] for tag in dag["tags"])),
                "fileloc": dag["fileloc"].rsplit("/", 1)[-1],
            }
            for dag in listed
        ],
        columns=["dag_id", "is_paused", "tags", "fileloc"],
    )


def import_errors() -> pd.DataFrame:
    """DAG files Airflow failed to import, with the error: why a DAG does not show."""
    errors = _client().request("GET", "/importErrors")["import_errors"]
    return pd.DataFrame(errors, columns=["filename", "timestamp", "stack_trace"])


def dag_details(dag_id: str) -> dict:
    return _client().request("GET", f"/dags/{dag_id}/details")


def dag_tasks(dag_id: str) -> pd.DataFrame:
    """The DAG's tasks with the settings that decide how runs follow each other."""
    tasks = _client().request("GET", f"/dags/{dag_id}/tasks")["tasks"]
    columns = ["task_id", "operator_name", "depends_on_past", "wait_for_downstream", "retries"]
    return pd.DataFrame([{name: task.get(name) for name in columns} for task in tasks], columns=columns)


def task_log(dag_id: str, run_id: str, task_id: str, try_number: int | None = None) -> str:
    """The log of one task instance (its last try unless ``try_number``), as text."""
    client = _client()
    if try_number is None:
        instance = client.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")
        try_number = max(1, instance["try_number"])
    log = client.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}")
    return "\n".join(_log_lines(log["content"]))


def _log_lines(content) -> list[str]:
    """Airflow 3 returns a log as structured events; older servers as one string."""
    if isinstance(content, str):
        return content.splitlines()
    lines = []
    for event in content:
        if isinstance(event, dict):
            text = event.get("event", "")
            if event.get("error_detail"):
                text += " " + str(event["error_detail"])
            lines.append(f"{event.get('level', '')} {text}".strip())
        else:
            lines.append(str(event))
    return lines


def _logical_day(run: dict) -> date | None:
    value = run.get("logical_date")
    return datetime.fromisoformat(value).date() if value else None


def runs(dag_id: str) -> pd.DataFrame:
    """The DAG's runs, oldest logical date first: run id, logical date, state, type, start and end."""
    columns = ["dag_run_id", "logical_date", "state", "run_type", "start_date", "end_date"]
    listed = _client().runs(dag_id)
    frame = pd.DataFrame([{name: run.get(name) for name in columns} for run in listed], columns=columns)
    for name in ("logical_date", "start_date", "end_date"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


def task_states(dag_id: str, run_id: str) -> dict[str, str | None]:
    client = _client()
    instances = client.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
    return {instance["task_id"]: instance["state"] for instance in instances}


def unpause(dag_id: str) -> None:
    """A new DAG starts paused, and a paused DAG's runs, backfills included, wait in `queued` for ever."""
    client = _client()
    if client.wait_for_dag(dag_id)["is_paused"]:
        client.set_paused(dag_id, False)
        print(f"{dag_id}: unpaused", flush=True)


def _run_for(client: airflow.Client, dag_id: str, day: date) -> str | None:
    """The id of the DAG's run for logical date ``day``, if there is one."""
    return next((run["dag_run_id"] for run in client.runs(dag_id) if _logical_day(run) == day), None)


def _clear(client: airflow.Client, dag_id: str, run_id: str, task_ids: Sequence[str] | None = None) -> None:
    """Clear the run's tasks (all, or ``task_ids``): Airflow runs them again."""
    body = {"dag_run_id": run_id, "dry_run": False, "only_failed": False, "reset_dag_runs": True}
    if task_ids is not None:
        body["task_ids"] = list(task_ids)
    client.request("POST", f"/dags/{dag_id}/clearTaskInstances", body)


def run_dag(dag_id: str, day: date, timeout: float = RUN_TIMEOUT) -> dict:
    """Run ``dag_id`` for logical date ``day`` and wait for it, printing each task's state as it changes.

    A run for that date that exists already is cleared, so it runs again (Airflow's way to re-run a
    date); otherwise a new run is triggered. Returns the finished run (its ``state`` says how it ended).
    """
    client = _client()
    unpause(dag_id)
    if run_id := _run_for(client, dag_id, day):
        _clear(client, dag_id, run_id)
        print(f"{dag_id} {day}: cleared run {run_id}, it runs again", flush=True)
    else:
        run_id = client.trigger(dag_id, day)
        print(f"{dag_id} {day}: triggered run {run_id}", flush=True)
    return wait_for_runs(dag_id, [run_id], timeout)[0]


def run_tasks(dag_id: str, day: date, task_ids: Sequence[str], timeout: float = RUN_TIMEOUT) -> dict:
    """Run only ``task_ids`` of the DAG's run for ``day``, through the scheduler, and wait.

    In an existing run those tasks are cleared and run again. A new run is created while the DAG is
    paused, and its other tasks are marked success without running, so that only the chosen ones run.
    This plays two runs' tasks in a chosen order, as they can interleave when runs overlap.
    """
    client = _client()
    client.wait_for_dag(dag_id)
    if run_id := _run_for(client, dag_id, day):
        _clear(client, dag_id, run_id, task_ids)
    else:
        client.set_paused(dag_id, True)
        run_id = client.trigger(dag_id, day)
        for task_id in task_states(dag_id, run_id):
            if task_id not in task_ids:
                path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
                client.request("PATCH", path, {"new_state": "success"})
    print(f"{dag_id} {day}: running only {', '.join(task_ids)} of run {run_id}", flush=True)
    unpause(dag_id)
    return wait_for_runs(dag_id, [run_id], timeout)[0]


def backfill(
    dag_id: str, first: date, last: date, max_active_runs: int = 1, detail: bool = False
) -> list[dict]:
    """`airflow backfill create` from ``first`` to ``last`` (both included), then wait for its runs.

    Prints one line per finished run (``detail``: every task's state change instead); returns the finished
    runs, oldest first, as Airflow's API gives them (``state``, ``start_date``, ``end_date`` ...).
    ``task_timeline(dag_id, runs)`` shows what each task of them did, and when.
    """
    unpause(dag_id)
    airflow_cli(
        "backfill",
        "create",
        "--dag-id",
        dag_id,
        "--from-date",
        first.isoformat(),
        "--to-date",
        last.isoformat(),
        "--max-active-runs",
        str(max_active_runs),
        "--reprocess-behavior",
        "completed",
    )
    # The backfill creates a run for each day of the range, or re-queues the run that day had already.
    backfill_runs = [run for run in _client().runs(dag_id) if first <= _logical_day(run) <= last]
    run_ids = [run["dag_run_id"] for run in backfill_runs]
    finished = wait_for_runs(dag_id, run_ids, wait_allowance(len(run_ids)), per_task=detail)
    print(f"each task's times: nb.task_timeline({dag_id!r}, <the runs returned>)", flush=True)
    return finished


def task_timeline(dag_id: str, runs: Sequence[dict]) -> pd.DataFrame:
    """Every task instance of ``runs`` (as ``backfill`` or ``run_dag`` return them): its state, and when
    it was queued, started and ended, in the order the tasks started."""
    client = _client()
    columns = ["logical_date", "task_id", "state", "try_number", "queued_when", "start_date", "end_date"]
    rows = [
        {name: instance.get(name) for name in columns}
        for run in runs
        for instance in client.task_instances(dag_id, run["dag_run_id"])
    ]
    frame = pd.DataFrame(rows, columns=columns)
    for name in ("logical_date", "queued_when", "start_date", "end_date"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    frame["waited_s"] = (frame["start_date"] - frame["queued_when"]).dt.total_seconds()
    frame["ran_s"] = (frame["end_date"] - frame["start_date"]).dt.total_seconds()
    return frame.sort_values(["start_date", "logical_date"], na_position="last", ignore_index=True)


def wait_for_runs(
    dag_id: str, run_ids: Sequence[str], timeout: float = RUN_TIMEOUT, per_task: bool = True
) -> list[dict]:
    """Wait until every run has finished; see ``watch`` for what it prints."""
    client = _client()

    def current_runs() -> list[dict]:
        if len(run_ids) == 1:
            return [client.request("GET", f"/dags/{dag_id}/dagRuns/{run_ids[0]}")]
        listed = {run["dag_run_id"]: run for run in client.runs(dag_id)}
        return [listed[run_id] for run_id in run_ids]

    return watch(current_runs, lambda run_id: task_states(dag_id, run_id), timeout, per_task=per_task)


def watch(
    get_runs: Callable[[], Sequence[dict]],
    get_tasks: Callable[[str], dict[str, str | None]],
    timeout: float,
    poll_seconds: float = POLL_SECONDS,
    out=None,
    per_task: bool = True,
) -> list[dict]:
    """Poll runs until they finish; returns them as ``get_runs`` lists them, once all have finished.

    ``per_task``: one line per change of a run's or a task's state; otherwise one line per finished run.
    After ``timeout`` seconds, TimeoutError names every unfinished run, its tasks' states and since when.
    """
    out = out or sys.stdout
    started = time.monotonic()
    progress = _Progress(started)
    while True:
        runs = list(get_runs())
        now = time.monotonic()
        for run in runs:
            run_id = run["dag_run_id"]
            if progress.finished(run_id):
                continue
            states = {"(run)": run["state"]}
            if run["state"] != "queued":  # a queued run's tasks have not started: spare the API a call
                states.update(get_tasks(run_id))
            for task, state in progress.changes(run_id, states, now):
                if per_task:
                    print(f"{now - started:6.1f}s  {run_id}  {task}: {state}", file=out, flush=True)
                elif task == "(run)" and state in airflow.FINISHED_STATES:
                    print(progress.finished_line(run, len(runs)), file=out, flush=True)
        if all(run["state"] in airflow.FINISHED_STATES for run in runs):
            return runs
        if now - started > timeout:
            raise TimeoutError(progress.unfinished(runs, now, timeout))
        time.sleep(poll_seconds)


class _Progress:
    """What ``watch`` has seen: each run's and task's state, since when, and how many runs finished."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.seen: dict[tuple[str, str], tuple[str | None, float]] = {}  # state, first seen at
        self.done = 0

    def finished(self, run_id: str) -> bool:
        """The run was seen finished at an earlier poll: nothing of it changes any more."""
        state, _ = self.seen.get((run_id, "(run)"), (None, 0.0))
        return state in airflow.FINISHED_STATES

    def changes(self, run_id: str, states: dict[str, str | None], now: float) -> list[tuple[str, str | None]]:
        changed = []
        for task, state in states.items():
            previous = self.seen.get((run_id, task))
            if previous is None or previous[0] != state:
                self.seen[(run_id, task)] = (state, now)
                changed.append((task, state))
                if task == "(run)" and state in airflow.FINISHED_STATES:
                    self.done += 1
        return changed

    def finished_line(self, run: dict, total: int) -> str:
        """``[ 7/30] 2024-01-07 success    4.1 s``: the run's logical date, how it ended, how long it ran."""
        width = len(str(total))
        seconds = _seconds_between(run.get("start_date"), run.get("end_date"))
        took = f"{seconds:7.1f} s" if seconds is not None else ""
        name = _logical_day(run) or run["dag_run_id"]
        return f"[{self.done:>{width}}/{total}] {name} {run['state']:<8}{took}"

    def unfinished(self, runs: Sequence[dict], now: float, timeout: float) -> str:
        """What is still running or waiting, and for how long: the TimeoutError's message."""
        waiting = [run for run in runs if run["state"] not in airflow.FINISHED_STATES]
        lines = [f"{len(waiting)} of {len(runs)} runs not finished after {timeout:.0f} s:"]
        queued = [run["dag_run_id"] for run in waiting if run["state"] == "queued"]
        for run_id in (run["dag_run_id"] for run in waiting if run["state"] != "queued"):
            lines.append(f"  {run_id}: {self._state_since(run_id, '(run)', now)}")
            for (seen_run, task), _ in self.seen.items():
                if seen_run == run_id and task != "(run)":
                    lines.append(f"    {task}: {self._state_since(run_id, task, now)}")
        if queued:
            longest = max(now - self.seen[(run_id, "(run)")][1] for run_id in queued)
            names = queued[0] if len(queued) == 1 else f"{queued[0]} ... {queued[-1]}"
            lines.append(f"  {len(queued)} runs queued (not started) for {longest:.0f} s: {names}")
        lines.append(
            "A run or task that stays queued: is the DAG paused, or the scheduler down? (`lab status`,"
            " labs.md troubleshooting). A task running long: its log, nb.task_log(dag_id, run_id, task_id)."
        )
        return "\n".join(lines)

    def _state_since(self, run_id: str, task: str, now: float) -> str:
        state, since = self.seen[(run_id, task)]
        return f"{state} for {now - since:.0f} s"


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not (start and end):
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
