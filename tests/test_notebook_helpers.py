"""lab.notebook, the notebooks' helpers, against real MySQL, the Redshift emulator and an S3 server.

The Airflow side (run_dag, run_tasks, backfill, task_log) runs for real in tests/notebooks/, which runs
every notebook.
"""

from __future__ import annotations

import inspect
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from lab import notebook as nb
from lab.config import REPO_ROOT
from lab.notebook import airflow_api, commands, peers, progress
from tests.services import mysql_connect

DAY_1, DAY_2, DAY_3 = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)
SCHEMA = "nb_helpers"


@pytest.fixture(scope="module")
def lab(lab_env, source_database, mysql_url):
    """The helpers pointed at this session's services, with a small `nps` on both sides.

    Source: 3 rows on DAY_1, 2 on DAY_2. Warehouse (schema nb_helpers): DAY_1's rows, one with another score.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**lab_env, "LAB_WAREHOUSE_SCHEMA": SCHEMA}.items():
            patch.setenv(name, value)
        with mysql_connect(mysql_url, source_database, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS nps")
            cur.execute("CREATE TABLE nps (id INT PRIMARY KEY, created_at timestamp NULL, score smallint)")
            cur.execute(
                "INSERT INTO nps VALUES (1, '2024-01-01 08:00:00', 9), (2, '2024-01-01 12:00:00', 3),"
                " (3, '2024-01-01 23:59:59', 10), (4, '2024-01-02 00:00:00', 7),"
                " (5, '2024-01-02 18:30:00', 0)"
            )
        nb.change_warehouse(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        nb.change_warehouse(f"CREATE SCHEMA {SCHEMA}")
        nb.change_warehouse(
            f"CREATE TABLE {SCHEMA}.nps (id INT NOT NULL, created_at timestamp, score smallint)"
        )
        nb.change_warehouse(
            f"INSERT INTO {SCHEMA}.nps VALUES (1, '2024-01-01 08:00:00', 9), (2, '2024-01-01 12:00:00', 4),"
            " (3, '2024-01-01 23:59:59', 10)"
        )
        yield nb.settings()


def test_every_nb_name_the_lessons_call_is_there():
    """lab.notebook is a package of modules by what they touch; the notebooks, their solutions and the
    benchmarks call it as ``nb.NAME``: each such name must still be there (and not be a module)."""
    used = set()
    for pattern in ("notebooks/*.ipynb", "notebooks/solutions/*.py", "lab/exercises/*.py", "bench/*.py"):
        for path in REPO_ROOT.glob(pattern):
            used |= set(re.findall(r"\bnb\.([A-Za-z_]\w*)", path.read_text()))
    assert len(used) > 30, f"found only {sorted(used)}: the search lost the notebooks"
    missing = sorted(name for name in used if not hasattr(nb, name))
    assert not missing, f"the notebooks call nb.{missing}, which lab.notebook no longer has"
    modules = sorted(name for name in used if inspect.ismodule(getattr(nb, name, None)))
    assert not modules, f"nb.{modules} are modules, not the helpers the notebooks call"


def test_source_and_warehouse_come_back_as_dataframes(lab):
    source = nb.source("SELECT id, created_at, score FROM nps WHERE score >= %s ORDER BY id", (7,))
    assert list(source.columns) == ["id", "created_at", "score"]
    assert source["id"].tolist() == [1, 3, 4]
    assert source["created_at"][0] == datetime(2024, 1, 1, 8)

    warehouse = nb.warehouse(f"SELECT id, score FROM {SCHEMA}.nps WHERE id = %s", (2,))
    assert warehouse.to_dict("records") == [{"id": 2, "score": 4}]
    assert nb.row_count("source") == 5
    assert nb.row_count("warehouse") == 3


def test_compare_finds_missing_extra_and_changed_rows():
    source = pd.DataFrame({"id": [1, 2, 3, 4], "score": [9, 3, None, 1], "deleted": [0, 1, 0, 0]})
    warehouse = pd.DataFrame(
        {"id": [4, 3, 2, 5], "score": [1, None, 4, 8], "deleted": [False, False, True, False]}
    )
    comparison = nb.compare(source, warehouse)
    assert (comparison.missing, comparison.extra, comparison.changed) == ([1], [5], [2])
    assert not comparison.equal
    text = str(comparison)
    assert "warehouse에 없는 id 1개: [1]" in text and "1 ids missing in the warehouse: [1]" in text
    assert "source에 없는 id 1개: [5]" in text and "값이 다른 id 1개: [2]" in text
    assert text.startswith("다릅니다: source 4행, warehouse 4행.\n")

    same = nb.compare(source, source.iloc[::-1].assign(deleted=source["deleted"].astype(bool)))
    assert same.equal, str(same)
    assert str(same) == "같습니다: 양쪽 모두 4행입니다.\nequal: 4 rows on both sides"


# An append where an upsert was meant: the day's rows loaded twice, one of them edited in between.
APPENDED_TWICE = pd.DataFrame(
    {"id": [1, 2, 3, 2, 3], "score": [9, 3, 10, 3, 7], "created_at": pd.to_datetime(["2024-01-01"] * 5)}
)


def test_compare_reports_ids_repeated_in_the_warehouse_and_the_extra_rows():
    source = APPENDED_TWICE.iloc[[0, 3, 4]]  # ids 1, 2, 3 once, with id 3's new score
    comparison = nb.compare(source, APPENDED_TWICE)
    assert not comparison.equal
    assert (comparison.source_rows, comparison.warehouse_rows) == (3, 5)
    assert comparison.warehouse_duplicates == {2: 2, 3: 2}
    assert comparison.source_duplicates == {}
    assert (comparison.missing, comparison.extra, comparison.changed) == ([], [], [])
    lines = str(comparison).splitlines()
    assert lines[:2] == [
        "다릅니다: source 3행, warehouse 5행 (warehouse가 2행 많습니다).",
        "- warehouse에 중복된 id 2개: 2 (2번), 3 (2번)",
    ]
    assert lines[2:] == [
        "different: source 3 rows, warehouse 5 rows (2 more in the warehouse).",
        "- 2 ids more than once in the warehouse: 2 (2 times), 3 (2 times)",
    ]


def test_compare_reports_ids_repeated_in_the_source():
    comparison = nb.compare(APPENDED_TWICE, APPENDED_TWICE.drop_duplicates("id", keep="last"))
    assert not comparison.equal
    assert comparison.source_duplicates == {2: 2, 3: 2} and comparison.warehouse_duplicates == {}
    text = str(comparison)
    assert "source에 중복된 id 2개: 2 (2번), 3 (2번)" in text
    assert "(warehouse가 2행 적습니다)" in text and "(2 fewer in the warehouse)" in text


def test_compare_names_the_row_counts_when_they_differ():
    source = APPENDED_TWICE.drop_duplicates("id")
    fewer = nb.compare(source, source.iloc[:2])
    assert not fewer.equal
    assert (fewer.source_rows, fewer.warehouse_rows, fewer.missing) == (3, 2, [3])
    assert "source 3 rows, warehouse 2 rows (1 fewer in the warehouse)" in str(fewer)
    # Counts alone decide too: a Comparison whose keys all agree is not equal if the counts differ.
    assert not nb.Comparison(source_rows=3, warehouse_rows=4, missing=[], extra=[], changed=[]).equal


def test_compare_refuses_tables_it_cannot_line_up():
    with pytest.raises(ValueError, match="no key column 'id'"):
        nb.compare(APPENDED_TWICE.drop(columns="id"), APPENDED_TWICE)
    with pytest.raises(ValueError, match=r"(?s)warehouse 쪽 행에 없는 열.*lack columns \['score'\]"):
        nb.compare(APPENDED_TWICE, APPENDED_TWICE.drop(columns="score"))


def cell_styles(styler) -> dict[tuple[int, int], str]:
    """What the learner's browser is told for each cell: (row, column) -> its CSS, from the Styler's HTML."""
    styles = {}
    for selectors, css in re.findall(r"([^{}]+)\{([^}]*)\}", styler.to_html().split("</style>")[0]):
        for row, column in re.findall(r"_row(\d+)_col(\d+)", selectors):
            styles[int(row), int(column)] = " ".join(css.split())
    return styles


BEFORE = pd.DataFrame({"id": [1, 2, 3, 4, 5], "score": [9, 3, 10, 7, 1], "note": list("abcde")})


def test_show_changes_colours_inserted_deleted_and_changed_rows():
    # An upsert of id 2, a delete of id 4, a new id 6, and id 3 appended a second time.
    after = pd.DataFrame({"id": [1, 2, 3, 5, 6, 3], "score": [9, 4, 10, 1, 8, 10], "note": list("abcefc")})
    styler = nb.show_changes(BEFORE, after)
    shown = styler.data
    assert list(shown.columns) == [nb.CHANGE_COLUMN, "id", "score", "note"]
    assert shown[[nb.CHANGE_COLUMN, "id", "score"]].values.tolist() == [
        ["", 1, 9],
        ["변경 (changed)", 2, "3 → 4"],
        ["", 3, 10],
        ["추가 (inserted)", 3, 10],  # the appended copy of id 3
        ["삭제 (deleted)", 4, 7],  # gone from the table, still in the picture
        ["", 5, 1],
        ["추가 (inserted)", 6, 8],
    ]
    styles = cell_styles(styler)
    row_style = {row: styles.get((row, 1), "") for row in range(len(shown))}
    assert row_style[0] == row_style[2] == row_style[5] == "", "unchanged rows stay plain"
    assert row_style[3] == row_style[6] == "background-color: #d4f4d4;"
    assert "text-decoration: line-through" in row_style[4] and "#f9d3d3" in row_style[4]
    assert row_style[1] == "background-color: #fff4c2;"
    assert styles[1, 2] == "background-color: #ffd54a; font-weight: bold;", "the changed cell stands out"
    assert styles[1, 3] == row_style[1], "an unchanged cell of a changed row is only yellow"
    caption = styler.caption
    assert "추가 (inserted) 2</span>" in caption and "삭제 (deleted) 1</span>" in caption
    assert "변경 (changed) 1</span>" in caption and "그대로 (unchanged) 3" in caption
    assert "보여 줍니다" not in caption, "nothing was left out, so the caption does not say so"


def test_show_changes_of_a_few_hundred_rows_shows_the_changes_and_a_few_others():
    before = pd.DataFrame({"id": range(1, 301), "score": [n % 11 for n in range(300)]})
    after = before.drop(index=[9]).assign(score=lambda frame: frame["score"].mask(frame["id"] == 200, 99))
    styler = nb.show_changes(before, after)
    assert styler.data["id"].tolist() == [1, 2, 3, 4, 5, 10, 200]
    assert "전체 300행 중 7행만 보여 줍니다(바뀐 행 2행 전부, 그대로인 행 5행)." in styler.caption
    assert "showing 7 of 300 rows (all 2 changed, 5 unchanged)." in styler.caption

    loaded = nb.show_changes(before.iloc[:0], before, limit=100)
    assert len(loaded.data) == 100 and set(loaded.data[nb.CHANGE_COLUMN]) == {"추가 (inserted)"}
    assert (
        "바뀐 행 300행 중 처음 100행" in loaded.caption and "the first 100 of 300 changed" in loaded.caption
    )

    snapshot = nb.show_changes(before, after, unchanged=None)
    assert len(snapshot.data) == 300, "the whole table, its one change highlighted, the deleted row kept"


def test_show_changes_refuses_tables_with_other_columns():
    with pytest.raises(ValueError, match=r"(?s)같은 열.*need the same columns"):
        nb.show_changes(BEFORE, BEFORE.drop(columns="note"))


def test_rows_of_a_day_use_a_half_open_window(lab):
    assert nb.day_rows("source", DAY_1)["id"].tolist() == [1, 2, 3]
    assert nb.day_rows("source", DAY_2)["id"].tolist() == [4, 5]
    assert nb.day_rows("warehouse", DAY_2).empty
    assert nb.source_days() == [DAY_1, DAY_2]
    assert nb.next_day() == DAY_3
    with pytest.raises(ValueError, match="side must be"):
        nb.day_rows("mysql", DAY_1)


def test_daily_counts_put_both_sides_on_every_day(lab):
    counts = nb.daily_counts(DAY_1, DAY_3)
    assert counts.to_dict("index") == {
        DAY_1: {"source": 3, "warehouse": 3},
        DAY_2: {"source": 2, "warehouse": 0},
        DAY_3: {"source": 0, "warehouse": 0},
    }
    frame = nb.source("SELECT id, created_at FROM nps")
    assert nb.per_day(frame).to_dict() == {DAY_1: 3, DAY_2: 2}


def test_objects_and_their_text(lab, s3):
    s3.put_object(Bucket=lab.bucket, Key="nb-helpers/a.csv", Body=b"1,2024-01-01 08:00:00,9\n")
    s3.put_object(Bucket=lab.bucket, Key="nb-helpers/b.csv", Body=b"")
    listed = nb.objects("nb-helpers/")
    assert listed[["key", "size"]].to_dict("records") == [
        {"key": "nb-helpers/a.csv", "size": 24},
        {"key": "nb-helpers/b.csv", "size": 0},
    ]
    assert nb.object_text("nb-helpers/a.csv") == "1,2024-01-01 08:00:00,9\n"
    assert nb.objects("no-such-prefix/").empty


def test_a_refused_copy_shows_in_history_masked_and_in_load_errors(lab, s3):
    s3.upload_fileobj(
        io.BytesIO(b"6,2024-01-03 10:00:00,8\n7,2024-01-03 11:00:00,n/a\n"), lab.bucket, "bad/nps.csv"
    )
    mark = nb.history_mark()
    copy = (
        f"COPY {SCHEMA}.nps FROM 's3://{lab.bucket}/bad/nps.csv' credentials"
        f" 'aws_access_key_id={lab.aws_access_key_id};aws_secret_access_key=s3cr3t-value' csv"
    )
    with pytest.raises(Exception, match="stl_load_errors"):
        nb.change_warehouse(copy)

    history = nb.query_history(after=mark, like="COPY%")
    assert len(history) == 1, history
    assert history["status"][0] == "failed"
    assert "s3cr3t-value" not in history["query_text"][0]
    assert f"s3://{lab.bucket}/bad/nps.csv" in history["query_text"][0]

    errors = nb.load_errors("nps")
    latest = errors.iloc[0]
    assert (latest["colname"], latest["raw_field_value"], latest["line_number"]) == ("score", "n/a", 2)
    assert latest["filename"].endswith("bad/nps.csv")
    assert nb.row_count("warehouse") == 3, "a failed COPY loads nothing"


def test_copy_from_s3_with_maxerror_skips_the_bad_row(lab, s3):
    s3.put_object(
        Bucket=lab.bucket,
        Key="maxerror/nps.csv",
        Body=b"8,2024-01-03 10:00:00,8\n9,2024-01-03 11:00:00,n/a\n",
    )
    nb.change_warehouse(f"CREATE TABLE {SCHEMA}.nps_maxerror (LIKE {SCHEMA}.nps)")
    assert nb.copy_from_s3(f"{SCHEMA}.nps_maxerror", "maxerror/nps.csv", "csv maxerror 1") == 1
    assert nb.warehouse(f"SELECT id FROM {SCHEMA}.nps_maxerror")["id"].tolist() == [8]
    skipped = nb.load_errors("nps_maxerror")
    assert skipped[["line_number", "raw_field_value"]].to_dict("records") == [
        {"line_number": 2, "raw_field_value": "n/a"}
    ]


def test_snippet_quotes_the_marked_code_dedented():
    code = nb.snippet("dags/mysql_to_redshift.py", "full_refresh_copy")
    assert code.startswith("copy_nps = S3ToRedshiftOperator(\n")
    assert 'method="REPLACE",' in code
    whole = nb.snippet("dags/mysql_to_redshift.py", "full_refresh")
    assert "[START" not in whole and code.splitlines()[0] in whole
    with pytest.raises(ValueError, match="no snippet 'nothing'"):
        nb.snippet("dags/mysql_to_redshift.py", "nothing")


BAR = re.compile(r"(?P<label>.*?):?\s*\d+%\|[^|]*\| (?P<done>\d+)/(?P<total>\d+) ")


def shown(text: str) -> tuple[list[tuple[str, int, int]], list[str]]:
    """What a terminal ends up showing of ``text``: each state of the progress bar (label, runs done,
    runs in all) in turn, and the lines printed above it."""
    parts = [part.strip() for part in re.split(r"[\r\n]", text) if part.strip()]
    bars = []
    for match in filter(None, map(BAR.match, parts)):
        state = (match["label"], int(match["done"]), int(match["total"]))
        if not bars or bars[-1] != state:
            bars.append(state)
    return bars, [part for part in parts if not BAR.match(part)]


def two_runs(states: dict, tasks: dict, per_task: bool) -> tuple[list[dict], str]:
    out = io.StringIO()
    runs = nb.watch(
        lambda: [{"dag_run_id": run_id, "state": next(states[run_id])} for run_id in ("a", "b")],
        lambda run_id: next(tasks[run_id]) if run_id in tasks else {},
        timeout=10,
        poll_seconds=0,
        out=out,
        per_task=per_task,
    )
    return runs, out.getvalue()


def test_watch_prints_each_change_once_and_returns_runs_in_order():
    states = {
        "a": iter(["queued", "running", "running", "success"]),
        "b": iter(["running", "failed", "failed", "failed"]),
    }
    tasks = {"a": iter([{"t": "running"}, {"t": "running"}, {"t": "success"}])}
    runs, text = two_runs(states, tasks, per_task=True)
    assert [(run["dag_run_id"], run["state"]) for run in runs] == [("a", "success"), ("b", "failed")]
    bars, lines = shown(text)
    assert [line.split(None, 1)[1] for line in lines] == [
        "a  (run): 대기 중 (queued)",  # a queued run's tasks are not asked for
        "b  (run): 실행 중 (running)",
        "a  (run): 실행 중 (running)",
        "a  t: 실행 중 (running)",
        "b  (run): 실패 (failed)",
        "a  (run): 성공 (success)",
        "a  t: 성공 (success)",
    ]
    assert bars == [
        ("", 0, 2),  # before the first poll
        ("b 실행 중 (running)", 0, 2),
        ("a 실행 중 (running) · t", 1, 2),  # b has failed: one run done
        ("완료, 실패 1개 (done, 1 failed)", 2, 2),
    ]


def test_watch_without_task_lines_names_only_the_runs_that_failed():
    states = {"a": iter(["running", "success"]), "b": iter(["running", "failed"])}
    _, text = two_runs(states, {}, per_task=False)
    bars, lines = shown(text)
    assert lines == [
        "[2/2] b 실패 (failed)",
        "실행 2개가 끝났습니다: 성공 1개, 실패 1개.",
        "2 runs finished: 1 succeeded, 1 failed.",
    ]
    assert bars[-1] == ("완료, 실패 1개 (done, 1 failed)", 2, 2)


START = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)


class FakeBackfill:
    """Airflow running a backfill of ``days`` runs one after another, ``pace`` seconds each, on a fake clock
    (it stands in for the ``time`` module too). ``stall``: that run's load task never ends."""

    TASKS = ("export", "load")

    def __init__(self, days: int, pace: float, stall: int | None = None) -> None:
        self.days = [DAY_1 + timedelta(days=n) for n in range(days)]
        self.pace = pace
        self.stall = stall
        self.clock = 0.0
        self.cli: list[tuple] = []
        self.task_requests = 0

    # --- the ``time`` module
    def monotonic(self) -> float:
        return self.clock

    def sleep(self, seconds: float) -> None:
        self.clock += seconds

    # --- lab.airflow_client.Client
    def wait_for_dag(self, dag_id: str) -> dict:
        return {"is_paused": False}

    def runs(self, dag_id: str) -> list[dict]:
        return [self.run(index) for index in range(len(self.days))]

    def request(self, method: str, path: str) -> dict:
        run_id = path.split("/")[4]
        index = next(i for i, day in enumerate(self.days) if f"backfill__{day}" == run_id)
        if path.endswith("/taskInstances"):
            self.task_requests += 1
            return {"task_instances": [{"task_id": t, "state": s} for t, s in self.tasks(index).items()]}
        return self.run(index)

    def run(self, index: int) -> dict:
        began, ended = index * self.pace, (index + 1) * self.pace
        if self.stall is not None and index >= self.stall:
            ended = None  # the stalled run never ends, and the ones after it never start
            began = began if index == self.stall else float("inf")
        if self.clock < began:
            state, start_date, end_date = "queued", None, None
        elif ended is None or self.clock < ended:
            state, start_date, end_date = "running", START + timedelta(seconds=began), None
        else:
            state = "success"
            start_date, end_date = START + timedelta(seconds=began), START + timedelta(seconds=ended)
        return {
            "dag_run_id": f"backfill__{self.days[index]}",
            "logical_date": f"{self.days[index]}T00:00:00+00:00",
            "state": state,
            "start_date": start_date and start_date.isoformat(),
            "end_date": end_date and end_date.isoformat(),
        }

    def tasks(self, index: int) -> dict[str, str | None]:
        state = self.run(index)["state"]
        if state == "running":
            return {"export": "success", "load": "running"}
        return dict.fromkeys(self.TASKS, None if state == "queued" else state)


