"""DagTester: DAG runs with ``dag.test()`` in one long-lived process, no scheduler (tests/dags uses it).

    with airflow.dag_tester() as tester:      # lab.airflow.Airflow.dag_tester: the lab's Airflow environment
        tester.run("MySQL_to_Redshift", date(2024, 1, 1))   # -> "success" or "failed"

`python -m lab.dag_tester` is that process: it imports only Airflow and this module, not the rest of the lab.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from datetime import time as clock

from lab import processes
from lab.airflow_client import AirflowError


class DagTester:
    """Runs DAGs with ``dag.test()`` (what `airflow dags test` does) in one long-lived process.

    Starting Airflow and parsing the DAG files takes most of a `airflow dags test` on a small machine; one
    process that has done it once answers each later run in a few seconds. Each run's tasks execute in
    that process, one after the other, against the metadata database; no scheduler is needed.
    """

    def __init__(self, airflow_env: Mapping[str, str]) -> None:
        """``airflow_env``: the environment of the Airflow to run the DAGs in (lab.airflow.Airflow.env)."""
        self._popen = subprocess.Popen(
            [str(processes.VENV_BIN / "python"), "-m", "lab.dag_tester"],
            env={**os.environ, **airflow_env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.log: list[str] = []  # everything the last run printed

    def _read(self) -> None:
        for line in self._popen.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def run(self, dag_id: str, logical_date: date, timeout: float = 300) -> str:
        """Run ``dag_id`` for ``logical_date``; returns the run's final state ("success" or "failed")."""
        self.log = []
        self._popen.stdin.write(f"{dag_id} {logical_date.isoformat()}\n")
        self._popen.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AirflowError(f"{dag_id} {logical_date}: no result after {timeout:.0f} s") from None
            if line is None:
                raise AirflowError(f"the DAG test process exited:\n{''.join(self.log[-60:])}")
            if line.startswith(_RESULT):
                return line[len(_RESULT) :].strip()
            self.log.append(line)

    def close(self) -> None:
        self._popen.stdin.close()
        try:
            self._popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._popen.kill()
            self._popen.wait()

    def __enter__(self) -> DagTester:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


# Marks the DagTester process's answers among the task logs it prints.
_RESULT = "LAB-DAG-TEST-RESULT "


def _serve_dag_tests() -> None:
    """The DagTester process: read "DAG_ID YYYY-MM-DD" lines, run each, print its final state."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    for request in sys.stdin:
        dag_id, day = request.split()
        run = bag.dags[dag_id].test(
            logical_date=datetime.combine(date.fromisoformat(day), clock(), tzinfo=UTC)
        )
        print(_RESULT + getattr(run.state, "value", run.state), flush=True)


if __name__ == "__main__":
    _serve_dag_tests()
