"""Figures for the README: the compose stack, rehearsed (tests/compose), beside the native lab, in one run.

For each service of docker-compose.yml: seconds from `up` until it is healthy (or, for `init`, completed),
and resident memory after one run of the full refresh DAG and a short idle. Then the native lab (`lab up`
in a sandbox) measured the same way on the same machine, and the two totals side by side. The rehearsal
plays MySQL 8.4 with MariaDB and runs the lab's image as this checkout: its figures are the compose file's
own start order and the lab's processes, not Docker's overhead or the images' sizes.

    PYTHONPATH=. .venv/bin/python bench/compose_bench.py [--idle 20] [--s3-server moto]  # as root
"""

from __future__ import annotations

import argparse
import shutil
import time
from datetime import date

from bench.stack_bench import memory_by_piece, native_sandbox, timed_up
from lab import airflow, airflow_client
from lab.config import load_settings
from tests.compose.rehearsal import Rehearsal, files_folder

DAG_ID = "MySQL_to_Redshift"


def one_dag_run(client: airflow_client.Client) -> float:
    client.wait_for_dag(DAG_ID)
    client.set_paused(DAG_ID, False)
    started = time.monotonic()
    run = client.wait_for_run(DAG_ID, client.trigger(DAG_ID, date(2024, 1, 1)))
    if run["state"] != "success":
        raise SystemExit(f"{DAG_ID} ended {run['state']}")
    return time.monotonic() - started


def compose_figures(idle: float, s3_server: str) -> tuple[float, dict[str, float], float, dict[str, float]]:
    """(seconds to all ready, per service seconds, seconds of one DAG run, per service RSS MiB)."""
    stack = Rehearsal(files_folder("nps-compose-bench"), {"LAB_S3_SERVER": s3_server}, dotenv={})
    try:
        started = time.monotonic()
        ready = stack.up()
        total = time.monotonic() - started
        port = stack.published("airflow", 8080)
        client = airflow_client.Client(f"http://127.0.0.1:{port}", airflow.ADMIN_USER, airflow.ADMIN_PASSWORD)
        dag_run = one_dag_run(client)
        time.sleep(idle)
        memory = {name: member.resident_bytes() / 2**20 for name, member in stack.running.items()}
    finally:
        stack.down()
        shutil.rmtree(stack.folder, ignore_errors=True)
    return total, ready, dag_run, memory


def native_figures(idle: float) -> tuple[float, float, float]:
    """(seconds of `lab up`, seconds of one DAG run, RSS MiB of the lab's processes) of a native sandbox."""
    with native_sandbox() as (env, state_dir):
        up = timed_up(env)
        dag_run = one_dag_run(airflow.client(load_settings(env)))
        time.sleep(idle)
        memory = sum(rss for rss, _, _ in memory_by_piece(state_dir).values())
    return up, dag_run, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=20, help="seconds idle before memory is measured")
    parser.add_argument(
        "--s3-server", choices=["localstack", "moto"], default="localstack", help="LAB_S3_SERVER"
    )
    args = parser.parse_args()

    total, ready, compose_run, memory = compose_figures(args.idle, args.s3_server)
    native_up, native_run, native_memory = native_figures(args.idle)

    print("compose rehearsal, per service: seconds from `up` until ready; RSS MiB after one DAG run")
    for name, seconds in ready.items():
        print(f"  {name:<10}{seconds:>7.1f} s{memory[name]:>9.0f} MiB")
    compose_memory = sum(memory.values())
    lab_own = sum(memory[name] for name in ("s3", "redshift", "airflow", "jupyter"))
    print(f"\n{'':<30}{'compose':>10}{'native':>10}{'ratio':>8}")
    for label, in_compose, native in (
        ("start until all ready, s", total, native_up),
        ("one full refresh run, s", compose_run, native_run),
        ("RSS of the lab's own, MiB", lab_own, native_memory),
    ):
        print(f"{label:<30}{in_compose:>10.1f}{native:>10.1f}{in_compose / native:>8.2f}")
    print(f"{'RSS of all services, MiB':<30}{compose_memory:>10.1f}")
    print(
        f"(the lab's own: s3, redshift, airflow, jupyter; S3 is {args.s3_server} in compose, moto natively."
        " Natively MySQL and PostgreSQL are the machine's servers, not counted.)"
    )


if __name__ == "__main__":
    main()