@pytest.fixture
def fake_airflow(monkeypatch):
    """Puts a FakeBackfill in place of Airflow's API, its CLI and the clock; returns what makes one."""

    def install(days: int, pace: float, stall: int | None = None) -> FakeBackfill:
        fake = FakeBackfill(days, pace, stall)
        monkeypatch.setattr(progress, "time", fake)
        monkeypatch.setattr(airflow_api, "airflow_client", lambda: fake)
        monkeypatch.setattr(commands, "airflow_cli", lambda *args: fake.cli.append(args))
        return fake

    return install


# At the default seed (30 days) a run of the ROW_NUMBER DAG took 9 s before the lab's Airflow tuning
# (bench/backfill_bench.py); a laptop three times slower takes 27 s a run: 810 s for the month.
SLOW_LAPTOP_RUN = 27.0


def test_a_month_backfill_on_a_slow_laptop_shows_a_bar_naming_each_run_in_turn(fake_airflow, capsys):
    fake = fake_airflow(days=30, pace=SLOW_LAPTOP_RUN)
    runs = nb.backfill("dag", fake.days[0], fake.days[-1])

    assert fake.clock > 300, "the month took longer than the wait the backfill used to allow"
    assert [run["state"] for run in runs] == ["success"] * 30
    assert [run["start_date"] and run["end_date"] for run in runs] == [run["end_date"] for run in runs]
    assert "--reprocess-behavior" in fake.cli[0]
    # Tasks are asked for only while their run runs, not for the runs queued or finished.
    assert fake.task_requests <= 30 * (SLOW_LAPTOP_RUN + 2)
    printed = capsys.readouterr()
    bars, _ = shown(printed.err)
    running = [(label, done) for label, done, total in bars if "실행 중 (running)" in label]
    # Each day is named while it runs, with the days before it counted done.
    assert running == [(f"{day} 실행 중 (running) · load", n) for n, day in enumerate(fake.days)]
    assert bars[-1] == ("완료 (done)", 30, 30)
    assert {total for _, _, total in bars} == {30}
    # The bar says it all for runs that succeeded: no line a run, a summary and where the details are.
    assert printed.out.splitlines() == [
        "실행 30개가 끝났습니다: 성공 30개, 실패 0개.",
        "30 runs finished: 30 succeeded, 0 failed.",
        "태스크별 시간은 nb.task_timeline('dag', <the runs returned>)로 봅니다.",
        "each task's times: nb.task_timeline('dag', <the runs returned>)",
    ]


