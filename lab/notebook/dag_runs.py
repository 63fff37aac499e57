"""DAG runs driven through Airflow's API: run a date, some tasks, or a backfill, and wait for them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from lab import airflow_client
from lab.bilingual import say
from lab.notebook import airflow_api, commands
from lab.notebook.progress import logical_day, watch

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


def runs(dag_id: str) -> pd.DataFrame:
    """The DAG's runs, oldest logical date first: run id, logical date, state, type, start and end."""
    columns = ["dag_run_id", "logical_date", "state", "run_type", "start_date", "end_date"]
    listed = airflow_api.airflow_client().runs(dag_id)
    frame = pd.DataFrame([{name: run.get(name) for name in columns} for run in listed], columns=columns)
    for name in ("logical_date", "start_date", "end_date"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


def task_states(dag_id: str, run_id: str) -> dict[str, str | None]:
    client = airflow_api.airflow_client()
    instances = client.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
    return {instance["task_id"]: instance["state"] for instance in instances}


def unpause(dag_id: str) -> None:
    """A new DAG starts paused, and a paused DAG's runs, backfills included, wait in `queued` for ever."""
    client = airflow_api.airflow_client()
    if client.wait_for_dag(dag_id)["is_paused"]:
        client.set_paused(dag_id, False)
        print(say(f"{dag_id}: 일시 중지를 해제했습니다.", f"{dag_id}: unpaused"), flush=True)


def _run_for(client: airflow_client.Client, dag_id: str, day: date) -> str | None:
    """The id of the DAG's run for logical date ``day``, if there is one."""
    return next((run["dag_run_id"] for run in client.runs(dag_id) if logical_day(run) == day), None)


def _clear(
    client: airflow_client.Client, dag_id: str, run_id: str, task_ids: Sequence[str] | None = None
) -> None:
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
    client = airflow_api.airflow_client()
    unpause(dag_id)
    if run_id := _run_for(client, dag_id, day):
        _clear(client, dag_id, run_id)
        print(
            say(
                f"{dag_id} {day}: 실행 {run_id}를 지웠습니다(Clear). 다시 실행됩니다.",
                f"{dag_id} {day}: cleared run {run_id}, it runs again",
            ),
            flush=True,
        )
    else:
        run_id = client.trigger(dag_id, day)
        print(
            say(
                f"{dag_id} {day}: 실행 {run_id}를 트리거했습니다.", f"{dag_id} {day}: triggered run {run_id}"
            ),
            flush=True,
        )
    return wait_for_runs(dag_id, [run_id], timeout)[0]


def run_tasks(dag_id: str, day: date, task_ids: Sequence[str], timeout: float = RUN_TIMEOUT) -> dict:
    """Run only ``task_ids`` of the DAG's run for ``day``, through the scheduler, and wait.

    In an existing run those tasks are cleared and run again. A new run is created while the DAG is
    paused, and its other tasks are marked success without running, so that only the chosen ones run.
    This plays two runs' tasks in a chosen order, as they can interleave when runs overlap.
    """
    client = airflow_api.airflow_client()
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
    tasks = ", ".join(task_ids)
    print(
        say(
            f"{dag_id} {day}: 실행 {run_id}에서 {tasks}만 실행합니다.",
            f"{dag_id} {day}: running only {tasks} of run {run_id}",
        ),
        flush=True,
    )
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
    commands.airflow_cli(
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
    backfill_runs = [
        run for run in airflow_api.airflow_client().runs(dag_id) if first <= logical_day(run) <= last
    ]
    run_ids = [run["dag_run_id"] for run in backfill_runs]
    finished = wait_for_runs(dag_id, run_ids, wait_allowance(len(run_ids)), per_task=detail)
    timeline = f"nb.task_timeline({dag_id!r}, <the runs returned>)"
    print(say(f"태스크별 시간은 {timeline}로 봅니다.", f"each task's times: {timeline}"), flush=True)
    return finished


def task_timeline(dag_id: str, runs: Sequence[dict]) -> pd.DataFrame:
    """Every task instance of ``runs`` (as ``backfill`` or ``run_dag`` return them): its state, and when
    it was queued, started and ended, in the order the tasks started."""
    client = airflow_api.airflow_client()
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
    client = airflow_api.airflow_client()

    def current_runs() -> list[dict]:
        if len(run_ids) == 1:
            return [client.request("GET", f"/dags/{dag_id}/dagRuns/{run_ids[0]}")]
        listed = {run["dag_run_id"]: run for run in client.runs(dag_id)}
        return [listed[run_id] for run_id in run_ids]

    return watch(current_runs, lambda run_id: task_states(dag_id, run_id), timeout, per_task=per_task)
