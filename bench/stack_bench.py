"""Figures for the README: seconds from `lab up` until every piece answers, seconds a DAG run takes, and the
lab's memory once idle.

Runs a sandboxed lab (lab.sandbox: temporary state, free ports, throwaway databases) on the MySQL and
PostgreSQL servers of the settings, twice: a first start (databases created and migrated, prod.nps seeded)
and a restart (`lab down`, then `lab up`: what a learner does every day). Between the two, the full
refresh runs a few times, through the scheduler as a notebook runs it. Memory is the resident set of
every process `lab up` started, with their children, after the lab has been idle a while; PSS (which
splits pages shared between forked processes) is printed beside it.

    .venv/bin/python bench/stack_bench.py [--idle 30]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import psutil

from lab import airflow, sandbox
from lab.config import load_settings

# The official Airflow docker-compose.yaml asks for at least 4 GB of memory for Docker.
AIRFLOW_COMPOSE_MINIMUM_MB = 4096
TARGET_SECONDS = 60
DAG_ID = "MySQL_to_Redshift"  # the full refresh: two tasks, one Airflow worker at a time
DAG_RUNS = 3
TARGET_MB = 2048


def timed_up(env: dict[str, str]) -> float:
    started = time.monotonic()
    up = sandbox.lab(env, "up")
    elapsed = time.monotonic() - started
    if up.returncode:
        raise SystemExit(f"lab up failed:\n{up.stdout}\n{up.stderr}")
    return elapsed


def timed_dag_runs(settings, count: int) -> list[float]:
    """Seconds from trigger to the end of each of ``count`` runs of DAG_ID, one after the other."""
    client = airflow.client(settings)
    client.wait_for_dag(DAG_ID)
    client.set_paused(DAG_ID, False)
    seconds = []
    for day in range(1, count + 1):
        started = time.monotonic()
        run = client.wait_for_run(DAG_ID, client.trigger(DAG_ID, date(2024, 1, day)))
        if run["state"] != "success":
            raise SystemExit(f"{DAG_ID} run for 2024-01-{day:02} ended {run['state']}")
        seconds.append(time.monotonic() - started)
    return seconds


@contextmanager
def native_sandbox() -> Iterator[tuple[dict[str, str], Path]]:
    """A sandboxed native lab's environment and state folder, on the settings' MySQL and PostgreSQL; its
    processes, databases and login are removed at the end."""
    settings = load_settings()
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as state_dir:
        env = sandbox.environment(
            f"lab_bench_{uuid.uuid4().hex[:8]}", Path(state_dir), str(settings.mysql), str(settings.postgres)
        )
        try:
            yield env, Path(state_dir)
        finally:
            sandbox.remove(env)


def memory_by_piece(state_dir: Path) -> dict[str, tuple[float, float, int]]:
    """Per piece: (RSS MiB, PSS MiB, process count) of the recorded process and all its descendants."""
    figures = {}
    for record_path in sorted((state_dir / "run").glob("*.json")):
        root = psutil.Process(json.loads(record_path.read_text())["pid"])
        tree = [root, *root.children(recursive=True)]
        rss = pss = 0
        for process in tree:
            info = process.memory_full_info()
            rss += info.rss
            pss += info.pss
        figures[record_path.stem] = (rss / 2**20, pss / 2**20, len(tree))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=30, help="seconds idle before memory is measured")
    args = parser.parse_args()

    with native_sandbox() as (env, state_dir):
        first = timed_up(env)
        dag_runs = timed_dag_runs(load_settings(env), DAG_RUNS)
        time.sleep(args.idle)
        memory = memory_by_piece(state_dir)
        sandbox.lab(env, "down")
        again = timed_up(env)

    print(f"lab up, first start (create, migrate, seed): {first:6.1f} s")
    print(f"lab up, restart:                             {again:6.1f} s   target < {TARGET_SECONDS} s")
    print(
        f"{DAG_ID} triggered {DAG_RUNS} times, trigger to end of run: "
        + ", ".join(f"{seconds:.1f} s" for seconds in dag_runs)
        + "  (the first after `lab up` is the slowest)"
    )
    print(f"\nresident memory after those runs and {args.idle:.0f} s idle:")
    print(f"  {'piece':<10}{'RSS MiB':>9}{'PSS MiB':>9}{'processes':>11}")
    for piece, (rss, pss, count) in memory.items():
        print(f"  {piece:<10}{rss:>9.0f}{pss:>9.0f}{count:>11}")
    total_rss = sum(rss for rss, _, _ in memory.values())
    total_pss = sum(pss for _, pss, _ in memory.values())
    print(f"  {'all':<10}{total_rss:>9.0f}{total_pss:>9.0f}")
    print(
        f"\nRSS of the whole lab: {total_rss:.0f} MiB = {total_rss / AIRFLOW_COMPOSE_MINIMUM_MB:.2f} x the"
        f" {AIRFLOW_COMPOSE_MINIMUM_MB} MiB the official Airflow docker-compose asks for (Airflow alone);"
        f" target < {TARGET_MB} MiB"
    )
    print("(MySQL and PostgreSQL are the machine's own servers, shared with other work: not counted.)")


if __name__ == "__main__":
    main()
