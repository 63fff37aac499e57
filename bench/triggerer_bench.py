"""What the triggerer would cost the lab: its resident memory beside the rest of the lab's Airflow.

The lab runs Airflow without a triggerer (lab.airflow.COMPONENTS): it serves only deferrable operators,
which the lab's DAGs do not use, and the UI's Health panel shows it with a red cross (notebook 01 says
why). This measures the price of turning it on: a triggerer started beside the running lab's Airflow,
with the lab's own configuration, its resident set (with its children) after it has settled, against the
resident set of the Airflow processes `lab up` started.

    .venv/bin/lab up && .venv/bin/python bench/triggerer_bench.py [--settle 20]
"""

from __future__ import annotations

import argparse
import time

import psutil

from lab import airflow, processes
from lab.config import load_settings


def tree_rss_mib(pid: int) -> float:
    process = psutil.Process(pid)
    members = [process, *process.children(recursive=True)]
    return sum(member.memory_info().rss for member in members) / 2**20


def lab_airflow_rss_mib() -> float:
    """The resident set of `lab serve airflow` and its children: every component `lab up` started."""
    for process in psutil.process_iter(["cmdline"]):
        if process.info["cmdline"] and " ".join(process.info["cmdline"]).endswith("lab serve airflow"):
            return tree_rss_mib(process.pid)
    raise SystemExit("no `lab serve airflow` process: `lab up` first")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle", type=float, default=20, help="seconds before measuring")
    args = parser.parse_args()
    settings = load_settings()
    lab_airflow = airflow.configure(metadata_database=settings.airflow_database)
    if not lab_airflow.healthy(airflow.HEALTH_COMPONENTS):
        raise SystemExit(f"the lab's Airflow does not answer at {settings.airflow_url}: `lab up` first")
    others = lab_airflow_rss_mib()
    command = [str(processes.VENV_BIN / "airflow"), "triggerer", "--skip-serve-logs"]
    log = lab_airflow.home / "logs" / "triggerer-bench.log"
    triggerer = processes.start("airflow triggerer (bench)", command, log, env=lab_airflow.env)
    try:
        triggerer.wait_until(lambda: lab_airflow.healthy(["triggerer"]), timeout=120)
        time.sleep(args.settle)
        rss = tree_rss_mib(triggerer.popen.pid)
    finally:
        processes.stop_all([triggerer])
    print(f"triggerer: {rss:.0f} MiB resident, after {args.settle:.0f} s")
    print(f"the lab's Airflow without it (`lab serve airflow` and its children): {others:.0f} MiB resident")
    print(f"ratio, triggerer / the rest of Airflow: {rss / others:.2f}")


if __name__ == "__main__":
    main()
