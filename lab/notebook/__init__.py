"""What the notebooks call: the lab's tables and bucket as pandas, and DAG runs driven through Airflow.

A lesson's code cell is one call here, so the notebook reads like the lesson and the logic is tested
like any code (tests/test_notebook_helpers.py). Everything reads the running lab through the same
settings as the rest of the lab (``lab.config``): MySQL, the Redshift endpoint, S3 and Airflow's API.

    from lab import notebook as nb
    nb.source("SELECT COUNT(*) AS n FROM nps")            # prod.nps, as a DataFrame
    nb.warehouse("SELECT COUNT(*) AS n FROM raw_data.nps")  # through the Redshift endpoint
    run = nb.run_dag("MySQL_to_Redshift", date(2024, 1, 1))  # trigger (or re-run), wait, show progress

The helpers live by what they touch, each module importing only those listed before it:
``peers`` (settings, waiting for a server that starts), ``commands`` (the lab's and Airflow's command
lines), ``source_db``, ``warehouse_db``, ``bucket``, ``sides`` (one table on either side), ``comparison``,
``display`` (pictures of a change), ``airflow_api`` (what Airflow knows), ``progress`` (waiting for runs,
its bar), ``dag_runs`` (running dates, tasks, backfills), ``scheduled`` (the runs the scheduler
makes itself) and ``run_checks`` (what the scheduling lessons check about runs). The modules are not
named like the functions they hold, so that ``nb.source`` is always the function.
"""

from __future__ import annotations

from lab.bilingual import say as say  # the notebooks call nb.say
from lab.exercises import grade as grade  # and nb.grade
from lab.notebook.airflow_api import connections, dag_details, dag_tasks, dags, import_errors, task_log
from lab.notebook.bucket import object_text, objects
from lab.notebook.commands import CommandOutput, airflow_cli, airflow_command, lab, raised
from lab.notebook.comparison import EXAMPLES, Comparison, compare
from lab.notebook.dag_runs import (
    RUN_SECONDS,
    RUN_TIMEOUT,
    WAIT_BASE,
    backfill,
    run_dag,
    run_tasks,
    runs,
    task_states,
    task_timeline,
    unpause,
    wait_allowance,
    wait_for_runs,
)
from lab.notebook.display import CHANGE_COLUMN, CHANGED_CELL, ROW_LABELS, ROW_STYLES, show_changes, snippet
from lab.notebook.peers import PEER_WAIT, POLL_SECONDS, PeerUnavailable, settings, when_up
from lab.notebook.progress import STATES_KO, state_label, watch
from lab.notebook.run_checks import (
    check_catchup,
    check_in_date_order,
    check_one_at_a_time,
    check_only_latest,
    check_overlapped,
    check_waits_for_past,
    days_between,
    most_at_once,
)
from lab.notebook.scheduled import (
    clear_tasks,
    dag_window,
    forget_runs,
    pause,
    run_for,
    scheduled_runs,
    wait_until_waiting,
    waits_for,
)
from lab.notebook.sides import daily_counts, day_rows, forget_days, per_day, row_count
from lab.notebook.source_db import change_source, ensure_source_days, next_day, source, source_days, tick
from lab.notebook.warehouse_db import (
    authorization,
    change_warehouse,
    copy_from_s3,
    history_mark,
    load_errors,
    print_history,
    query_history,
    warehouse,
)

__all__ = [
    "CHANGED_CELL",
    "CHANGE_COLUMN",
    "EXAMPLES",
    "PEER_WAIT",
    "POLL_SECONDS",
    "ROW_LABELS",
    "ROW_STYLES",
    "RUN_SECONDS",
    "RUN_TIMEOUT",
    "STATES_KO",
    "WAIT_BASE",
    "CommandOutput",
    "Comparison",
    "PeerUnavailable",
    "airflow_cli",
    "airflow_command",
    "authorization",
    "backfill",
    "change_source",
    "change_warehouse",
    "check_catchup",
    "check_in_date_order",
    "check_one_at_a_time",
    "check_only_latest",
    "check_overlapped",
    "check_waits_for_past",
    "clear_tasks",
    "compare",
    "connections",
    "copy_from_s3",
    "dag_details",
    "dag_tasks",
    "dag_window",
    "dags",
    "daily_counts",
    "day_rows",
    "days_between",
    "ensure_source_days",
    "forget_days",
    "forget_runs",
    "grade",
    "history_mark",
    "import_errors",
    "lab",
    "load_errors",
    "most_at_once",
    "next_day",
    "object_text",
    "objects",
    "pause",
    "per_day",
    "print_history",
    "query_history",
    "raised",
    "row_count",
    "run_dag",
    "run_for",
    "run_tasks",
    "runs",
    "say",
    "scheduled_runs",
    "settings",
    "show_changes",
    "snippet",
    "source",
    "source_days",
    "state_label",
    "task_log",
    "task_states",
    "task_timeline",
    "tick",
    "unpause",
    "wait_allowance",
    "wait_for_runs",
    "wait_until_waiting",
    "waits_for",
    "warehouse",
    "watch",
    "when_up",
]
