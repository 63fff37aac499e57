"""What Airflow knows: its DAGs, their tasks, import errors, task logs, and the lab's connections."""

from __future__ import annotations

import json
import urllib.error

import pandas as pd

from lab import airflow
from lab.airflow_client import Client
from lab.notebook.peers import settings, when_up


def connections() -> pd.DataFrame:
    """The connections Airflow holds, as Admin → Connections lists them (REST API), passwords hidden."""
    listed = airflow_client().request("GET", "/connections?order_by=connection_id")["connections"]
    rows = [
        {
            "conn_id": connection["connection_id"],
            "conn_type": connection["conn_type"],
            "host": connection.get("host"),
            "port": connection.get("port"),
            "schema": connection.get("schema"),
            "login": connection.get("login"),
            "password": "***" if connection.get("password") else "",
            "extra": json.loads(connection["extra"]) if connection.get("extra") else None,
        }
        for connection in listed
    ]
    frame = pd.DataFrame(
        rows, columns=["conn_id", "conn_type", "host", "port", "schema", "login", "password", "extra"]
    )
    frame["port"] = frame["port"].astype("Int64")  # a missing port would make the column float
    return frame


def airflow_client() -> Client:
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
    listed = airflow_client().request("GET", "/dags?limit=100")["dags"]
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
    errors = airflow_client().request("GET", "/importErrors")["import_errors"]
    return pd.DataFrame(errors, columns=["filename", "timestamp", "stack_trace"])


def dag_details(dag_id: str) -> dict:
    return airflow_client().request("GET", f"/dags/{dag_id}/details")


def dag_tasks(dag_id: str) -> pd.DataFrame:
    """The DAG's tasks with the settings that decide how runs follow each other."""
    tasks = airflow_client().request("GET", f"/dags/{dag_id}/tasks")["tasks"]
    columns = ["task_id", "operator_name", "depends_on_past", "wait_for_downstream", "retries"]
    return pd.DataFrame([{name: task.get(name) for name in columns} for task in tasks], columns=columns)


def task_log(dag_id: str, run_id: str, task_id: str, try_number: int | None = None) -> str:
    """The log of one task instance (its last try unless ``try_number``), as text."""
    client = airflow_client()
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