def test_the_wait_grows_with_the_runs_in_proportion():
    assert nb.wait_allowance(30) - nb.WAIT_BASE == 15 * (nb.wait_allowance(2) - nb.WAIT_BASE)
    assert nb.wait_allowance(30) >= 30 * SLOW_LAPTOP_RUN + nb.WAIT_BASE
    assert nb.RUN_TIMEOUT == nb.wait_allowance(1) >= SLOW_LAPTOP_RUN


def test_a_backfill_with_detail_prints_every_task_change(fake_airflow, capsys):
    fake = fake_airflow(days=2, pace=5.0)
    nb.backfill("dag", fake.days[0], fake.days[-1], detail=True)
    lines = capsys.readouterr().out.splitlines()
    assert any(line.endswith("backfill__2024-01-02  load: 실행 중 (running)") for line in lines), lines
    assert not any(line.startswith("[") for line in lines)


def test_a_stalled_backfill_times_out_naming_what_is_still_running(fake_airflow):
    fake = fake_airflow(days=30, pace=SLOW_LAPTOP_RUN, stall=7)
    with pytest.raises(TimeoutError) as raised:
        nb.backfill("dag", fake.days[0], fake.days[-1])
    message = str(raised.value)
    assert fake.clock == pytest.approx(nb.wait_allowance(30), abs=2)
    allowed = f"{nb.wait_allowance(30):.0f}"
    assert message.startswith(
        f"실행 30개 중 23개가 {allowed}초 안에 끝나지 않았습니다:\n"
        f"23 of 30 runs not finished after {allowed} s:\n"
    )
    stalled_for = fake.clock - 7 * SLOW_LAPTOP_RUN
    assert f"  backfill__2024-01-08: 실행 중 (running), {stalled_for:.0f} s" in message
    assert f"    load: 실행 중 (running), {stalled_for:.0f} s" in message
    queued = f"  대기 중 (queued) 22개 (runs, not started), {fake.clock:.0f} s: backfill__2024-01-09 ..."
    assert queued + " backfill__2024-01-30" in message
    assert "DAG가 일시 중지되었거나 스케줄러가 멈춘 것입니다" in message
    assert "is the DAG paused, or the scheduler down?" in message


