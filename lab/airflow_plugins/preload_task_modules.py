"""An Airflow plugin of the lab's (lab.airflow sets [core] plugins_folder here): in the scheduler, it imports
the modules the lab's tasks need before the LocalExecutor forks its workers.

Each task runs in a process forked from one of those workers, which imports its DAG file, the operators,
their hooks and pandas afresh, then exits: about half a second of CPU a task, most of what a short task
costs on a small machine (bench/backfill_bench.py). Imported here once, every task process inherits them.
With [core] lazy_load_plugins = False every Airflow process imports this file as it starts; only the
scheduler forks task workers, so the others skip the imports.
"""

import importlib
import sys

# What the lab's DAGs import, and what their operators import as they run: the hooks of the lab's three
# connections (mysql, aws, redshift) and pandas, through which SqlToS3Operator writes its CSV.
TASK_MODULES = (
    "airflow.providers.amazon.aws.transfers.sql_to_s3",
    "airflow.providers.amazon.aws.transfers.s3_to_redshift",
    "airflow.providers.amazon.aws.operators.redshift_data",  # NPS_Summary_Data_API, and its hook
    "airflow.providers.common.sql.operators.sql",
    "airflow.providers.mysql.hooks.mysql",
    "airflow.providers.amazon.aws.hooks.s3",
    "airflow.providers.amazon.aws.hooks.redshift_sql",
    "pandas",
)

if sys.argv[1:2] == ["scheduler"]:
    for name in TASK_MODULES:
        importlib.import_module(name)
