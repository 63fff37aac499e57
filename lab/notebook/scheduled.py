"""Runs the scheduler makes by itself (lessons 09-11): pause, forget a DAG's runs, wait for the runs a
catch-up makes, see why a task waits, and clear tasks with the options of the UI's Clear dialog."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date, timedelta

from lab import airflow_client
from lab.bilingual import say
from lab.notebook import airflow_api
from lab.notebook.dag_runs import task_states, wait_allowance
from lab.notebook.peers import POLL_SECONDS
from lab.notebook.progress import logical_day, state_label, watch


def dag_window(dag_id: str) -> tuple[date, date]:
    """The first and last logical dates the DAG's scheduler may run: its start_date and end_date."""
    details = airflow_api.dag_details(dag_id)
    return date.fromisoformat(details["start_date"][:10]), date.fromisoformat(details["end_date"][:10])


def pause(dag_id: str) -> None:
    airflow_api.airflow_client().set_paused(dag_id, True)
    print(say(f"{dag_id}: 일시 중지했습니다.", f"{dag_id}: paused"), flush=True)


def forget_runs(dag_id: str, timeout: float = 60) -> None:
    """Pause the DAG, delete its runs, and have Airflow parse its file again: a lesson starts from a DAG
    the scheduler has not touched. The scheduler's next run is worked out when the file is parsed, from
    the runs there are; without a new parse it would go on after the deleted ones (Client.reparse)."""
    client = airflow_api.airflow_client()
    client.wait_for_dag(dag_id)
    pause(dag_id)
    deleted = client.delete_runs(dag_id)
    print(say(f"{dag_id}: 실행 {deleted}개를 지웠습니다.", f"{dag_id}: {deleted} runs deleted"), flush=True)
    parsed_before = client.reparse(dag_id)
    deadline = time.monotonic() + timeout
    while client.request("GET", f"/dags/{dag_id}/details")["last_parsed_time"] == parsed_before:
        if time.monotonic() > deadline:
            raise TimeoutError(
                say(
                    f"{dag_id}: {timeout:.0f}초 안에 파일을 다시 파싱하지 않았습니다."
                    " dag-processor가 도나요? (`lab status`)",
                    f"{dag_id}: its file was not parsed again within {timeout:.0f} s; is the dag-processor"
                    " running? (`lab status`)",
                )
            )
        time.sleep(POLL_SECONDS / 2)


def scheduled_runs(dag_id: str, count: int, timeout: float | None = None) -> list[dict]:
    """Wait until the DAG has ``count`` runs and all have finished, as the scheduler makes them one by
    one; returns them, oldest logical date first. A run not made yet shows as waiting in the progress."""
    client = airflow_api.airflow_client()

    def current_runs() -> list[dict]:
        made = client.runs(dag_id)
        not_made = [
            {"dag_run_id": f"… {n}/{count}", "state": "queued"} for n in range(len(made) + 1, count + 1)
        ]
        return made + not_made

    return watch(current_runs, lambda run_id: task_states(dag_id, run_id), timeout or wait_allowance(count))


def run_for(dag_id: str, day: date) -> dict:
    """The DAG's run for logical date ``day``."""
    for run in airflow_api.airflow_client().runs(dag_id):
        if logical_day(run) == day:
            return run
    raise LookupError(say(f"{dag_id}에 {day}의 실행이 없습니다", f"{dag_id} has no run for {day}"))


def waits_for(dag_id: str, day: date, task_id: str) -> list[str]:
    """Why the task of the run for ``day`` does not run: Airflow's reasons, as the UI's task details
    show them (REST: .../taskInstances/{task_id}/dependencies)."""
    run_id = run_for(dag_id, day)["dag_run_id"]
    path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/dependencies"
    return [dep["reason"] for dep in airflow_api.airflow_client().request("GET", path)["dependencies"]]


def wait_until_waiting(dag_id: str, day: date, task_id: str, timeout: float | None = None) -> dict:
    """Wait until the run of the day before ``day`` has finished, and in the run for ``day`` every task
    but ``task_id`` has succeeded while ``task_id`` has no state: it waits. Returns that run's task states."""
    deadline = time.monotonic() + (timeout or wait_allowance(3))
    seen = None
    while True:
        runs = {logical_day(run): run for run in airflow_api.airflow_client().runs(dag_id)}
        before = runs.get(day - timedelta(days=1), {}).get("state")
        states = task_states(dag_id, runs[day]["dag_run_id"]) if day in runs else {}
        if (before, states) != seen:
            shown = ", ".join(f"{task}: {state_label(state)}" for task, state in states.items())
            print(f"{day}  {shown or say('실행이 아직 없습니다', 'no run yet')}", flush=True)
            seen = (before, states)
        others = [state for task, state in states.items() if task != task_id]
        finished_before = before in airflow_client.FINISHED_STATES
        if finished_before and states and states.get(task_id) is None and set(others) == {"success"}:
            return states
        if time.monotonic() > deadline:
            raise TimeoutError(
                say(
                    f"{dag_id} {day}: {task_id}가 기다리는 상태가 되지 않았습니다: {states}, 전날: {before}",
                    f"{dag_id} {day}: {task_id} did not come to wait: {states}, the day before: {before}",
                )
            )
        time.sleep(POLL_SECONDS)


def clear_tasks(dag_id: str, day: date, task_ids: Sequence[str], downstream: bool = False) -> None:
    """Clear ``task_ids`` of the run for ``day`` (with their downstream tasks: the Clear dialog's
    "Downstream"), so that the scheduler runs them again."""
    run_id = run_for(dag_id, day)["dag_run_id"]
    body = {
        "dag_run_id": run_id,
        "task_ids": list(task_ids),
        "include_downstream": downstream,
        "only_failed": False,
        "reset_dag_runs": True,
        "dry_run": False,
    }
    cleared = airflow_api.airflow_client().request("POST", f"/dags/{dag_id}/clearTaskInstances", body)
    names = sorted(instance["task_id"] for instance in cleared["task_instances"])
    print(say(f"{dag_id} {day}: 지웠습니다(Clear): {names}", f"{dag_id} {day}: cleared {names}"), flush=True)