def test_a_failing_lab_command_raises(lab, capsys):
    with pytest.raises(RuntimeError, match="exited with code 2"):
        nb.lab("seed", "tick", "--date", "someday")
    assert "is not a date" in capsys.readouterr().err


def test_a_peer_that_is_starting_is_waited_for(monkeypatch, capsys):
    monkeypatch.setattr(peers, "POLL_SECONDS", 0.01)
    answers = iter([ConnectionRefusedError("refused"), ConnectionRefusedError("refused"), "answer"])

    def attempt():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert nb.when_up("airflow", "http://airflow:8080", attempt, lambda error: True) == "answer"
    assert capsys.readouterr().out.count("waiting for airflow at http://airflow:8080") == 1


def test_a_peer_that_never_answers_is_named_with_its_log(monkeypatch):
    monkeypatch.setattr(peers, "PEER_WAIT", 0.05)
    monkeypatch.setattr(peers, "POLL_SECONDS", 0.01)
    monkeypatch.setenv("LAB_RUNTIME", "compose")

    def refused():
        raise ConnectionRefusedError("refused")

    with pytest.raises(
        nb.PeerUnavailable,
        match=r"airflow does not answer at http://airflow:8080 .*docker compose logs airflow",
    ):
        nb.when_up("airflow", "http://airflow:8080", refused, lambda error: True)


