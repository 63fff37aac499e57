"""Backfill speed: the seeded month's backfill of the ROW_NUMBER DAG under Airflow's own defaults and under
the lab's configuration (lab.airflow.RESPONSIVE), side by side, with where the time goes.

Runs a sandboxed lab (lab.sandbox: temporary state, free ports, throwaway databases, prod seeded with the
default 30 days by `lab up`) once per configuration, back to back, and backfills every seeded day of
MySQL_to_Redshift_row_number (5 tasks a run, one run at a time) through Airflow's REST API. Each task's
times come from Airflow's task instances: ready (its upstream ended) -> queued by the scheduler -> started
by a worker -> ended. Other work on the machine slows either: the load average before and after each backfill
is printed beside the figures.

    .venv/bin/python bench/backfill_bench.py [--days 30]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import lab_settings
from lab import airflow, airflow_client, sandbox
from lab import notebook as nb
from lab.config import load_settings

DAG_ID = "MySQL_to_Redshift_row_number"
FIRST_DAY = date.fromisoformat(lab_settings.SEED_START_DATE)
TARGET_SECONDS = 120


@dataclass
class Phases:
    """Seconds of one backfill, by where they went; the sum is the backfill's wall time."""

    before_first_run: float = 0.0  # backfill created -> its first run started
    ready_to_queued: float = 0.0  # run started or upstream task ended -> task queued (the scheduler)
    queued_to_started: float = 0.0  # queued -> the worker's task process started
    started_to_ended: float = 0.0  # the task process: parse the DAG file, run the operator, report
    last_task_to_run_end: float = 0.0  # last task ended -> the run marked finished (the scheduler)
    between_runs: float = 0.0  # a run finished -> the next one started (the scheduler)
    tasks: int = 0
    runs: int = 0
    states: dict[str, int] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after

    @property
    def total(self) -> float:
        return (
            self.before_first_run
            + self.ready_to_queued
            + self.queued_to_started
            + self.started_to_ended
            + self.last_task_to_run_end
            + self.between_runs
        )


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def backfill(client: airflow_client.Client, days: int) -> Phases:
    """Backfill ``days`` days from FIRST_DAY, wait for every run, and split the wall time into Phases."""
    client.wait_for_dag(DAG_ID)
    client.set_paused(DAG_ID, False)
    last_day = FIRST_DAY + timedelta(days=days - 1)
    created = datetime.now(UTC)
    client.request(
        "POST",
        "/backfills",
        {
            "dag_id": DAG_ID,
            "from_date": datetime.combine(FIRST_DAY, datetime.min.time(), UTC).isoformat(),
            "to_date": datetime.combine(last_day, datetime.min.time(), UTC).isoformat(),
            "max_active_runs": 1,
            "reprocess_behavior": "completed",
        },
    )
    finished = nb.watch(
        lambda: client.runs(DAG_ID),  # the sandbox's DAG has the backfill's runs only
        lambda run_id: {},  # the bench reads every task's times once the runs have finished
        nb.wait_allowance(days),
        per_task=False,
    )
    phases = Phases(runs=len(finished))
    previous_end = created
    for run in sorted(finished, key=lambda run: run["start_date"]):
        phases.states[run["state"]] = phases.states.get(run["state"], 0) + 1
        run_start, run_end = _time(run["start_date"]), _time(run["end_date"])
        gap = (run_start - previous_end).total_seconds()
        if previous_end is created:
            phases.before_first_run = gap
        else:
            phases.between_runs += gap
        ready = run_start
        instances = client.task_instances(DAG_ID, run["dag_run_id"])
        for task in sorted(instances, key=lambda task: task["start_date"] or "~"):
            if not (task["queued_when"] and task["start_date"] and task["end_date"]):
                continue  # a task that never ran (upstream failed): its time is in the run's own end
            queued, start, end = (_time(task[name]) for name in ("queued_when", "start_date", "end_date"))
            phases.ready_to_queued += (queued - ready).total_seconds()
            phases.queued_to_started += (start - queued).total_seconds()
            phases.started_to_ended += (end - start).total_seconds()
            phases.tasks += 1
            ready = end
        phases.last_task_to_run_end += (run_end - ready).total_seconds()
        previous_end = run_end
    return phases


