"""Names the lab's DAGs share: connection ids, bucket, schemas, S3 keys.

One small module next to the DAGs, so that every DAG reads the same values and a learner changes
them in one place. Each value can be overridden by an environment variable. Endpoints and secrets
are deliberately absent: they live in Airflow connections (rendered by ``lab.config``), so these
DAG files run unchanged against the local lab and against real AWS.
"""

import os

# The course's Airflow connection ids.
MYSQL_CONN_ID = os.environ.get("LAB_MYSQL_CONN_ID", "mysql_conn_id")
AWS_CONN_ID = os.environ.get("LAB_AWS_CONN_ID", "aws_conn_id")
REDSHIFT_CONN_ID = os.environ.get("LAB_REDSHIFT_CONN_ID", "redshift_dev_db")

# Where the data lives: the MySQL database of the OLTP tables (`prod` in the course),
# the bucket the exports land in, and the warehouse schema the course calls {schema}.
SOURCE_DATABASE = os.environ.get("LAB_SOURCE_DATABASE", "prod")
S3_BUCKET = os.environ.get("LAB_S3_BUCKET", "nps-lab")
WAREHOUSE_SCHEMA = os.environ.get("LAB_WAREHOUSE_SCHEMA", "raw_data")

# The course's object key for the full refresh: "{schema}-nps". COPY treats a key as a prefix,
# so the per-day exports live under their own top-level folder, where this prefix cannot reach them.
NPS_FULL_REFRESH_KEY = f"{WAREHOUSE_SCHEMA}-nps"
DAILY_KEY_FOLDER = "daily"

# The course's summary tables: built from the raw data into their own schema, readable by a group of
# analysts (on Redshift, GRANT ... TO GROUP; `lab init` creates both).
ANALYTICS_SCHEMA = "analytics"
ANALYTICS_GROUP = "analytics_users"
NPS_SUMMARY_TABLE = "nps_summary"

# The first day of the seeded source data, and so the start_date of the incremental DAGs:
# a backfill from here on finds a day of data for each run.
SEED_START_DATE = "2024-01-01"

# The lab's calendar ends here. The seed's days lie in 2024 and the wall clock is years later, while the
# scheduler runs: every lab DAG with a schedule ends on this day (end_date) and has catchup=False, so the
# scheduler never starts a run of its own (with catchup=False it would start only the latest interval, and
# that one lies after the end). Triggered runs for a date up to this day, and backfills, which ignore
# end_date, run as usual. A run triggered for a later date, such as the trigger dialog's default of "now",
# gets no tasks (Airflow makes none after a DAG's end_date) and shows success at once, having done nothing.
LAB_CALENDAR_END = "2024-12-31"

# The days the catch-up lesson reloads (notebook 09): its DAG's start_date and end_date, as the course sets
# them for the scheduler's own backfill. Within the seeded days, in the lab and in the tests alike.
CATCHUP_START_DATE = "2024-01-02"
CATCHUP_END_DATE = "2024-01-04"
