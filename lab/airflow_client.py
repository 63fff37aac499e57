"""A small client of Airflow's REST API (v2), and the error an Airflow command or API call raises.

api = Client("http://127.0.0.1:8080", "admin", "admin")   # lab.airflow.client(settings) for the lab's
run_id = api.trigger("MySQL_to_Redshift", date(2024, 1, 1))
api.wait_for_run("MySQL_to_Redshift", run_id)["state"]     # -> "success" or "failed"
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime
from datetime import time as clock
from urllib.parse import quote

FINISHED_STATES = ("success", "failed")


class AirflowError(RuntimeError):
    """An Airflow command or API call failed; the message carries its output, and ``status`` the HTTP
    status when the call was an API call."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def _utc_midnight(day: date) -> str:
    return datetime.combine(day, clock(), tzinfo=UTC).isoformat()


class Client:
    """A small client of Airflow's REST API (v2), logged in as one user of the simple auth manager."""

    def __init__(self, api_url: str, username: str, password: str) -> None:
        self.api_url = api_url
        self._login = {"username": username, "password": password}
        self._token: str | None = None

    def log_in(self) -> None:
        """Get the token every request carries (the first request does it, if not done before)."""
        self._token = self._call("POST", "/auth/token", self._login, token=None)["access_token"]

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        if self._token is None:
            self.log_in()
        return self._call(method, f"/api/v2{path}", body, token=self._token)

    def _call(self, method: str, path: str, body: dict | None, token: str | None) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api_url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            raise AirflowError(f"{method} {path}: HTTP {error.code} {detail}", error.code) from None
        return json.loads(body) if body else {}

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> dict:
        """The DAG's details once the dag-processor has parsed it."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.request("GET", f"/dags/{dag_id}")
            except AirflowError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(1)

    def set_paused(self, dag_id: str, paused: bool) -> dict:
        return self.request("PATCH", f"/dags/{dag_id}", {"is_paused": paused})

    def trigger(self, dag_id: str, logical_date: date) -> str:
        """Start a run of ``dag_id`` for ``logical_date``; returns its run id."""
        body = {"logical_date": _utc_midnight(logical_date)}
        return self.request("POST", f"/dags/{dag_id}/dagRuns", body)["dag_run_id"]

    def runs(self, dag_id: str) -> list[dict]:
        """The DAG's runs, oldest logical date first."""
        listed: list[dict] = []
        while True:  # a page holds 100 runs at most ([api] maximum_page_limit)
            page = self.request(
                "GET", f"/dags/{dag_id}/dagRuns?order_by=logical_date&limit=100&offset={len(listed)}"
            )
            listed += page["dag_runs"]
            if not page["dag_runs"] or len(listed) >= page["total_entries"]:
                return listed

    def delete_runs(self, dag_id: str) -> int:
        """Delete every run of ``dag_id``; returns how many. A backfill not yet marked complete is
        cancelled first (Airflow allows one running backfill per DAG, and marks one complete a moment after
        its last run ends); a run that is queued or running is marked failed, since Airflow refuses to
        delete it (HTTP 409)."""
        for backfill in self.request("GET", f"/backfills?dag_id={quote(dag_id)}")["backfills"]:
            if backfill["completed_at"] is None:
                self.request("PUT", f"/backfills/{backfill['id']}/cancel")
        deleted = 0
        while runs := self.request("GET", f"/dags/{dag_id}/dagRuns?limit=100")["dag_runs"]:
            for run in runs:
                path = f"/dags/{dag_id}/dagRuns/{quote(run['dag_run_id'], safe='')}"
                if run["state"] not in FINISHED_STATES:
                    self.request("PATCH", path, {"state": "failed"})
                self.request("DELETE", path)
            deleted += len(runs)
        return deleted

    def reparse(self, dag_id: str) -> str | None:
        """Ask the dag-processor to parse the DAG's file again (the UI's "Reparse Dag" button); returns
        when the DAG was last parsed before. The scheduler works out a DAG's next run when its file is
        parsed, from the runs there are: after runs are deleted, a new parse starts it from scratch.

        A file asked for again before the dag-processor took the first request (two DAGs in one file)
        gets HTTP 409 (a unique constraint on the pending request): it is asked already, which is fine.
        """
        details = self.request("GET", f"/dags/{dag_id}/details")
        try:
            self.request("PUT", f"/parseDagFile/{details['file_token']}")
        except AirflowError as error:
            if error.status != 409:
                raise
        return details["last_parsed_time"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        """The run's task instances: state, and when each was scheduled, queued, started and ended."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
        return self.request("GET", path)["task_instances"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 300) -> dict:
        """The run once it has finished (state success or failed)."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            if run["state"] in FINISHED_STATES:
                return run
            if time.monotonic() > deadline:
                raise AirflowError(f"{dag_id} run {run_id} still {run['state']} after {timeout:.0f} s")
            time.sleep(1)