def measured(days: int, overrides: dict[str, str]) -> Phases:
    """One sandboxed lab, `lab up` with ``overrides`` in its environment, and one measured backfill."""
    settings = load_settings()
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as state_dir:
        env = sandbox.environment(
            f"lab_bench_{uuid.uuid4().hex[:8]}", Path(state_dir), str(settings.mysql), str(settings.postgres)
        )
        # A default may name Airflow's home ("{AIRFLOW_HOME}/plugins"): the sandbox's is under its state.
        env.update(
            {
                name: value.replace("{AIRFLOW_HOME}", state_dir + "/airflow")
                for name, value in overrides.items()
            }
        )
        try:
            up = sandbox.lab(env, "up")
            if up.returncode:
                raise SystemExit(f"lab up failed:\n{up.stdout}\n{up.stderr}")
            load_before = os.getloadavg()[0]
            phases = backfill(airflow.client(load_settings(env)), days)
            phases.load = (load_before, os.getloadavg()[0])
            return phases
        finally:
            sandbox.remove(env)


def report(days: int, defaults: dict[str, str], figures: dict[str, Phases]) -> None:
    before, after = figures.values()
    print(f"\n{days}-day backfill of {DAG_ID}, one run at a time ({after.tasks} tasks):")
    print(f"  {'':<44}{'defaults':>10}{'lab':>10}{'ratio':>8}   (seconds)")
    rows = [
        ("backfill created -> first run started", "before_first_run"),
        ("task ready -> queued (scheduler)", "ready_to_queued"),
        ("queued -> started (executor, worker)", "queued_to_started"),
        ("started -> ended (task process)", "started_to_ended"),
        ("last task ended -> run ended (scheduler)", "last_task_to_run_end"),
        ("run ended -> next run started (scheduler)", "between_runs"),
        ("total", "total"),
    ]
    for label, name in rows:
        old, new = getattr(before, name), getattr(after, name)
        ratio = f"{old / new:7.1f}x" if new > 0 else ""
        print(f"  {label:<44}{old:>10.1f}{new:>10.1f}{ratio:>8}")
    per_task = [
        (phases.queued_to_started + phases.started_to_ended) / max(1, phases.tasks)
        for phases in figures.values()
    ]
    per_run = [phases.total / max(1, phases.runs) for phases in figures.values()]
    for label, (old, new) in (("per task, queued -> ended", per_task), ("per run, wall", per_run)):
        print(f"  {label:<44}{old:>10.1f}{new:>10.1f}")
    print(f"  {'1-minute load average before / after':<44}{_load(before):>10}{_load(after):>10}")
    print(f"  run states: defaults {_states(before)}; lab {_states(after)}")
    verdict = "met" if after.total < TARGET_SECONDS else "MISSED"
    print(f"\ntarget: the lab's backfill under {TARGET_SECONDS} s: {verdict}")
    for name, settings in (("defaults (Airflow's)", defaults), ("lab", airflow.RESPONSIVE)):
        print(f"{name}: " + ", ".join(f"{key}={value}" for key, value in settings.items()))


def _states(phases: Phases) -> str:
    return " ".join(f"{count} {state}" for state, count in sorted(phases.states.items()))


def _load(phases: Phases) -> str:
    return f"{phases.load[0]:.1f}/{phases.load[1]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="days to backfill, from the seed's first day")
    args = parser.parse_args()
    defaults = airflow.airflow_defaults(airflow.RESPONSIVE)
    figures = {}
    for name, overrides in (("defaults", defaults), ("lab", {})):
        print(f"--- {name}: lab up, then the backfill", flush=True)
        figures[name] = measured(args.days, overrides)
    report(args.days, defaults, figures)


if __name__ == "__main__":
    main()