def test_errors_that_are_not_about_reaching_a_peer_are_not_waited_on():
    def wrong_password():
        raise PermissionError("28P01 password authentication failed")

    with pytest.raises(PermissionError):
        nb.when_up(
            "redshift", "redshift:5439", wrong_password, lambda error: isinstance(error, ConnectionError)
        )


@pytest.mark.slow  # a real `airflow` command: Airflow's own start-up
def test_airflow_command_shows_what_airflow_printed_with_the_secrets_masked(lab, monkeypatch):
    # This test's Airflow has no metadata database of its own with the lab's connections in it (`lab up`
    # writes them there): Airflow's environment variables stand in, as its own secrets backend reads them.
    for name, value in lab.airflow_connections().items():
        monkeypatch.setenv(name, value)
    shown = nb.airflow_command("connections", "get", "aws_conn_id", "--output", "json")
    assert shown.returncode == 0, shown.stderr
    connection = json.loads(shown.stdout)[0]  # no colour codes left to break the JSON
    assert connection["conn_id"] == "aws_conn_id"
    assert lab.aws_secret_access_key, "the test needs a secret to look for"
    assert connection["password"] == "***"
    assert lab.aws_secret_access_key not in shown.stdout + shown.stderr


def test_raised_lists_each_exception_that_ends_a_traceback_once():
    log = "Traceback ...\nValueError: bad key\nTraceback ...\nValueError: bad key\nKeyError: 'x'\n"
    assert nb.raised(log) == [("KeyError", "'x'"), ("ValueError", "bad key")]
